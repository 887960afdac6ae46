//! End to end over stdio pipes: `examples/bench_server` against `examples/echo_limit` (a
//! program that only answers each line as the server answers `add`, copying the request's id:
//! the limit of the pipe), for a few kinds of call (the fast path: `add` with 1 and 64 calls in flight;
//! then, with 64 in flight, a cache hit and a tool that awaits and returns a structured result).
//! After criterion's figures it prints, from one run, each case's calls/s for the server as a
//! share of the limit's and the server's CPU time per call.
//!
//! Every request has its own id, and the driver checks that each id is answered once, with the
//! right result. The limit answers every case as the server answers `add`, in replies exactly as
//! long (checked for the sum `id + 1`).
//!
//! `cargo bench --bench stdio` (builds both examples in release mode first)

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use memchr::memmem;

/// The `_meta` every request carries (the modern protocol is stateless: no `initialize`).
const META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

/// One kind of call: its request for an id, and the text the server must answer it with.
struct Case {
    /// For the printed figures.
    label: &'static str,
    /// For criterion's group name.
    id: &'static str,
    in_flight: usize,
    /// Appends the request with this id (one line).
    request: fn(u64, &mut Vec<u8>),
    /// Appends the result text expected for this id, as it appears inside the JSON string.
    expected: fn(u64, &mut Vec<u8>),
}

fn tools_call(id: u64, name: &str, arguments: std::fmt::Arguments<'_>, out: &mut Vec<u8>) {
    writeln!(
        out,
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{name}","arguments":{arguments},{META}}}}}"#
    )
    .unwrap();
}

