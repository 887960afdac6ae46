use mcp_toolkit::resource;

/// The README.
#[resource("docs://readme")]
async fn readme() {}

fn main() {}
