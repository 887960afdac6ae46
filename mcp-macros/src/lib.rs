//! The `#[tool]`, `#[prompt]` and `#[resource]` attributes of
//! [mcp-toolkit](https://docs.rs/mcp-toolkit).
//!
//! Parse (`attr.rs`, `model.rs`) → validate (`valid.rs`) → expand (`expand/`); `impl_block.rs`
//! runs the same stages for each `#[tool]` method of a `#[tools]` impl block, and `primitive/`
//! holds them for `#[prompt]` and `#[resource]`. Use them through `mcp_toolkit`; the generated
//! code names everything through `::mcp_toolkit` (or the `crate = "..."` path).

use proc_macro::TokenStream;
use syn::parse_macro_input;

mod attr;
mod expand;
mod impl_block;
mod model;
mod primitive;
mod valid;

/// Turns an `async fn` (or a plain `fn`) into an MCP tool. See `mcp_toolkit::tool` for the
/// documentation.
#[proc_macro_attribute]
pub fn tool(attr: TokenStream, item: TokenStream) -> TokenStream {
    let options = parse_macro_input!(attr as attr::ToolOptions);
    let function = parse_macro_input!(item as syn::ItemFn);
    let tool = match model::ToolFn::from_item(function, options) {
        Ok(tool) => tool,
        Err(error) => return error.into_compile_error().into(),
    };
    match valid::check(&tool) {
        Ok(()) => expand::expand(&tool).into(),
        // Keep the function, so the only errors are ours (not "cannot find function").
        Err(error) => {
            let function = &tool.function;
            let error = error.into_compile_error();
            quote::quote!(#function #error).into()
        }
    }
}

/// Serves the `#[tool]` methods of an impl block, which take `&self`. See `mcp_toolkit::tools`
/// for the documentation.
#[proc_macro_attribute]
pub fn tools(attr: TokenStream, item: TokenStream) -> TokenStream {
    let options = parse_macro_input!(attr as impl_block::ToolsOptions);
    let block = parse_macro_input!(item as syn::ItemImpl);
    impl_block::expand(options, block).into()
}

/// Turns an `async fn` (or a plain `fn`) into an MCP prompt. See `mcp_toolkit::prompt` for the
/// documentation.
#[proc_macro_attribute]
pub fn prompt(attr: TokenStream, item: TokenStream) -> TokenStream {
    let primitive::attr::PromptOptions(options) = parse_macro_input!(attr);
    let function = parse_macro_input!(item as syn::ItemFn);
    primitive::generate(primitive::kind::Kind::Prompt, function, options).into()
}

/// Turns an `async fn` (or a plain `fn`) into an MCP resource or resource template. See
/// `mcp_toolkit::resource` for the documentation.
#[proc_macro_attribute]
pub fn resource(attr: TokenStream, item: TokenStream) -> TokenStream {
    let primitive::attr::ResourceOptions(options) = parse_macro_input!(attr);
    let function = parse_macro_input!(item as syn::ItemFn);
    primitive::generate(primitive::kind::Kind::Resource, function, options).into()
}
