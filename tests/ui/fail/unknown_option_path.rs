use mcp_toolkit::tool;

#[tool(a::b)]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {}
