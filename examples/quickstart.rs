//! A small MCP server over stdio: `cargo run --example quickstart`, or over Streamable HTTP:
//! `cargo run --example quickstart -- --http 127.0.0.1:3000`.
//!
//! Tools (a calculator, a notepad in shared state, a countdown that reports progress, and one
//! that asks the user before it forgets the notes), the notes as resources, and a prompt.
//!
//! Try it with the MCP Inspector (`npx @modelcontextprotocol/inspector cargo run --example
//! quickstart`) or add it to Claude Desktop's `mcpServers` as a command.

use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_toolkit::completion::{values, CompletionRequest};
use mcp_toolkit::context::Elicitation;
use mcp_toolkit::store::redis::Redis;
use mcp_toolkit::{prompt, resource, tool, ErrorObject, RequestContext, Server, State};
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

/// Whether the user really wants something done.
#[derive(serde::Deserialize, JsonSchema)]
struct Confirmation {
    /// Check to go ahead.
    confirm: bool,
}

/// Forget every note, after asking the user to confirm (elicitation).
#[tool(destructive, idempotent, open_world = false)]
async fn clear_notes(State(notes): State<Notes>, ctx: RequestContext) -> Result<String, String> {
    let count = notes.0.lock().expect("notes lock").len();
    let question = match count {
        1 => "Forget the one note?".to_owned(),
        _ => format!("Forget all {count} notes?"),
    };
    let answer = ctx
        .input("confirm")
        .elicit::<Confirmation>(&question)
        .await
        .map_err(|e| e.to_string())?;
    match answer {
        Elicitation::Accept(Confirmation { confirm: true }) => {
            notes.0.lock().expect("notes lock").clear();
            Ok(format!(
                "forgot {count} note{}",
                if count == 1 { "" } else { "s" }
            ))
        }
        _ => Ok("kept the notes".into()),
    }
}

/// Every note, oldest first, one per line.
#[resource("notes://all", name = "all_notes")]
async fn all_notes(State(notes): State<Notes>) -> String {
    notes.0.lock().expect("notes lock").join("\n")
}

/// One note by its number (1 is the oldest).
#[resource("notes://{number}", name = "note", complete(number = note_numbers))]
async fn note(number: usize, State(notes): State<Notes>) -> Result<String, ErrorObject> {
    let notes = notes.0.lock().expect("notes lock");
    number
        .checked_sub(1)
        .and_then(|index| notes.get(index).cloned())
        .ok_or_else(|| ErrorObject::new(-32002, format!("there is no note #{number}")))
}

async fn note_numbers(request: CompletionRequest) -> Vec<String> {
    let count = request
        .state()
        .get::<Notes>()
        .map_or(0, |notes| notes.0.lock().expect("notes lock").len());
    (1..=count)
        .map(|n| n.to_string())
        .filter(|n| n.starts_with(request.value()))
        .collect()
}

/// Ask the model to summarize the notes.
#[prompt(complete(style = values(["short", "detailed", "as a poem"])))]
async fn summarize_notes(
    /// How to summarize (short, detailed ...).
    style: Option<String>,
    State(notes): State<Notes>,
) -> String {
    let notes = notes.0.lock().expect("notes lock").join("\n- ");
    let style = style.unwrap_or_else(|| "short".into());
    format!("Summarize these notes ({style}):\n- {notes}")
}

/// `quickstart` serves stdio; `quickstart --http 127.0.0.1:3000` serves Streamable HTTP at
/// `http://127.0.0.1:3000/mcp`.
/// What a person who ran the quickstart in a terminal reads: an MCP client starts it instead.
fn terminal_hint() -> String {
    let exe = std::env::current_exe()
        .map(|path| path.display().to_string())
        .unwrap_or_else(|_| "target/debug/examples/quickstart".to_owned());
    format!(
        "quickstart: an MCP server speaking JSON-RPC on stdin/stdout; a client starts it.
  Try it in the MCP Inspector:  npx @modelcontextprotocol/inspector {exe}
  Claude Desktop (claude_desktop_config.json):
    {{\"mcpServers\": {{\"quickstart\": {{\"command\": \"{exe}\"}}}}}}
  Over HTTP instead:  {exe} --http 127.0.0.1:3000  (then http://127.0.0.1:3000/mcp)
Waiting for a client on stdin (Ctrl-D or Ctrl-C stops)."
    )
}

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
            clear_notes::tool(),
        ])
        .resources([all_notes::resource(), note::resource()])
        .prompt(summarize_notes::prompt())
        .state(Notes::default());
    // Several instances (HTTP replicas behind a load balancer, say) share sessions, their
    // events and rate budgets through one Redis. The notes stay per instance: they are plain
    // shared state, like a connection pool would be.
    let server = match std::env::var("REDIS_URL") {
        Ok(url) => server.redis(Redis::new(&url).map_err(std::io::Error::other)?),
        Err(_) => server,
    };
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
        (None, _) => {
            if std::io::stdin().is_terminal() {
                // Started by a person rather than by a client: say what this is.
                eprintln!("{}", terminal_hint());
            }
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(server.serve_stdio())
        }
        _ => {
            eprintln!("usage: quickstart [--http ADDR]");
            std::process::exit(2);
        }
    }
}
