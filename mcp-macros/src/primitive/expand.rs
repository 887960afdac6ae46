//! Code generation for `#[prompt]` and `#[resource]`.
//!
//! As for `#[tool]`: next to the untouched function `f`, a struct `f` carries `f::prompt()` (or
//! `f::resource()`), which returns the prompt (or resource): a definition built once and a
//! handler that parses each argument (or template variable) from its text, takes extracted
//! values from the request, awaits `f`, and converts what it returns. Runtime items are named
//! through `::mcp_toolkit::__private`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::LitStr;

use super::kind::Kind;
use super::model::{argument_docs, argument_name, option_inner, PrimitiveFn};
use crate::model::ParamKind;

pub(crate) fn expand(primitive: &PrimitiveFn) -> TokenStream {
    let private = quote!(::mcp_toolkit::__private);
    let function = &primitive.function;
    let ident = &function.sig.ident;
    let vis = &function.vis;
    let name = &primitive.name;
    let kind = primitive.kind;
    let request = match kind {
        Kind::Prompt => quote!(__get),
        Kind::Resource => quote!(__read),
    };

    let mut arguments = Vec::new();
    let mut extractions = Vec::new();
    let mut call_args = Vec::new();
    let mut argument_meta = Vec::new();
    let mut requirements = Vec::new();
    for (index, param) in primitive.params.iter().enumerate() {
        let value = format_ident!("__value{}", index);
        let ty = &param.ty;
        let span = ty.span();
        match &param.kind {
            ParamKind::Property { .. } => {
                let argument = argument_name(param).expect("checked by validation");
                let parse = match (kind, option_inner(ty)) {
                    (Kind::Prompt, Some(inner)) => quote_spanned! {span=>
                        #private::optional_prompt_argument::<#inner>(&__get, #argument)
                    },
                    (Kind::Prompt, None) => quote_spanned! {span=>
                        #private::prompt_argument::<#ty>(&__get, #argument)
                    },
                    (Kind::Resource, _) => quote_spanned! {span=>
                        #private::template_variable::<#ty>(&__read, #argument)
                    },
                };
                arguments.push(quote!(let #value: #ty = #parse?;));
                let description = option_str(argument_docs(param));
                let required = option_inner(ty).is_none();
                argument_meta.push(quote! {
                    #private::ArgumentMeta {
                        name: #argument,
                        description: #description,
                        required: #required,
                    }
                });
            }
            ParamKind::Extracted { .. } => {
                let extracted = quote_spanned! {span=>
                    <#ty as #private::FromToolCall>::from_tool_call(&__call)
                };
                extractions.push(quote!(let #value = #extracted?;));
                requirements.push(quote_spanned! {span=>
                    <#ty as #private::FromToolCall>::state_requirement
                });
            }
            ParamKind::WholeInput { .. } | ParamKind::Receiver(_) => {
                unreachable!("rejected by validation")
            }
        }
        call_args.push(value);
    }
    if !extractions.is_empty() {
        let name = match kind {
            Kind::Prompt => quote!(__get.name()),
            Kind::Resource => quote!(__read.uri()),
        };
        extractions.insert(
            0,
            quote! {
                let __call = #private::extraction_call(#name, #request.context(), #request.state());
            },
        );
    }

    let invoke = if primitive.is_async() {
        quote!(#ident(#(#call_args),*).await)
    } else {
        quote!(#private::run_blocking(move || #ident(#(#call_args),*)).await?)
    };
    let output = primitive.output.as_ref().expect("checked by validation");
    // Errors about an unsupported return type point at the return type.
    let output_span = output.span();
    let title = option_str(primitive.options.title.as_ref().map(LitStr::value));
    let description = option_str(
        primitive
            .options
            .description
            .as_ref()
            .map(LitStr::value)
            .or_else(|| primitive.docs.clone()),
    );
    let completions = primitive.options.completions.iter().map(|completion| {
        let argument = completion.name();
        let completer = &completion.completer;
        let completer = quote_spanned! {completer.span()=>
            #private::IntoCompleter::into_completer(#completer)
        };
        quote!(let __built = __built.with_completion(#argument, #completer);)
    });

    // The layers, as #[tool] orders them: the cache outside the timeout, so hits are instant.
    let millis = |ms: u64| quote!(::std::time::Duration::from_millis(#ms));
    let timeout = primitive.options.timeout.map(|t| {
        let duration = millis(t.value);
        quote!(let __built = __built.timeout(#duration);)
    });
    let cache = primitive.options.cache_ttl.map(|ttl| {
        let duration = millis(ttl.value);
        quote!(let __built = __built.cached(#duration);)
    });
    let concurrency = primitive.options.concurrency.map(|limit| {
        let limit = usize::try_from(limit.value).unwrap_or(usize::MAX);
        quote!(let __built = __built.concurrency_limit(#limit);)
    });
    let rate_limit = primitive.options.rate_limit.as_ref().map(|rate| {
        let calls = rate.calls;
        let period = millis(rate.period_ms);
        quote!(let __built = __built.rate_limit(#calls, #period);)
    });
    // Innermost first, as #[tool] orders them: the rate turn (taken after the slot), the slot,
    // the timeout (which covers both waits), then the cache (hits need none of them).
    let layers = quote!(#rate_limit #concurrency #timeout #cache);

    let (method, built_type, request_type, future_type, convert, build, what) = match kind {
        Kind::Prompt => (
            quote!(prompt),
            quote!(#private::Prompt),
            quote!(#private::PromptGet),
            quote!(#private::PromptFuture),
            quote_spanned! {output_span=>
                <#output as #private::IntoPromptResult>::into_prompt_result(__output)
            },
            quote! {
                #private::build_prompt(
                    #private::PromptMeta {
                        name: #name,
                        title: #title,
                        description: #description,
                        arguments: &[#(#argument_meta),*],
                    },
                    &[#(#requirements),*],
                    __handler,
                )
            },
            "prompt",
        ),
        Kind::Resource => {
            let (uri, _) = primitive.uri.as_ref().expect("a resource has a URI");
            let template = !primitive.variables().is_empty();
            (
                quote!(resource),
                quote!(#private::Resource),
                quote!(#private::ResourceRead),
                quote!(#private::ResourceFuture),
                quote_spanned! {output_span=>
                    <#output as #private::IntoResourceResult>::into_resource_result(
                        __output,
                        __read.uri(),
                        __MIME_TYPE,
                    )
                },
                quote! {
                    #private::build_resource(
                        #private::ResourceMeta {
                            uri: #uri,
                            template: #template,
                            name: #name,
                            title: #title,
                            description: #description,
                            mime_type: __MIME_TYPE,
                        },
                        &[#(#requirements),*],
                        __handler,
                    )
                },
                "resource",
            )
        }
    };
    let mime_const = match kind {
        Kind::Prompt => quote!(),
        Kind::Resource => {
            let mime_type = match &primitive.options.mime_type {
                Some(lit) => quote!(::core::option::Option::Some(#lit)),
                None => quote_spanned! {output_span=>
                    <#output as #private::IntoResourceResult>::MIME_TYPE
                },
            };
            quote!(const __MIME_TYPE: ::core::option::Option<&str> = #mime_type;)
        }
    };

    let attribute = kind.attribute();
    let struct_doc = format!(
        "The MCP {what} `{name}`, generated by `{attribute}` from the function [`{ident}`](fn@{ident})."
    );
    let method_doc = format!(
        "The MCP {what} `{name}`: its definition and a tower service that calls [`{ident}`](fn@{ident})."
    );

    quote! {
        #function

        #[doc = #struct_doc]
        #[allow(non_camel_case_types)]
        #vis struct #ident {
            _private: (),
        }

        impl #ident {
            #[doc = #method_doc]
            #vis fn #method() -> #built_type {
                #mime_const

                fn __handler(#request: #request_type) -> #future_type {
                    ::std::boxed::Box::pin(async move {
                        #(#arguments)*
                        #(#extractions)*
                        let __output: #output = #invoke;
                        #convert
                    })
                }

                static BUILT: ::std::sync::OnceLock<#built_type> = ::std::sync::OnceLock::new();
                BUILT
                    .get_or_init(|| {
                        let __built = #build;
                        #(#completions)*
                        #layers
                        __built
                    })
                    .clone()
            }
        }
    }
}

fn option_str(value: Option<String>) -> TokenStream {
    match value {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    }
}
