use mcp_toolkit::prompt;

/// Greet something.
#[prompt]
async fn greet<T: std::str::FromStr>(name: T) -> String {
    let _ = name;
    "hello".into()
}

fn main() {}
