//! One connection's worth of newline-delimited input through framing, the one-pass and general
//! readers (which must agree), the cache key and a real server; see `mcp_runtime::fuzzing`.

#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| mcp_runtime::fuzzing::check(input));
