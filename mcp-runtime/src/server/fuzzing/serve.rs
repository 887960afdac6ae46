//! A real server serving the input: it must end and write only well-formed JSON-RPC.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, ReadBuf};

use super::Rng;
use crate::protocol::content::CallToolResult;
use crate::protocol::jsonrpc::RequestId;
use crate::server::Server;
use crate::tool::{Tool, ToolCall, ToolDef};

/// The message limit of the fuzzed server (the smallest a server accepts), so fuzz inputs of a
/// few KiB reach the oversized-message path.
const SERVER_MAX_MESSAGE: usize = 1024;

/// Serves `input` as one connection of a small server (tools that finish at once, one after a
/// yield, one failing, one cached) read in chunks of varying sizes, and checks that the server
/// ends and writes only well-formed JSON-RPC lines.
pub fn serve_bytes(input: &[u8]) {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime builds");
        // Built once: a server per input spent more time on moka than on the input.
        static SERVER: Server = fuzz_server();
    }
    let server = SERVER.with(Server::clone);
    let mut output = Vec::new();
    let reader = ChunkedReader {
        data: input,
        rng: Rng::new(input),
        pending: false,
    };
    RUNTIME.with(|runtime| {
        runtime.block_on(async {
            // An empty cache each time, so an input replays the same way.
            for tool in server.tools() {
                if let Some(cache) = tool.cache() {
                    cache.invalidate_all().await;
                }
            }
            tokio::time::timeout(Duration::from_secs(5), server.serve(reader, &mut output))
                .await
                .expect("the connection hangs")
                .expect("in-memory I/O does not fail");
        });
    });
    check_output(&output);
}

fn fuzz_server() -> Server {
    fn def(name: &str) -> ToolDef {
        ToolDef::new(name, serde_json::Map::new())
    }
    async fn echo(call: ToolCall) -> Result<CallToolResult, std::convert::Infallible> {
        let context = call.context();
        context.info("echo");
        context.progress(1.0, Some(1.0));
        let text = call.arguments().map_or("", RawValue::get);
        Ok(CallToolResult::text(text))
    }
    async fn add(call: ToolCall) -> Result<CallToolResult, std::convert::Infallible> {
        #[derive(Deserialize)]
        struct Args {
            a: i64,
            b: i64,
        }
        Ok(match call.parse_arguments::<Args>() {
            Ok(Args { a, b }) => match a.checked_add(b) {
                Some(sum) => CallToolResult::structured(serde_json::json!({ "sum": sum })),
                None => CallToolResult::error("overflow"),
            },
            Err(error) => error,
        })
    }
    let yielding = |call: ToolCall| async move {
        // Pending once: the call goes in flight, where a cancellation can reach it.
        tokio::task::yield_now().await;
        echo(call).await
    };
    let fail = |_: ToolCall| async { Err::<CallToolResult, _>("it failed") };
    Server::builder("fuzz", "1")
        .tool(Tool::from_fn(def("echo"), echo))
        .tool(Tool::from_fn(def("add"), add))
        .tool(Tool::from_fn(def("yield"), yielding))
        .tool(Tool::from_fn(def("fail"), fail))
        .tool(Tool::from_fn(def("cached"), echo).cached(Duration::from_secs(60), 100))
        .page_size(2)
        .max_message_size(SERVER_MAX_MESSAGE)
        .shutdown_timeout(Duration::from_secs(1))
        .build()
        .expect("the fuzz server builds")
}

/// Checks that the output is whole lines, each a JSON-RPC message or a batch array of them.
/// Values stay raw: an id like `1e999` is valid JSON that `Value` refuses, echoed as written.
fn check_output(output: &[u8]) {
    let text = std::str::from_utf8(output).expect("the output is UTF-8");
    if text.is_empty() {
        return;
    }
    let body = text
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("the output does not end a line: {text}"));
    for line in body.split('\n') {
        if line.starts_with('[') {
            let messages: Vec<&RawValue> = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("an output line is not a JSON array ({err}): {line}"));
            assert!(!messages.is_empty(), "an empty batch response");
            for message in messages {
                check_reply(&members(message.get(), line), line);
            }
        } else {
            let message = members(line, line);
            if message.contains_key("method") {
                check_notification(&message, line);
            } else {
                check_reply(&message, line);
            }
        }
    }
}

type Members<'a> = std::collections::BTreeMap<String, &'a RawValue>;

fn members<'a>(message: &'a str, line: &str) -> Members<'a> {
    serde_json::from_str(message)
        .unwrap_or_else(|err| panic!("an output message is not a JSON object ({err}): {line}"))
}

fn check_notification(message: &Members<'_>, line: &str) {
    assert_eq!(
        message.get("jsonrpc").map(|v| v.get()),
        Some(r#""2.0""#),
        "{line}"
    );
    assert!(message["method"].get().starts_with('"'), "{line}");
    assert!(
        message
            .keys()
            .all(|k| ["jsonrpc", "method", "params"].contains(&k.as_str())),
        "stray members: {line}"
    );
}

fn check_reply(message: &Members<'_>, line: &str) {
    assert_eq!(
        message.get("jsonrpc").map(|v| v.get()),
        Some(r#""2.0""#),
        "{line}"
    );
    let id = message.get("id").unwrap_or_else(|| panic!("no id: {line}"));
    assert!(
        id.get() == "null" || RequestId::from_raw(id).is_some(),
        "a bad id: {line}"
    );
    match (message.get("result"), message.get("error")) {
        (Some(result), None) => assert!(result.get().starts_with('{'), "{line}"),
        (None, Some(error)) => {
            serde_json::from_str::<crate::ErrorObject>(error.get())
                .unwrap_or_else(|err| panic!("a bad error object ({err}): {line}"));
        }
        _ => panic!("not exactly one of result and error: {line}"),
    }
    assert_eq!(message.len(), 3, "stray members: {line}");
}

/// Hands out its bytes in reads of varying sizes, every other read pending first, as a pipe
/// would.
struct ChunkedReader<'a> {
    data: &'a [u8],
    rng: Rng,
    pending: bool,
}

impl AsyncRead for ChunkedReader<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.pending = !self.pending;
        if self.pending && !self.data.is_empty() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let n = match self.rng.below(4) {
            0 => usize::MAX,
            _ => self.rng.below(300) + 1,
        }
        .min(self.data.len())
        .min(buf.remaining());
        let (now, later) = self.data.split_at(n);
        buf.put_slice(now);
        self.data = later;
        Poll::Ready(Ok(()))
    }
}
