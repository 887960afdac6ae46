//! Checks on a parsed `#[prompt]` or `#[resource]` function, each reported at the offending
//! tokens.

use std::collections::HashSet;

use syn::Type;

use super::kind::Kind;
use super::model::{argument_name, option_inner, PrimitiveFn};
use crate::model::ParamKind;
use crate::valid::{check_fn, contains_impl_trait, Errors};

pub(crate) fn check(primitive: &PrimitiveFn) -> syn::Result<()> {
    let mut errors = Errors::default();
    let what = primitive.kind.attribute();
    let concrete = match primitive.kind {
        Kind::Prompt => "each is one prompt, with arguments of concrete types",
        Kind::Resource => "each is one resource, with variables of concrete types",
    };
    check_fn(
        &primitive.function,
        primitive.output.as_ref(),
        what,
        concrete,
        &mut errors,
    );
    if primitive.output.is_none() {
        let message = match primitive.kind {
            Kind::Prompt => "a #[prompt] function returns its messages: `String` (one user message), \
                             `PromptMessage`, `Vec<PromptMessage>`, `GetPromptResult`, or a `Result` of those",
            Kind::Resource => "a #[resource] function returns what it reads: `String` (text), `Vec<u8>` \
                               (binary), `ResourceContents`, `ReadResourceResult`, or a `Result` of those",
        };
        errors.push(syn::Error::new_spanned(
            &primitive.function.sig.ident,
            message,
        ));
    }
    check_params(primitive, &mut errors);
    if primitive.kind == Kind::Resource {
        check_uri(primitive, &mut errors);
    }
    check_options(primitive, &mut errors);
    errors.finish()
}

fn check_params(primitive: &PrimitiveFn, errors: &mut Errors) {
    let what = primitive.kind.attribute();
    let whole_input = match primitive.kind {
        Kind::Prompt => {
            "`Args<T>` is for tools: a prompt's arguments are its parameters, each parsed from text"
        }
        Kind::Resource => {
            "`Args<T>` is for tools: each variable of a URI template is the parameter of the same \
             name, parsed from text"
        }
    };
    let variables: HashSet<&str> = primitive.variables().iter().map(String::as_str).collect();
    for param in &primitive.params {
        match &param.kind {
            ParamKind::Receiver(_) => errors.push(syn::Error::new_spanned(
                &param.tokens,
                format!("{what} goes on free functions: it cannot take `self`"),
            )),
            ParamKind::WholeInput { .. } => {
                errors.push(syn::Error::new_spanned(&param.tokens, whole_input))
            }
            ParamKind::Property {
                bad_pattern: Some(pattern),
                ..
            } => errors.push(syn::Error::new_spanned(
                pattern,
                format!(
                    "{what} parameters must be plain names: each is the {} of that name",
                    match primitive.kind {
                        Kind::Prompt => "prompt argument",
                        Kind::Resource => "URI template variable",
                    }
                ),
            )),
            ParamKind::Property { attrs, .. } => {
                if let Some(attr) = attrs.iter().find(|attr| !attr.path().is_ident("doc")) {
                    errors.push(syn::Error::new_spanned(
                        attr,
                        "`#[serde]` and `#[schemars]` shape tool input schemas; prompt arguments and \
                         template variables are text, parsed with `FromStr`",
                    ));
                }
                if contains_impl_trait(&param.ty) || matches!(param.ty, Type::Reference(_)) {
                    errors.push(syn::Error::new_spanned(
                        &param.ty,
                        format!(
                            "{what} parameters must be owned types: `String`, or a type that \
                             implements `FromStr` (for example `String` rather than `&str`)"
                        ),
                    ));
                }
                if primitive.kind == Kind::Resource {
                    check_variable_param(primitive, param, &variables, errors);
                }
            }
            ParamKind::Extracted { schema_attrs } => {
                if let Some(attr) = schema_attrs.first() {
                    errors.push(syn::Error::new_spanned(
                        attr,
                        "`#[serde]` and `#[schemars]` shape tool input schemas; this argument is \
                         taken from the request",
                    ));
                }
            }
        }
        if let Some(attr) = &param.extract {
            if !matches!(attr.meta, syn::Meta::Path(_)) {
                errors.push(syn::Error::new_spanned(
                    attr,
                    "`#[extract]` takes no arguments: it marks an argument taken from the request \
                     through `FromToolCall`",
                ));
            }
        }
    }
}

