//! Newline-delimited framing with a size limit.
//!
//! Bytes are read straight into one buffer and complete lines are handed out as slices of it,
//! so a burst of requests costs one read and no copies. A line over the limit is discarded as it
//! streams in (never buffered whole); the request's id is recovered when it can be, so the
//! client still gets an error for the right request.

use crate::protocol::jsonrpc::RequestId;

const READ_CHUNK: usize = 64 * 1024;
/// How much of an oversized line is kept to look for its id.
const KEEP: usize = 512;

pub(crate) struct LineBuffer {
    /// Always fully initialized; `start..end` holds unframed data.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Everything in `start..scanned` is known to hold no newline.
    scanned: usize,
    max_line: usize,
    oversized: Option<Oversized>,
    /// Input ended: a last line without a newline is still a line.
    ended: bool,
}

struct Oversized {
    head: Vec<u8>,
    tail: Vec<u8>,
}

pub(crate) enum Frame<'a> {
    Line(&'a [u8]),
    /// A line longer than the limit ended; its id if it could be found.
    Oversized(Option<RequestId>),
}

impl LineBuffer {
    pub(crate) fn new(max_line: usize) -> Self {
        LineBuffer {
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            scanned: 0,
            max_line,
            oversized: None,
            ended: false,
        }
    }

    /// Free space to read into; report what was read with [`LineBuffer::filled`].
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.start == self.end {
            (self.start, self.end, self.scanned) = (0, 0, 0);
        } else if self.buf.len() - self.end < READ_CHUNK / 4 {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                (self.end, self.scanned) = (self.end - self.start, self.scanned - self.start);
                self.start = 0;
            }
            if self.buf.len() - self.end < READ_CHUNK / 4 {
                self.buf.resize(self.buf.len() + READ_CHUNK, 0);
            }
        }
        &mut self.buf[self.end..]
    }

    /// Marks `n` bytes at the start of [`LineBuffer::spare`] as read.
    pub(crate) fn filled(&mut self, n: usize) {
        self.end += n;
    }

    /// The next complete frame, if any.
    pub(crate) fn next_frame(&mut self) -> Option<Frame<'_>> {
        loop {
            let newline =
                memchr::memchr(b'\n', &self.buf[self.scanned..self.end]).map(|i| self.scanned + i);
            if let Some(mut oversized) = self.oversized.take() {
                match newline {
                    Some(end) => {
                        keep_tail(&mut oversized.tail, &self.buf[self.start..end]);
                        self.start = end + 1;
                        self.scanned = self.start;
                        return Some(Frame::Oversized(find_id(&oversized.head, &oversized.tail)));
                    }
                    None => {
                        keep_tail(&mut oversized.tail, &self.buf[self.start..self.end]);
                        self.start = self.end;
                        self.scanned = self.start;
                        self.oversized = Some(oversized);
                        return None;
                    }
                }
            }
            match newline {
                Some(end) => {
                    let line_start = self.start;
                    self.start = end + 1;
                    self.scanned = self.start;
                    if end - line_start > self.max_line {
                        let line = &self.buf[line_start..end];
                        return Some(Frame::Oversized(find_id(
                            &line[..KEEP.min(line.len())],
                            tail_of(line),
                        )));
                    }
                    let line = trim(&self.buf[line_start..end]);
                    if line.is_empty() {
                        continue;
                    }
                    return Some(Frame::Line(line));
                }
                None if self.ended => {
                    let line = trim(&self.buf[self.start..self.end]);
                    self.start = self.end;
                    self.scanned = self.end;
                    return (!line.is_empty()).then_some(Frame::Line(line));
                }
                None => {
                    self.scanned = self.end;
                    if self.end - self.start > self.max_line {
                        let partial = &self.buf[self.start..self.end];
                        let mut tail = Vec::new();
                        keep_tail(&mut tail, partial);
                        self.oversized = Some(Oversized {
                            head: partial[..KEEP.min(partial.len())].to_vec(),
                            tail,
                        });
                        self.start = self.end;
                        self.scanned = self.start;
                    }
                    return None;
                }
            }
        }
    }

    /// Marks the end of input: a last line without a newline is framed too.
    pub(crate) fn end_of_input(&mut self) {
        self.ended = true;
    }
}

fn trim(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let start = line[..end]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(end);
    &line[start..end]
}

fn tail_of(line: &[u8]) -> &[u8] {
    &line[line.len().saturating_sub(KEEP)..]
}

