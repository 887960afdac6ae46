use mcp_toolkit::tool;

#[tool(timeout = "5s", instance_local)]
async fn square(k: i64) -> i64 {
    k * k
}

fn main() {}
