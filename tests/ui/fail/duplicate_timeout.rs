use mcp_toolkit::tool;

#[tool(timeout = "5s", timeout = "10s")]
async fn slow(ms: u64) -> u64 {
    ms
}

fn main() {}
