//! Checks for fuzzing the wire path: line framing, JSON-RPC decoding, the one-pass `tools/call`
//! reader, dispatch and the cache key. **Not API**: it exists for the fuzz targets in `fuzz/`
//! and the fuzz smoke test, behind the `fuzzing` feature, and may change at any time.
//!
//! Each check panics on a bug, which is what a fuzzer reports. The checks are differential
//! where there is a second opinion to ask: the one-pass reader against the general parser,
//! chunked framing against framing all at once and against a plain `split`. One file per
//! group: `framing`, `reader` (the differential check), `cache_key`, `serve` (a real server).

use serde_json::value::RawValue;

mod cache_key;
mod framing;
mod reader;
mod serve;
#[cfg(test)]
mod smoke;

pub use cache_key::check_canonical_key;
pub use framing::check_framing;
pub use reader::check_line;
pub use serve::serve_bytes;

/// Runs every check on one fuzz input: a stream of newline-delimited messages.
pub fn check(input: &[u8]) {
    check_framing(input);
    for line in framing::reference_lines(input, usize::MAX) {
        check_message(line);
    }
    serve_bytes(input);
}

/// Checks one message (a line without its newline): the one-pass reader against the general
/// parser, for the line and for each message of a batch array, and the cache key of any JSON
/// in it.
pub fn check_message(line: &[u8]) {
    check_line(line);
    let Ok(text) = std::str::from_utf8(line) else {
        return;
    };
    check_canonical_key(text);
    if let Ok(messages) = serde_json::from_str::<Vec<&RawValue>>(text) {
        for message in messages {
            check_line(message.get().as_bytes());
        }
    }
}

/// A small deterministic generator (xorshift), seeded from the input so a run replays.
pub struct Rng(u64);

impl Rng {
    /// Seeded from `bytes`.
    pub fn new(bytes: &[u8]) -> Self {
        let seed = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Rng(seed | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (which must not be 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}
