//! JSON-RPC 2.0 framing: request ids, error objects, and writing messages straight into an
//! output buffer (one allocation-free path for the common case).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// Invalid JSON was received.
pub const PARSE_ERROR: i32 = -32700;
/// The JSON sent is not a valid request object.
pub const INVALID_REQUEST: i32 = -32600;
/// The method does not exist or is not available.
pub const METHOD_NOT_FOUND: i32 = -32601;
/// Invalid method parameters (also: unknown tool).
pub const INVALID_PARAMS: i32 = -32602;
/// Internal JSON-RPC error.
pub const INTERNAL_ERROR: i32 = -32603;
/// Modern HTTP: a header disagrees with the request body.
pub const HEADER_MISMATCH: i32 = -32020;
/// Modern: the request needs a client capability the client did not declare.
pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i32 = -32021;
/// Modern: the request's protocol version is not one this server speaks.
pub const UNSUPPORTED_PROTOCOL_VERSION: i32 = -32022;

/// The id of a JSON-RPC request: a number or a string, echoed back in the response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RequestId {
    /// An integer id (what most clients send).
    Number(i64),
    /// A string id.
    String(Box<str>),
    /// Any other JSON number (fractional or out of `i64` range), kept as written.
    OtherNumber(Box<str>),
}

impl RequestId {
    /// Reads an id from its raw JSON text; `None` when it is not a number or a string.
    pub(crate) fn from_raw(raw: &RawValue) -> Option<Self> {
        let text = raw.get();
        match text.as_bytes().first()? {
            b'"' => serde_json::from_str::<String>(text)
                .ok()
                .map(|s| RequestId::String(s.into_boxed_str())),
            b'-' | b'0'..=b'9' => Some(match text.parse::<i64>() {
                Ok(n) => RequestId::Number(n),
                Err(_) => RequestId::OtherNumber(text.into()),
            }),
            _ => None,
        }
    }

    /// Appends the id as JSON.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            RequestId::Number(n) => write_integer(out, *n),
            RequestId::String(s) => {
                serde_json::to_writer(&mut *out, s).expect("a string always serializes")
            }
            RequestId::OtherNumber(raw) => out.extend_from_slice(raw.as_bytes()),
        }
    }
}

/// Appends `n` in decimal: every reply carries an id, and `fmt` machinery costs ten times more.
fn write_integer(out: &mut Vec<u8>, n: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::String(s) => write!(f, "{s:?}"),
            RequestId::OtherNumber(raw) => f.write_str(raw),
        }
    }
}

impl Serialize for RequestId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RequestId::Number(n) => serializer.serialize_i64(*n),
            RequestId::String(s) => serializer.serialize_str(s),
            RequestId::OtherNumber(raw) => {
                let number: serde_json::Number = raw.parse().map_err(serde::ser::Error::custom)?;
                number.serialize(serializer)
            }
        }
    }
}

impl<'de> Deserialize<'de> for RequestId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        RequestId::from_raw(&raw)
            .ok_or_else(|| de::Error::custom("id must be a number or a string"))
    }
}

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// One of the codes in this module, or an application code.
    pub code: i32,
    /// A short description of the error.
    pub message: String,
    /// Extra structured information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorObject {
    /// An error with a code and message and no data.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        ErrorObject {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// Attaches `data`.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    pub(crate) fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }

    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(INVALID_REQUEST, message)
    }
}

impl fmt::Display for ErrorObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ErrorObject {}

/// The error a prompt or resource function returned, boxed for the server: an [`ErrorObject`]
/// (or an error already boxed, which may hold one) is kept as it is, so the client gets that
/// error unchanged; anything else is kept as its message, which the server sends as an
/// internal error.
pub(crate) fn boxed_handler_error<E: fmt::Display + 'static>(
    error: E,
) -> Box<dyn std::error::Error + Send + Sync> {
    type Boxed = Box<dyn std::error::Error + Send + Sync>;
    let any: &dyn std::any::Any = &error;
    if any.is::<ErrorObject>() || any.is::<Boxed>() {
        let any: Box<dyn std::any::Any> = Box::new(error);
        return match any.downcast::<ErrorObject>() {
            Ok(object) => object,
            Err(any) => *any.downcast::<Boxed>().expect("checked above"),
        };
    }
    error.to_string().into()
}

/// One incoming JSON-RPC message, borrowed from the line it was read from.
///
/// Requests, notifications and responses share this shape; `classify` tells them apart.
#[derive(Deserialize)]
pub(crate) struct Incoming<'a> {
    #[serde(default, borrow)]
    pub jsonrpc: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub id: Present<'a>,
    #[serde(default, borrow)]
    pub method: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub params: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub result: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub error: Option<&'a RawValue>,
}

/// A field that distinguishes "absent" from an explicit `null`, which `Option` cannot.
#[derive(Default)]
pub(crate) struct Present<'a>(pub Option<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for Present<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(deserializer).map(|raw| Present(Some(raw)))
    }
}

/// What an incoming message turned out to be.
pub(crate) enum Classified<'a> {
    Request {
        id: RequestId,
        method: Cow<'a, str>,
        params: Option<&'a RawValue>,
    },
    Notification {
        method: Cow<'a, str>,
        params: Option<&'a RawValue>,
    },
    /// A response to a request the server sent: its result or its error.
    Response {
        /// `None` for an error about a message the client could not read.
        id: Option<RequestId>,
        answer: Result<Value, ErrorObject>,
    },
    /// Not a valid JSON-RPC message: answer with this error (and this id, when one was readable).
    Invalid {
        id: Option<RequestId>,
        error: ErrorObject,
    },
}

