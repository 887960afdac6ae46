use mcp_toolkit::tools;

struct Calculator<T>(T);

#[tools]
impl<T> Calculator<T> {
    /// Add.
    #[tool]
    async fn add(&self, a: i64) -> i64 {
        a
    }
}

trait Named {
    fn name(&self) -> String;
}

struct Plain;

#[tools]
impl Named for Plain {
    fn name(&self) -> String {
        "plain".into()
    }
}

struct Empty;

#[tools]
impl Empty {
    fn helper(&self) {}
}

fn main() {}
