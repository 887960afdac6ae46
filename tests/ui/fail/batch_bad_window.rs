use mcp_toolkit::tool;

#[tool(batch(window = "fast"))]
async fn get_user(ids: Vec<u32>) -> Vec<String> {
    ids.iter().map(|id| format!("user {id}")).collect()
}

fn main() {}
