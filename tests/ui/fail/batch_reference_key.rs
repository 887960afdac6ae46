use mcp_toolkit::tool;

/// Look up users.
#[tool(batch)]
async fn get_user(names: Vec<&str>) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn main() {}
