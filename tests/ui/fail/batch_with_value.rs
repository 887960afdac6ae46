use mcp_toolkit::tool;

#[tool(batch = true)]
async fn get_user(ids: Vec<u32>) -> Vec<String> {
    ids.iter().map(|id| format!("user {id}")).collect()
}

fn main() {}
