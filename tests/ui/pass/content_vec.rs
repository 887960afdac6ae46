use mcp_toolkit::{tool, Content};

/// Return two content blocks.
#[tool]
async fn two_blocks(first: String, second: String) -> Vec<Content> {
    vec![Content::text(first), Content::text(second)]
}

fn main() {
    let tool = two_blocks::tool();
    assert_eq!(tool.name(), "two_blocks");
    assert!(tool.def().output_schema.is_none());
}
