use mcp_toolkit::tool;

/// Call the weather API.
#[tool(rate_limit = 10)]
async fn weather(city: String) -> String {
    city
}

fn main() {}
