use mcp_toolkit::tool;

/// Look up users.
#[tool(batch)]
async fn get_user(ids: Vec<u32>) {
    let _ = ids;
}

fn main() {}
