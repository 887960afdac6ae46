use mcp_toolkit::resource;

/// One user.
#[resource("users://{id}/profile")]
async fn profile(id: u32, verbose: bool) -> String {
    format!("{id} {verbose}")
}

/// The README.
#[resource("docs://readme")]
async fn readme(lang: String) -> String {
    lang
}

fn main() {}
