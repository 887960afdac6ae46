use mcp_toolkit::{tool, BoxError, FromToolCall, ToolCall};

struct Tenant;

impl FromToolCall for Tenant {
    fn from_tool_call(_: &ToolCall) -> Result<Self, BoxError> {
        Ok(Tenant)
    }
}

/// Look up users.
#[tool(batch)]
async fn users(ids: Vec<u32>, #[extract] _tenant: Tenant) -> Vec<u32> {
    ids
}

fn main() {}
