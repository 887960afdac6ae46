use mcp_toolkit::prompt;

/// Greet someone.
#[prompt(complete(style))]
async fn greet(style: String) -> String {
    format!("Greet {style}.")
}

fn main() {}
