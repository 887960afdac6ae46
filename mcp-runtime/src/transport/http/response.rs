//! Building the endpoint's responses: JSON, SSE, and errors with their HTTP status.

use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderName, HeaderValue, Response, StatusCode};

use super::body::HttpBody;
use crate::protocol::jsonrpc::{
    write_error, ErrorObject, RequestId, HEADER_MISMATCH, INVALID_REQUEST, METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY, PARSE_ERROR, UNSUPPORTED_PROTOCOL_VERSION,
};

pub(crate) const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
pub(crate) const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
pub(crate) const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
pub(crate) const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");
pub(crate) const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");
const X_ACCEL_BUFFERING: HeaderName = HeaderName::from_static("x-accel-buffering");

const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
const TEXT_EVENT_STREAM: HeaderValue = HeaderValue::from_static("text/event-stream");

/// A JSON-RPC error about the transport rather than one message (TypeScript SDK servers use the
/// same code), answered with no id.
pub(crate) const TRANSPORT_ERROR: i32 = -32000;
/// The session named by `Mcp-Session-Id` does not exist (any more).
pub(crate) const SESSION_NOT_FOUND: i32 = -32001;

/// The HTTP status of a JSON-RPC reply: 200, unless it reports an error the transport
/// defines a status for.
pub(crate) fn status_for(failure: Option<i32>, modern: bool) -> StatusCode {
    match failure {
        None => StatusCode::OK,
        Some(
            PARSE_ERROR
            | INVALID_REQUEST
            | HEADER_MISMATCH
            | MISSING_REQUIRED_CLIENT_CAPABILITY
            | UNSUPPORTED_PROTOCOL_VERSION,
        ) => StatusCode::BAD_REQUEST,
        // The stateless era distinguishes "no such method" from "no MCP here" by status.
        Some(METHOD_NOT_FOUND) if modern => StatusCode::NOT_FOUND,
        Some(_) => StatusCode::OK,
    }
}

/// One JSON-RPC message (a line, its newline dropped) as `application/json`.
pub(crate) fn json(status: StatusCode, mut line: Vec<u8>) -> Response<HttpBody> {
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    let mut response = Response::new(HttpBody::full(line));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, APPLICATION_JSON);
    response
}

/// An SSE stream.
pub(crate) fn sse(body: HttpBody) -> Response<HttpBody> {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, TEXT_EVENT_STREAM);
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Tells nginx and its kin to pass events on as they come.
    headers.insert(X_ACCEL_BUFFERING, HeaderValue::from_static("no"));
    response
}

/// A JSON-RPC error response with an HTTP error status.
pub(crate) fn error(
    status: StatusCode,
    id: Option<&RequestId>,
    error: &ErrorObject,
) -> Response<HttpBody> {
    let mut line = Vec::with_capacity(128);
    write_error(&mut line, id, error);
    json(status, line)
}

/// A transport-level refusal: `status`, and a JSON-RPC error saying why.
pub(crate) fn refuse(status: StatusCode, message: impl Into<String>) -> Response<HttpBody> {
    error(status, None, &ErrorObject::new(TRANSPORT_ERROR, message))
}

/// 202 Accepted, no body: a notification or a client's response was taken.
pub(crate) fn accepted() -> Response<HttpBody> {
    let mut response = Response::new(HttpBody::empty());
    *response.status_mut() = StatusCode::ACCEPTED;
    response
}

/// 405, with the methods the endpoint does take.
pub(crate) fn method_not_allowed(allow: &'static str, message: &str) -> Response<HttpBody> {
    let mut response = refuse(StatusCode::METHOD_NOT_ALLOWED, message);
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

/// A bare 404 for paths that are not the endpoint.
pub(crate) fn not_found() -> Response<HttpBody> {
    let mut response = Response::new(HttpBody::full(&b"Not Found"[..]));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}
