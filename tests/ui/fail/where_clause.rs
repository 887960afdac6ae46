use mcp_toolkit::tool;

#[tool]
async fn add(a: i64, b: i64) -> i64
where
    i64: Copy,
{
    a + b
}

fn main() {}
