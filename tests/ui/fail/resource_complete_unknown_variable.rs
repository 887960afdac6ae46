use mcp_toolkit::completion::{values, Completer};
use mcp_toolkit::resource;

fn ids() -> Completer {
    values(["1"])
}

/// One user.
#[resource("users://{id}", complete(user = ids()))]
async fn profile(id: u32) -> String {
    id.to_string()
}

/// The README.
#[resource("docs://readme", complete(lang = ids()))]
async fn readme() -> String {
    "# Hello".into()
}

fn main() {}
