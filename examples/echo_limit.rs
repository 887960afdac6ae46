//! The limit a stdio server is measured against: a program that answers every line with one
//! canned `tools/call` result and does nothing else but copy the request's id into it, reading
//! and writing in large batches.

use std::io::{Read, Write};

const BEFORE_ID: &[u8] = b"{\"jsonrpc\":\"2.0\",\"id\":";
const AFTER_ID: &[u8] = b",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"3\"}]}}\n";

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
            replies.extend_from_slice(AFTER_ID);
            start += len + 1;
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
        output.write_all(&replies)?;
        output.flush()?;
    }
}
