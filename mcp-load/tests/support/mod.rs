//! Running `mcp-load` as a user would, against real server processes.

#![allow(dead_code)] // Each test file uses some of these.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The workspace's target directory.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    )
}

/// Examples already built by this test process.
static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The debug build of `package`'s example `name`, built first (once per test process; a no-op
/// when `cargo build --examples` already built it).
pub fn example(package: &str, name: &str) -> PathBuf {
    let mut built = BUILT.lock().unwrap_or_else(|poison| poison.into_inner());
    if !built.iter().any(|b| b == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", package, "--example", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the example {name} failed");
        built.push(name.to_owned());
    }
    target_dir().join("debug").join("examples").join(name)
}

/// `examples/bench_server` of the root crate.
pub fn bench_server() -> PathBuf {
    example("mcp-toolkit", "bench_server")
}

/// `examples/misbehaving_server` of this crate.
pub fn misbehaving_server() -> PathBuf {
    example("mcp-load", "misbehaving_server")
}

/// What one run of `mcp-load` printed and how it exited.
pub struct Ran {
    /// The `--json` report (Null when there was none).
    pub report: Value,
    pub code: i32,
    pub stderr: String,
}

impl Ran {
    /// `errors[kind]`.
    pub fn errors(&self, kind: &str) -> u64 {
        self.report["errors"][kind]
            .as_u64()
            .unwrap_or_else(|| panic!("no errors.{kind} in {}", self.report))
    }

    pub fn u64(&self, key: &str) -> u64 {
        self.report[key]
            .as_u64()
            .unwrap_or_else(|| panic!("no {key} in {}", self.report))
    }

    pub fn f64(&self, pointer: &str) -> f64 {
        self.report
            .pointer(pointer)
            .and_then(Value::as_f64)
            .unwrap_or_else(|| panic!("no {pointer} in {}", self.report))
    }
}

/// Runs `mcp-load ARGS` (with `--json`, added before any `--`), and reads its report.
pub fn mcp_load(args: &[&str]) -> Ran {
    let mut argv: Vec<&str> = Vec::new();
    let split = args.iter().position(|&a| a == "--").unwrap_or(args.len());
    argv.extend_from_slice(&args[..split]);
    argv.push("--json");
    argv.extend_from_slice(&args[split..]);
    let output = Command::new(env!("CARGO_BIN_EXE_mcp-load"))
        .args(&argv)
        .env("RUST_LOG", "off")
        .output()
        .expect("mcp-load runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report = if stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&stdout)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {stdout}; stderr: {stderr}"))
    };
    Ran {
        report,
        code: output.status.code().unwrap_or(-1),
        stderr,
    }
}

/// A server listening on a loopback port, killed when dropped.
pub struct HttpServer {
    child: Child,
    pub addr: SocketAddr,
}

impl HttpServer {
    /// Starts `program --http ADDR` on a free port and waits until it accepts.
    pub fn start(program: &PathBuf) -> HttpServer {
        HttpServer::start_with(program, &["--http"], &[])
    }

    /// Starts `program ARGS ADDR` (a free port) with `env` and waits until it accepts.
    pub fn start_with(program: &PathBuf, args: &[&str], env: &[(&str, &str)]) -> HttpServer {
        // A free port: bound, then released for the server to bind.
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port");
        let mut child = Command::new(program)
            .args(args)
            .arg(addr.to_string())
            .envs(env.iter().copied())
            .env("RUST_LOG", "off")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let start = Instant::now();
        while TcpStream::connect(addr).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{} exited before accepting: {status}", program.display());
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{} does not accept on {addr}",
                program.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        HttpServer { child, addr }
    }

    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
