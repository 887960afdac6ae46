use mcp_toolkit::tool;

#[tool(timeout = "1.5s")]
async fn slow(ms: u64) -> u64 {
    ms
}

fn main() {}
