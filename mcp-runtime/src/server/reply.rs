//! Writing a tool call's reply: the common result (text blocks, and structured content if
//! any) by hand, anything else by serde.

use serde::Serialize;
use serde_json::Value;

use super::ServerInner;
use crate::protocol::content::{CallToolResult, Content, TextContent};
use crate::protocol::jsonrpc::{write_result, write_result_with, RequestId};
use crate::protocol::messages::meta_keys;
use crate::protocol::version::Era;

/// Writes `result` as the reply to request `id`, in the shape `era` expects.
pub(crate) fn write_call_result(
    out: &mut Vec<u8>,
    id: &RequestId,
    era: Era,
    mut result: CallToolResult,
    server: &ServerInner,
) {
    let extra: &[u8] = if era.is_modern() {
        &server.modern_result_fields
    } else {
        b""
    };
    if write_text_result(out, id, &result, extra) {
        return;
    }
    match (era, &mut result.meta) {
        (Era::Legacy(_), _) => write_result(out, id, &result),
        (Era::Modern, None) => write_modern_result(out, id, &result, server),
        (Era::Modern, Some(meta)) => {
            let info = serde_json::to_value(&server.info).unwrap_or_default();
            meta.insert(meta_keys::SERVER_INFO.to_owned(), info);
            write_result_with(out, id, &result, br#""resultType":"complete""#);
        }
    }
}

/// Writes the most common result, text blocks and maybe `structuredContent` (`#[tool]`'s
/// results), without serde's generic machinery around them. `false` (nothing written) for any
/// other result.
fn write_text_result(
    out: &mut Vec<u8>,
    id: &RequestId,
    result: &CallToolResult,
    extra: &[u8],
) -> bool {
    let plain_text = |block: &Content| {
        matches!(
            block,
            Content::Text(TextContent {
                annotations: None,
                meta: None,
                ..
            })
        )
    };
    if result.meta.is_some() || !result.content.iter().all(plain_text) {
        return false;
    }
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    id.write_json(out);
    out.extend_from_slice(br#","result":{"content":["#);
    for (index, block) in result.content.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"type":"text","text":"#);
        let text = block.as_text().unwrap_or_default();
        serde_json::to_writer(&mut *out, text).expect("a string always serializes");
        out.push(b'}');
    }
    out.push(b']');
    match &result.structured_content {
        // `#[tool]`'s `{"result": value}`, without serde's map machinery around the value.
        Some(Value::Object(object)) if object.len() == 1 && object.contains_key("result") => {
            out.extend_from_slice(br#","structuredContent":{"result":"#);
            serde_json::to_writer(&mut *out, &object["result"])
                .expect("a JSON value always serializes");
            out.push(b'}');
        }
        Some(structured) => {
            out.extend_from_slice(br#","structuredContent":"#);
            serde_json::to_writer(&mut *out, structured).expect("a JSON value always serializes");
        }
        None => {}
    }
    match result.is_error {
        Some(true) => out.extend_from_slice(br#","isError":true"#),
        Some(false) => out.extend_from_slice(br#","isError":false"#),
        None => {}
    }
    if !extra.is_empty() {
        out.push(b',');
        out.extend_from_slice(extra);
    }
    out.extend_from_slice(b"}}\n");
    true
}

/// Writes a modern result: the fields of `result` plus `resultType` and the server's `_meta`.
pub(crate) fn write_modern_result<R: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    id: &RequestId,
    result: &R,
    server: &ServerInner,
) {
    write_result_with(out, id, result, &server.modern_result_fields);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_writer_matches_serde() {
        let results = [
            CallToolResult::text("3"),
            CallToolResult::error("quote \" backslash \\ newline \n unicode é ✓"),
            CallToolResult {
                is_error: Some(false),
                ..CallToolResult::new(vec![Content::text("a"), Content::text("")])
            },
            CallToolResult::new(Vec::new()),
            CallToolResult::structured(serde_json::json!({"a": [1, "é\"", null]})),
            CallToolResult {
                structured_content: Some(serde_json::json!({"result": 3})),
                ..CallToolResult::text("3")
            },
            CallToolResult {
                structured_content: Some(serde_json::json!({"result": ["a\n", {"b": null}]})),
                ..CallToolResult::text("[]")
            },
            CallToolResult {
                structured_content: Some(serde_json::json!({"result": 1, "other": 2})),
                ..CallToolResult::text("{}")
            },
        ];
        for extra in [&b""[..], br#""resultType":"complete","_meta":{"k":1}"#] {
            for (n, result) in results.iter().enumerate() {
                let id = RequestId::Number(n as i64);
                let (mut fast, mut slow) = (Vec::new(), Vec::new());
                assert!(write_text_result(&mut fast, &id, result, extra));
                write_result_with(&mut slow, &id, result, extra);
                let parse = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).unwrap();
                assert_eq!(
                    parse(&fast),
                    parse(&slow),
                    "{}",
                    String::from_utf8_lossy(&fast)
                );
                assert!(fast.ends_with(b"}\n"));
            }
        }
    }

    #[test]
    fn other_results_take_the_serde_path() {
        let id = RequestId::Number(1);
        for result in [
            CallToolResult {
                structured_content: Some(serde_json::json!({"a": 1})),
                ..CallToolResult::new(vec![Content::image("AA==", "image/png")])
            },
            CallToolResult::new(vec![Content::image("AA==", "image/png")]),
            CallToolResult {
                meta: Some(serde_json::Map::new()),
                ..CallToolResult::text("x")
            },
        ] {
            let mut out = Vec::new();
            assert!(!write_text_result(&mut out, &id, &result, b""));
            assert!(out.is_empty());
        }
    }
}
