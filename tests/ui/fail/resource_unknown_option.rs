use mcp_toolkit::resource;

/// The README.
#[resource("docs://readme", mime = "text/markdown")]
async fn readme() -> String {
    "# Hello".into()
}

fn main() {}
