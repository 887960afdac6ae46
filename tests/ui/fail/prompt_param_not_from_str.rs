use mcp_toolkit::prompt;

struct Person {
    name: String,
}

/// Greet someone.
#[prompt]
async fn greet(person: Person) -> String {
    format!("Greet {}.", person.name)
}

fn main() {}
