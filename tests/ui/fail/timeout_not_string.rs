use mcp_toolkit::tool;

#[tool(timeout = 5)]
async fn slow(ms: u64) -> u64 {
    ms
}

fn main() {}
