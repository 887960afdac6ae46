//! End to end over Streamable HTTP: `examples/bench_server --http` against `examples/http_limit`
//! (a bare hyper server, built as the runtime builds its own, that answers every POST with a
//! canned reply of the same shape carrying the request's id: the limit of hyper on this
//! machine), calling `add` over 1, 16 and 64 keep-alive HTTP/1.1 connections with one request
//! in flight on each (as real clients do), in both eras: stateless `2026-07-28` (headers and
//! `_meta` on every call) and a `2025-11-25` session (one, opened by `initialize` and shared by
//! every connection). After criterion's figures it prints, from one run that alternates the two
//! programs in short rounds, each case's calls/s for the server and the limit (each one's best
//! round), their ratio (of the bests, and the median of the rounds' ratios), latency
//! percentiles, and CPU time per call of the server, the limit and the driver.
//!
//! Driver, server and limit share the machine's cores, so calls/s is bounded by their CPU time
//! together: the ratio counts the driver's share of each call for both programs, and CPU time
//! per call is the sharper comparison.
//!
//! The driver speaks raw HTTP/1.1 over tokio's `TcpStream` on a current-thread runtime (one
//! task per connection, no spawning): it writes a request, reads the status line and headers,
//! then `Content-Length` bytes of body. Every reply is checked: status 200, the id it was sent
//! with, and the result text: `a + b` from the server, the canned text from the limit.
//!
//! `cargo bench --bench http` (builds both examples in release mode first). Environment:
//! `HTTP_BENCH_CONNECTIONS` (default `1,16,64`), `HTTP_BENCH_ERAS` (default `modern,legacy`),
//! `HTTP_BENCH_ROUNDS` (default 8) and `HTTP_BENCH_SECS` (seconds per round, default 0.4) for
//! the printed ratios, `HTTP_BENCH_CRITERION=0` to skip criterion's groups.

use std::cell::Cell;
use std::io::Write;
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use memchr::memmem;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

/// The `_meta` every stateless request carries.
const META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

/// The text `http_limit` answers every call with.
const LIMIT_TEXT: &[u8] = b"3";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Era {
    /// `2026-07-28`: stateless, the version in a header and in `_meta`.
    Modern,
    /// `2025-11-25`: a session opened by `initialize`.
    Legacy,
}

impl Era {
    fn name(self) -> &'static str {
        match self {
            Era::Modern => "stateless 2026-07-28",
            Era::Legacy => "session 2025-11-25",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Era::Modern => "modern",
            Era::Legacy => "legacy",
        }
    }
}

#[derive(Clone, Copy)]
struct Case {
    era: Era,
    connections: usize,
}

fn examples() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--example",
            "bench_server",
            "--example",
            "http_limit",
        ])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the examples failed");
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    target.join("release").join("examples")
}

/// A server process listening on a loopback port.
struct Program {
    name: &'static str,
    child: Child,
    addr: SocketAddr,
    /// Whether results are `a + b` (the limit's are canned).
    checks_results: bool,
    /// The legacy era's session, opened once and shared by every connection.
    session: Option<String>,
}

impl Program {
    fn spawn(name: &'static str, program: &Path, checks_results: bool) -> Self {
        // A free port: bound, then released for the program to bind (a race no other process
        // on this machine is likely to enter).
        let addr = StdListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port");
        let mut child = Command::new(program)
            .args(["--http", &addr.to_string()])
            .env("RUST_LOG", "off")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the example runs");
        let start = Instant::now();
        while StdStream::connect(addr).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{name} exited before accepting: {status}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{name} does not accept connections on {addr}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Program {
            name,
            child,
            addr,
            checks_results,
            session: None,
        }
    }

    /// Opens the legacy session: `initialize`, then `notifications/initialized`.
    fn open_session(&mut self, runtime: &Runtime) {
        let session = runtime.block_on(async {
            let mut conn = Conn::connect(self.addr).await;
            let initialize = br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#;
            let head = format!(
                "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n",
                self.addr
            );
            let reply = conn.exchange(head.as_bytes(), initialize).await;
            assert_eq!(reply.status, 200, "initialize was refused by {}", self.name);
            let session = header(&conn.input[..reply.head_end], b"mcp-session-id")
                .unwrap_or_else(|| panic!("{} opened no session", self.name))
                .to_owned();
            conn.consume(reply.end);
            let head = format!(
                "{head}MCP-Protocol-Version: 2025-11-25\r\nMcp-Session-Id: {session}\r\n"
            );
            let initialized = br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
            let reply = conn.exchange(head.as_bytes(), initialized).await;
            assert_eq!(reply.status, 202, "notifications/initialized ({})", self.name);
            session
        });
        self.session = Some(session);
    }

