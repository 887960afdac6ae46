//! `#[prompt]` and `#[resource]`: parse (`attr.rs`, `model.rs`, `template.rs`) → validate
//! (`valid.rs`) → expand (`expand.rs`), the way `#[tool]` is built.

pub(crate) mod attr;
mod expand;
pub(crate) mod kind;
pub(crate) mod model;
mod template;
mod valid;

use proc_macro2::TokenStream;

use kind::Kind;
use model::PrimitiveFn;

/// The expansion of `#[prompt]` or `#[resource]` on `function`.
pub(crate) fn generate(
    kind: Kind,
    function: syn::ItemFn,
    options: attr::PrimitiveOptions,
) -> TokenStream {
    let primitive = PrimitiveFn::from_item(kind, function, options);
    match valid::check(&primitive) {
        Ok(()) => expand::expand(&primitive),
        // Keep the function, so the only errors are ours (not "cannot find function").
        Err(error) => {
            let function = &primitive.function;
            let error = error.into_compile_error();
            quote::quote!(#function #error)
        }
    }
}
