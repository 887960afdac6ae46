//! The endpoint as a tower service: routing by method and era, then one message per POST.

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use tower::Service;

use super::body::HttpBody;
use super::config::HttpConfig;
use super::event_store::{EventId, EventStore};
use super::guard::{self, Refusal};
use super::response::{
    self, accepted, refuse, status_for, LAST_EVENT_ID, MCP_METHOD, MCP_NAME, MCP_PROTOCOL_VERSION,
    MCP_SESSION_ID, SESSION_NOT_FOUND,
};
use super::session::{new_stream_id, LegacySession, Sessions};
use super::sse::{self, LegacyStream, SseCall};
use crate::context::Outbox;
use crate::observe::{Origin, Transport};
use crate::protocol::jsonrpc::{
    ErrorObject, RequestId, HEADER_MISMATCH, UNSUPPORTED_PROTOCOL_VERSION,
};
use crate::protocol::version::{LEGACY_VERSIONS, MODERN_VERSION};
use crate::server::exchange::RunningCall;
use crate::server::exchange::{exchange, Exchanged, Mirrored, Session};
use crate::server::{Server, ServerInner};
use crate::sync::lock;
use crate::tool::BoxError;

/// The Streamable HTTP endpoint of a [`Server`], as a tower service: mount it in an axum or
/// hyper stack of your own, behind your own layers (auth, tracing, CORS).
///
/// Clones share the endpoint (its sessions included): clone it per connection.
///
/// ```no_run
/// use mcp_runtime::transport::http::HttpConfig;
/// # fn server() -> mcp_runtime::Server { unimplemented!() }
/// let service = server().http_service(HttpConfig::default().any_path());
/// // axum: Router::new().route_service("/mcp", service)
/// ```
#[derive(Clone)]
pub struct StreamableHttpService {
    shared: Arc<Endpoint>,
}

impl std::fmt::Debug for StreamableHttpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamableHttpService")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Endpoint {
    server: Arc<ServerInner>,
    /// Cancelled when serving ends: streams that would stay open end gracefully.
    pub(crate) closing: tokio_util::sync::CancellationToken,
    pub(crate) config: HttpConfig,
    pub(crate) sessions: Arc<Sessions>,
    /// The config's event store, or the server's default.
    events: Arc<dyn EventStore>,
}

impl Server {
    /// The server's Streamable HTTP endpoint, as a tower service (see
    /// [`StreamableHttpService`]); [`Server::serve_http`] serves it on a listener of its own.
    pub fn http_service(&self, config: HttpConfig) -> StreamableHttpService {
        let events = config.event_store_for(self.inner());
        let sessions = Sessions::new(
            config.max_sessions,
            config.session_idle_timeout,
            config.max_calls_per_session,
            events.clone(),
        );
        #[cfg(feature = "redis")]
        let sessions = sessions.shared_by(self.inner());
        #[cfg(not(feature = "redis"))]
        let sessions = Arc::new(sessions);
        StreamableHttpService {
            shared: Arc::new(Endpoint {
                server: self.inner().clone(),
                closing: Default::default(),
                config,
                sessions,
                events,
            }),
        }
    }
}

impl StreamableHttpService {
    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.shared
    }
}

type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response<HttpBody>, Infallible>> + Send>>;

impl<B> Service<Request<B>> for StreamableHttpService
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<HttpBody>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> ResponseFuture {
        let shared = self.shared.clone();
        Box::pin(async move { Ok(shared.handle(request).await) })
    }
}