    /// The request head of every call of `era`, up to its `Content-Length` header.
    fn head(&self, era: Era) -> Vec<u8> {
        let mut head = format!(
            "POST /mcp HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Method: tools/call\r\nMcp-Name: add\r\n",
            self.addr
        );
        match era {
            Era::Modern => head.push_str("MCP-Protocol-Version: 2026-07-28\r\n"),
            Era::Legacy => {
                let session = self.session.as_deref().expect("the session is open");
                head.push_str("MCP-Protocol-Version: 2025-11-25\r\n");
                head.push_str(&format!("Mcp-Session-Id: {session}\r\n"));
            }
        }
        head.into_bytes()
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of a header (case-insensitive name) in a response head.
fn header<'h>(head: &'h [u8], name: &[u8]) -> Option<&'h str> {
    head.split(|&b| b == b'\n').find_map(|line| {
        let colon = memchr::memchr(b':', line)?;
        line[..colon]
            .eq_ignore_ascii_case(name)
            .then(|| std::str::from_utf8(&line[colon + 1..]).ok())
            .flatten()
            .map(str::trim)
    })
}

/// One keep-alive connection of the driver.
struct Conn {
    stream: TcpStream,
    request: Vec<u8>,
    body: Vec<u8>,
    /// Bytes read, `filled` of them; what follows a response stays for the next.
    input: Vec<u8>,
    filled: usize,
    /// Nanoseconds from writing each request to reading all of its reply.
    latencies: Vec<u64>,
}

/// Where a response lies in [`Conn::input`].
struct Reply {
    status: u16,
    /// The head, through its blank line.
    head_end: usize,
    /// The body starts at `head_end` and ends here.
    end: usize,
}

impl Conn {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connects");
        // Each request is one write: without this, the second would wait on delayed ACKs.
        stream.set_nodelay(true).unwrap();
        Conn {
            stream,
            request: Vec::with_capacity(1024),
            body: Vec::with_capacity(512),
            input: vec![0; 16 * 1024],
            filled: 0,
            latencies: Vec::new(),
        }
    }

    /// Sends one request (`head` up to its `Content-Length`) and reads its response.
    async fn exchange(&mut self, head: &[u8], body: &[u8]) -> Reply {
        self.request.clear();
        self.request.extend_from_slice(head);
        write!(self.request, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.request.extend_from_slice(body);
        self.stream.write_all(&self.request).await.unwrap();
        self.read_reply().await
    }

    async fn read_reply(&mut self) -> Reply {
        let head_end = loop {
            if let Some(at) = memmem::find(&self.input[..self.filled], b"\r\n\r\n") {
                break at + 4;
            }
            self.read_more().await;
        };
        let head = &self.input[..head_end];
        let status = head
            .strip_prefix(b"HTTP/1.1 ")
            .and_then(|rest| std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok())
            .unwrap_or_else(|| panic!("a bad status line: {:?}", String::from_utf8_lossy(head)));
        let length: usize = header(head, b"content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "a reply without Content-Length: {:?}",
                    String::from_utf8_lossy(head)
                )
            });
        let end = head_end + length;
        while self.filled < end {
            self.read_more().await;
        }
        Reply {
            status,
            head_end,
            end,
        }
    }

    async fn read_more(&mut self) {
        if self.filled == self.input.len() {
            self.input.resize(2 * self.input.len(), 0);
        }
        let n = self
            .stream
            .read(&mut self.input[self.filled..])
            .await
            .unwrap();
        assert!(n > 0, "the server closed the connection");
        self.filled += n;
    }

    /// Drops a response that was handled.
    fn consume(&mut self, end: usize) {
        self.input.copy_within(end..self.filled, 0);
        self.filled -= end;
    }
}

/// When a run stops.
struct Budget {
    /// Calls not yet started.
    remaining: Cell<u64>,
    /// Or: no call starts after this.
    deadline: Option<Instant>,
    next_id: Cell<u64>,
}

