use mcp_toolkit::{tool, RequestContext};

/// Greet.
#[tool]
async fn greet(#[serde(default)] _ctx: RequestContext, name: String) -> String {
    name
}

fn main() {}
