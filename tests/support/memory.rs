//! The loads of issue 9's "Bounded memory", driven against `examples/memory_server` as a
//! separate process, and how much each grows its resident set over a baseline. Shared by
//! `benches/memory.rs` (release build, full scale) and `tests/memory.rs` (debug build, CI scale).
//!
//! Linux only: sizes come from `VmRSS` and `VmHWM` (the peak resident size) in
//! `/proc/<pid>/status`. Growth is the peak minus the baseline, so a transient spike counts.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// A modern-era request's `_meta`.
const META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

/// The same with a progress token.
const META_WITH_PROGRESS: &str = r#""_meta":{"progressToken":1,"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

/// The size of a `big` result (as in the example).
const BIG_BYTES: usize = 1 << 20;

/// How often the watchers sample `/proc`.
const SAMPLE: Duration = Duration::from_millis(20);

/// A `tools/call` request line.
fn call(id: u64, tool: &str, arguments: &str, meta: &str) -> String {
    format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":{{\"name\":\"{tool}\",\"arguments\":{arguments},{meta}}}}}\n"
    )
}

/// One load's outcome.
#[derive(Debug)]
pub struct Measurement {
    /// The load, with its size.
    pub load: String,
    /// `VmRSS` after start-up and a warm-up call, KiB.
    pub baseline_kib: u64,
    /// `VmRSS` when the load was measured, KiB.
    pub end_kib: u64,
    /// `VmHWM` (peak `VmRSS`) when the load was measured, KiB.
    pub peak_kib: u64,
    /// The most the server may grow under this load, MiB.
    pub bound_mib: f64,
    /// What the load got done (calls accepted, notifications read, ...).
    pub detail: String,
}

impl Measurement {
    /// Peak over baseline, MiB.
    pub fn growth_mib(&self) -> f64 {
        self.peak_kib.saturating_sub(self.baseline_kib) as f64 / 1024.0
    }

    /// `Err` with the reason when the growth exceeds the bound.
    pub fn check(&self) -> Result<(), String> {
        if self.growth_mib() <= self.bound_mib {
            return Ok(());
        }
        Err(format!(
            "{}: the server grew {:.1} MiB over its baseline of {:.1} MiB, more than the bound \
             of {:.0} MiB ({})",
            self.load,
            self.growth_mib(),
            mib(self.baseline_kib),
            self.bound_mib,
            self.detail
        ))
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Prints `rows` as a table.
pub fn print_table(rows: &[&Measurement]) {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<34} {:>9} {:>9} {:>9} {:>9} {:>7}  {:<4}  detail",
        "load", "base MiB", "end MiB", "peak MiB", "grew MiB", "bound", "ok"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "{:<34} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>7.0}  {:<4}  {}",
            row.load,
            mib(row.baseline_kib),
            mib(row.end_kib),
            mib(row.peak_kib),
            row.growth_mib(),
            row.bound_mib,
            if row.check().is_ok() { "yes" } else { "NO" },
            row.detail
        );
    }
    print!("{out}");
}

/// A running `memory_server`, killed on drop.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<BufReader<ChildStdout>>,
}