impl Endpoint {
    async fn handle<B>(self: Arc<Self>, request: Request<B>) -> Response<HttpBody>
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        if let Some(path) = &self.config.path {
            if request.uri().path() != path {
                return response::not_found();
            }
        }
        if let Err(refusal) = guard::check_peer(&self.config, request.uri(), request.headers()) {
            let message = match refusal {
                Refusal::Host => "Forbidden: this server does not answer to that Host",
                Refusal::Origin => "Forbidden: pages of that Origin may not call this server",
            };
            return refuse(StatusCode::FORBIDDEN, message);
        }
        match *request.method() {
            Method::POST => self.post(request).await,
            Method::GET => self.get(request.headers()).await,
            Method::DELETE => self.delete(request.headers()).await,
            _ => response::method_not_allowed(
                "GET, POST, DELETE",
                "Method not allowed: the MCP endpoint takes POST (and GET and DELETE in a session)",
            ),
        }
    }

    async fn post<B>(&self, request: Request<B>) -> Response<HttpBody>
    where
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = request.into_parts();
        if !guard::accepts_json_and_sse(&parts.headers) {
            return refuse(
                StatusCode::NOT_ACCEPTABLE,
                "Not Acceptable: the Accept header must list application/json and text/event-stream",
            );
        }
        if !guard::is_json(&parts.headers) {
            return refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported Media Type: the body must be application/json",
            );
        }
        let message = match self.read_body(&parts.headers, body).await {
            Ok(message) => message,
            Err(refusal) => return refusal,
        };
        let version = header(&parts.headers, &MCP_PROTOCOL_VERSION);
        match version {
            Some(MODERN_VERSION) => self.modern(&parts.headers, version, &message).await,
            Some(v) if LEGACY_VERSIONS.contains(&v) => self.legacy(&parts.headers, &message).await,
            // The versions a stateless request may name (legacy ones are negotiated by
            // `initialize`), as `server/discover` lists them.
            Some(requested) => response::error(
                StatusCode::BAD_REQUEST,
                request_id(&message).as_ref(),
                &ErrorObject::new(UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version")
                    .with_data(serde_json::json!({
                        "supported": [MODERN_VERSION],
                        "requested": requested,
                    })),
            ),
            // A stateless request that forgot its header is refused for it (-32020) by the
            // modern path; anything else is the legacy era (2025-03-26 had no header).
            None if memchr::memmem::find(&message, META_VERSION_KEY).is_some() => {
                self.modern(&parts.headers, None, &message).await
            }
            None => self.legacy(&parts.headers, &message).await,
        }
    }

    /// Reads the body within the size limit and the read timeout.
    async fn read_body<B>(&self, headers: &HeaderMap, body: B) -> Result<Bytes, Response<HttpBody>>
    where
        B: http_body::Body,
        B::Error: Into<BoxError>,
    {
        let limit = self.config.max_body_bytes;
        let too_large = || {
            refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Payload Too Large: the limit is {limit} bytes"),
            )
        };
        let declared = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let read = Limited::new(body, limit).collect();
        tokio::pin!(read);
        // Most bodies have arrived with their headers: read them without arming a timer (a
        // timer per request is measurable at tens of thousands of calls a second).
        let at_once = poll_fn(|cx| match read.as_mut().poll(cx) {
            Poll::Ready(read) => Poll::Ready(Some(read)),
            Poll::Pending => Poll::Ready(None),
        });
        let read = match at_once.await {
            Some(read) => Ok(read),
            None => tokio::time::timeout(self.config.body_read_timeout, read).await,
        };
        match read {
            Err(_) => Err(refuse(
                StatusCode::REQUEST_TIMEOUT,
                "Request Timeout: the body was not sent in time",
            )),
            Ok(Err(err)) if err.is::<http_body_util::LengthLimitError>() => Err(too_large()),
            Ok(Err(err)) => Err(refuse(
                StatusCode::BAD_REQUEST,
                format!("Bad Request: the body could not be read: {err}"),
            )),
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
        }
    }

    /// The stateless era: the message carries everything; no session is kept.
    async fn modern(
        &self,
        headers: &HeaderMap,
        version: Option<&str>,
        message: &[u8],
    ) -> Response<HttpBody> {
        let name = match header(headers, &MCP_NAME).map(decode_header_value) {
            None => None,
            Some(Ok(name)) => Some(name),
            Some(Err(())) => {
                return response::error(
                    StatusCode::BAD_REQUEST,
                    request_id(message).as_ref(),
                    &ErrorObject::new(
                        HEADER_MISMATCH,
                        "Header mismatch: Mcp-Name is not valid =?base64?...?= encoding",
                    ),
                )
            }
        };
        let mut params = Vec::new();
        for (name, value) in headers {
            let Some(param) = name.as_str().strip_prefix("mcp-param-") else {
                continue;
            };
            let decoded = value.to_str().ok().map(decode_header_value);
            match decoded {
                Some(Ok(value)) => params.push((param.to_owned(), value.into_owned())),
                _ => {
                    return response::error(
                        StatusCode::BAD_REQUEST,
                        request_id(message).as_ref(),
                        &ErrorObject::new(
                            HEADER_MISMATCH,
                            format!(
                                "Header mismatch: Mcp-Param-{param} is not valid text or \
                                 =?base64?...?= encoding"
                            ),
                        ),
                    )
                }
            }
        }
        let mirrored = Mirrored {
            protocol_version: version,
            method: header(headers, &MCP_METHOD),
            name,
            params,
        };
        let outbox = Outbox::closing_with(self.closing.clone());
        match exchange(
            &self.server,
            &mut Session::default(),
            message,
            Some(&mirrored),
            &outbox,
            &Origin::new(Transport::Http),
        ) {
            Exchanged::Answered {
                reply,
                failure,
                bad_meta,
            } => {
                let mut response = reply_response(reply, failure, true);
                if bad_meta {
                    *response.status_mut() = StatusCode::BAD_REQUEST;
                }
                response
            }
            // Closing the response stream is how the stateless era cancels.
            Exchanged::Cancel(_) => accepted(),
            Exchanged::Call(call) => self.modern_call(call, outbox).await,
        }
    }

    async fn modern_call(&self, call: RunningCall, outbox: Outbox) -> Response<HttpBody> {
        let mut call = call;
        let mut lines = Vec::new();
        match first_output(&mut call, &outbox, &mut lines).await {
            First::Finished => finished_response(lines),
            First::Notes => response::sse(HttpBody::call(SseCall::new(
                call,
                outbox,
                lines,
                self.config.keep_alive_interval,
            ))),
        }
    }

    /// The legacy era: `initialize` opens a session, everything else names one.
    async fn legacy(&self, headers: &HeaderMap, message: &[u8]) -> Response<HttpBody> {
        let Some(session_id) = header(headers, &MCP_SESSION_ID) else {
            return self.initialize(message).await;
        };
        let Some(session) = self.session(session_id).await else {
            return response::error(
                StatusCode::NOT_FOUND,
                None,
                &ErrorObject::new(
                    SESSION_NOT_FOUND,
                    "Session not found: it ended or expired; send initialize again",
                ),
            );
        };
        #[cfg(feature = "redis")]
        if self.sessions.take_answer(&session, message).await {
            return accepted();
        }
        let outbox = Outbox::new();
        let (exchanged, level_changed) = {
            let mut dispatch = lock(&session.dispatch);
            let level = dispatch.log_level();
            // Any version this server speaks is accepted in a session (unsupported ones were
            // refused before): clients such as the conformance suite's send `2025-03-26` on a
            // session that negotiated a newer one.
            let origin = Origin {
                transport: Transport::Http,
                session: Some(session.id.clone()),
            };
            let exchanged = exchange(&self.server, &mut dispatch, message, None, &outbox, &origin);
            (exchanged, dispatch.log_level() != level)
        };
        if level_changed {
            // Written through, so that the session's other instances log at the new level.
            #[cfg(feature = "redis")]
            self.sessions.store_changed(&session).await;
        }
        match exchanged {
            Exchanged::Answered { reply, failure, .. } => reply_response(reply, failure, false),
            Exchanged::Cancel(id) => {
                session.cancel_call(&id);
                accepted()
            }
            Exchanged::Call(call) => self.legacy_call(session, call, outbox).await,
        }
    }

    /// The session with this id: held here, or (sessions shared through Redis) continued from
    /// there.
    async fn session(&self, id: &str) -> Option<Arc<LegacySession>> {
        #[cfg(feature = "redis")]
        return self.sessions.find(id, &self.server).await;
        #[cfg(not(feature = "redis"))]
        self.sessions.get(id)
    }

    /// A message without a session: only `initialize` may open one.
    async fn initialize(&self, message: &[u8]) -> Response<HttpBody> {
        #[derive(serde::Deserialize)]
        struct MethodOnly<'a> {
            #[serde(borrow)]
            method: Option<Cow<'a, str>>,
        }
        // Unreadable messages go on to dispatch, which says what is wrong with them.
        let other_method = serde_json::from_slice::<MethodOnly<'_>>(message)
            .is_ok_and(|m| m.method.as_deref() != Some("initialize"));
        if other_method {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Bad Request: Mcp-Session-Id header is required (send initialize first, or use \
                 protocol 2026-07-28 with its headers)",
            );
        }
        let mut dispatch = Session::default();
        let Exchanged::Answered { reply, failure, .. } = exchange(
            &self.server,
            &mut dispatch,
            message,
            None,
            &Outbox::new(),
            &Origin::new(Transport::Http),
        ) else {
            // Only `initialize` and unreadable messages get here, and both are answered at once.
            return refuse(
                StatusCode::BAD_REQUEST,
                "Bad Request: send initialize first",
            );
        };
        let mut response = reply_response(reply, failure, false);
        if failure.is_none() && dispatch.legacy_version().is_some() {
            let session = self
                .sessions
                .insert(dispatch, self.server.listeners.register());
            #[cfg(feature = "redis")]
            self.sessions.store_new(&session).await;
            let id = http::HeaderValue::from_str(&session.id).expect("hex is a valid header");
            response.headers_mut().insert(MCP_SESSION_ID, id);
        }
        response
    }

    async fn legacy_call(
        &self,
        session: Arc<LegacySession>,
        call: RunningCall,
        outbox: Outbox,
    ) -> Response<HttpBody> {
        let request = call.request_id().clone();
        let Some(registered) = session.start_call(&request) else {
            drop(call);
            return response::error(
                StatusCode::BAD_REQUEST,
                Some(&request),
                &ErrorObject::invalid_request(format!(
                    "Invalid request: id {request} is already used by a request still running"
                )),
            );
        };
        let cancelled = registered.cancelled.clone();
        let slot = tokio::select! {
            slot = session.slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            // No reply for a cancelled request; the POST still needs an answer.
            () = cancelled.cancelled() => return accepted(),
        };
        let mut call = call;
        let mut lines = Vec::new();
        let first = tokio::select! {
            first = first_output(&mut call, &outbox, &mut lines) => first,
            () = cancelled.cancelled() => return accepted(),
        };
        match first {
            First::Finished => finished_response(lines),
            First::Notes => {
                let stream = LegacyStream {
                    session,
                    store: self.events.clone(),
                    stream: new_stream_id(),
                    registered,
                    slot,
                };
                let events = stream.spawn(call, outbox, lines, self.config.keep_alive_interval);
                response::sse(HttpBody::events(events))
            }
        }
    }

    /// `GET`: a session's stream of unprompted notifications (resource updates, tool list
    /// changes), or, with
    /// `Last-Event-ID`, the resumption of a call's stream.
    async fn get(&self, headers: &HeaderMap) -> Response<HttpBody> {
        let Some(session_id) = header(headers, &MCP_SESSION_ID) else {
            return response::method_not_allowed(
                "POST",
                "Method not allowed: GET opens a session's stream (Mcp-Session-Id); the \
                 2026-07-28 protocol has none",
            );
        };
        if !guard::accepts_sse(headers) {
            return refuse(
                StatusCode::NOT_ACCEPTABLE,
                "Not Acceptable: the Accept header must list text/event-stream",
            );
        }
        let Some(session) = self.session(session_id).await else {
            return response::error(
                StatusCode::NOT_FOUND,
                None,
                &ErrorObject::new(SESSION_NOT_FOUND, "Session not found"),
            );
        };
        let Some(last) = header(headers, &LAST_EVENT_ID) else {
            // Every server may send unprompted: its tools may be added and removed while it
            // serves (`notifications/tools/list_changed`), besides resource updates.
            let keep_alive = self.config.keep_alive_interval;
            return match sse::standalone(session, keep_alive) {
                Some(events) => response::sse(HttpBody::events(events)),
                None => refuse(
                    StatusCode::CONFLICT,
                    "Conflict: this session's stream is already open",
                ),
            };
        };
        let Some(last) = EventId::parse(last) else {
            return refuse(
                StatusCode::BAD_REQUEST,
                "Bad Request: malformed Last-Event-ID",
            );
        };
        let store = &self.events;
        // Known streams only: answering an unknown one with an empty stream would leave the
        // client waiting for a reply that never comes.
        if store.replay_after(&session.id, last).await.is_none() {
            return refuse(
                StatusCode::NOT_FOUND,
                "Not Found: no stream of this session has that event (it ended or was dropped)",
            );
        }
        let events = sse::follow(
            store.clone(),
            session,
            last,
            self.config.keep_alive_interval,
        );
        response::sse(HttpBody::events(events))
    }

    /// `DELETE`: ends a legacy session.
    async fn delete(&self, headers: &HeaderMap) -> Response<HttpBody> {
        let Some(session_id) = header(headers, &MCP_SESSION_ID) else {
            return response::method_not_allowed(
                "POST",
                "Method not allowed: DELETE ends a session named by Mcp-Session-Id",
            );
        };
        #[cfg(feature = "redis")]
        let ended = self.sessions.delete_everywhere(session_id).await;
        #[cfg(not(feature = "redis"))]
        let ended = self.sessions.remove(session_id);
        if ended {
            let mut response = Response::new(HttpBody::empty());
            *response.status_mut() = StatusCode::OK;
            response
        } else {
            response::error(
                StatusCode::NOT_FOUND,
                None,
                &ErrorObject::new(SESSION_NOT_FOUND, "Session not found"),
            )
        }
    }
}

