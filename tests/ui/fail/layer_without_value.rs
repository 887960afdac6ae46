use mcp_toolkit::tool;

#[tool(layer)]
async fn square(k: i64) -> i64 {
    k * k
}

fn main() {}