/// A resource's parameter must be one of its template's variables.
fn check_variable_param(
    primitive: &PrimitiveFn,
    param: &crate::model::Param,
    variables: &HashSet<&str>,
    errors: &mut Errors,
) {
    let Some((uri, parsed)) = &primitive.uri else {
        return;
    };
    let Some(name) = argument_name(param) else {
        return;
    };
    if parsed.is_err() {
        // The template is reported; what it declares is unknown.
    } else if !variables.contains(name.as_str()) {
        let uri = uri.value();
        let message = if variables.is_empty() {
            format!(
                "`{name}` is not a variable of `{uri}`, which has none: add `{{{name}}}` to make it \
                 a URI template, or mark an argument taken from the request `#[extract]`"
            )
        } else {
            format!(
                "`{name}` is not a variable of the URI template `{uri}`: add `{{{name}}}` to it, or \
                 mark an argument taken from the request `#[extract]`"
            )
        };
        errors.push(syn::Error::new_spanned(&param.tokens, message));
    } else if option_inner(&param.ty).is_some() {
        errors.push(syn::Error::new_spanned(
            &param.ty,
            "a URI template variable always has a value when the URI matches: take `T`, not `Option<T>`",
        ));
    }
}

fn check_uri(primitive: &PrimitiveFn, errors: &mut Errors) {
    let Some((lit, parsed)) = &primitive.uri else {
        return;
    };
    let variables = match parsed {
        Ok(variables) => variables,
        Err(reason) => {
            errors.push(syn::Error::new_spanned(
                lit,
                format!("invalid URI template: {reason}"),
            ));
            return;
        }
    };
    if lit.value().trim().is_empty() {
        errors.push(syn::Error::new_spanned(
            lit,
            "the resource's URI must not be empty",
        ));
    }
    let params: HashSet<String> = primitive.params.iter().filter_map(argument_name).collect();
    let mut seen = HashSet::new();
    for variable in variables {
        if !seen.insert(variable) {
            errors.push(syn::Error::new_spanned(
                lit,
                format!("the variable `{variable}` appears twice in this URI template"),
            ));
        } else if !params.contains(variable) {
            errors.push(syn::Error::new_spanned(
                lit,
                format!(
                    "the URI template variable `{variable}` has no parameter: add `{variable}: String` \
                     (or any type that implements `FromStr`) to the function"
                ),
            ));
        }
    }
}

fn check_options(primitive: &PrimitiveFn, errors: &mut Errors) {
    let options = &primitive.options;
    for (option, lit) in [
        ("name", &options.name),
        ("title", &options.title),
        ("description", &options.description),
        ("mime_type", &options.mime_type),
    ] {
        if let Some(lit) = lit.as_ref().filter(|lit| lit.value().trim().is_empty()) {
            let message = format!("`{option}` must not be empty: write one, or remove the option");
            errors.push(syn::Error::new_spanned(lit, message));
        }
    }
    let names = primitive.argument_names();
    let mut completed = HashSet::new();
    for completion in &options.completions {
        let name = completion.name();
        if !names.contains(&name) {
            let message = match (primitive.kind, &primitive.uri) {
                (Kind::Prompt, _) if names.is_empty() => {
                    format!("`{name}` is not an argument of this prompt, which has none")
                }
                (Kind::Prompt, _) => format!(
                    "`{name}` is not an argument of this prompt; its arguments are: {}",
                    names.join(", ")
                ),
                (Kind::Resource, Some((_, Err(_)))) => continue,
                (Kind::Resource, Some((uri, _))) if names.is_empty() => format!(
                    "`{name}` is not a variable: `{}` is a fixed URI, and completions are for the \
                     variables of URI templates",
                    uri.value()
                ),
                (Kind::Resource, uri) => format!(
                    "`{name}` is not a variable of the URI template `{}`",
                    uri.as_ref().map(|(uri, _)| uri.value()).unwrap_or_default()
                ),
            };
            errors.push(syn::Error::new_spanned(&completion.argument, message));
        } else if !completed.insert(name.clone()) {
            errors.push(syn::Error::new_spanned(
                &completion.argument,
                format!("`{name}` is completed twice: give each argument one completer"),
            ));
        }
    }
}
