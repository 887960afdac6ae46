use mcp_toolkit::prompt;

/// Greet someone.
#[prompt(mime_type = "text/plain")]
async fn greet(name: String) -> String {
    format!("Greet {name}.")
}

fn main() {}
