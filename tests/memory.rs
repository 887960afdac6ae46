//! Issue 9's "Bounded memory" at CI scale: the loads of `benches/memory.rs`, smaller, against
//! the debug build of `examples/memory_server` (which `cargo test` builds), each in a fresh
//! process. Each test fails when the server's resident set grows past a bound that a server
//! bounded by design stays far below and an unbounded one (growing with the load) exceeds
//! several times over. Linux only: sizes come from `/proc`.
#![cfg(target_os = "linux")]

#[path = "support/memory.rs"]
mod memory;

use std::path::PathBuf;
use std::time::Duration;

use memory::{Cache, Flood, Measurement, Progress};

/// `target/<profile>/examples/memory_server`.
fn memory_server() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir.join("examples").join("memory_server")
}

/// Prints the measurement and fails with the reason when it exceeds its bound.
fn assert_bounded(measurement: &Measurement, what_bounds_it: &str) {
    memory::print_table(&[measurement]);
    if let Err(reason) = measurement.check() {
        panic!("UNBOUNDED MEMORY (issue 9): {reason}.\nExpected bound: {what_bounds_it}.");
    }
}

/// 100,000 calls of a 30 s tool, replies unread. Accepting every call would cost about 1 KiB
/// each (about 100 MiB); with its cap on calls in flight the server stops reading stdin.
#[test]
fn call_flood_is_held_back() {
    let measurement = Flood {
        calls: 100_000,
        stall: Duration::from_secs(1),
        limit: Duration::from_secs(25),
        bound_mib: 32.0,
    }
    .run(&memory_server());
    assert_bounded(
        &measurement,
        "a per-connection cap on calls in flight; beyond it the server stops reading stdin",
    );
}

/// 200,000 progress notifications from one call to a client reading 4 KiB per 4 ms. Queuing
/// every one would cost about 50 MiB; coalesced, a call keeps at most 16 pending.
#[test]
fn progress_to_a_slow_reader_is_coalesced() {
    let measurement = Progress {
        count: 200_000,
        chunk: 4 << 10,
        pause: Duration::from_millis(4),
        stall: Duration::from_secs(2),
        limit: Duration::from_secs(60),
        bound_mib: 16.0,
    }
    .run(&memory_server());
    assert_bounded(
        &measurement,
        "only the latest pending progress notification per call is kept",
    );
}

/// 64 distinct 1 MiB cached results with a 4 MiB budget: unbounded, all 64 MiB would stay
/// (a cache that counts entries holds 10,000 by default). (The debug build serializes about
/// 15 MiB/s of JSON text, which is what keeps this load small.)
#[test]
fn cache_stays_within_its_byte_budget() {
    let measurement = Cache {
        calls: 64,
        budget_bytes: Some(4 << 20),
        bound_mib: 4.0 + 16.0,
    }
    .run(&memory_server());
    assert_bounded(
        &measurement,
        "a cache byte budget: MEMORY_SERVER_CACHE_BYTES=4 MiB, plus 16 MiB of slack",
    );
}
