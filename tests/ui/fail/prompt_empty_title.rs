use mcp_toolkit::prompt;

/// Greet someone.
#[prompt(title = " ")]
async fn greet(name: String) -> String {
    format!("Greet {name}.")
}

fn main() {}
