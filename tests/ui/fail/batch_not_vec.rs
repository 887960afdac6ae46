use mcp_toolkit::tool;

#[tool(batch)]
async fn get_user(id: u32) -> String {
    format!("user {id}")
}

fn main() {}
