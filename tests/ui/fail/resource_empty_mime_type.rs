use mcp_toolkit::resource;

/// The README.
#[resource("docs://readme", mime_type = "")]
async fn readme() -> String {
    "# Hello".into()
}

fn main() {}
