use mcp_toolkit::tool;

/// Look up users.
#[tool(batch, timeout = "2ms")]
async fn get_user(ids: Vec<u32>) -> Vec<u32> {
    ids
}

fn main() {}
