use mcp_toolkit::resource;

/// A count.
#[resource("stats://count")]
async fn count() -> u64 {
    42
}

fn main() {}
