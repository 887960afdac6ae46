use mcp_toolkit::tools;

struct Calculator;

#[tools(crate = "mcp_toolkit")]
impl Calculator {
    /// Add.
    #[tool]
    async fn add(&self, a: i64) -> i64 {
        a
    }

    /// Also add.
    #[tool(name = "add")]
    async fn plus(&self, a: i64) -> i64 {
        a
    }

    /// Never done.
    #[tool(timeout = "0s")]
    async fn never(&self) {}
}

fn main() {}
