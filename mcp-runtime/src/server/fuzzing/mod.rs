//! Checks for fuzzing the wire path: line framing, JSON-RPC decoding, the one-pass `tools/call`
//! reader, dispatch and the cache key. **Not API**: it exists for the fuzz targets in `fuzz/`
//! and the fuzz smoke test, behind the `fuzzing` feature, and may change at any time.
//!
//! Each check panics on a bug, which is what a fuzzer reports. The checks are differential
//! where there is a second opinion to ask: the one-pass reader against the general parser,
//! chunked framing against framing all at once and against a plain `split`.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tokio::io::{AsyncRead, ReadBuf};

use super::fast_call::FastCall;
use super::lines::{Frame, LineBuffer};
use super::Server;
use crate::layer::cache::canonical_key;
use crate::protocol::content::CallToolResult;
use crate::protocol::jsonrpc::{Classified, Incoming, RequestId};
use crate::protocol::messages::{CallToolParams, RequestMeta};
use crate::tool::{Tool, ToolCall, ToolDef};

/// The line limit of `check_framing`: at least `lines::KEEP`, so an oversized line's id is
/// looked for in the same bytes however the line arrived.
const FRAMING_MAX_LINE: usize = 600;

/// The message limit of the fuzzed server (the smallest a server accepts), so fuzz inputs of a
/// few KiB reach the oversized-message path.
const SERVER_MAX_MESSAGE: usize = 1024;

/// Nesting up to which every JSON value must get a cache key (the key has a depth cap above
/// this; what it returns beyond the cap is checked only for not crashing).
const ALWAYS_KEYED_DEPTH: usize = 64;

/// Runs every check on one fuzz input: a stream of newline-delimited messages.
pub fn check(input: &[u8]) {
    check_framing(input);
    for line in reference_lines(input, usize::MAX) {
        check_message(line);
    }
    serve_bytes(input);
}

/// Checks one message (a line without its newline): the one-pass reader against the general
/// parser, for the line and for each message of a batch array, and the cache key of any JSON
/// in it.
pub fn check_message(line: &[u8]) {
    check_line(line);
    let Ok(text) = std::str::from_utf8(line) else {
        return;
    };
    check_canonical_key(text);
    if let Ok(messages) = serde_json::from_str::<Vec<&RawValue>>(text) {
        for message in messages {
            check_line(message.get().as_bytes());
        }
    }
}

/// The differential check: whenever the one-pass reader accepts a line, the general path
/// (envelope, classification, then `params`) must accept it too and read the same request.
/// The reader may decline lines the general path accepts; never the converse.
pub fn check_line(line: &[u8]) {
    let Ok(text) = std::str::from_utf8(line) else {
        return;
    };
    let general = general_call(text);
    if let Some(arguments) = general.as_ref().ok().and_then(|(_, p)| p.arguments) {
        check_canonical_key(arguments.get());
    }
    let Ok(fast) = serde_json::from_str::<FastCall<'_>>(text) else {
        return;
    };
    let (id, params) = match general {
        Ok(call) => call,
        Err(why) => {
            panic!("the one-pass reader accepted what the general path refuses ({why}): {text}")
        }
    };
    assert_eq!(fast.id, id, "ids differ: {text}");
    assert_eq!(fast.params.name, params.name, "names differ: {text}");
    assert_eq!(
        fast.params.arguments.map(RawValue::get),
        params.arguments.map(RawValue::get),
        "arguments differ: {text}"
    );
    assert_eq!(
        meta_fields(fast.params.meta.as_ref()),
        meta_fields(params.meta.as_ref()),
        "_meta differs: {text}"
    );
}

/// What the general path makes of a line, when it is a `tools/call` with readable params.
fn general_call(text: &str) -> Result<(RequestId, CallToolParams<'_>), String> {
    let incoming: Incoming<'_> = serde_json::from_str(text).map_err(|err| err.to_string())?;
    match incoming.classify() {
        Classified::Request { id, method, params } if method == "tools/call" => {
            let params = params.ok_or("no params")?;
            let params = serde_json::from_str(params.get()).map_err(|err| err.to_string())?;
            Ok((id, params))
        }
        Classified::Request { method, .. } => Err(format!("a request for {method}")),
        Classified::Notification { .. } => Err("a notification".into()),
        Classified::Response => Err("a response".into()),
        Classified::Invalid { error, .. } => Err(error.message),
    }
}

type MetaFields<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn meta_fields<'a>(meta: Option<&'a RequestMeta<'_>>) -> Option<MetaFields<'a>> {
    meta.map(|m| {
        (
            m.progress_token.map(RawValue::get),
            m.protocol_version.as_deref(),
            m.client_capabilities.map(RawValue::get),
            m.log_level.as_deref(),
            m.cache.as_deref(),
        )
    })
}

