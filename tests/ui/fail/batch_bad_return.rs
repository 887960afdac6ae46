use mcp_toolkit::tool;

#[tool(batch)]
async fn get_user(ids: Vec<u32>) -> String {
    format!("users {ids:?}")
}

fn main() {}
