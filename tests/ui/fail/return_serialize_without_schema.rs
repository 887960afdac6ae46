use mcp_toolkit::tool;
use serde::Serialize;

#[derive(Serialize)]
struct Sum {
    total: i64,
}

#[tool]
async fn add(a: i64, b: i64) -> Sum {
    Sum { total: a + b }
}

fn main() {}
