//! Code generation for a `#[tool]` method of a `#[tools]` impl block.
//!
//! Each method gets a hidden builder, `fn __mcp_tool_<name>(self: &Arc<Self>) -> Tool`, whose
//! handler owns a clone of the `Arc` and lends `&self` to each call. Unlike a free function's
//! tool, it is built anew for each value (each has its own state, cache and batcher), and
//! option expressions may read `self` (`timeout = self.config.timeout`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::Ident;

use super::layers::{layers, tool_meta, DEFAULT_BATCH_SIZE, DEFAULT_BATCH_WINDOW_MS};
use super::parts::Parts;
use crate::model::ToolFn;

/// The hidden builder method of the tool made from method `ident`.
pub(crate) fn builder_name(ident: &Ident) -> Ident {
    format_ident!("__mcp_tool_{}", ident.unraw())
}

pub(crate) fn expand_method(tool: &ToolFn) -> TokenStream {
    let parts = Parts::of(tool);
    let Parts {
        krate,
        private,
        args_struct,
        args_type,
        via_traits,
        requirements,
        parameter_checks,
        output_mode,
        ..
    } = &parts;
    let builder = builder_name(&tool.function.sig.ident);
    let has_self = tool.receiver().is_some();
    let hold_self = has_self.then(|| quote!(let __this = ::std::sync::Arc::clone(self);));
    let lend_self = has_self.then(|| quote!(let __this = ::std::sync::Arc::clone(&__this);));
    let parse_args = parts.parse_args();

    let (batcher, handler, value_type) = match (&tool.options.batch, &parts.batch_key) {
        (Some(options), Some(key_type)) => {
            let max_size = options.max_size.map_or(DEFAULT_BATCH_SIZE, |c| c.value) as usize;
            let window = options.window.map_or(DEFAULT_BATCH_WINDOW_MS, |w| w.value);
            let value_type = parts.batch_value_type(tool, key_type);
            let body = parts.batch_body(tool);
            let call = parts.batch_call_future(tool, key_type, &quote!(__batcher));
            let batcher = quote! {
                let __batcher: #krate::layer::batch::Batcher<#key_type, #value_type> = {
                    #hold_self
                    #krate::layer::batch::Batcher::new(
                        #max_size,
                        ::std::time::Duration::from_millis(#window),
                        move |__keys: ::std::vec::Vec<#key_type>, __state: #krate::SharedState| {
                            #lend_self
                            async move { #body }
                        },
                    )
                };
            };
            let handler = quote! {
                move |__call: #krate::ToolCall| -> #private::ToolFuture {
                    #parse_args
                    let __batcher = __batcher.clone();
                    #call
                }
            };
            (batcher, handler, value_type)
        }
        _ => {
            let call = parts.call_future(tool);
            let handler = quote! {
                {
                    #hold_self
                    move |__call: #krate::ToolCall| -> #private::ToolFuture {
                        #parse_args
                        #lend_self
                        #call
                    }
                }
            };
            (quote!(), handler, parts.output_type.clone())
        }
    };

    let meta = tool_meta(tool, &parts);
    let cache_key_fn = parts.cache_key_fn(tool);
    let layers = layers(tool, &parts, cache_key_fn.is_some());
    quote! {
        #[doc(hidden)]
        #[allow(clippy::needless_borrow, clippy::unused_unit, non_snake_case)]
        fn #builder(self: &::std::sync::Arc<Self>) -> #krate::Tool {
            #args_struct
            #parameter_checks
            #cache_key_fn
            #output_mode
            #via_traits
            #batcher
            let __tool = #private::build_shared_tool::<#args_type>(
                #meta,
                (&&&&#private::OutputKind::<#value_type>::new()).output_schema(&__OUTPUT),
                &[#(#requirements),*],
                #handler,
            );
            #layers
            __tool
        }
    }
}
