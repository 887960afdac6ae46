use mcp_toolkit::tool;

#[tool(read_only, destructive)]
async fn delete_all() -> String {
    String::from("deleted")
}

fn main() {}
