//! A tool's description and the layers its options ask for.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, LitStr};

use super::parts::Parts;
use crate::attr::{Hint, Setting};
use crate::model::ToolFn;

pub(crate) const DEFAULT_BATCH_SIZE: u64 = 100;
pub(crate) const DEFAULT_BATCH_WINDOW_MS: u64 = 2;
const DEFAULT_CACHE_CAPACITY: u64 = 10_000;

/// The `ToolMeta` the runtime builds the definition from.
pub(super) fn tool_meta(tool: &ToolFn, parts: &Parts) -> TokenStream {
    let Parts { krate, private, .. } = parts;
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

/// Statements wrapping `__tool` in the performance layers and user layers, innermost first
/// (see `mcp_runtime::layer`). Options written as code are evaluated here, when the tool is
/// built, and checked by the runtime (`__private::*_option`), which names the tool and option
/// in its panic.
pub(super) fn layers(tool: &ToolFn, parts: &Parts, keyed_cache: bool) -> TokenStream {
    let Parts { krate, private, .. } = parts;
    let options = &tool.options;
    let name = &tool.name;
    let millis = |ms: u64| quote!(::std::time::Duration::from_millis(#ms));
    let duration = |setting: &Setting<crate::attr::Millis>, option: &str| match setting {
        Setting::Fixed(value) => millis(value.value),
        Setting::Code(expr) => code(expr, private, "duration_option", &[name, option]),
    };
    let instance_local = options.instance_local.is_some_and(|local| local.value);
    let mut layers = Vec::new();
    if let Some(rate) = &options.rate_limit {
        let (calls, period) = match rate {
            Setting::Fixed(rate) => {
                let calls = rate.calls;
                (quote!(#calls), millis(rate.period_ms))
            }
            Setting::Code(expr) => {
                let rate = code(expr, private, "rate_option", &[name]);
                layers.push(quote!(let __rate = #rate;));
                (quote!(__rate.0), quote!(__rate.1))
            }
        };
        layers.push(if instance_local {
            quote! {
                let __tool = __tool.layer(
                    #krate::layer::rate_limit::RateLimitLayer::new(#calls, #period).instance_local(),
                );
            }
        } else {
            quote!(let __tool = __tool.rate_limit(#calls, #period);)
        });
    }
    if let Some(limit) = &options.concurrency {
        let limit = match limit {
            Setting::Fixed(count) => {
                let limit = count.value as usize;
                quote!(#limit)
            }
            Setting::Code(expr) => code(expr, private, "count_option", &[name, "concurrency"]),
        };
        layers.push(quote!(let __tool = __tool.concurrency_limit(#limit);));
    }
    if let Some(timeout) = &options.timeout {
        let timeout = duration(timeout, "timeout");
        layers.push(quote!(let __tool = __tool.timeout(#timeout);));
    }
    if let Some(ttl) = &options.cache_ttl {
        let ttl = duration(ttl, "cache_ttl");
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
        let local = instance_local.then(|| quote!(.instance_local()));
        layers.push(quote! {
            let __tool = __tool.with_cache(
                #krate::layer::cache::ToolCache::new(#ttl, #capacity)
                    #max_bytes #keyed #lock #local
            );
        });
    }
    for layer in &options.layers {
        // All at the user's expression, so a wrong type gets one error there.
        let span = layer.span();
        let private = respan(private.clone(), span);
        layers
            .push(quote_spanned!(span=> let __tool = __tool.layer(#private::tool_layer(#layer));));
    }
    quote!(#(#layers)*)
}

/// `tokens` with every span set to `span`.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(group) = &tree {
                let mut respanned =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                tree = respanned.into();
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

/// Calls the runtime's `check` of an option's expression, all spanned at the expression so a
/// type error points there.
fn code(expr: &Expr, private: &TokenStream, check: &str, args: &[&str]) -> TokenStream {
    let span = expr.span();
    let private = respan(private.clone(), span);
    let check = syn::Ident::new(check, span);
    let args = args.iter().map(|arg| LitStr::new(arg, span));
    quote_spanned!(span=> #private::#check(#(#args,)* #expr))
}

/// The name of one key from the name of the batch parameter: `ids` → `id`, `entries` →
/// `entry`, `boxes` → `box`; names that do not look plural are kept (`key = "..."` overrides).
pub(super) fn singular(name: &str) -> String {
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
