use futures_util::stream;
use mcp_toolkit::{tool, CallToolResult, Content, ContentStream};

/// `structured = false` on a blocking function returning a `Result` of a list.
#[tool(structured = false)]
fn names(count: u8) -> Result<Vec<String>, String> {
    Ok((0..count).map(|n| format!("name {n}")).collect())
}

/// ... on a batch tool.
#[tool(batch, structured = false)]
async fn doubled(values: Vec<i64>) -> Vec<i64> {
    values.iter().map(|v| v * 2).collect()
}

/// ... with other options, on content a tool builds itself.
#[tool(read_only, structured = false, timeout = "5s")]
async fn built() -> CallToolResult {
    CallToolResult::text("as built")
}

/// ... on a stream.
#[tool(structured = false)]
async fn streamed() -> ContentStream {
    ContentStream::new(stream::iter([Content::text("a")]))
}

/// `structured` (the default) written out, both ways.
#[tool(structured)]
async fn on(a: i64) -> i64 {
    a
}

#[tool(structured = true)]
async fn also_on(a: Option<String>) -> Option<String> {
    a
}

fn main() {
    for tool in [names::tool(), doubled::tool(), built::tool(), streamed::tool()] {
        assert!(tool.def().output_schema.is_none(), "{}", tool.name());
    }
    for tool in [on::tool(), also_on::tool()] {
        assert!(tool.def().output_schema.is_some(), "{}", tool.name());
    }
}
