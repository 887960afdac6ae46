use mcp_toolkit::resource;

/// The README.
#[resource(name = "readme")]
async fn readme() -> String {
    "# Hello".into()
}

/// The licence.
#[resource]
async fn licence() -> String {
    "MIT".into()
}

fn main() {}
