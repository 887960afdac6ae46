use mcp_toolkit::tool;

#[tool(read_only = "yes")]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {
    let _ = add::tool();
    let _ = add(1, 2);
}