fn keep_tail(tail: &mut Vec<u8>, more: &[u8]) {
    tail.extend_from_slice(tail_of(more));
    let excess = tail.len().saturating_sub(KEEP);
    tail.drain(..excess);
}

/// Best effort: the top-level `"id"` among the first keys of `head`, or as the last key in `tail`.
fn find_id(head: &[u8], tail: &[u8]) -> Option<RequestId> {
    id_in_head(head).or_else(|| id_in_tail(tail))
}

fn id_in_head(head: &[u8]) -> Option<RequestId> {
    let (mut depth, mut in_string, mut escaped, mut key_start) = (0usize, false, false, None);
    for (i, &b) in head.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    in_string = false;
                    if depth == 1 && key_start.is_some_and(|s| &head[s..i] == b"id") {
                        let rest = trim_start(&head[i + 1..]);
                        if let Some(rest) = rest.strip_prefix(b":") {
                            let value = trim_start(rest);
                            let (id, len) = parse_id_prefix(value)?;
                            // The whole value, not the `12` of `12.5` (or of a cut-off `123`).
                            let after = trim_start(&value[len..]);
                            return matches!(after.first(), Some(b',' | b'}')).then_some(id);
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                key_start = Some(i + 1);
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn id_in_tail(tail: &[u8]) -> Option<RequestId> {
    let text = std::str::from_utf8(tail).ok()?;
    let at = text.rfind("\"id\"")?;
    let rest = text[at + 4..].trim_start().strip_prefix(':')?.trim_start();
    let (id, len) = parse_id_prefix(rest.as_bytes())?;
    (rest[len..].trim() == "}").then_some(id)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// An integer or an escape-free string at the start of `bytes`, and the length of its text.
fn parse_id_prefix(bytes: &[u8]) -> Option<(RequestId, usize)> {
    if let Some(rest) = bytes.strip_prefix(b"\"") {
        let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
        (rest[end] == b'"').then(|| {
            let id = RequestId::String(String::from_utf8_lossy(&rest[..end]).into());
            (id, end + 2)
        })
    } else {
        let end = bytes
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b'-'))
            .unwrap_or(bytes.len());
        let n = std::str::from_utf8(&bytes[..end]).ok()?.parse().ok()?;
        Some((RequestId::Number(n), end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(lines: &mut LineBuffer, bytes: &[u8]) -> Vec<String> {
        let mut frames = Vec::new();
        for chunk in bytes.chunks(7) {
            lines.spare()[..chunk.len()].copy_from_slice(chunk);
            lines.filled(chunk.len());
            while let Some(frame) = lines.next_frame() {
                frames.push(match frame {
                    Frame::Line(line) => String::from_utf8(line.to_vec()).unwrap(),
                    Frame::Oversized(id) => format!("oversized {id:?}"),
                });
            }
        }
        frames
    }

    #[test]
    fn splits_lines_across_reads_and_skips_blank_ones() {
        let mut lines = LineBuffer::new(1024);
        let frames = feed(&mut lines, b"{\"a\":1}\n\n  \r\n{\"b\":2}\r\n{\"c\"");
        assert_eq!(frames, ["{\"a\":1}", "{\"b\":2}"]);
        lines.end_of_input();
        assert!(matches!(lines.next_frame(), Some(Frame::Line(b"{\"c\""))));
        assert!(lines.next_frame().is_none());
    }

    #[test]
    fn oversized_lines_are_dropped_and_their_ids_recovered() {
        let mut lines = LineBuffer::new(64);
        let big = "x".repeat(200);
        let input = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":5,\"params\":\"{big}\"}}\n\
             {{\"method\":\"m\",\"params\":{{\"id\":1,\"v\":\"{big}\"}},\"jsonrpc\":\"2.0\",\"id\":\"s\"}}\n\
             {{\"params\":\"{big}\"}}\n{{\"ok\":1}}\n\
             {{\"id\":12.5,\"params\":\"{big}\"}}\n{{\"params\":\"{big}\",\"id\":1e3}}\n"
        );
        let frames = feed(&mut lines, input.as_bytes());
        assert_eq!(
            frames,
            [
                "oversized Some(Number(5))",
                "oversized Some(String(\"s\"))",
                "oversized None",
                "{\"ok\":1}",
                "oversized None",
                "oversized None"
            ]
        );
    }
}
