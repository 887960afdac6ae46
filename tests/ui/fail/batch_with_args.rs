use mcp_toolkit::{tool, Args};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
struct Query {
    ids: Vec<u32>,
}

#[tool(batch)]
async fn get_user(Args(query): Args<Query>) -> Vec<String> {
    query.ids.iter().map(|id| format!("user {id}")).collect()
}

fn main() {}
