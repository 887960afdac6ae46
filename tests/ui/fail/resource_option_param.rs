use mcp_toolkit::resource;

/// One user.
#[resource("users://{id}")]
async fn profile(id: Option<u32>) -> String {
    format!("{id:?}")
}

fn main() {}
