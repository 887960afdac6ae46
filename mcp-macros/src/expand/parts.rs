//! What every generated tool needs, free function or method: the arguments struct, the
//! extractions, the call of the function and the conversion of its output.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{LitStr, Type};

use super::layers::singular;
use crate::model::{vec_item, ParamKind, Receiver, ToolFn};

/// The pieces of a tool's generated code.
pub(super) struct Parts {
    /// `::mcp_toolkit`, or the `crate = "..."` path.
    pub krate: TokenStream,
    /// The runtime items only generated code names.
    pub private: TokenStream,
    /// The generated arguments struct (empty for `Args<T>`).
    pub args_struct: TokenStream,
    pub args_type: TokenStream,
    /// Statements binding each extracted argument from `__call`.
    pub extractions: Vec<TokenStream>,
    /// Each extractor's `state_requirement` function.
    pub requirements: Vec<TokenStream>,
    /// The key type of a `batch` tool.
    pub batch_key: Option<Type>,
    /// Statements appending each `#[extract]`ed value to a cache key.
    pub cache_keys: Vec<TokenStream>,
    /// The function's return type (`()` when none).
    pub output_type: TokenStream,
    /// Converts `__output` into a `CallToolResult`, given `__kind` and `__call`.
    pub convert: TokenStream,
    /// The `Via*` traits the conversion picks among.
    pub via_traits: TokenStream,
    /// The `static __OUTPUT` the conversion and the output schema read: whether results are
    /// structured (`structured = false` turns it off), and the choice made once per tool.
    pub output_mode: TokenStream,
    /// A never-called function that fails to compile, at the parameter, when a property's
    /// type is an extractor under a name the macro cannot recognize (see
    /// `mcp_runtime::private::probe`).
    pub parameter_checks: TokenStream,
    /// The function's arguments, in order (`self` excluded).
    call_args: Vec<TokenStream>,
}

