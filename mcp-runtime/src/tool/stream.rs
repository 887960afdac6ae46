//! Streaming a tool's result block by block.

use std::pin::Pin;

use futures_util::{Stream, StreamExt};

use crate::context::RequestContext;
use crate::protocol::content::{CallToolResult, Content};

/// A stream of content blocks: each block is sent as a progress notification (its text as the
/// message) when the client asked for progress, and all blocks form the final result.
///
/// Return one from a `#[tool]` to stream a large result:
///
/// ```
/// use futures_util::stream;
/// use mcp_toolkit::{tool, Content, ContentStream};
///
/// /// Read a long report, page by page.
/// #[tool]
/// async fn report(pages: u32) -> ContentStream {
///     ContentStream::new(stream::iter((1..=pages).map(|page| Content::text(format!("page {page}")))))
/// }
/// ```
pub struct ContentStream(Pin<Box<dyn Stream<Item = Content> + Send>>);

impl ContentStream {
    /// Wraps a stream of blocks.
    pub fn new(stream: impl Stream<Item = Content> + Send + 'static) -> Self {
        ContentStream(Box::pin(stream))
    }

    /// Reports each block as progress (when asked) and gathers them into one result.
    pub async fn collect(mut self, ctx: &RequestContext) -> CallToolResult {
        let mut blocks = Vec::new();
        while let Some(block) = self.0.next().await {
            if ctx.wants_progress() {
                let count = (blocks.len() + 1) as f64;
                match block.as_text() {
                    Some(text) => ctx.progress_with_message(count, None, text),
                    None => ctx.progress(count, None),
                }
            }
            blocks.push(block);
        }
        CallToolResult::new(blocks)
    }
}

impl std::fmt::Debug for ContentStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContentStream")
    }
}
