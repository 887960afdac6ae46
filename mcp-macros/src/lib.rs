//! The `#[tool]` attribute of [mcp-toolkit](https://docs.rs/mcp-toolkit).
//!
//! Parse ([`attr`], [`model`]) → validate ([`valid`]) → expand ([`expand`]). Use it through
//! `mcp_toolkit::tool`; the generated code names everything through `::mcp_toolkit`.

use proc_macro::TokenStream;
use syn::parse_macro_input;

mod attr;
mod expand;
mod model;
mod valid;

/// Turns an `async fn` (or a plain `fn`) into an MCP tool. See `mcp_toolkit::tool` for the
/// documentation.
#[proc_macro_attribute]
pub fn tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    let options = parse_macro_input!(attr as attr::ToolOptions);
    let function = parse_macro_input!(item as syn::ItemFn);
    model::ToolFn::from_item(function, options)
        .and_then(|tool| valid::check(&tool).map(|()| tool))
        .map(|tool| expand::expand(&tool))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
