//! Line framing: in reads of any size, as at once, as a plain split.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::Rng;
use crate::protocol::jsonrpc::RequestId;
use crate::server::lines::{Frame, LineBuffer};

/// The line limit of `check_framing`: at least `lines::KEEP`, so an oversized line's id is
/// looked for in the same bytes however the line arrived.
const FRAMING_MAX_LINE: usize = 600;

/// A frame, owned, to compare framings.
#[derive(Debug, PartialEq)]
enum Framed {
    Line(Vec<u8>),
    Oversized(Option<RequestId>),
}

/// Frames `input` with `LineBuffer` as the connection does (every read framed before the
/// next), in one read and in reads of varying sizes, and checks both against a plain split on
/// newlines; an oversized line's recovered id must be the line's id when the line has one.
pub fn check_framing(input: &[u8]) {
    let whole = frame(input, &mut std::iter::repeat(usize::MAX));
    let mut rng = Rng::new(input);
    let chunked = frame(input, &mut std::iter::from_fn(|| Some(rng.below(97) + 1)));
    assert_eq!(whole, chunked, "framing depends on how the input was read");
    let expected = reference_lines(input, FRAMING_MAX_LINE);
    let mut lines = whole.iter().filter_map(|f| match f {
        Framed::Line(line) => Some(line.as_slice()),
        Framed::Oversized(_) => None,
    });
    assert!(
        expected.iter().copied().eq(&mut lines),
        "framing differs from a plain split"
    );
    let mut segments: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    // The last segment has no newline: when over the limit it is dropped without a frame.
    segments.pop();
    let oversized = segments.iter().filter(|line| line.len() > FRAMING_MAX_LINE);
    let recovered: Vec<&Option<RequestId>> = whole
        .iter()
        .filter_map(|f| match f {
            Framed::Oversized(id) => Some(id),
            Framed::Line(_) => None,
        })
        .collect();
    assert_eq!(
        recovered.len(),
        oversized.clone().count(),
        "oversized lines are miscounted"
    );
    for (line, recovered) in oversized.zip(recovered) {
        if let (Some(recovered), Some(id)) = (recovered, top_level_id(line)) {
            assert_eq!(
                Some(recovered),
                id.as_ref(),
                "an oversized line's id was misread"
            );
        }
    }
}

/// `Some` when `line` is a JSON object (without repeated ids): then its id, if readable.
fn top_level_id(line: &[u8]) -> Option<Option<RequestId>> {
    #[derive(Deserialize)]
    struct IdOnly<'a> {
        #[serde(borrow)]
        id: Option<&'a RawValue>,
    }
    let text = std::str::from_utf8(line).ok()?;
    let read = serde_json::from_str::<IdOnly<'_>>(text).ok()?;
    Some(read.id.and_then(RequestId::from_raw))
}

fn frame(input: &[u8], read_sizes: &mut dyn Iterator<Item = usize>) -> Vec<Framed> {
    let mut lines = LineBuffer::new(FRAMING_MAX_LINE);
    let mut frames = Vec::new();
    let mut drain = |lines: &mut LineBuffer| {
        while let Some(frame) = lines.next_frame() {
            frames.push(match frame {
                Frame::Line(line) => Framed::Line(line.to_vec()),
                Frame::Oversized(id) => Framed::Oversized(id),
            });
        }
    };
    let mut rest = input;
    while !rest.is_empty() {
        let spare = lines.spare();
        let n = read_sizes
            .next()
            .unwrap_or(usize::MAX)
            .min(spare.len())
            .min(rest.len());
        spare[..n].copy_from_slice(&rest[..n]);
        lines.filled(n);
        rest = &rest[n..];
        drain(&mut lines);
    }
    lines.end_of_input();
    drain(&mut lines);
    frames
}

/// The lines of `input` no longer than `max_line`, trimmed, blank ones left out.
pub(super) fn reference_lines(input: &[u8], max_line: usize) -> Vec<&[u8]> {
    input
        .split(|&b| b == b'\n')
        .filter(|line| line.len() <= max_line)
        .map(<[u8]>::trim_ascii)
        .filter(|line| !line.is_empty())
        .collect()
}
