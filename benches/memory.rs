//! Issue 9's "Bounded memory" at full scale, against the release build of
//! `examples/memory_server`, each load in a fresh process:
//!
//! - flood: 300,000 calls of a tool that sleeps 30 s, replies never read;
//! - cache: 2,000 distinct cached 1 MiB results (the default byte budget);
//! - progress: one call sending 2,000,000 progress notifications to a client reading 16 KiB
//!   per millisecond.
//!
//! Prints each load's growth of the server's resident set (peak over baseline) against its
//! bound: flood and progress 64 MiB, cache its 256 MiB budget + 64 MiB.
//!
//! `cargo bench --bench memory` (builds the example in release mode first);
//! `cargo bench --bench memory -- flood progress` runs only those loads;
//! `MEMORY_ASSERT=1 cargo bench --bench memory` exits with failure when a bound is exceeded.
//! Linux only.

#[cfg(target_os = "linux")]
#[path = "../tests/support/memory.rs"]
mod memory;

#[cfg(target_os = "linux")]
fn main() {
    use std::path::PathBuf;
    use std::process::Command;
    use std::time::Duration;

    use memory::{Cache, Flood, Progress};

    /// The runtime's default cache budget per server.
    const DEFAULT_CACHE_MIB: f64 = 256.0;

    // `cargo test --all-targets` runs benches once without `--bench`: nothing to measure then.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|arg| arg == "--bench") {
        return;
    }
    let selected: Vec<&str> = args
        .iter()
        .filter(|arg| !arg.starts_with("--"))
        .map(String::as_str)
        .collect();
    let runs = |load: &str| selected.is_empty() || selected.contains(&load);

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--example", "memory_server"])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building memory_server failed");
    let program = std::env::var("CARGO_TARGET_DIR")
        .map_or_else(
            |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
            PathBuf::from,
        )
        .join("release")
        .join("examples")
        .join("memory_server");

    let mut rows = Vec::new();
    if runs("flood") {
        rows.push(
            Flood {
                calls: 300_000,
                stall: Duration::from_secs(1),
                limit: Duration::from_secs(25),
                bound_mib: 64.0,
            }
            .run(&program),
        );
    }
    if runs("cache") {
        rows.push(
            Cache {
                calls: 2_000,
                budget_bytes: None,
                bound_mib: DEFAULT_CACHE_MIB + 64.0,
            }
            .run(&program),
        );
    }
    if runs("progress") {
        rows.push(
            Progress {
                count: 2_000_000,
                chunk: 16 << 10,
                pause: Duration::from_millis(1),
                stall: Duration::from_secs(3),
                limit: Duration::from_secs(120),
                bound_mib: 64.0,
            }
            .run(&program),
        );
    }
    println!("\nmemory_server (release) resident size under each load, in a fresh process:");
    memory::print_table(&rows.iter().collect::<Vec<_>>());

    if std::env::var_os("MEMORY_ASSERT").is_some_and(|v| !v.is_empty() && v != "0") {
        let failures: Vec<String> = rows.iter().filter_map(|row| row.check().err()).collect();
        if !failures.is_empty() {
            eprintln!("\nunbounded memory:\n  {}", failures.join("\n  "));
            std::process::exit(1);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the memory bench reads /proc: Linux only");
}
