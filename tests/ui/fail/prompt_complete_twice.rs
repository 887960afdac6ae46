use mcp_toolkit::prompt;

/// Greet someone.
#[prompt(complete(style = mcp_toolkit::completion::values(["warmly"])), complete(style = mcp_toolkit::completion::values(["coldly"])))]
async fn greet(style: String) -> String {
    format!("Greet {style}.")
}

fn main() {}