/// Checks the cache key of `json` (when it is JSON): it is produced for any value serde_json
/// reads that nests less than `ALWAYS_KEYED_DEPTH`, means the same value, and is its own key.
pub fn check_canonical_key(json: &str) {
    let Ok(raw) = serde_json::from_str::<&RawValue>(json) else {
        return;
    };
    // Stricter than `RawValue` (lone surrogate escapes), and stops at 128 levels: values it
    // refuses are checked for not crashing and, when keyed, as keys only.
    let value = serde_json::from_str::<Value>(raw.get()).ok();
    let Some(key) = canonical_key(Some(raw)) else {
        assert!(
            value.is_none() || nesting_depth(raw.get()) > ALWAYS_KEYED_DEPTH,
            "no cache key for {json}"
        );
        return;
    };
    let key_raw = serde_json::from_str::<&RawValue>(&key)
        .unwrap_or_else(|err| panic!("the cache key {key} of {json} is not JSON: {err}"));
    assert_eq!(
        canonical_key(Some(key_raw)).as_deref(),
        Some(&*key),
        "the cache key of {json} is not its own key"
    );
    if let Some(value) = value {
        // Absent and null arguments key like `{}`.
        let value = if value.is_null() {
            Value::Object(Default::default())
        } else {
            value
        };
        let from_key: Value = serde_json::from_str(&key)
            .unwrap_or_else(|err| panic!("the cache key {key} of {json} does not parse: {err}"));
        assert_eq!(
            value, from_key,
            "the cache key {key} means another value than {json}"
        );
    }
}

/// How deeply arrays and objects nest in valid JSON text.
fn nesting_depth(json: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for b in json.bytes() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth -= 1,
            _ => {}
        }
    }
    deepest
}

/// A frame, owned, to compare framings.
#[derive(Debug, PartialEq)]
enum Framed {
    Line(Vec<u8>),
    Oversized(Option<RequestId>),
}

/// Frames `input` with `LineBuffer` as the connection does (every read framed before the
/// next), in one read and in reads of varying sizes, and checks both against a plain split on
/// newlines; an oversized line's recovered id must be the line's id when the line has one.
pub fn check_framing(input: &[u8]) {
    let whole = frame(input, &mut std::iter::repeat(usize::MAX));
    let mut rng = Rng::new(input);
    let chunked = frame(input, &mut std::iter::from_fn(|| Some(rng.below(97) + 1)));
    assert_eq!(whole, chunked, "framing depends on how the input was read");
    let expected = reference_lines(input, FRAMING_MAX_LINE);
    let mut lines = whole.iter().filter_map(|f| match f {
        Framed::Line(line) => Some(line.as_slice()),
        Framed::Oversized(_) => None,
    });
    assert!(
        expected.iter().copied().eq(&mut lines),
        "framing differs from a plain split"
    );
    let mut segments: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    // The last segment has no newline: when over the limit it is dropped without a frame.
    segments.pop();
    let oversized = segments.iter().filter(|line| line.len() > FRAMING_MAX_LINE);
    let recovered: Vec<&Option<RequestId>> = whole
        .iter()
        .filter_map(|f| match f {
            Framed::Oversized(id) => Some(id),
            Framed::Line(_) => None,
        })
        .collect();
    assert_eq!(
        recovered.len(),
        oversized.clone().count(),
        "oversized lines are miscounted"
    );
    for (line, recovered) in oversized.zip(recovered) {
        if let (Some(recovered), Some(id)) = (recovered, top_level_id(line)) {
            assert_eq!(
                Some(recovered),
                id.as_ref(),
                "an oversized line's id was misread"
            );
        }
    }
}

/// `Some` when `line` is a JSON object (without repeated ids): then its id, if readable.
fn top_level_id(line: &[u8]) -> Option<Option<RequestId>> {
    #[derive(Deserialize)]
    struct IdOnly<'a> {
        #[serde(borrow)]
        id: Option<&'a RawValue>,
    }
    let text = std::str::from_utf8(line).ok()?;
    let read = serde_json::from_str::<IdOnly<'_>>(text).ok()?;
    Some(read.id.and_then(RequestId::from_raw))
}

fn frame(input: &[u8], read_sizes: &mut dyn Iterator<Item = usize>) -> Vec<Framed> {
    let mut lines = LineBuffer::new(FRAMING_MAX_LINE);
    let mut frames = Vec::new();
    let mut drain = |lines: &mut LineBuffer| {
        while let Some(frame) = lines.next_frame() {
            frames.push(match frame {
                Frame::Line(line) => Framed::Line(line.to_vec()),
                Frame::Oversized(id) => Framed::Oversized(id),
            });
        }
    };
    let mut rest = input;
    while !rest.is_empty() {
        let spare = lines.spare();
        let n = read_sizes
            .next()
            .unwrap_or(usize::MAX)
            .min(spare.len())
            .min(rest.len());
        spare[..n].copy_from_slice(&rest[..n]);
        lines.filled(n);
        rest = &rest[n..];
        drain(&mut lines);
    }
    lines.end_of_input();
    drain(&mut lines);
    frames
}

