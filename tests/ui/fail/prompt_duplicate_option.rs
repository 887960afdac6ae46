use mcp_toolkit::prompt;

/// Greet someone.
#[prompt(name = "hello", name = "hi")]
async fn greet(name: String) -> String {
    format!("Greet {name}.")
}

fn main() {}