impl Budget {
    /// The id of the next call, if one may start.
    fn take(&self, now: Instant) -> Option<u64> {
        let remaining = self.remaining.get();
        if remaining == 0 || self.deadline.is_some_and(|d| now >= d) {
            return None;
        }
        self.remaining.set(remaining - 1);
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        Some(id)
    }
}

/// A number of connections to one program, driving `add` calls of one era.
struct Load {
    conns: Vec<Conn>,
    head: Vec<u8>,
    era: Era,
    checks_results: bool,
    /// The id of the next call, unique over the load's life.
    next_id: u64,
    label: String,
}

impl Load {
    fn new(runtime: &Runtime, program: &Program, case: Case) -> Self {
        let conns = runtime.block_on(async {
            let mut conns = Vec::with_capacity(case.connections);
            for _ in 0..case.connections {
                conns.push(Conn::connect(program.addr).await);
            }
            conns
        });
        Load {
            conns,
            head: program.head(case.era),
            era: case.era,
            checks_results: program.checks_results,
            next_id: 1,
            label: format!(
                "{}, {}, {} connections",
                program.name,
                case.era.name(),
                case.connections
            ),
        }
    }

    /// Makes `calls` calls, or as many as start before `deadline`, over every connection, one
    /// in flight on each; returns how many and how long they took.
    fn run(&mut self, runtime: &Runtime, calls: u64, deadline: Option<Instant>) -> (u64, Duration) {
        let budget = Budget {
            remaining: Cell::new(calls),
            deadline,
            next_id: Cell::new(self.next_id),
        };
        let (head, era, checks, label) = (&self.head, self.era, self.checks_results, &self.label);
        let start = Instant::now();
        runtime.block_on(futures_util::future::join_all(
            self.conns
                .iter_mut()
                .map(|conn| drive(conn, &budget, head, era, checks, label)),
        ));
        let elapsed = start.elapsed();
        let done = budget.next_id.get() - self.next_id;
        self.next_id = budget.next_id.get();
        (done, elapsed)
    }

    /// The latencies since the last time, sorted.
    fn take_latencies(&mut self) -> Vec<u64> {
        let mut all = Vec::new();
        for conn in &mut self.conns {
            all.append(&mut conn.latencies);
        }
        all.sort_unstable();
        all
    }
}

/// One connection's share of a run.
async fn drive(conn: &mut Conn, budget: &Budget, head: &[u8], era: Era, checks: bool, label: &str) {
    let mut expected = Vec::new();
    let mut now = Instant::now();
    while let Some(id) = budget.take(now) {
        conn.body.clear();
        write!(
            conn.body,
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"add","arguments":{{"a":{id},"b":1}}"#
        )
        .unwrap();
        if era == Era::Modern {
            write!(conn.body, ",{META}").unwrap();
        }
        conn.body.extend_from_slice(b"}}");
        let body = std::mem::take(&mut conn.body);
        let start = Instant::now();
        let reply = conn.exchange(head, &body).await;
        now = Instant::now();
        conn.body = body;
        conn.latencies.push((now - start).as_nanos() as u64);
        let payload = &conn.input[reply.head_end..reply.end];
        expected.clear();
        if checks {
            write!(expected, "{}", id + 1).unwrap();
        } else {
            expected.extend_from_slice(LIMIT_TEXT);
        }
        check(label, id, reply.status, payload, &expected);
        conn.consume(reply.end);
    }
}

/// Checks one reply by finding the fields it needs rather than parsing the JSON, so the driver
/// stays far cheaper than what it drives.
fn check(label: &str, id: u64, status: u16, body: &[u8], expected: &[u8]) {
    let bad = |what: &str| -> ! {
        panic!(
            "{what} in the reply {:?} (status {status}) to id {id} ({label})",
            String::from_utf8_lossy(body)
        )
    };
    if status != 200 {
        bad("not 200");
    }
    let id_at = memmem::find(body, br#""id":"#).unwrap_or_else(|| bad("no id")) + 5;
    let digits = body[id_at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let got: Option<u64> = std::str::from_utf8(&body[id_at..id_at + digits])
        .ok()
        .and_then(|digits| digits.parse().ok());
    if got != Some(id) {
        bad("the wrong id");
    }
    let text_at = memmem::find(&body[id_at..], br#""text":""#)
        .map(|at| id_at + at + 8)
        .unwrap_or_else(|| bad("no text"));
    let text = &body[text_at..];
    let text = &text[..memchr::memchr(b'"', text).unwrap_or_else(|| bad("no text's end"))];
    if text != expected {
        bad(&format!(
            "expected the text {:?}",
            String::from_utf8_lossy(expected)
        ));
    }
}

/// A process's CPU time so far (Linux).
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(Duration::from_secs_f64(ticks / 100.0))
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v:?} does not parse"))
        })
        .unwrap_or(default)
}

