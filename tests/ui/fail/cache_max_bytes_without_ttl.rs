use mcp_toolkit::tool;

#[tool(cache_max_bytes = 1048576)]
async fn square(k: i64) -> i64 {
    k * k
}

fn main() {}
