use mcp_toolkit::tool;

#[tool(batch)]
async fn get_user(ids: Vec<u32>, names: Vec<String>) -> Vec<String> {
    ids.iter().zip(names).map(|(id, name)| format!("{name} {id}")).collect()
}

fn main() {}
