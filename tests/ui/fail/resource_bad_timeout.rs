use mcp_toolkit::resource;

/// A timeout needs a unit.
#[resource("docs://readme", timeout = "5")]
async fn readme() -> String {
    "# Hello".into()
}

fn main() {}
