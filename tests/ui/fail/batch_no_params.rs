use mcp_toolkit::tool;

#[tool(batch)]
async fn get_users() -> Vec<String> {
    vec!["alice".to_string()]
}

fn main() {}
