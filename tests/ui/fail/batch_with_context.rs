use mcp_toolkit::{tool, RequestContext};

#[tool(batch)]
async fn get_user(ids: Vec<u32>, ctx: RequestContext) -> Vec<String> {
    ctx.info("loading users");
    ids.iter().map(|id| format!("user {id}")).collect()
}

fn main() {}