fn cases() -> Vec<Case> {
    let connections: Vec<usize> = std::env::var("HTTP_BENCH_CONNECTIONS")
        .unwrap_or_else(|_| "1,16,64".into())
        .split(',')
        .map(|n| n.trim().parse().expect("HTTP_BENCH_CONNECTIONS: numbers"))
        .collect();
    let eras: Vec<Era> = std::env::var("HTTP_BENCH_ERAS")
        .unwrap_or_else(|_| "modern,legacy".into())
        .split(',')
        .map(|era| match era.trim() {
            "modern" => Era::Modern,
            "legacy" => Era::Legacy,
            other => panic!("HTTP_BENCH_ERAS: modern or legacy, not {other:?}"),
        })
        .collect();
    eras.iter()
        .flat_map(|&era| {
            connections
                .iter()
                .map(move |&connections| Case { era, connections })
        })
        .collect()
}

/// One program's figures for one case.
#[derive(Clone, Copy, Default)]
struct Figures {
    /// From its best round, with that round's latencies.
    calls_per_s: f64,
    p50: Duration,
    p99: Duration,
    /// Over every round: CPU time is what other processes disturb least, and a total is
    /// coarse-grained (10 ms ticks) only once.
    calls: u64,
    elapsed: Duration,
    cpu: Option<Duration>,
    driver_cpu: Option<Duration>,
}

impl Figures {
    fn cpu_per_call(&self) -> Option<Duration> {
        Some(self.cpu? / u32::try_from(self.calls).ok()?)
    }

    fn driver_per_call(&self) -> Option<Duration> {
        Some(self.driver_cpu? / u32::try_from(self.calls).ok()?)
    }

    /// The driver's CPU time as a share of one core.
    fn driver_share(&self) -> Option<f64> {
        Some(self.driver_cpu?.as_secs_f64() / self.elapsed.as_secs_f64())
    }
}