fn add_request(id: u64, out: &mut Vec<u8>) {
    tools_call(id, "add", format_args!(r#"{{"a":{id},"b":1}}"#), out);
}

fn add_expected(id: u64, out: &mut Vec<u8>) {
    write!(out, "{}", id + 1).unwrap();
}

/// 100 keys, so all but the first 100 calls of a process are cache hits.
fn square_key(id: u64) -> u64 {
    id % 100
}

fn square_request(id: u64, out: &mut Vec<u8>) {
    let k = square_key(id);
    tools_call(id, "cached_square", format_args!(r#"{{"k":{k}}}"#), out);
}

fn square_expected(id: u64, out: &mut Vec<u8>) {
    write!(out, "{}", square_key(id).pow(2)).unwrap();
}

fn divmod_request(id: u64, out: &mut Vec<u8>) {
    tools_call(id, "divmod", format_args!(r#"{{"a":{id},"b":7}}"#), out);
}

fn divmod_expected(id: u64, out: &mut Vec<u8>) {
    write!(
        out,
        r#"{{\"quotient\":{},\"remainder\":{}}}"#,
        id / 7,
        id % 7
    )
    .unwrap();
}

const CASES: [Case; 4] = [
    Case {
        label: "add",
        id: "add",
        in_flight: 1,
        request: add_request,
        expected: add_expected,
    },
    Case {
        label: "add",
        id: "add",
        in_flight: 64,
        request: add_request,
        expected: add_expected,
    },
    Case {
        label: "cached_square, cache hit",
        id: "cache_hit",
        in_flight: 64,
        request: square_request,
        expected: square_expected,
    },
    Case {
        label: "divmod, awaits, structured result",
        id: "awaiting_structured",
        in_flight: 64,
        request: divmod_request,
        expected: divmod_expected,
    },
];

fn examples() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--example",
            "bench_server",
            "--example",
            "echo_limit",
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

/// A server process and a driver that keeps a fixed number of requests in flight.
struct Pipe {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    /// The id of the next request, unique over the pipe's life so a stray reply is caught.
    next_id: u64,
    /// Replies read, `filled` bytes of it; a partial line waits at the start for its rest.
    input: Vec<u8>,
    filled: usize,
    requests: Vec<u8>,
    checker: Checker,
}

/// Checks replies: finds the two fields it needs rather than parsing the JSON, so the driver
/// stays far faster than what it drives.
struct Checker {
    /// Whether results are checked as the case's (the limit answers every call as `add`).
    checks_results: bool,
    expected: Vec<u8>,
    id_key: memmem::Finder<'static>,
    text_key: memmem::Finder<'static>,
}

impl Pipe {
    fn spawn(program: &Path, checks_results: bool) -> Self {
        let mut child = Command::new(program)
            .env("RUST_LOG", "off")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the example runs");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        Pipe {
            child,
            stdin,
            stdout,
            next_id: 1,
            input: vec![0; 1 << 20],
            filled: 0,
            requests: Vec::new(),
            checker: Checker {
                checks_results,
                expected: Vec::new(),
                id_key: memmem::Finder::new(br#""id":"#),
                text_key: memmem::Finder::new(br#""text":""#),
            },
        }
    }

    fn send(&mut self, case: &Case, requests: u64) {
        self.requests.clear();
        for _ in 0..requests {
            (case.request)(self.next_id, &mut self.requests);
            self.next_id += 1;
        }
        self.stdin.write_all(&self.requests).unwrap();
    }

    /// Completes `calls` calls with `in_flight` outstanding at a time, checking every reply.
    fn run(&mut self, case: &Case, calls: u64, in_flight: usize) -> Duration {
        let start = Instant::now();
        let first_id = self.next_id;
        // Replies may come in any order: one flag per id of this run.
        let mut answered = vec![false; calls as usize];
        let first = calls.min(in_flight as u64);
        self.send(case, first);
        let (mut sent, mut done) = (first, 0_u64);
        while done < calls {
            if self.filled == self.input.len() {
                self.input.resize(2 * self.input.len(), 0);
            }
            let n = self.stdout.read(&mut self.input[self.filled..]).unwrap();
            assert!(n > 0, "the server closed its output");
            self.filled += n;
            let mut replies = 0;
            let mut line_start = 0;
            while let Some(len) = memchr::memchr(b'\n', &self.input[line_start..self.filled]) {
                let line = &self.input[line_start..line_start + len];
                let id = self.checker.check(case, line);
                let index = id
                    .checked_sub(first_id)
                    .filter(|&index| index < sent)
                    .unwrap_or_else(|| {
                        panic!("a reply to id {id}, which was not sent in this run")
                    });
                assert!(
                    !std::mem::replace(&mut answered[index as usize], true),
                    "two replies to id {id}"
                );
                replies += 1;
                line_start += len + 1;
            }
            self.input.copy_within(line_start..self.filled, 0);
            self.filled -= line_start;
            done += replies;
            let more = replies.min(calls - sent);
            self.send(case, more);
            sent += more;
        }
        start.elapsed()
    }
}

impl Checker {
    /// The id of one reply, after checking its result.
    fn check(&mut self, case: &Case, line: &[u8]) -> u64 {
        let bad = |what: &str| -> ! {
            panic!(
                "{what} in the reply {:?} ({})",
                String::from_utf8_lossy(line),
                case.label
            )
        };
        let id_at = self.id_key.find(line).unwrap_or_else(|| bad("no id")) + 5;
        let digits = line[id_at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let id = std::str::from_utf8(&line[id_at..id_at + digits])
            .ok()
            .and_then(|digits| digits.parse().ok())
            .unwrap_or_else(|| bad("no numeric id"));
        let text_at = id_at
            + self
                .text_key
                .find(&line[id_at..])
                .unwrap_or_else(|| bad("no text"))
            + 8;
        let text = &line[text_at..text_at + string_len(&line[text_at..])];
        self.expected.clear();
        if self.checks_results {
            (case.expected)(id, &mut self.expected);
        } else {
            add_expected(id, &mut self.expected);
        }
        if text != self.expected {
            bad(&format!(
                "expected the text {:?} for id {id}",
                String::from_utf8_lossy(&self.expected)
            ));
        }
        id
    }
}

/// The length of a JSON string's contents, up to its closing quote (escaped quotes skipped).
fn string_len(from: &[u8]) -> usize {
    let mut at = 0;
    loop {
        match memchr::memchr2(b'"', b'\\', &from[at..]) {
            Some(offset) if from[at + offset] == b'\\' => at += offset + 2,
            Some(offset) => return at + offset,
            None => return from.len(),
        }
    }
}

/// A process's CPU time so far (Linux).
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(Duration::from_secs_f64(ticks / 100.0))
}

impl Drop for Pipe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn main() {
    // `cargo test --all-targets` runs benches once without `--bench`: nothing to measure then.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let dir = examples();
    // (name, program, whether its results are checked)
    let programs = [
        ("echo_limit", dir.join("echo_limit"), false),
        ("bench_server", dir.join("bench_server"), true),
    ];
    let mut criterion = Criterion::default().configure_from_args();
    for case in &CASES {
        let mut group =
            criterion.benchmark_group(format!("stdio_{}_{}_in_flight", case.id, case.in_flight));
        group.throughput(Throughput::Elements(1));
        for (name, program, checks) in &programs {
            let mut pipe = Pipe::spawn(program, *checks);
            group.bench_function(*name, |b| {
                b.iter_custom(|calls| pipe.run(case, calls, case.in_flight))
            });
        }
        group.finish();
    }
    criterion.final_summary();

    // Ratios from one run: alternate the two programs and take each one's best second.
    println!("\nstdio calls/s as a share of the limit (same run, best of 3 one-second rounds):");
    for case in &CASES {
        let mut best = [0.0_f64; 2];
        let mut cpu_per_call = [Duration::MAX; 2];
        let mut pipes: Vec<Pipe> = programs
            .iter()
            .map(|(_, program, checks)| Pipe::spawn(program, *checks))
            .collect();
        for pipe in &mut pipes {
            pipe.run(case, 10_000, case.in_flight);
        }
        for _round in 0..3 {
            for (i, pipe) in pipes.iter_mut().enumerate() {
                // The limit's line shows the driver's CPU per call (this process), the
                // server's line the server's.
                let pid = if i == 0 {
                    std::process::id()
                } else {
                    pipe.child.id()
                };
                let cpu_before = cpu_time(pid);
                let (mut calls, start) = (0_u64, Instant::now());
                while start.elapsed() < Duration::from_secs(1) {
                    pipe.run(case, 2_000, case.in_flight);
                    calls += 2_000;
                }
                let rate = calls as f64 / start.elapsed().as_secs_f64();
                best[i] = best[i].max(rate);
                if let (Some(before), Some(after)) = (cpu_before, cpu_time(pid)) {
                    cpu_per_call[i] = cpu_per_call[i].min((after - before) / calls as u32);
                }
            }
        }
        let micros = |cpu: Duration| cpu.as_secs_f64() * 1e6;
        println!(
            "  {} ({} in flight): limit {:>9.0} calls/s ({:.2} µs driver CPU per call), bench_server {:>9.0} calls/s = {:>5.1}% of the limit, {:.2} µs server CPU per call",
            case.label,
            case.in_flight,
            best[0],
            micros(cpu_per_call[0]),
            best[1],
            100.0 * best[1] / best[0],
            micros(cpu_per_call[1])
        );
    }
}
