use mcp_toolkit::tool;

#[tool(concurrency = 0)]
async fn limited() -> String {
    "ok".into()
}

fn main() {}
