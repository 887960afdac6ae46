use mcp_toolkit::tool;

/// `verbatim_schema` is a flag: no value, or `true`/`false`.
#[tool(verbatim_schema = "yes")]
async fn ship(city: String) -> String {
    city
}

fn main() {}
