use mcp_toolkit::tool;

#[tool(cache_lock = "5s")]
async fn square(k: i64) -> i64 {
    k * k
}

fn main() {}
