use mcp_toolkit::completion::CompletionRequest;
use mcp_toolkit::prompt;

async fn styles(_: CompletionRequest) -> Vec<String> {
    vec!["warmly".into()]
}

/// Greet someone.
#[prompt(complete(stlye = styles))]
async fn greet(name: String, style: Option<String>) -> String {
    format!("Greet {name} {style:?}.")
}

/// Greet everyone.
#[prompt(complete(style = styles))]
async fn greet_all() -> String {
    "Greet everyone.".into()
}

fn main() {}
