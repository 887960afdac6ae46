use mcp_toolkit::tool;

#[tool(batch(size = 3))]
async fn get_user(ids: Vec<u32>) -> Vec<String> {
    ids.iter().map(|id| format!("user {id}")).collect()
}

fn main() {}
