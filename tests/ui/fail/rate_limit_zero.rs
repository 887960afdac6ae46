use mcp_toolkit::tool;

/// Call the weather API.
#[tool(rate_limit = "0/s")]
async fn weather(city: String) -> String {
    city
}

fn main() {}
