use mcp_toolkit::{tool, BoxError, FromToolCall, ToolCall};

struct Tenant;

impl FromToolCall for Tenant {
    fn from_tool_call(_: &ToolCall) -> Result<Self, BoxError> {
        Ok(Tenant)
    }
}

/// Greet.
#[tool]
async fn greet(#[extract(tenant)] _tenant: Tenant, name: String) -> String {
    name
}

fn main() {}
