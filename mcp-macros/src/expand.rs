//! Code generation for `#[tool]`.
//!
//! Next to the untouched function `f`, a struct `f` (type namespace, so both coexist) carries
//! `f::tool()`, which returns the MCP tool: a definition (schemas built once) and a handler
//! that parses the arguments into a generated struct, takes extracted values from the call,
//! awaits `f`, and converts its output. Runtime items are named through `::mcp_toolkit`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::LitStr;

use crate::attr::Hint;
use crate::model::{vec_item, ParamKind, ToolFn};

pub(crate) fn expand(tool: &ToolFn) -> TokenStream {
    let krate = quote!(::mcp_toolkit);
    let private = quote!(#krate::__private);
    let function = &tool.function;
    let ident = &function.sig.ident;
    let vis = &function.vis;
    let name = &tool.name;
    let batch = tool.options.batch.as_ref();

    let mut fields = Vec::new();
    let mut call_args = Vec::new();
    let mut requirements = Vec::new();
    let mut extractions = Vec::new();
    let mut input_type = None;
    let mut batch_key = None;
    let mut cache_keys = Vec::new();
    for (index, param) in tool.params.iter().enumerate() {
        let ty = &param.ty;
        match &param.kind {
            ParamKind::Property { ident, attrs, .. } if batch.is_some() => {
                let key_type = vec_item(ty).expect("checked by validation");
                let key_name = batch
                    .and_then(|b| b.key.as_ref())
                    .map_or_else(|| singular(&ident.unraw().to_string()), LitStr::value);
                fields.push(quote!(#(#attrs)* #[serde(rename = #key_name)] __key: #key_type));
                batch_key = Some(key_type);
                call_args.push(quote!(__keys));
            }
            ParamKind::Property { ident, attrs, .. } => {
                fields.push(quote!(#(#attrs)* #ident: #ty));
                call_args.push(quote!(__args.#ident));
            }
            ParamKind::WholeInput { inner } => {
                input_type = Some(inner.clone());
                call_args.push(quote!(#krate::Args(__args)));
            }
            ParamKind::Extracted { .. } => {
                let value = format_ident!("__extracted{}", index);
                let span = param.ty.span();
                let extracted =
                    quote_spanned!(span=> <#ty as #krate::FromToolCall>::from_tool_call(&__call));
                extractions.push(match batch {
                    // A batch has no single caller to answer; a missing extractor (which the
                    // server's build rejects) fails the whole batch.
                    Some(_) => {
                        quote!(let #value = #extracted.unwrap_or_else(|err| panic!("{err}"));)
                    }
                    None => quote!(let #value = #extracted?;),
                });
                if param.extract.is_some() {
                    // The value changes the result: it keys the cache (`CacheKey` or no build).
                    cache_keys.push(quote_spanned! {span=>
                        match <#ty as #krate::FromToolCall>::from_tool_call(__call) {
                            ::core::result::Result::Ok(value) => #private::push_cache_key::<#ty>(__key, &value),
                            ::core::result::Result::Err(_) => return false,
                        }
                    });
                }
                requirements
                    .push(quote_spanned!(span=> <#ty as #krate::FromToolCall>::state_requirement));
                call_args.push(quote!(#value));
            }
            ParamKind::Receiver => unreachable!("rejected by validation"),
        }
    }

    let serde_path = LitStr::new(
        &format!("{private}::serde").replace(' ', ""),
        Span::call_site(),
    );
    let schemars_path = LitStr::new(
        &format!("{private}::schemars").replace(' ', ""),
        Span::call_site(),
    );
    let (args_struct, args_type) = match input_type {
        Some(inner) => (quote!(), quote!(#inner)),
        None => (
            quote! {
                #[derive(#private::serde::Deserialize, #private::schemars::JsonSchema)]
                #[serde(crate = #serde_path)]
                #[schemars(crate = #schemars_path)]
                #[allow(non_camel_case_types, non_snake_case)]
                struct __ToolArgs { #(#fields,)* }
            },
            quote!(__ToolArgs),
        ),
    };

    let invoke = if tool.is_async() {
        quote!(#ident(#(#call_args),*).await)
    } else if batch.is_some() {
        quote!(#private::run_blocking(move || #ident(#(#call_args),*)).await.unwrap_or_else(|err| panic!("{err}")))
    } else {
        quote!(#private::run_blocking(move || #ident(#(#call_args),*)).await?)
    };
    let output_type = tool
        .output
        .as_ref()
        .map_or_else(|| quote!(()), |ty| quote!(#ty));
    // Errors about an unsupported return type point at the return type.
    let output_span = tool
        .output
        .as_ref()
        .map_or_else(Span::call_site, |ty| ty.span());
    let convert =
        quote_spanned!(output_span=> (&&&&__kind).into_result(__output, __call.context()).await);
    let via_traits = quote! {
        #[allow(unused_imports)]
        use #private::{ViaFallback as _, ViaIntoToolResult as _, ViaSerialize as _, ViaSerializeResult as _, ViaStream as _};
    };
    let parse_args = quote! {
        let __args: #args_type = match __call.parse_arguments() {
            ::core::result::Result::Ok(args) => args,
            ::core::result::Result::Err(invalid) => return ::core::result::Result::Ok(invalid),
        };
    };

    let (handler, value_type) = match (batch, batch_key) {
        (Some(options), Some(key_type)) => {
            let max_size = options.max_size.map_or(DEFAULT_BATCH_SIZE, |c| c.value) as usize;
            let window = options.window.map_or(DEFAULT_BATCH_WINDOW_MS, |w| w.value);
            let value_type = quote_spanned!(output_span=> <#output_type as #krate::layer::batch::BatchOutput<#key_type>>::Value);
            let handler = quote! {
                fn __batch(
                    __keys: ::std::vec::Vec<#key_type>,
                    __state: #krate::SharedState,
                ) -> ::std::pin::Pin<::std::boxed::Box<dyn ::core::future::Future<Output = #output_type> + ::core::marker::Send>> {
                    ::std::boxed::Box::pin(async move {
                        let __call = #private::batch_call(#name, __state);
                        #(#extractions)*
                        #invoke
                    })
                }

                static BATCHER: ::std::sync::OnceLock<#krate::layer::batch::Batcher<#key_type, #value_type>> =
                    ::std::sync::OnceLock::new();

                fn __handler(__call: #krate::ToolCall) -> #private::ToolFuture {
                    ::std::boxed::Box::pin(async move {
                        #via_traits
                        #parse_args
                        let __batcher = BATCHER.get_or_init(|| {
                            #krate::layer::batch::Batcher::new(#max_size, ::std::time::Duration::from_millis(#window), __batch)
                        });
                        let __loaded: #krate::layer::batch::BatchResult<#value_type> =
                            __batcher.load_for(__args.__key, &__call).await;
                        let __output = match __loaded {
                            ::core::result::Result::Ok(value) => value,
                            ::core::result::Result::Err(message) => {
                                return ::core::result::Result::Ok(#private::batch_failure(#name, &*message));
                            }
                        };
                        let __kind = #private::OutputKind::of(&__output);
                        ::core::result::Result::Ok(#convert)
                    })
                }
            };
            (handler, value_type)
        }
        _ => {
            let handler = quote! {
                fn __handler(__call: #krate::ToolCall) -> #private::ToolFuture {
                    let __args: #args_type = match __call.parse_arguments() {
                        ::core::result::Result::Ok(args) => args,
                        ::core::result::Result::Err(invalid) => {
                            return ::std::boxed::Box::pin(::core::future::ready(::core::result::Result::Ok(invalid)));
                        }
                    };
                    ::std::boxed::Box::pin(async move {
                        #via_traits
                        #(#extractions)*
                        let __output = #invoke;
                        let __kind = #private::OutputKind::of(&__output);
                        ::core::result::Result::Ok(#convert)
                    })
                }
            };
            (handler, output_type)
        }
    };

    let meta = tool_meta(tool, &krate, &private);
    let keyed = !cache_keys.is_empty() && tool.options.cache_ttl.is_some();
    let cache_key_fn = if keyed {
        quote! {
            fn __cache_key(__call: &#krate::ToolCall, __key: &mut ::std::string::String) -> bool {
                #(#cache_keys)*
                true
            }
        }
    } else {
        quote!()
    };
    let layers = layers(tool, keyed);
    let struct_doc =
        format!("The MCP tool `{name}`, generated by `#[tool]` from the function [`{ident}`].");
    let tool_doc = format!(
        "The MCP tool `{name}`: its definition and a tower service that calls [`{ident}`]."
    );

    quote! {
        #function

        #[doc = #struct_doc]
        #[allow(non_camel_case_types)]
        #vis struct #ident {
            _private: (),
        }

        impl #ident {
            #[doc = #tool_doc]
            #[allow(clippy::needless_borrow, clippy::unused_unit)]
            #vis fn tool() -> #krate::Tool {
                #args_struct

                #handler

                #cache_key_fn

                static TOOL: ::std::sync::OnceLock<#krate::Tool> = ::std::sync::OnceLock::new();
                TOOL.get_or_init(|| {
                    #via_traits
                    let __tool = #private::build_tool::<#args_type>(
                        #meta,
                        (&&&&#private::OutputKind::<#value_type>::new()).output_schema(),
                        &[#(#requirements),*],
                        __handler,
                    );
                    #layers
                    __tool
                })
                .clone()
            }
        }
    }
}

const DEFAULT_BATCH_SIZE: u64 = 100;
pub(crate) const DEFAULT_BATCH_WINDOW_MS: u64 = 2;
const DEFAULT_CACHE_CAPACITY: u64 = 10_000;

fn tool_meta(tool: &ToolFn, krate: &TokenStream, private: &TokenStream) -> TokenStream {
    let name = &tool.name;
    let options = &tool.options;
    let description = option_str(
        options
            .description
            .as_ref()
            .map(LitStr::value)
            .or_else(|| tool.docs.clone()),
    );
    let title = option_str(options.title.as_ref().map(LitStr::value));
    let read_only = option_bool(options.read_only);
    let destructive = option_bool(options.destructive);
    let idempotent = option_bool(options.idempotent);
    let open_world = option_bool(options.open_world);
    let verbatim_schema = options.verbatim_schema.is_some_and(|hint| hint.value);
    quote! {
        #private::ToolMeta {
            name: #name,
            verbatim_schema: #verbatim_schema,
            title: #title,
            description: #description,
            annotations: #krate::ToolAnnotations {
                title: ::core::option::Option::None,
                read_only_hint: #read_only,
                destructive_hint: #destructive,
                idempotent_hint: #idempotent,
                open_world_hint: #open_world,
            },
        }
    }
}

/// The performance layers and user layers, innermost first (see `mcp_runtime::layer`).
fn layers(tool: &ToolFn, keyed_cache: bool) -> TokenStream {
    let options = &tool.options;
    let millis = |ms: u64| quote!(::std::time::Duration::from_millis(#ms));
    let mut layers = Vec::new();
    if let Some(rate) = &options.rate_limit {
        let calls = rate.calls;
        let period = millis(rate.period_ms);
        let instance_local = options.instance_local.is_some_and(|local| local.value);
        layers.push(if instance_local {
            quote! {
                let __tool = __tool.layer(
                    ::mcp_toolkit::layer::rate_limit::RateLimitLayer::new(#calls, #period)
                        .instance_local(),
                );
            }
        } else {
            quote!(let __tool = __tool.rate_limit(#calls, #period);)
        });
    }
    if let Some(limit) = options.concurrency {
        let limit = limit.value as usize;
        layers.push(quote!(let __tool = __tool.concurrency_limit(#limit);));
    }
    if let Some(timeout) = options.timeout {
        let duration = millis(timeout.value);
        layers.push(quote!(let __tool = __tool.timeout(#duration);));
    }
    if let Some(ttl) = options.cache_ttl {
        let duration = millis(ttl.value);
        let capacity = options
            .cache_capacity
            .map_or(DEFAULT_CACHE_CAPACITY, |c| c.value);
        let max_bytes = options.cache_max_bytes.map(|bytes| {
            let bytes = bytes.value;
            quote!(.with_max_bytes(#bytes))
        });
        let keyed = keyed_cache.then(|| quote!(.keyed_by(__cache_key)));
        let lock = options.cache_lock.map(|lease| {
            let lease = millis(lease.value);
            quote!(.shared_lock(#lease))
        });
        let local = options
            .instance_local
            .filter(|local| local.value)
            .map(|_| quote!(.instance_local()));
        layers.push(quote! {
            let __tool = __tool.with_cache(
                ::mcp_toolkit::layer::cache::ToolCache::new(#duration, #capacity)
                    #max_bytes #keyed #lock #local
            );
        });
    }
    for layer in &options.layers {
        layers.push(quote_spanned!(layer.span()=> let __tool = __tool.layer(::mcp_toolkit::__private::tool_layer(#layer));));
    }
    quote!(#(#layers)*)
}

/// The name of one key from the name of the batch parameter: `ids` → `id`, `entries` →
/// `entry`, `boxes` → `box`; names that do not look plural are kept (`key = "..."` overrides).
fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies").filter(|stem| !stem.is_empty()) {
        return format!("{stem}y");
    }
    for suffix in ["sses", "shes", "ches", "xes", "zes"] {
        if name.len() > suffix.len() && name.ends_with(suffix) {
            return name[..name.len() - 2].to_owned();
        }
    }
    match name.strip_suffix('s') {
        Some(stem)
            if !stem.is_empty() && !["s", "u", "i"].iter().any(|end| stem.ends_with(end)) =>
        {
            stem.to_owned()
        }
        _ => name.to_owned(),
    }
}

fn option_str(value: Option<String>) -> TokenStream {
    match value {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    }
}

fn option_bool(hint: Option<Hint>) -> TokenStream {
    match hint {
        Some(Hint { value, .. }) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}

#[cfg(test)]
mod tests {
    use super::singular;

    #[test]
    fn batch_keys_are_named_in_the_singular() {
        for (plural, one) in [
            ("ids", "id"),
            ("user_ids", "user_id"),
            ("entries", "entry"),
            ("addresses", "address"),
            ("boxes", "box"),
            ("matches", "match"),
            ("status", "status"),
            ("address", "address"),
            ("analysis", "analysis"),
            ("s", "s"),
            ("key", "key"),
        ] {
            assert_eq!(singular(plural), one);
        }
    }
}
