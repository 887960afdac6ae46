use mcp_toolkit::{tool, State};

struct Db;

#[tool]
async fn query(sql: String, State(_db): State<Db>) -> String {
    sql
}

fn main() {}
