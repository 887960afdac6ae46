use mcp_toolkit::tool;

#[tool(timeout = "1s", batch(window = "1000ms"))]
async fn get_user(ids: Vec<u32>) -> Vec<String> {
    ids.iter().map(|id| format!("user {id}")).collect()
}

fn main() {}
