use mcp_toolkit::resource;

/// One user's post.
#[resource("users://{id}/posts/{post}")]
async fn post(id: u32) -> String {
    id.to_string()
}

fn main() {}
