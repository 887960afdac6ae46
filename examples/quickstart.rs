//! A small MCP server over stdio: `cargo run --example quickstart`, or over Streamable HTTP:
//! `cargo run --example quickstart -- --http 127.0.0.1:3000`.
//!
//! Try it with the MCP Inspector (`npx @modelcontextprotocol/inspector cargo run --example
//! quickstart`) or add it to Claude Desktop's `mcpServers` as a command.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_toolkit::{tool, RequestContext, Server, State};
use schemars::JsonSchema;
use serde::Serialize;

/// Add two integers.
#[tool(read_only, idempotent, open_world = false)]
async fn add(
    /// The first addend.
    a: i64,
    /// The second addend.
    b: i64,
) -> i64 {
    a + b
}

/// Divide `dividend` by `divisor`.
#[tool(read_only, idempotent, open_world = false)]
async fn divide(dividend: f64, divisor: f64) -> Result<f64, String> {
    if divisor == 0.0 {
        return Err("cannot divide by zero: pass a non-zero divisor".into());
    }
    Ok(dividend / divisor)
}

/// Notes kept for the life of the server: shared state, created once in `main`.
#[derive(Clone, Default)]
struct Notes(Arc<Mutex<Vec<String>>>);

/// What `list_notes` returns: a JSON object, so it is sent as structured content.
#[derive(Serialize, JsonSchema)]
struct NoteList {
    /// The notes, oldest first.
    notes: Vec<String>,
    /// How many there are.
    count: usize,
}

/// Remember a note.
#[tool(idempotent = false, open_world = false)]
async fn add_note(
    /// The text to remember.
    text: String,
    State(notes): State<Notes>,
) -> String {
    let mut notes = notes.0.lock().expect("notes lock");
    notes.push(text);
    format!("saved note #{}", notes.len())
}

/// List the notes saved so far.
#[tool(read_only, open_world = false)]
async fn list_notes(State(notes): State<Notes>) -> NoteList {
    let notes = notes.0.lock().expect("notes lock").clone();
    NoteList {
        count: notes.len(),
        notes,
    }
}

/// Count down from `from` to zero, one step every `step_ms` milliseconds, reporting progress.
#[tool(read_only, open_world = false)]
async fn countdown(
    /// Where to start.
    from: u32,
    /// Milliseconds per step.
    #[serde(default = "default_step")]
    step_ms: u64,
    ctx: RequestContext,
) -> String {
    for done in 1..=from {
        tokio::time::sleep(Duration::from_millis(step_ms)).await;
        ctx.progress_with_message(
            f64::from(done),
            Some(f64::from(from)),
            &format!("{} to go", from - done),
        );
    }
    ctx.info("countdown finished");
    format!("counted down from {from}")
}

fn default_step() -> u64 {
    100
}

/// `quickstart` serves stdio; `quickstart --http 127.0.0.1:3000` serves Streamable HTTP at
/// `http://127.0.0.1:3000/mcp`.
fn main() -> Result<(), mcp_toolkit::Error> {
    // stdout carries the protocol; logs go to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();

    let server = Server::builder("quickstart", env!("CARGO_PKG_VERSION"))
        .instructions("A calculator and a notepad. Use `countdown` to see progress notifications.")
        .tools([
            add::tool(),
            divide::tool(),
            add_note::tool(),
            list_notes::tool(),
            countdown::tool(),
        ])
        .state(Notes::default());
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        // Many connections at once: the multi-thread runtime spreads them over the cores.
        (Some("--http"), Some(addr)) => tokio::runtime::Runtime::new()?.block_on(async {
            eprintln!("quickstart: serving MCP at http://{addr}/mcp (Ctrl-C stops)");
            server.serve_http(addr).await
        }),
        // One client per stdio process: a current-thread runtime answers each message with one
        // thread wake-up (the multi-thread runtime wakes a second worker to look for work, about
        // doubling the CPU per call; see `cargo bench --bench stdio`).
        (None, _) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(server.serve_stdio()),
        _ => {
            eprintln!("usage: quickstart [--http ADDR]");
            std::process::exit(2);
        }
    }
}
