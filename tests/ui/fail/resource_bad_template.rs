use mcp_toolkit::resource;

/// One user.
#[resource("users://{id/profile")]
async fn profile(id: String) -> String {
    id
}

/// Two users, side by side.
#[resource("users://{a}{b}")]
async fn pair(a: String, b: String) -> String {
    a + &b
}

/// An empty URI.
#[resource("")]
async fn nothing() -> String {
    String::new()
}

fn main() {}
