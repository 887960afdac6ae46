use mcp_toolkit::{prompt, Args};

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Input {
    name: String,
}

/// Takes the whole input.
#[prompt]
async fn whole(Args(input): Args<Input>) -> String {
    input.name
}

/// Destructures.
#[prompt]
async fn pair((a, b): (String, String)) -> String {
    a + &b
}

/// Borrows.
#[prompt]
async fn borrowed(name: &str) -> String {
    name.to_owned()
}

/// Shapes a schema it does not have.
#[prompt]
async fn renamed(#[serde(rename = "who")] name: String) -> String {
    name
}

fn main() {}
