use mcp_toolkit::prompt;

/// Prompts are rendered, not cached: `cache_ttl` belongs to resources and tools.
#[prompt(cache_ttl = 60)]
async fn greet(name: String) -> String {
    format!("Greet {name}.")
}

fn main() {}
