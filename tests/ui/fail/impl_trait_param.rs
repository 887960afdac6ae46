use mcp_toolkit::tool;

#[tool]
async fn greet(name: impl Into<String>) -> String {
    format!("Hello, {}!", name.into())
}

fn main() {}
