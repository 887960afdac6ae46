//! The model of a `#[prompt]` or `#[resource]` function: its arguments (prompt arguments or
//! template variables, parsed from text) and the values it takes from the request.

use syn::ext::IdentExt;
use syn::{GenericArgument, ItemFn, LitStr, PathArguments, ReturnType, Type};

use super::attr::PrimitiveOptions;
use super::kind::Kind;
use super::template;
use crate::model::{doc_text, Param, ParamKind};

/// A parsed `#[prompt]` or `#[resource]` function.
pub(crate) struct PrimitiveFn {
    pub kind: Kind,
    /// The function as it will be emitted (parameter attributes only the macro reads removed).
    pub function: ItemFn,
    pub options: PrimitiveOptions,
    /// A resource's URI: what it was written as, and its variables (or why it does not parse).
    pub uri: Option<(LitStr, Result<Vec<String>, &'static str>)>,
    /// The prompt's or resource's name (the function's unless renamed).
    pub name: String,
    /// The doc comment, as the default description.
    pub docs: Option<String>,
    pub params: Vec<Param>,
    pub output: Option<Type>,
}

impl PrimitiveFn {
    pub(crate) fn from_item(kind: Kind, mut function: ItemFn, options: PrimitiveOptions) -> Self {
        let params = function
            .sig
            .inputs
            .iter_mut()
            .map(Param::from_arg)
            .collect();
        let name = options
            .name
            .as_ref()
            .map_or_else(|| function.sig.ident.unraw().to_string(), LitStr::value);
        let uri = options
            .uri
            .as_ref()
            .map(|lit| (lit.clone(), template::variables(&lit.value())));
        PrimitiveFn {
            kind,
            docs: doc_text(&function.attrs),
            output: match &function.sig.output {
                ReturnType::Default => None,
                ReturnType::Type(_, ty) => Some((**ty).clone()),
            },
            function,
            options,
            uri,
            name,
            params,
        }
    }

    /// Whether the function is `async`.
    pub(crate) fn is_async(&self) -> bool {
        self.function.sig.asyncness.is_some()
    }

    /// The template's variables (none for a fixed URI, or one that does not parse).
    pub(crate) fn variables(&self) -> &[String] {
        match &self.uri {
            Some((_, Ok(variables))) => variables,
            _ => &[],
        }
    }

    /// The names clients give values for: a prompt's arguments, a template's variables.
    pub(crate) fn argument_names(&self) -> Vec<String> {
        match self.kind {
            Kind::Prompt => self.params.iter().filter_map(argument_name).collect(),
            Kind::Resource => self.variables().to_vec(),
        }
    }
}

/// The name of a parameter the client gives a value for (`r#type` is `type`).
pub(crate) fn argument_name(param: &Param) -> Option<String> {
    match &param.kind {
        ParamKind::Property {
            ident,
            bad_pattern: None,
            ..
        } => Some(ident.unraw().to_string()),
        _ => None,
    }
}

/// The documentation of a parameter: its `///` comments.
pub(crate) fn argument_docs(param: &Param) -> Option<String> {
    match &param.kind {
        ParamKind::Property { attrs, .. } => doc_text(attrs),
        _ => None,
    }
}

/// `T` of `Option<T>`: an optional prompt argument.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    if path.qself.is_some() || segment.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}
