use mcp_toolkit::tools;

struct Counter;

#[tools]
impl Counter {
    /// Count.
    #[tool]
    async fn bump(&mut self) -> u64 {
        1
    }

    /// Consume.
    #[tool]
    async fn take(self) -> u64 {
        2
    }
}

fn main() {}
