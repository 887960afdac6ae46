//! End to end over stdio pipes: `examples/bench_server` against `examples/echo_limit` (a
//! program that only answers each line with a canned reply: the limit of the pipe), with 1 and
//! 64 calls in flight. After criterion's figures it prints, from one run, each server's calls/s
//! as a share of the limit's and the server's CPU time per call.
//!
//! `cargo bench --bench stdio` (builds both examples in release mode first)

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};

const REQUEST: &[u8] = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"add\",\"arguments\":{\"a\":1,\"b\":2},\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}}}}\n";

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
    buf: Vec<u8>,
    batch: Vec<u8>,
}

impl Pipe {
    fn spawn(program: &PathBuf) -> Self {
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
            buf: vec![0; 1 << 20],
            batch: Vec::new(),
        }
    }

    fn send(&mut self, requests: usize) {
        self.batch.clear();
        for _ in 0..requests {
            self.batch.extend_from_slice(REQUEST);
        }
        self.stdin.write_all(&self.batch).unwrap();
    }

    /// Completes `calls` calls with `in_flight` outstanding at a time.
    fn run(&mut self, calls: u64, in_flight: usize) -> Duration {
        let start = Instant::now();
        let first = in_flight.min(calls as usize);
        self.send(first);
        let (mut sent, mut done) = (first as u64, 0_u64);
        while done < calls {
            let n = self.stdout.read(&mut self.buf).unwrap();
            assert!(n > 0, "the server closed its output");
            let replies = self.buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            done += replies;
            let more = replies.min(calls - sent);
            self.send(more as usize);
            sent += more;
        }
        start.elapsed()
    }

    /// The process's CPU time so far (Linux).
    fn cpu_time(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some(Duration::from_secs_f64(ticks / 100.0))
    }
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
    let programs = [
        ("echo_limit", dir.join("echo_limit")),
        ("bench_server", dir.join("bench_server")),
    ];
    let mut criterion = Criterion::default().configure_from_args();
    for in_flight in [1_usize, 64] {
        let mut group = criterion.benchmark_group(format!("stdio_{in_flight}_in_flight"));
        group.throughput(Throughput::Elements(1));
        for (name, program) in &programs {
            let mut pipe = Pipe::spawn(program);
            group.bench_function(*name, |b| b.iter_custom(|calls| pipe.run(calls, in_flight)));
        }
        group.finish();
    }
    criterion.final_summary();

    // Ratios from one run: alternate the two programs and take each one's best second.
    println!("\nstdio calls/s as a share of the limit (same run, best of 3 one-second rounds):");
    for in_flight in [1_usize, 64] {
        let mut best = [0.0_f64; 2];
        let mut cpu_per_call = Duration::MAX;
        let mut pipes: Vec<Pipe> = programs.iter().map(|(_, p)| Pipe::spawn(p)).collect();
        for pipe in &mut pipes {
            pipe.run(10_000, in_flight);
        }
        for _round in 0..3 {
            for (i, pipe) in pipes.iter_mut().enumerate() {
                let cpu_before = pipe.cpu_time();
                let (mut calls, start) = (0_u64, Instant::now());
                while start.elapsed() < Duration::from_secs(1) {
                    pipe.run(2_000, in_flight);
                    calls += 2_000;
                }
                let rate = calls as f64 / start.elapsed().as_secs_f64();
                best[i] = best[i].max(rate);
                if i == 1 {
                    if let (Some(before), Some(after)) = (cpu_before, pipe.cpu_time()) {
                        cpu_per_call = cpu_per_call.min((after - before) / calls as u32);
                    }
                }
            }
        }
        println!(
            "  {in_flight:>2} in flight: limit {:>9.0} calls/s, bench_server {:>9.0} calls/s = {:>5.1}% of the limit, {:.2} µs server CPU per call",
            best[0],
            best[1],
            100.0 * best[1] / best[0],
            cpu_per_call.as_secs_f64() * 1e6
        );
    }
}
