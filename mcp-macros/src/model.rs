//! The model of a `#[tool]` function: what each parameter is and where its data comes from.

use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

use crate::attr::ToolOptions;

/// A parsed `#[tool]` function.
pub(crate) struct ToolFn {
    /// The function as it will be emitted: parameter attributes that only `#[tool]` reads are
    /// removed (rustc rejects doc comments on parameters).
    pub function: ItemFn,
    pub options: ToolOptions,
    /// The tool's name (the function's unless renamed).
    pub name: String,
    /// The doc comment, as the default description.
    pub docs: Option<String>,
    pub params: Vec<Param>,
    pub output: Option<Type>,
    /// Whether the function is a method of a `#[tools]` impl block (called through `Self::`).
    pub in_impl: bool,
}

/// How a `#[tools]` method takes `self`.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Receiver {
    /// `&self`: the handler holds the value in an `Arc` and lends it to each call.
    Ref,
    /// `self: Arc<Self>`: each call gets its own clone of the `Arc`.
    Arc,
    /// `&mut self`, `self`, or another type (reported by validation).
    Unsupported,
}

pub(crate) struct Param {
    pub kind: ParamKind,
    pub ty: Type,
    /// `#[extract]`, which marks an argument taken from the call (checked by validation).
    pub extract: Option<Attribute>,
    /// The whole parameter, to span errors over all of it.
    pub tokens: proc_macro2::TokenStream,
}

pub(crate) enum ParamKind {
    /// A property of the input schema.
    Property {
        ident: Ident,
        /// `///` docs, `#[serde(...)]` and `#[schemars(...)]`, moved onto the schema field.
        attrs: Vec<Attribute>,
        /// A pattern other than a plain name (reported by validation).
        bad_pattern: Option<Box<Pat>>,
    },
    /// `Args<T>`: `T` is the whole input.
    WholeInput { inner: Type },
    /// Taken from the call through `FromToolCall`: `State<T>`, `RequestContext`, or any type
    /// marked `#[extract]`. Holds the `#[serde]`/`#[schemars]` attributes found on it, which
    /// do not apply (reported by validation).
    Extracted { schema_attrs: Vec<Attribute> },
    /// `self`: for a `#[tools]` method, the value the tools were made from.
    Receiver(Receiver),
}

impl ToolFn {
    pub(crate) fn from_item(function: ItemFn, options: ToolOptions) -> syn::Result<Self> {
        Self::new(function, options, false)
    }

    /// A method of a `#[tools]` impl block.
    pub(crate) fn from_method(function: ItemFn, options: ToolOptions) -> syn::Result<Self> {
        Self::new(function, options, true)
    }

    fn new(mut function: ItemFn, options: ToolOptions, in_impl: bool) -> syn::Result<Self> {
        let mut params = Vec::new();
        for input in &mut function.sig.inputs {
            params.push(Param::from_arg(input));
        }
        let name = options.name.as_ref().map_or_else(
            || function.sig.ident.unraw().to_string(),
            syn::LitStr::value,
        );
        let docs = doc_text(&function.attrs);
        let output = match &function.sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        Ok(ToolFn {
            function,
            options,
            name,
            docs,
            params,
            output,
            in_impl,
        })
    }

    /// How the function takes `self`, if it does.
    pub(crate) fn receiver(&self) -> Option<Receiver> {
        self.params.iter().find_map(|param| match param.kind {
            ParamKind::Receiver(receiver) => Some(receiver),
            _ => None,
        })
    }

    /// Whether the function is `async`.
    pub(crate) fn is_async(&self) -> bool {
        self.function.sig.asyncness.is_some()
    }
}

impl Param {
    pub(crate) fn from_arg(input: &mut FnArg) -> Self {
        let typed = match input {
            FnArg::Receiver(receiver) => {
                let tokens = receiver.to_token_stream();
                return Param {
                    kind: ParamKind::Receiver(receiver_kind(receiver)),
                    ty: (*receiver.ty).clone(),
                    extract: None,
                    tokens,
                };
            }
            FnArg::Typed(typed) => typed,
        };
        // Doc comments document the parameter for us; rustc rejects them on parameters.
        let (moved, kept): (Vec<_>, Vec<_>) = typed.attrs.drain(..).partition(|attr| {
            ["doc", "serde", "schemars"]
                .iter()
                .any(|n| attr.path().is_ident(n))
        });
        let (mut extract, kept): (Vec<_>, Vec<_>) = kept
            .into_iter()
            .partition(|attr| attr.path().is_ident("extract"));
        typed.attrs = kept;
        let tokens = typed.to_token_stream();
        let ty = (*typed.ty).clone();
        let extract = extract.pop();
        let extracted = || ParamKind::Extracted {
            schema_attrs: moved
                .iter()
                .filter(|attr| !attr.path().is_ident("doc"))
                .cloned()
                .collect(),
        };
        let kind = match toolkit_type_name(&ty).as_deref() {
            _ if extract.is_some() => extracted(),
            Some("RequestContext") => extracted(),
            // A type of the user's own called `State` stays a property when it takes no type
            // argument or is written with its own path (`self::State<T>`).
            Some("State") if single_generic(&ty).is_some() => extracted(),
            Some("Args") => match single_generic(&ty) {
                Some(inner) => ParamKind::WholeInput { inner },
                None => extracted(),
            },
            _ => match &*typed.pat {
                Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                    ParamKind::Property {
                        ident: pat.ident.clone(),
                        attrs: moved,
                        bad_pattern: None,
                    }
                }
                other => ParamKind::Property {
                    ident: Ident::new("_", other.span()),
                    attrs: moved,
                    bad_pattern: Some(Box::new(other.clone())),
                },
            },
        };
        Param {
            kind,
            ty,
            extract,
            tokens,
        }
    }
}

/// `&self` and `self: Arc<Self>` are what a tool shared by concurrent calls can take.
fn receiver_kind(receiver: &syn::Receiver) -> Receiver {
    match (&receiver.reference, &receiver.mutability) {
        (Some(_), None) => Receiver::Ref,
        (None, None) if receiver.colon_token.is_some() && is_arc_self(&receiver.ty) => {
            Receiver::Arc
        }
        _ => Receiver::Unsupported,
    }
}

fn is_arc_self(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    path.path
        .segments
        .last()
        .is_some_and(|last| last.ident == "Arc")
        && single_generic(ty)
            .is_some_and(|inner| matches!(&inner, Type::Path(p) if p.path.is_ident("Self")))
}

/// The name of a type that may be one of the toolkit's (`State`, `RequestContext`, `Args`):
/// written bare or through `mcp_toolkit::`/`mcp_runtime::`. Names are all a macro can see.
fn toolkit_type_name(ty: &Type) -> Option<String> {
    let Type::Path(path) = ty else { return None };
    let segments = &path.path.segments;
    let first = segments.first()?.ident.to_string();
    let toolkit_path = segments.len() == 1 || first == "mcp_toolkit" || first == "mcp_runtime";
    (path.qself.is_none() && toolkit_path).then(|| segments.last().map(|s| s.ident.to_string()))?
}

fn single_generic(ty: &Type) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) if args.args.len() == 1 => Some(inner.clone()),
        _ => None,
    }
}

/// `T` of `Vec<T>`.
pub(crate) fn vec_item(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != "Vec" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(item) if args.args.len() == 1 => Some(item),
        _ => None,
    }
}

/// The text of `///` comments: lines joined, the one leading space of each removed.
pub(crate) fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_owned()
        })
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}
