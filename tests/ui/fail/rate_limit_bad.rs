use mcp_toolkit::tool;

/// Call the weather API.
#[tool(rate_limit = "ten a second")]
async fn weather(city: String) -> String {
    city
}

fn main() {}
