use mcp_toolkit::tool;

#[tool(name = 5)]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {}
