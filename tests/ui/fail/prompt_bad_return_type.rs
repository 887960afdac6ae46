use mcp_toolkit::prompt;

struct Messages(Vec<String>);

/// Greet someone.
#[prompt]
async fn greet(name: String) -> Messages {
    Messages(vec![name])
}

fn main() {}
