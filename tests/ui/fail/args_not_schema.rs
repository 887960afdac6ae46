use mcp_toolkit::{tool, Args};
use serde::Deserialize;

#[derive(Deserialize)]
struct Query {
    text: String,
}

#[tool]
async fn search(Args(query): Args<Query>) -> String {
    query.text
}

fn main() {}
