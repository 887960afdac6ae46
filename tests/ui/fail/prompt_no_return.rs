use mcp_toolkit::prompt;

/// Greet someone.
#[prompt]
async fn greet(name: String) {
    let _ = name;
}

fn main() {}
