use mcp_toolkit::{tool, Args};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
struct Query {
    text: String,
}

#[tool]
async fn search(Args(query): Args<Query>, limit: u32) -> String {
    format!("{} ({limit})", query.text)
}

fn main() {}
