use mcp_toolkit::tool;

#[tool(cache = 1)]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {}
