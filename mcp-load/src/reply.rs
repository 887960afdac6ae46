//! What a reply to a `tools/call` says: whose it is, and whether the call worked.
//!
//! A reply is the server's answer to one request id: `result` with a `content` array (and
//! `isError: true` when the tool failed), or `error` with a numeric `code`. Anything else the
//! server writes with a `method` is a message of its own (a notification, or a request to the
//! client), not a reply.

use std::fmt;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// The id a reply names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyId {
    /// A number that fits `u64` (the load's own ids are such numbers).
    Number(u64),
    /// `null`: the server could not read the request's id (a parse error, say).
    Null,
    /// A string, or another number: no call of the load.
    Other,
}

/// How one call ended, as a reply says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A result with content, not an error.
    Ok,
    /// A JSON-RPC error, with its code.
    RpcError(i64),
    /// A result with `isError: true`: the tool failed.
    ToolError,
    /// Not a well-formed reply to a call, and why.
    Malformed(String),
}

/// A line or body read from the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A reply to request `id`.
    Reply {
        /// Whose it is.
        id: ReplyId,
        /// What it says.
        verdict: Verdict,
    },
    /// A notification or a request from the server: no call's answer.
    Unsolicited,
    /// Not JSON-RPC at all (no id can be read from it), and why.
    Unreadable(String),
}

#[derive(Deserialize)]
struct Wire<'a> {
    jsonrpc: Option<&'a str>,
    #[serde(default)]
    id: WireId,
    method: Option<IgnoredAny>,
    result: Option<CallResult>,
    error: Option<RpcError>,
}

/// A reply's `id` member, read without building a `Value`.
#[derive(Default)]
enum WireId {
    #[default]
    Missing,
    Reply(ReplyId),
}

impl<'de> Deserialize<'de> for WireId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl<'de> Visitor<'de> for IdVisitor {
            type Value = ReplyId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON-RPC id")
            }
            fn visit_u64<E>(self, v: u64) -> Result<ReplyId, E> {
                Ok(ReplyId::Number(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<ReplyId, E> {
                Ok(u64::try_from(v).map_or(ReplyId::Other, ReplyId::Number))
            }
            fn visit_f64<E>(self, _: f64) -> Result<ReplyId, E> {
                Ok(ReplyId::Other)
            }
            fn visit_str<E>(self, _: &str) -> Result<ReplyId, E> {
                Ok(ReplyId::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<ReplyId, E> {
                Ok(ReplyId::Other)
            }
            fn visit_unit<E>(self) -> Result<ReplyId, E> {
                Ok(ReplyId::Null)
            }
            fn visit_none<E>(self) -> Result<ReplyId, E> {
                Ok(ReplyId::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ReplyId, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ReplyId::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ReplyId, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ReplyId::Other)
            }
        }
        deserializer.deserialize_any(IdVisitor).map(WireId::Reply)
    }
}

#[derive(Deserialize)]
struct CallResult {
    content: Option<Vec<IgnoredAny>>,
    #[serde(rename = "isError")]
    is_error: Option<bool>,
}

#[derive(Deserialize)]
struct RpcError {
    code: i64,
}

/// Reads one message (a line without its newline, or an HTTP body).
pub fn classify(bytes: &[u8]) -> Message {
    let wire: Wire<'_> = match serde_json::from_slice(bytes) {
        Ok(wire) => wire,
        Err(err) => return Message::Unreadable(format!("{err}: {}", excerpt(bytes))),
    };
    if wire.method.is_some() {
        return Message::Unsolicited;
    }
    let id = match wire.id {
        WireId::Missing => {
            return Message::Unreadable(format!("a reply without an id: {}", excerpt(bytes)))
        }
        WireId::Reply(id) => id,
    };
    let verdict = match (wire.jsonrpc, wire.result, wire.error) {
        (Some("2.0"), Some(result), None) => match (result.content, result.is_error) {
            (None, _) => {
                Verdict::Malformed(format!("a result without content: {}", excerpt(bytes)))
            }
            (Some(_), Some(true)) => Verdict::ToolError,
            (Some(_), _) => Verdict::Ok,
        },
        (Some("2.0"), None, Some(error)) => Verdict::RpcError(error.code),
        (Some("2.0"), ..) => Verdict::Malformed(format!(
            "not exactly one of result and error: {}",
            excerpt(bytes)
        )),
        _ => Verdict::Malformed(format!("no \"jsonrpc\":\"2.0\": {}", excerpt(bytes))),
    };
    Message::Reply { id, verdict }
}

/// The start of a message, for error samples.
pub fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)]);
    if bytes.len() > MAX {
        format!("{text}…")
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(id: ReplyId, verdict: Verdict) -> Message {
        Message::Reply { id, verdict }
    }

    #[test]
    fn results_errors_and_tool_errors() {
        let ok = br#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"3"}],"resultType":"complete"}}"#;
        assert_eq!(classify(ok), reply(ReplyId::Number(7), Verdict::Ok));
        let tool_error = br#"{"jsonrpc":"2.0","id":8,"result":{"content":[],"isError":true}}"#;
        assert_eq!(
            classify(tool_error),
            reply(ReplyId::Number(8), Verdict::ToolError)
        );
        let rpc = br#"{"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"no"}}"#;
        assert_eq!(
            classify(rpc),
            reply(ReplyId::Number(9), Verdict::RpcError(-32602))
        );
    }

    #[test]
    fn foreign_ids_and_server_messages() {
        let named = br#"{"jsonrpc":"2.0","id":"x","result":{"content":[]}}"#;
        assert_eq!(classify(named), reply(ReplyId::Other, Verdict::Ok));
        let null = br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse"}}"#;
        assert_eq!(
            classify(null),
            reply(ReplyId::Null, Verdict::RpcError(-32700))
        );
        let negative = br#"{"jsonrpc":"2.0","id":-4,"result":{"content":[]}}"#;
        assert_eq!(classify(negative), reply(ReplyId::Other, Verdict::Ok));
        let progress = br#"{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"#;
        assert_eq!(classify(progress), Message::Unsolicited);
    }

    #[test]
    fn malformed_replies_say_why() {
        let cases: [&[u8]; 4] = [
            br#"{"jsonrpc":"2.0","id":1,"result":{"text":"3"}}"#,
            br#"{"jsonrpc":"2.0","id":1}"#,
            br#"{"id":1,"result":{"content":[]}}"#,
            br#"{"jsonrpc":"2.0","id":1,"result":{"content":[]},"error":{"code":1}}"#,
        ];
        for case in cases {
            match classify(case) {
                Message::Reply {
                    id: ReplyId::Number(1),
                    verdict: Verdict::Malformed(_),
                } => {}
                other => panic!("{other:?} for {}", excerpt(case)),
            }
        }
        assert!(matches!(classify(b"{oops"), Message::Unreadable(_)));
        assert!(matches!(
            classify(br#"{"jsonrpc":"2.0","result":{"content":[]}}"#),
            Message::Unreadable(_)
        ));
    }
}