/// What a call produced first.
enum First {
    /// Its reply (after any last notifications), all in `lines`.
    Finished,
    /// Notifications, in `lines`: the answer becomes a stream.
    Notes,
}

/// Runs a call until it ends or has a notification to send.
async fn first_output(call: &mut RunningCall, outbox: &Outbox, lines: &mut Vec<u8>) -> First {
    poll_fn(|cx| {
        outbox.register(cx.waker());
        if call.poll_reply(cx, lines).is_ready() {
            return Poll::Ready(First::Finished);
        }
        outbox.collect(lines);
        if lines.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(First::Notes)
        }
    })
    .await
}

/// A finished call's answer: JSON when it is the reply alone, else a short SSE stream (the
/// call's last notifications, then its reply).
fn finished_response(lines: Vec<u8>) -> Response<HttpBody> {
    // One message (the reply alone) is the common case: stop counting at the second newline.
    if memchr::memchr_iter(b'\n', &lines).nth(1).is_none() {
        return response::json(StatusCode::OK, lines);
    }
    let mut events = Vec::with_capacity(lines.len() + 256);
    for message in lines.split(|&b| b == b'\n').filter(|m| !m.is_empty()) {
        sse::write_event(&mut events, None, message);
    }
    response::sse(HttpBody::full(events))
}