impl<'a> Incoming<'a> {
    pub(crate) fn classify(self) -> Classified<'a> {
        let id = match self.id.0 {
            None => None,
            Some(raw) => match RequestId::from_raw(raw) {
                Some(id) => Some(id),
                None => {
                    return Classified::Invalid {
                        id: None,
                        error: ErrorObject::invalid_request(
                            "the request id must be a string or an integer",
                        ),
                    }
                }
            },
        };
        if self.jsonrpc.as_deref() != Some("2.0") {
            return Classified::Invalid {
                id,
                error: ErrorObject::invalid_request(r#"the "jsonrpc" member must be "2.0""#),
            };
        }
        match (self.method, id) {
            (Some(method), Some(id)) => Classified::Request {
                id,
                method,
                params: self.params,
            },
            (Some(method), None) => Classified::Notification {
                method,
                params: self.params,
            },
            (None, id) if self.result.is_some() || self.error.is_some() => {
                let answer = match (self.result, self.error) {
                    (Some(result), _) => serde_json::from_str(result.get())
                        .map_err(|e| ErrorObject::invalid_request(e.to_string())),
                    (None, Some(error)) => serde_json::from_str(error.get())
                        .map_err(|_| {
                            ErrorObject::new(INTERNAL_ERROR, "the client sent a malformed error")
                        })
                        .and_then(Err),
                    (None, None) => unreachable!("checked by the guard"),
                };
                Classified::Response { id, answer }
            }
            (None, id) => Classified::Invalid {
                id,
                error: ErrorObject::invalid_request(r#"missing "method""#),
            },
        }
    }
}

const JSONRPC_HEAD: &[u8] = br#"{"jsonrpc":"2.0","id":"#;

/// Appends a success response line. `result` must serialize to a JSON object.
pub(crate) fn write_result<R: Serialize + ?Sized>(out: &mut Vec<u8>, id: &RequestId, result: &R) {
    write_result_with(out, id, result, b"");
}

/// Appends a success response line whose result object gets `extra_fields` (`"k":v,...`) added.
pub(crate) fn write_result_with<R: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    id: &RequestId,
    result: &R,
    extra_fields: &[u8],
) {
    let start = out.len();
    out.extend_from_slice(JSONRPC_HEAD);
    id.write_json(out);
    out.extend_from_slice(br#","result":"#);
    match serde_json::to_writer(&mut *out, result) {
        Ok(()) if out.last() == Some(&b'}') => {
            if !extra_fields.is_empty() {
                out.pop();
                if out.last() != Some(&b'{') {
                    out.push(b',');
                }
                out.extend_from_slice(extra_fields);
                out.push(b'}');
            }
            out.extend_from_slice(b"}\n");
        }
        Ok(()) => {
            out.truncate(start);
            let error = ErrorObject::new(INTERNAL_ERROR, "a result must be a JSON object");
            write_error(out, Some(id), &error);
        }
        Err(err) => {
            out.truncate(start);
            let error = ErrorObject::new(
                INTERNAL_ERROR,
                format!("could not serialize the result: {err}"),
            );
            write_error(out, Some(id), &error);
        }
    }
}

/// Appends an error response line; `id` is `null` when the request's id could not be read.
pub(crate) fn write_error(out: &mut Vec<u8>, id: Option<&RequestId>, error: &ErrorObject) {
    out.extend_from_slice(JSONRPC_HEAD);
    match id {
        Some(id) => id.write_json(out),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(br#","error":"#);
    serde_json::to_writer(&mut *out, error).expect("an error object always serializes");
    out.extend_from_slice(b"}\n");
}

/// Appends a notification line.
pub(crate) fn write_notification<P: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    method: &str,
    params: &P,
) {
    let start = out.len();
    out.extend_from_slice(br#"{"jsonrpc":"2.0","method":"#);
    serde_json::to_writer(&mut *out, method).expect("a string always serializes");
    out.extend_from_slice(br#","params":"#);
    match serde_json::to_writer(&mut *out, params) {
        Ok(()) => out.extend_from_slice(b"}\n"),
        Err(err) => {
            out.truncate(start);
            tracing::warn!(%method, "dropped a notification that could not be serialized: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(line: &str) -> Classified<'_> {
        serde_json::from_str::<Incoming<'_>>(line)
            .unwrap()
            .classify()
    }

    #[test]
    fn ids_round_trip_as_written() {
        for (raw, expected) in [
            ("7", "7"),
            ("-3", "-3"),
            (r#""a-b""#, r#""a-b""#),
            ("1.5", "1.5"),
        ] {
            let id = RequestId::from_raw(&RawValue::from_string(raw.into()).unwrap()).unwrap();
            let mut out = Vec::new();
            id.write_json(&mut out);
            assert_eq!(std::str::from_utf8(&out).unwrap(), expected);
        }
    }

    #[test]
    fn null_and_object_ids_are_invalid() {
        for line in [
            r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":true,"method":"ping"}"#,
        ] {
            assert!(
                matches!(classify(line), Classified::Invalid { id: None, .. }),
                "{line}"
            );
        }
    }

    #[test]
    fn classifies_each_kind() {
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
            Classified::Request {
                id: RequestId::Number(1),
                ..
            }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Classified::Notification { .. }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#),
            Classified::Response { .. }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#),
            Classified::Invalid {
                id: Some(RequestId::Number(1)),
                ..
            }
        ));
        assert!(matches!(
            classify(r#"{"jsonrpc":"2.0","id":1}"#),
            Classified::Invalid { .. }
        ));
    }

    #[test]
    fn writes_framed_lines() {
        let mut out = Vec::new();
        write_result(
            &mut out,
            &RequestId::String("x".into()),
            &serde_json::json!({}),
        );
        write_error(&mut out, None, &ErrorObject::new(PARSE_ERROR, "bad"));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"result\":{}}\n\
             {\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"bad\"}}\n"
        );
    }
}
