use mcp_toolkit::tool;

/// Add.
#[tool(crate = "not a path")]
async fn add(a: i64) -> i64 {
    a
}

/// Sub.
#[tool(crate = mcp_toolkit)]
async fn sub(a: i64) -> i64 {
    a
}

fn main() {}
