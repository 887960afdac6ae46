//! The limit a stdio server is measured against: a program that answers every line as
//! `bench_server` answers an `add` call of the stdio bench (`{"a":id,"b":1}`), byte for byte,
//! and does nothing else but copy the request's id into the reply (and count one up from it
//! for the sum, sent as text and as structured content), reading and writing in large
//! batches. Its replies are exactly as long as the server's, so the pipe carries the same
//! bytes for both.

use std::io::{Read, Write};

const BEFORE_ID: &[u8] = b"{\"jsonrpc\":\"2.0\",\"id\":";
const BEFORE_SUM: &[u8] = b",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"";
/// The sum is sent twice: as text and as structured content (`add` returns an `i64`).
const BETWEEN_SUMS: &[u8] = b"\"}],\"structuredContent\":{\"result\":";
/// The rest of a modern-era reply, with the server's identity as `bench_server` sends it.
const AFTER_SUM: &str = concat!(
    "},\"resultType\":\"complete\",\"_meta\":{\"io.modelcontextprotocol/serverInfo\":",
    "{\"name\":\"bench_server\",\"version\":\"",
    env!("CARGO_PKG_VERSION"),
    "\"}}}}\n"
);

fn main() -> std::io::Result<()> {
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    let id_key = memchr::memmem::Finder::new(b"\"id\":");
    // `filled` bytes read; a partial line waits at the start for the rest of it.
    let (mut buf, mut filled) = (vec![0_u8; 1 << 16], 0);
    let mut replies = Vec::new();
    loop {
        if filled == buf.len() {
            buf.resize(2 * buf.len(), 0);
        }
        let n = input.read(&mut buf[filled..])?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
        replies.clear();
        let mut start = 0;
        while let Some(len) = memchr::memchr(b'\n', &buf[start..filled]) {
            let line = &buf[start..start + len];
            // The first `"id":` is the request's (drivers put it before the params); its value
            // runs to the next `,` or `}`.
            let id = id_key.find(line).map_or(&b"null"[..], |at| {
                let value = &line[at + 5..];
                &value[..memchr::memchr2(b',', b'}', value).unwrap_or(value.len())]
            });
            replies.extend_from_slice(BEFORE_ID);
            replies.extend_from_slice(id);
            replies.extend_from_slice(BEFORE_SUM);
            let sum_start = replies.len();
            push_successor(&mut replies, id);
            let sum = sum_start..replies.len();
            replies.extend_from_slice(BETWEEN_SUMS);
            replies.extend_from_within(sum);
            replies.extend_from_slice(AFTER_SUM.as_bytes());
            start += len + 1;
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
        output.write_all(&replies)?;
        output.flush()?;
    }
}

/// Appends `digits + 1` in decimal (what `add` answers for the bench's `{"a":id,"b":1}`), or `0`
/// when the id is not a plain decimal number.
fn push_successor(out: &mut Vec<u8>, digits: &[u8]) {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        out.push(b'0');
        return;
    }
    let start = out.len();
    out.extend_from_slice(digits);
    for at in (start..out.len()).rev() {
        if out[at] == b'9' {
            out[at] = b'0';
        } else {
            out[at] += 1;
            return;
        }
    }
    // All nines: one digit more.
    out.insert(start, b'1');
}
