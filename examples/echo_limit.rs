//! The limit a stdio server is measured against: a program that answers every line with one
//! canned `tools/call` result and does nothing else, reading and writing in large batches.

use std::io::{BufRead, Write};

const REPLY: &[u8] = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"3\"}]}}\n";

fn main() -> std::io::Result<()> {
    let mut input = std::io::BufReader::with_capacity(1 << 16, std::io::stdin().lock());
    let mut output = std::io::stdout().lock();
    let mut replies = Vec::new();
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(());
        }
        let lines = chunk.iter().filter(|&&b| b == b'\n').count();
        let consumed = chunk.len();
        input.consume(consumed);
        replies.clear();
        for _ in 0..lines {
            replies.extend_from_slice(REPLY);
        }
        output.write_all(&replies)?;
        output.flush()?;
    }
}
