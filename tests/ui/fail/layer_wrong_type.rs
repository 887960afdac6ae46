use mcp_toolkit::tool;

#[tool(layer = 5)]
async fn square(k: i64) -> i64 {
    k * k
}

fn main() {}
