//! placeholder
pub use mcp_runtime::*;
pub use mcp_macros::tool;
#[doc(hidden)]
pub mod __private {
    pub use mcp_runtime::private::*;
}