/// A message answered at once: its reply, or 202 when it needs none.
fn reply_response(reply: Vec<u8>, failure: Option<i32>, modern: bool) -> Response<HttpBody> {
    if reply.is_empty() {
        accepted()
    } else {
        response::json(status_for(failure, modern), reply)
    }
}

/// The id of a message, when it has a readable one (for errors answered before dispatch).
fn request_id(message: &[u8]) -> Option<RequestId> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: RequestId,
    }
    serde_json::from_slice::<IdOnly>(message).ok().map(|m| m.id)
}

/// The `_meta` key that only stateless requests carry.
const META_VERSION_KEY: &[u8] = b"io.modelcontextprotocol/protocolVersion";

fn header<'h>(headers: &'h HeaderMap, name: &http::HeaderName) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Decodes a header value that may use the `=?base64?...?=` form (for values that are not
/// plain ASCII).
fn decode_header_value(value: &str) -> Result<Cow<'_, str>, ()> {
    use base64::Engine as _;
    let Some(encoded) = value
        .strip_prefix("=?base64?")
        .and_then(|v| v.strip_suffix("?="))
    else {
        return Ok(Cow::Borrowed(value));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| ())?;
    String::from_utf8(bytes).map(Cow::Owned).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_decode_the_base64_form() {
        assert_eq!(decode_header_value("add").unwrap(), "add");
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8sIOS4lueVjA==?=").unwrap(),
            "Hello, 世界"
        );
        assert!(decode_header_value("=?base64?***?=").is_err());
    }
}
