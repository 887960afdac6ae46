use mcp_toolkit::prompt;

fn styles() -> Vec<String> {
    vec!["warmly".into()]
}

/// Greet someone.
#[prompt(complete(style = styles))]
async fn greet(style: String) -> String {
    format!("Greet {style}.")
}

/// Greet someone else.
#[prompt(complete(style = ["warmly", "coldly"]))]
async fn greet_again(style: String) -> String {
    format!("Greet {style}.")
}

fn main() {}
