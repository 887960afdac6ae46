//! `#[tools]` on an impl block: each `#[tool]` method becomes a tool, and the type gets
//! `tools(self)` and `tools_from(Arc<Self>)`, which return them all.
//!
//! An outer attribute expands before the inner ones, so `#[tools]` sees the methods' `#[tool]`
//! attributes, takes them off and runs the same parse → validate → expand stages as a free
//! function's `#[tool]` (with `Self::` calls and a hidden builder per method).

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, ImplItem, ImplItemFn, ItemFn, ItemImpl, Meta, Token};

use crate::attr::{crate_path, set_once_in, ToolOptions};
use crate::expand::{builder_name, expand_method};
use crate::model::ToolFn;
use crate::valid::{self, Errors};

/// The options of `#[tools(...)]`: only `crate = "path"`, the default of every method's.
#[derive(Default)]
pub(crate) struct ToolsOptions {
    krate: Option<syn::Path>,
}

impl Parse for ToolsOptions {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut options = ToolsOptions::default();
        for meta in Punctuated::<Meta, Token![,]>::parse_terminated(input)? {
            if meta.path().is_ident("crate") {
                set_once_in("#[tools]", &mut options.krate, crate_path(&meta)?, &meta)?;
            } else {
                return Err(syn::Error::new_spanned(
                    meta.path(),
                    "unknown #[tools] option; expected `crate = \"path\"` (the tools' own options go on each `#[tool]`)",
                ));
            }
        }
        Ok(options)
    }
}

pub(crate) fn expand(options: ToolsOptions, mut block: ItemImpl) -> TokenStream {
    let mut errors = Errors::default();
    if let Some((_, path, _)) = &block.trait_ {
        errors.push(syn::Error::new_spanned(
            path,
            "#[tools] goes on an inherent impl block (`impl MyServer { .. }`), not on a trait impl",
        ));
    }
    if !block.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &block.generics,
            "#[tools] impl blocks cannot be generic: a tool's schemas are derived from concrete types",
        ));
    }

    let mut builders = Vec::new();
    let mut names: Vec<(String, syn::Ident)> = Vec::new();
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else { continue };
        let Some(position) = method.attrs.iter().position(is_tool_attr) else {
            continue;
        };
        let attr = method.attrs.remove(position);
        let tool = match tool_of(&attr, method, &options) {
            Ok(tool) => tool,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        // The method goes back without the attributes only `#[tool]` reads.
        method.sig = tool.function.sig.clone();
        if let Some((_, first)) = names.iter().find(|(name, _)| *name == tool.name) {
            errors.push(syn::Error::new_spanned(
                &method.sig.ident,
                format!(
                    "the #[tool] method `{first}` already makes a tool named `{}`: give this one \
                     another with `name = \"...\"`",
                    tool.name
                ),
            ));
        }
        names.push((tool.name.clone(), method.sig.ident.clone()));
        match valid::check(&tool) {
            Ok(()) => builders.push((builder_name(&method.sig.ident), expand_method(&tool))),
            Err(error) => errors.push(error),
        }
    }
    if names.is_empty() && errors.is_empty() {
        errors.push(syn::Error::new_spanned(
            &block.self_ty,
            "#[tools] found no `#[tool]` methods in this impl block: mark the methods to serve with `#[tool]`",
        ));
    }
    if let Err(error) = errors.finish() {
        let error = error.into_compile_error();
        return quote!(#block #error);
    }

    let self_ty = &block.self_ty;
    let krate = match &options.krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::mcp_toolkit),
    };
    let listed = names
        .iter()
        .map(|(name, _)| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let tools_doc = format!(
        "The MCP tools of this value's `#[tool]` methods ({listed}), which share it: serve \
         them with `Server::builder(..).tools(value.tools())`."
    );
    let (builder_names, builder_fns): (Vec<_>, Vec<_>) = builders.into_iter().unzip();
    quote! {
        #block

        impl #self_ty {
            #[doc = #tools_doc]
            pub fn tools(self) -> ::std::vec::Vec<#krate::Tool> {
                Self::tools_from(::std::sync::Arc::new(self))
            }

            /// The same tools, for a value already shared through an `Arc`.
            pub fn tools_from(this: ::std::sync::Arc<Self>) -> ::std::vec::Vec<#krate::Tool> {
                ::std::vec![#(this.#builder_names()),*]
            }

            #(#builder_fns)*
        }
    }
}

/// `#[tool]` or `#[mcp_toolkit::tool]`, not `#[tools]`.
fn is_tool_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "tool")
}

/// Parses a method's `#[tool(...)]` and the method itself.
fn tool_of(attr: &Attribute, method: &ImplItemFn, defaults: &ToolsOptions) -> syn::Result<ToolFn> {
    let mut options = match &attr.meta {
        Meta::Path(_) => ToolOptions::default(),
        _ => attr.parse_args::<ToolOptions>()?,
    };
    if options.krate.is_none() {
        options.krate = defaults.krate.clone();
    }
    let function = ItemFn {
        attrs: method.attrs.clone(),
        vis: method.vis.clone(),
        sig: method.sig.clone(),
        block: Box::new(method.block.clone()),
    };
    ToolFn::from_method(function, options)
}
