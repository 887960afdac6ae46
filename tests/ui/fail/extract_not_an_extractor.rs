use mcp_toolkit::tool;

struct Tenant;

/// Greet.
#[tool]
async fn greet(#[extract] _tenant: Tenant, name: String) -> String {
    name
}

fn main() {}
