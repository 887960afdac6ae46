use mcp_toolkit::resource;

/// A loop.
#[resource("loop://{id}/{id}")]
async fn cycle(id: String) -> String {
    id
}

fn main() {}
