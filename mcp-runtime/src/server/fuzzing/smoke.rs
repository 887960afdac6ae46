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