fn main() {
    // `cargo test --all-targets` runs benches once without `--bench`: nothing to measure then.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let dir = examples();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The limit first, as in the printed lines.
    let mut programs = [
        Program::spawn("http_limit", &dir.join("http_limit"), false),
        Program::spawn("bench_server", &dir.join("bench_server"), true),
    ];
    let cases = cases();
    if cases.iter().any(|case| case.era == Era::Legacy) {
        for program in &mut programs {
            program.open_session(&runtime);
        }
    }

    if env_or("HTTP_BENCH_CRITERION", 1) != 0 {
        // Short by default, and without plots (about 4 s each here), so the whole bench stays
        // under two minutes; criterion's own flags (`--measurement-time`, ...) still override.
        let mut criterion = Criterion::default()
            .without_plots()
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .sample_size(10)
            .configure_from_args();
        for &case in &cases {
            let mut group = criterion.benchmark_group(format!(
                "http_{}_{}_connections",
                case.era.id(),
                case.connections
            ));
            group.throughput(Throughput::Elements(1));
            for program in &programs {
                let mut load = Load::new(&runtime, program, case);
                group.bench_function(program.name, |b| {
                    b.iter_custom(|calls| {
                        let (_, elapsed) = load.run(&runtime, calls, None);
                        load.take_latencies();
                        elapsed
                    })
                });
            }
            group.finish();
        }
        criterion.final_summary();
    }

    // Ratios from one run: alternate the two programs, and take each one's best round.
    // Many short rounds: on a shared machine, each program then gets some quiet moments.
    let rounds: usize = env_or("HTTP_BENCH_ROUNDS", 8).max(1);
    let round = Duration::from_secs_f64(env_or("HTTP_BENCH_SECS", 0.4));
    println!(
        "\nStreamable HTTP, `add`, one call in flight per connection (same run, alternating; calls/s and latencies from the best of {rounds} rounds of {round:?}, CPU time over all of them):"
    );
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let mut table = Vec::new();
    for &case in &cases {
        let mut loads: Vec<Load> = programs
            .iter()
            .map(|program| Load::new(&runtime, program, case))
            .collect();
        for load in &mut loads {
            load.run(&runtime, 2_000, None);
            load.take_latencies();
        }
        let mut figures = [Figures::default(); 2];
        // Each round's server-to-limit ratio: a burst of other work on this machine spoils the
        // rounds it falls in, and the median of the pairs ignores them.
        let mut paired = Vec::with_capacity(rounds);
        for round_index in 0..rounds {
            let mut rates = [0.0; 2];
            // Alternating which goes first cancels a steady drift in the machine's load.
            let order = if round_index % 2 == 0 { [0, 1] } else { [1, 0] };
            for i in order {
                let load = &mut loads[i];
                let pid = programs[i].child.id();
                let (before, driver_before) = (cpu_time(pid), cpu_time(std::process::id()));
                let (calls, elapsed) = load.run(&runtime, u64::MAX, Some(Instant::now() + round));
                let (after, driver_after) = (cpu_time(pid), cpu_time(std::process::id()));
                let latencies = load.take_latencies();
                let f = &mut figures[i];
                let add = |total: Option<Duration>, before: Option<Duration>, after| {
                    Some(total.unwrap_or_default() + (after? - before?))
                };
                f.cpu = add(f.cpu, before, after);
                f.driver_cpu = add(f.driver_cpu, driver_before, driver_after);
                f.calls += calls;
                f.elapsed += elapsed;
                let rate = calls as f64 / elapsed.as_secs_f64();
                rates[i] = rate;
                if rate > f.calls_per_s {
                    let percentile = |p: usize| {
                        let at = (latencies.len() * p / 100).min(latencies.len() - 1);
                        Duration::from_nanos(latencies[at])
                    };
                    f.calls_per_s = rate;
                    f.p50 = percentile(50);
                    f.p99 = percentile(99);
                }
            }
            paired.push(rates[1] / rates[0]);
        }
        paired.sort_by(f64::total_cmp);
        let median_ratio = paired[paired.len() / 2];
        let [limit, server] = figures;
        let opt = |d: Option<Duration>| d.map_or("?".to_owned(), |d| format!("{:.1}", micros(d)));
        let share = |s: Option<f64>| s.map_or("?".to_owned(), |s| format!("{:.0}%", 100.0 * s));
        println!(
            "  {} connection(s), {}: limit {:>7.0} calls/s (p50 {:.0} µs, p99 {:.0} µs, {} µs CPU per call; driver {} µs per call, {} of a core), bench_server {:>7.0} calls/s = {:.2}× the limit ({:.2}× in the median round) (p50 {:.0} µs, p99 {:.0} µs, {} µs CPU per call; driver {} µs per call, {} of a core)",
            case.connections,
            case.era.name(),
            limit.calls_per_s,
            micros(limit.p50),
            micros(limit.p99),
            opt(limit.cpu_per_call()),
            opt(limit.driver_per_call()),
            share(limit.driver_share()),
            server.calls_per_s,
            server.calls_per_s / limit.calls_per_s,
            median_ratio,
            micros(server.p50),
            micros(server.p99),
            opt(server.cpu_per_call()),
            opt(server.driver_per_call()),
            share(server.driver_share()),
        );
        table.push((case, limit, server, median_ratio));
    }
    println!("\n| era | connections | bench_server calls/s | http_limit calls/s | ratio of the bests | median round's ratio | p50 / p99 (µs), server | p50 / p99 (µs), limit | server CPU µs/call | limit CPU µs/call | driver CPU µs/call (server / limit runs) |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (case, limit, server, median_ratio) in table {
        let opt = |d: Option<Duration>| d.map_or("?".to_owned(), |d| format!("{:.1}", micros(d)));
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.2}× | {:.2}× | {:.0} / {:.0} | {:.0} / {:.0} | {} | {} | {} / {} |",
            case.era.name(),
            case.connections,
            server.calls_per_s,
            limit.calls_per_s,
            server.calls_per_s / limit.calls_per_s,
            median_ratio,
            micros(server.p50),
            micros(server.p99),
            micros(limit.p50),
            micros(limit.p99),
            opt(server.cpu_per_call()),
            opt(limit.cpu_per_call()),
            opt(server.driver_per_call()),
            opt(limit.driver_per_call()),
        );
    }
}
