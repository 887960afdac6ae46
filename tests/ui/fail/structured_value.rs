use mcp_toolkit::tool;

/// `structured` is a flag: no value, or `true`/`false`.
#[tool(structured = "no")]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {}