/// The lines of `input` no longer than `max_line`, trimmed, blank ones left out.
fn reference_lines(input: &[u8], max_line: usize) -> Vec<&[u8]> {
    input
        .split(|&b| b == b'\n')
        .filter(|line| line.len() <= max_line)
        .map(<[u8]>::trim_ascii)
        .filter(|line| !line.is_empty())
        .collect()
}

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
    // An empty cache each time, so an input replays the same way.
    for tool in server.tools() {
        if let Some(cache) = tool.cache() {
            cache.invalidate_all();
        }
    }
    let mut output = Vec::new();
    let reader = ChunkedReader {
        data: input,
        rng: Rng::new(input),
        pending: false,
    };
    RUNTIME.with(|runtime| {
        runtime.block_on(async {
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

/// A small deterministic generator (xorshift), seeded from the input so a run replays.
pub struct Rng(u64);

impl Rng {
    /// Seeded from `bytes`.
    pub fn new(bytes: &[u8]) -> Self {
        let seed = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Rng(seed | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (which must not be 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    //! The fuzz smoke: the seed corpus, then inputs mutated from it by a seeded generator, all
    //! through [`check`]. No coverage guidance (that is `cargo fuzz`'s job); this keeps every
    //! check exercised on each test run and in CI.

    use std::time::{Duration, Instant};

    use super::*;

    /// Pieces of messages a mutation splices in.
    const TOKENS: &[&str] = &[
        "\n",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\\",
        "\\u0000",
        "\\ud800",
        "null",
        "true",
        "-0",
        "1e999",
        "1.5",
        "9223372036854775808",
        "\"id\":",
        "\"jsonrpc\":\"2.0\"",
        "\"method\":",
        "\"params\":",
        "\"tools/call\"",
        "\"name\":\"echo\"",
        "\"name\":\"cached\"",
        "\"arguments\":",
        "\"_meta\":",
        "\"result\":{}",
        "\"error\":{}",
        "\"2025-03-26\"",
        "\"notifications/cancelled\"",
        "\"requestId\":",
        "\u{e9}",
        "\r\n",
        "\x0c",
    ];

    fn seeds() -> Vec<Vec<u8>> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/seeds/server");
        let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .expect("the seed corpus is in fuzz/seeds/server")
            .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
            .collect();
        seeds.sort();
        assert!(seeds.len() > 10);
        seeds
    }

    fn mutate(rng: &mut Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>]) {
        for _ in 0..=rng.below(4) {
            let at = rng.below(input.len() + 1);
            match rng.below(6) {
                0 if at < input.len() => input[at] ^= 1 << rng.below(8),
                1 if at < input.len() => {
                    let end = (at + rng.below(16) + 1).min(input.len());
                    input.drain(at..end);
                }
                2 if at < input.len() => {
                    let end = (at + rng.below(64) + 1).min(input.len());
                    let piece = input[at..end].to_vec();
                    input.splice(at..at, piece);
                }
                3 => {
                    let other = &seeds[rng.below(seeds.len())];
                    let from = rng.below(other.len());
                    let end = (from + rng.below(256) + 1).min(other.len());
                    input.splice(at..at, other[from..end].iter().copied());
                }
                _ => {
                    let token = TOKENS[rng.below(TOKENS.len())];
                    input.splice(at..at, token.bytes());
                }
            }
        }
        input.truncate(8192);
    }

    /// Runs `check` on the seeds, each seed line alone, then mutants until `budget` is spent;
    /// returns how many inputs ran.
    fn run(budget: Duration, max_inputs: u64) -> u64 {
        let seeds = seeds();
        let mut runs = 0;
        for seed in &seeds {
            check(seed);
            for line in seed.split(|&b| b == b'\n') {
                check(line);
            }
            runs += 1;
        }
        let mut rng = Rng::new(b"mcp-toolkit fuzz smoke");
        let started = Instant::now();
        while runs < max_inputs && started.elapsed() < budget {
            let mut input = seeds[rng.below(seeds.len())].clone();
            mutate(&mut rng, &mut input, &seeds);
            check(&input);
            runs += 1;
        }
        runs
    }

    /// Deep nesting recurses in serde_json's and the key's code; debug builds need room.
    fn with_big_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn the_seed_corpus_and_a_few_thousand_mutants_pass() {
        with_big_stack(|| {
            run(Duration::from_secs(5), 2000);
        });
    }

    /// CI's bounded smoke: `MCP_FUZZ_SMOKE_SECS` seconds (30 by default) of mutants.
    #[test]
    #[ignore = "run by tests/run.sh: cargo test --workspace --lib fuzz_smoke -- --ignored"]
    fn fuzz_smoke() {
        let secs = std::env::var("MCP_FUZZ_SMOKE_SECS").map_or(30, |s| s.parse().unwrap());
        with_big_stack(move || {
            let runs = run(Duration::from_secs(secs), u64::MAX);
            println!("fuzz smoke: {runs} inputs in {secs} s, no failures");
        });
    }
}