impl Parts {
    pub(super) fn of(tool: &ToolFn) -> Self {
        let krate = match &tool.options.krate {
            Some(path) => quote!(#path),
            None => quote!(::mcp_toolkit),
        };
        let private = quote!(#krate::__private);
        let batch = tool.options.batch.as_ref();

        let mut fields = Vec::new();
        let mut call_args = Vec::new();
        let mut requirements = Vec::new();
        let mut extractions = Vec::new();
        let mut input_type = None;
        let mut batch_key = None;
        let mut cache_keys = Vec::new();
        let mut checks = Vec::new();
        for (index, param) in tool.params.iter().enumerate() {
            let ty = &param.ty;
            match &param.kind {
                ParamKind::Property { ident, attrs, .. } if batch.is_some() => {
                    let key_type = vec_item(ty).expect("checked by validation");
                    let key_name = batch
                        .and_then(|b| b.key.as_ref())
                        .map_or_else(|| singular(&ident.unraw().to_string()), LitStr::value);
                    fields.push(quote!(#(#attrs)* #[serde(rename = #key_name)] __key: #key_type));
                    batch_key = Some(key_type.clone());
                    call_args.push(quote!(__keys));
                }
                ParamKind::Property { ident, attrs, .. } => {
                    checks.push(quote_spanned! {ty.span()=>
                        #private::schema_property((&#private::ParamProbe::<#ty>::new()).verdict());
                    });
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
                    let extracted = quote_spanned!(span=> <#ty as #krate::FromToolCall>::from_tool_call(&__call));
                    extractions.push(match batch {
                        // A batch has no single caller to answer; a missing extractor (which
                        // the server's build rejects) fails the whole batch.
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
                    requirements.push(
                        quote_spanned!(span=> <#ty as #krate::FromToolCall>::state_requirement),
                    );
                    call_args.push(quote!(#value));
                }
                ParamKind::Receiver(_) => {}
            }
        }

        let serde_path = path_literal(&quote!(#private::serde));
        let schemars_path = path_literal(&quote!(#private::schemars));
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

        let output_type = tool
            .output
            .as_ref()
            .map_or_else(|| quote!(()), |ty| quote!(#ty));
        // Errors about an unsupported return type point at the return type.
        let output_span = tool
            .output
            .as_ref()
            .map_or_else(Span::call_site, |ty| ty.span());
        let convert = quote_spanned!(output_span=> (&&&&__kind).into_result(__output, __call.context(), &__OUTPUT).await);
        let structured = tool.options.structured.is_none_or(|hint| hint.value);
        let output_mode = quote! {
            static __OUTPUT: #private::OutputMode = #private::OutputMode::new(#structured);
        };
        let via_traits = quote! {
            #[allow(unused_imports)]
            use #private::{ViaFallback as _, ViaIntoToolResult as _, ViaSerialize as _, ViaSerializeResult as _, ViaStream as _};
        };
        let parameter_checks = if checks.is_empty() {
            quote!()
        } else {
            quote! {
                #[allow(dead_code)]
                fn __parameter_checks() {
                    #[allow(unused_imports)]
                    use #private::{ViaExtractor as _, ViaProperty as _};
                    #(#checks)*
                }
            }
        };
        Parts {
            krate,
            parameter_checks,
            private,
            args_struct,
            args_type,
            extractions,
            requirements,
            batch_key,
            cache_keys,
            output_type,
            convert,
            via_traits,
            output_mode,
            call_args,
        }
    }

    /// Calls the function and yields its output: awaited, or run on the blocking pool.
    /// A method's `self` is `__this`, an `Arc<Self>` owned by the caller's future.
    pub(super) fn invoke(&self, tool: &ToolFn) -> TokenStream {
        let ident = &tool.function.sig.ident;
        let private = &self.private;
        let mut args = Vec::new();
        match tool.receiver() {
            Some(Receiver::Arc) => args.push(quote!(::std::sync::Arc::clone(&__this))),
            Some(_) => args.push(quote!(&*__this)),
            None => {}
        }
        args.extend(self.call_args.iter().cloned());
        let function = if tool.in_impl {
            quote!(Self::#ident)
        } else {
            quote!(#ident)
        };
        if tool.is_async() {
            quote!(#function(#(#args),*).await)
        } else if tool.options.batch.is_some() {
            quote!(#private::run_blocking(move || #function(#(#args),*)).await.unwrap_or_else(|err| panic!("{err}")))
        } else {
            quote!(#private::run_blocking(move || #function(#(#args),*)).await?)
        }
    }

    /// Binds `__args`, or answers the call with the invalid-arguments result.
    pub(super) fn parse_args(&self) -> TokenStream {
        let args_type = &self.args_type;
        quote! {
            let __args: #args_type = match __call.parse_arguments() {
                ::core::result::Result::Ok(args) => args,
                ::core::result::Result::Err(invalid) => {
                    return ::std::boxed::Box::pin(::core::future::ready(::core::result::Result::Ok(invalid)));
                }
            };
        }
    }

    /// The future of a call that is not batched: extractions, the call, the conversion.
    pub(super) fn call_future(&self, tool: &ToolFn) -> TokenStream {
        let via_traits = &self.via_traits;
        let extractions = &self.extractions;
        let invoke = self.invoke(tool);
        let convert = &self.convert;
        let private = &self.private;
        quote! {
            ::std::boxed::Box::pin(async move {
                #via_traits
                #(#extractions)*
                let __output = #invoke;
                let __kind = #private::OutputKind::of(&__output);
                ::core::result::Result::Ok(#convert)
            })
        }
    }

    /// The type a batch yields per key.
    pub(super) fn batch_value_type(&self, tool: &ToolFn, key_type: &Type) -> TokenStream {
        let krate = &self.krate;
        let output_type = &self.output_type;
        let span = tool
            .output
            .as_ref()
            .map_or_else(Span::call_site, |ty| ty.span());
        quote_spanned!(span=> <#output_type as #krate::layer::batch::BatchOutput<#key_type>>::Value)
    }

    /// The future of a batched call: loads this call's key through `__batcher`.
    pub(super) fn batch_call_future(
        &self,
        tool: &ToolFn,
        key_type: &Type,
        batcher: &TokenStream,
    ) -> TokenStream {
        let krate = &self.krate;
        let private = &self.private;
        let via_traits = &self.via_traits;
        let convert = &self.convert;
        let name = &tool.name;
        let value_type = self.batch_value_type(tool, key_type);
        quote! {
            ::std::boxed::Box::pin(async move {
                #via_traits
                let __loaded: #krate::layer::batch::BatchResult<#value_type> =
                    #batcher.load_for(__args.__key, &__call).await;
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
    }

    /// The body of the function a batch runs: the extractions, then the call with `__keys`.
    pub(super) fn batch_body(&self, tool: &ToolFn) -> TokenStream {
        let private = &self.private;
        let name = &tool.name;
        let extractions = &self.extractions;
        let invoke = self.invoke(tool);
        quote! {
            let __call = #private::batch_call(#name, __state);
            #(#extractions)*
            #invoke
        }
    }

    /// The function computing a call's cache key from its `#[extract]`ed values, when the
    /// cached tool has any.
    pub(super) fn cache_key_fn(&self, tool: &ToolFn) -> Option<TokenStream> {
        if self.cache_keys.is_empty() || tool.options.cache_ttl.is_none() {
            return None;
        }
        let krate = &self.krate;
        let cache_keys = &self.cache_keys;
        Some(quote! {
            fn __cache_key(__call: &#krate::ToolCall, __key: &mut ::std::string::String) -> bool {
                #(#cache_keys)*
                true
            }
        })
    }
}

/// A path as the string `#[serde(crate = "...")]` takes.
fn path_literal(path: &TokenStream) -> LitStr {
    LitStr::new(&path.to_string().replace(' ', ""), Span::call_site())
}
