use mcp_toolkit::{tool, BoxError, FromToolCall, ToolCall};

struct Tenant(String);

impl FromToolCall for Tenant {
    fn from_tool_call(_call: &ToolCall) -> Result<Self, BoxError> {
        Ok(Tenant("acme".into()))
    }
}

/// The tenant's report: cached, but the tenant does not key the cache.
#[tool(cache_ttl = 60)]
async fn report(#[extract] tenant: Tenant, day: String) -> String {
    format!("{}: {day}", tenant.0)
}

fn main() {}
