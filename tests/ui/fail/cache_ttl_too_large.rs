use mcp_toolkit::tool;

/// Cached forever, almost.
#[tool(cache_ttl = 18446744073709551615)]
async fn forever(k: u8) -> u8 {
    k
}

/// Cached for too long.
#[tool(timeout = "99999999999999999999s")]
async fn too_long(k: u8) -> u8 {
    k
}

fn main() {}
