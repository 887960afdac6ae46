use mcp_toolkit::tool;

#[tool(concurrency = "4")]
async fn limited() -> String {
    "ok".into()
}

fn main() {}