impl Server {
    /// Starts `program`, warms it up with a listing and a call, and returns it with its
    /// baseline `VmRSS`.
    fn start(program: &Path, env: &[(&str, String)]) -> (Self, u64) {
        let mut child = Command::new(program)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "{} does not run ({err}): build the examples first",
                    program.display()
                )
            });
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .map(|out| BufReader::with_capacity(64 << 10, out));
        let mut server = Server {
            child,
            stdin,
            stdout,
        };
        server.round_trip(&format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"tools/list\",\"params\":{{{META}}}}}\n"
        ));
        server.round_trip(&call(0, "chatty", r#"{"count":0}"#, META));
        // Let start-up allocations settle before taking the baseline.
        thread::sleep(Duration::from_millis(100));
        let baseline = server.status("VmRSS");
        (server, baseline)
    }

    /// Sends `request` and returns the next line, its reply.
    fn round_trip(&mut self, request: &str) -> Vec<u8> {
        let stdin = self.stdin.as_mut().expect("stdin is ours");
        stdin
            .write_all(request.as_bytes())
            .expect("the server reads");
        let mut reply = Vec::new();
        let stdout = self.stdout.as_mut().expect("stdout is ours");
        stdout
            .read_until(b'\n', &mut reply)
            .expect("the server writes");
        assert!(reply.ends_with(b"\n"), "the server closed its output");
        reply
    }

    /// A size field of `/proc/<pid>/status`, KiB.
    fn status(&self, field: &str) -> u64 {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_else(|err| panic!("the server (pid {pid}) is gone: {err}"));
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|value| value.trim().strip_suffix("kB")?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
    }

    /// The current and peak resident sizes, KiB.
    fn sizes(&self) -> (u64, u64) {
        (self.status("VmRSS"), self.status("VmHWM"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `calls` calls of the 30 s `sleep` tool written as fast as the server reads them, replies
/// never read. A server that caps calls in flight stops reading (the writer blocks); one that
/// does not holds every call.
pub struct Flood {
    /// How many calls to write.
    pub calls: u64,
    /// Measure once the writer made no progress for this long (the server stopped reading).
    pub stall: Duration,
    /// Measure by then at the latest; under 30 s, before the first sleeps end.
    pub limit: Duration,
    /// The bound, MiB.
    pub bound_mib: f64,
}

impl Flood {
    /// Runs the load against `program` in a fresh process.
    pub fn run(&self, program: &Path) -> Measurement {
        let (mut server, baseline_kib) = Server::start(program, &[]);
        let mut stdin = server.stdin.take().expect("stdin is ours");
        let written = Arc::new(AtomicU64::new(0));
        let calls = self.calls;
        let writer = thread::spawn({
            let written = Arc::clone(&written);
            move || {
                // Batches of 64 calls (about 12 KiB): progress is visible at a fine grain.
                let mut batch = String::new();
                let mut id = 1;
                while id <= calls {
                    batch.clear();
                    let end = (id + 64).min(calls + 1);
                    for id in id..end {
                        batch.push_str(&call(id, "sleep", "{}", META));
                    }
                    // Fails once the server is killed while this write is blocked.
                    if stdin.write_all(batch.as_bytes()).is_err() {
                        return;
                    }
                    written.store(end - 1, Ordering::Relaxed);
                    id = end;
                }
            }
        });

        let start = Instant::now();
        let (mut last_written, mut last_progress) = (0, Instant::now());
        let (mut last_peak, mut peak_since) = (0, Instant::now());
        let outcome = loop {
            thread::sleep(SAMPLE);
            let now = Instant::now();
            let count = written.load(Ordering::Relaxed);
            if count != last_written {
                (last_written, last_progress) = (count, now);
            }
            let peak = server.status("VmHWM");
            if peak != last_peak {
                (last_peak, peak_since) = (peak, now);
            }
            if writer.is_finished() {
                // Everything was written: wait until the server digested it.
                if now - peak_since >= self.stall {
                    break "all written";
                }
            } else if now - last_progress >= self.stall {
                break "writer blocked: the server stopped reading";
            }
            if now - start >= self.limit {
                break "time limit";
            }
        };
        let (end_kib, peak_kib) = server.sizes();
        let written = written.load(Ordering::Relaxed);
        drop(server);
        let _ = writer.join();
        Measurement {
            load: format!("flood: {} x sleep 30 s", thousands(self.calls)),
            baseline_kib,
            end_kib,
            peak_kib,
            bound_mib: self.bound_mib,
            detail: format!(
                "{} calls written in {:.1} s, {outcome}; {:.0} B per written call",
                thousands(written),
                start.elapsed().as_secs_f64(),
                peak_kib.saturating_sub(baseline_kib) as f64 * 1024.0 / written.max(1) as f64
            ),
        }
    }
}

/// `calls` sequential calls of the cached `big` tool with distinct arguments: `calls` distinct
/// 1 MiB results, replies read.
pub struct Cache {
    /// How many distinct results.
    pub calls: u64,
    /// `MEMORY_SERVER_CACHE_BYTES` for the server, or the runtime's default budget.
    pub budget_bytes: Option<u64>,
    /// The bound, MiB.
    pub bound_mib: f64,
}

impl Cache {
    /// Runs the load against `program` in a fresh process.
    pub fn run(&self, program: &Path) -> Measurement {
        let env: Vec<(&str, String)> = self
            .budget_bytes
            .map(|bytes| ("MEMORY_SERVER_CACHE_BYTES", bytes.to_string()))
            .into_iter()
            .collect();
        let (mut server, baseline_kib) = Server::start(program, &env);
        let start = Instant::now();
        for n in 0..self.calls {
            let reply = server.round_trip(&call(n + 1, "big", &format!("{{\"n\":{n}}}"), META));
            // A 1 MiB text in a result, not an error.
            assert!(
                reply.len() > BIG_BYTES,
                "big({n}) did not return 1 MiB: {}",
                String::from_utf8_lossy(&reply[..reply.len().min(500)])
            );
        }
        let elapsed = start.elapsed();
        // Leave the cache a moment for its pending evictions.
        thread::sleep(Duration::from_millis(200));
        let (end_kib, peak_kib) = server.sizes();
        let budget = self
            .budget_bytes
            .map_or_else(|| "default".to_owned(), |b| format!("{} MiB", b >> 20));
        Measurement {
            load: format!("cache: {} x 1 MiB results", thousands(self.calls)),
            baseline_kib,
            end_kib,
            peak_kib,
            bound_mib: self.bound_mib,
            detail: format!(
                "budget {budget}; {} calls in {:.1} s",
                thousands(self.calls),
                elapsed.as_secs_f64()
            ),
        }
    }
}

/// One call of `chatty` reporting progress `count` times, while the client reads its output
/// slowly: `chunk` bytes, then a `pause`. A server that queues every notification grows with
/// `count`; one that keeps only the latest pending progress does not.
pub struct Progress {
    /// How many progress notifications the tool sends.
    pub count: u64,
    /// Bytes per read.
    pub chunk: usize,
    /// Pause after each read.
    pub pause: Duration,
    /// When the server already grew past the bound, measure once the peak did not grow for
    /// this long (the tool is done; the rest only drains) instead of waiting for the reply.
    pub stall: Duration,
    /// Measure by then at the latest.
    pub limit: Duration,
    /// The bound, MiB.
    pub bound_mib: f64,
}

impl Progress {
    /// Runs the load against `program` in a fresh process.
    pub fn run(&self, program: &Path) -> Measurement {
        let (mut server, baseline_kib) = Server::start(program, &[]);
        let request = call(
            1,
            "chatty",
            &format!("{{\"count\":{}}}", self.count),
            META_WITH_PROGRESS,
        );
        let stdin = server.stdin.as_mut().expect("stdin is ours");
        stdin
            .write_all(request.as_bytes())
            .expect("the server reads");
        let stdout = server.stdout.take().expect("stdout is ours");
        // Raw reads, so each takes at most `chunk` bytes from the pipe. Nothing is buffered:
        // every warm-up request had its one-line reply read.
        assert!(stdout.buffer().is_empty());
        let mut stdout = stdout.into_inner();
        let notifications = Arc::new(AtomicU64::new(0));
        let (chunk, pause) = (self.chunk, self.pause);
        let reader = thread::spawn({
            let notifications = Arc::clone(&notifications);
            move || {
                let (mut buf, mut line) = (vec![0; chunk], Vec::new());
                loop {
                    let n = match stdout.read(&mut buf) {
                        Ok(0) | Err(_) => return false,
                        Ok(n) => n,
                    };
                    for piece in buf[..n].split_inclusive(|&b| b == b'\n') {
                        line.extend_from_slice(piece);
                        if !line.ends_with(b"\n") {
                            continue;
                        }
                        if !line.windows(22).any(|w| w == b"notifications/progress") {
                            return true; // the reply
                        }
                        notifications.fetch_add(1, Ordering::Relaxed);
                        line.clear();
                    }
                    thread::sleep(pause);
                }
            }
        });

        let start = Instant::now();
        let (mut last_peak, mut peak_since) = (0, Instant::now());
        let outcome = loop {
            thread::sleep(SAMPLE);
            let now = Instant::now();
            let peak = server.status("VmHWM");
            if peak != last_peak {
                (last_peak, peak_since) = (peak, now);
            }
            if reader.is_finished() {
                break "answered";
            }
            // Past the bound and no longer growing: the tool is done and the rest only drains,
            // which at this pace can take minutes. Within the bound, wait for the reply.
            let grown_past_bound = mib(peak.saturating_sub(baseline_kib)) > self.bound_mib;
            if grown_past_bound && now - peak_since >= self.stall {
                break "over the bound and no longer growing, queue draining";
            }
            if now - start >= self.limit {
                break "time limit";
            }
        };
        let (end_kib, peak_kib) = server.sizes();
        drop(server);
        let answered = reader.join().unwrap_or(false);
        Measurement {
            load: format!("progress: {} notifications", thousands(self.count)),
            baseline_kib,
            end_kib,
            peak_kib,
            bound_mib: self.bound_mib,
            detail: format!(
                "{} read by {:.1} s, {outcome}{}; reading {} KiB per {} ms",
                thousands(notifications.load(Ordering::Relaxed)),
                start.elapsed().as_secs_f64(),
                if answered { "" } else { ", no reply" },
                self.chunk >> 10,
                self.pause.as_millis()
            ),
        }
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
