use mcp_toolkit::resource;

struct UserId(u32);

/// One user.
#[resource("users://{id}")]
async fn profile(id: UserId) -> String {
    id.0.to_string()
}

fn main() {}
