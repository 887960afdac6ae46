//! Method dispatch: one incoming line in, a response (or a call to run) out.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::catalog::Tools;
use super::fast_call::FastCall;
use super::notify::{ListKind, Listener};
use super::param_headers;
use super::reply::write_modern_result;
use super::ServerInner;
use crate::context::input::InputRound;
use crate::context::{ClientCaps, ClientLink, ClientRequests, Outbox, RequestContext};
use crate::layer::cache::{CacheControl, CACHE_META_KEY};
use crate::observe::{Observed, Outcome, Scope};
use crate::protocol::jsonrpc::{
    write_error, write_result, Classified, ErrorObject, Incoming, RequestId, HEADER_MISMATCH,
    INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, MISSING_REQUIRED_CLIENT_CAPABILITY,
    PARSE_ERROR, UNSUPPORTED_PROTOCOL_VERSION,
};
use crate::protocol::messages::{
    meta_keys, CallToolParams, CancelledParams, InitializeParams, ListParams, LogLevel,
    MetaOnlyParams, RequestMeta, SetLevelParams,
};
use crate::protocol::version::{negotiate_legacy, Era, MODERN_VERSION};
use crate::tool::ToolCall;

/// Per-connection state of the legacy era (the modern era keeps none).
#[derive(Default)]
pub(crate) struct Session {
    /// Where the client's subscriptions are kept and its unprompted notifications wait.
    listener: Option<Arc<Listener>>,
    /// The version `initialize` negotiated.
    legacy_version: Option<&'static str>,
    /// The level `logging/setLevel` asked for.
    log_level: Option<LogLevel>,
    /// The capabilities `initialize` declared (JSON), and those a tool may ask for.
    client_capabilities: Option<Arc<str>>,
    client_caps: ClientCaps,
    /// Requests this session's calls sent to the client, waiting for its answers.
    client_requests: Option<Arc<ClientRequests>>,
}

impl Session {
    /// A session whose client can subscribe to resources.
    /// A session whose client can subscribe to resources and answer requests.
    pub(crate) fn with_listener(listener: Arc<Listener>) -> Self {
        let mut session = Session::default();
        session.set_listener(listener);
        session
    }

    pub(crate) fn set_listener(&mut self, listener: Arc<Listener>) {
        self.listener = Some(listener);
        // A continued session brought its own (see `resumed`).
        self.client_requests.get_or_insert_with(Arc::default);
        self.hear_list_changes();
    }

    /// An initialized legacy client with a listener is told when the server's lists change
    /// (the capabilities say `listChanged: true`); before `initialize` it is not.
    fn hear_list_changes(&self) {
        if let (Some(listener), Some(_)) = (&self.listener, self.legacy_version) {
            for kind in ListKind::ALL {
                listener.want_list_changes(kind);
            }
        }
    }

    /// How this session's calls ask the client things (once it is initialized).
    fn client_link(&self) -> Option<ClientLink> {
        Some(ClientLink {
            requests: Some(self.client_requests.clone()?),
            input: None,
            caps: self.client_caps,
        })
    }

    pub(crate) fn listener(&self) -> Option<&Arc<Listener>> {
        self.listener.as_ref()
    }

    /// The version `initialize` negotiated, once it did.
    #[cfg(feature = "http")]
    pub(crate) fn legacy_version(&self) -> Option<&'static str> {
        self.legacy_version
    }

    /// The level `logging/setLevel` asked for.
    pub(crate) fn log_level(&self) -> Option<LogLevel> {
        self.log_level
    }

    /// The capabilities `initialize` declared, as the client sent them (JSON).
    #[cfg(all(feature = "http", feature = "redis"))]
    pub(crate) fn client_capabilities(&self) -> Option<&Arc<str>> {
        self.client_capabilities.as_ref()
    }

    /// A session another instance initialized, continued here from what it stored: the
    /// negotiated `version`, the client's capabilities and the log level it asked for.
    #[cfg(all(feature = "http", feature = "redis"))]
    pub(crate) fn resumed(
        version: &'static str,
        capabilities: Option<Arc<str>>,
        log_level: Option<LogLevel>,
    ) -> Session {
        let client_caps = capabilities
            .as_deref()
            .map_or_else(ClientCaps::default, ClientCaps::parse);
        // Numbers below 2^51: JSON numbers any client reads exactly.
        let first = (crate::sync::random_u64() >> 33) << 20;
        Session {
            legacy_version: Some(version),
            log_level,
            client_capabilities: capabilities,
            client_caps,
            client_requests: Some(Arc::new(ClientRequests::numbered_from(first))),
            ..Session::default()
        }
    }

    /// Hands a client's response (`message`) to the request of this session waiting for it:
    /// `Some(true)` when one was, `Some(false)` when none is (here), `None` when the message is
    /// not a response.
    #[cfg(all(feature = "http", feature = "redis"))]
    pub(crate) fn deliver_answer(&self, message: &[u8]) -> Option<bool> {
        let line = std::str::from_utf8(message).ok()?;
        let incoming: Incoming<'_> = serde_json::from_str(line).ok()?;
        let Classified::Response {
            id: Some(id),
            answer,
        } = incoming.classify()
        else {
            return None;
        };
        Some(self.client_requests.as_ref()?.complete(&id, answer))
    }

    /// Takes the level a `logging/setLevel` on another instance asked for.
    #[cfg(all(feature = "http", feature = "redis"))]
    pub(crate) fn set_log_level(&mut self, level: Option<LogLevel>) {
        self.log_level = level;
    }

    /// Whether JSON-RPC batch arrays are accepted: only `2025-03-26` has them.
    pub(crate) fn accepts_batches(&self) -> bool {
        self.legacy_version == Some(BATCH_VERSION)
    }
}

/// The one protocol version with JSON-RPC batches.
const BATCH_VERSION: &str = "2025-03-26";

/// A `tools/call` ready to run.
pub(crate) struct PendingCall {
    pub id: RequestId,
    pub era: Era,
    /// The tool's position in the snapshot of the tools the message was dispatched with.
    pub tool: usize,
    /// The tool's name: the reply needs it, and the tool may be removed while the call runs.
    pub name: Arc<str>,
    pub call: ToolCall,
    /// The call's context, kept to cancel the call if it does not finish at once.
    pub context: RequestContext,
    /// The request's span and metrics.
    pub observed: Observed,
}

/// The future of a request other than `tools/call` (`resources/read`, `prompts/get` ...): the
/// whole result, or the error to answer with.
pub(crate) type ReplyFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value, ErrorObject>> + Send>>;

/// A request other than `tools/call` whose answer is awaited (a resource read, a prompt ...).
pub(crate) struct PendingRequest {
    pub id: RequestId,
    pub era: Era,
    pub context: RequestContext,
    pub future: ReplyFuture,
    /// The request's span and metrics.
    pub observed: Observed,
}

/// What the connection must do after a message was handled.
pub(crate) enum Action {
    /// Nothing more (any response was written).
    Done,
    /// Run a tool call.
    Call(PendingCall),
    /// Run another request's handler.
    Request(PendingRequest),
    /// The client cancelled this request.
    Cancel(RequestId),
}

/// What a transport's headers say about the message they carry: modern Streamable HTTP mirrors
/// the protocol version, the method and the tool's name into headers, so that intermediaries can
/// route on them; the server must refuse a message whose body says otherwise (`-32020`).
#[derive(Debug, Default)]
pub(crate) struct Mirrored<'h> {
    pub protocol_version: Option<&'h str>,
    pub method: Option<&'h str>,
    /// `Mcp-Name`, decoded.
    pub name: Option<Cow<'h, str>>,
    /// Every `Mcp-Param-*` header: the name after the prefix (lower-cased) and the decoded value.
    pub params: Vec<(String, String)>,
}

pub(crate) struct Dispatcher<'a> {
    pub server: &'a ServerInner,
    /// The tools as they were when the message arrived (a change while it is handled does not
    /// show it half a list).
    pub tools: &'a Tools,
    pub session: &'a mut Session,
    pub out: &'a mut Vec<u8>,
    pub outbox: &'a Outbox,
    /// The message is one of a JSON-RPC batch array (where `initialize` may not appear).
    pub in_batch: bool,
    /// The headers of a modern HTTP request, checked against its body.
    pub mirrored: Option<&'a Mirrored<'a>>,
    /// The code of the error the message was answered with, if any (HTTP picks its status by it).
    pub failure: Option<i32>,
    /// The request's `_meta` was missing or malformed: the stateless HTTP era answers 400.
    pub bad_meta: std::cell::Cell<bool>,
    /// The span and metrics of the request being handled.
    pub observe: Scope<'a>,
}

pub(super) type Reply<T> = Result<T, ErrorObject>;

impl Dispatcher<'_> {
    pub(crate) fn handle_line(&mut self, line: &[u8]) -> Action {
        if line.first() == Some(&b'[') {
            // The connection takes batches of 2025-03-26 sessions apart before they get here.
            let error = ErrorObject::invalid_request(format!(
                "JSON-RPC batches are only accepted in protocol version {BATCH_VERSION}, one \
                 level deep"
            ));
            self.fail(None, &error);
            return Action::Done;
        }
        // Validating UTF-8 once, up front, spares serde_json from re-checking every string and
        // raw value it borrows.
        let Ok(line) = std::str::from_utf8(line) else {
            let error =
                ErrorObject::new(PARSE_ERROR, "Parse error: the message is not valid UTF-8");
            self.fail(None, &error);
            return Action::Done;
        };
        if let Ok(FastCall { id, params }) = serde_json::from_str::<FastCall<'_>>(line) {
            self.observe.begin(&self.tools.handles, "tools/call", &id);
            let mut action = self.reply(&id, |this| this.tools_call(&id, params));
            self.settle(&mut action, line);
            return action;
        }
        let incoming: Incoming<'_> = match serde_json::from_str(line) {
            Ok(incoming) => incoming,
            Err(err) => {
                let (id, error) = unreadable(line, &err);
                self.fail(id.as_ref(), &error);
                return Action::Done;
            }
        };
        match incoming.classify() {
            Classified::Request { id, method, params } => {
                self.observe.begin(&self.tools.handles, &method, &id);
                let mut action = self.reply(&id, |this| this.request(&id, &method, params));
                self.settle(&mut action, line);
                action
            }
            Classified::Notification { method, params } => self.notification(&method, params),
            Classified::Response { id, answer } => {
                let waiting = self.session.client_requests.as_ref();
                let delivered = match (waiting, &id) {
                    (Some(requests), Some(id)) => requests.complete(id, answer),
                    _ => false,
                };
                if !delivered {
                    tracing::debug!(?id, "ignored a response to no request waiting");
                }
                Action::Done
            }
            Classified::Invalid { id, error } => {
                self.fail(id.as_ref(), &error);
                Action::Done
            }
        }
    }

    /// Runs a request handler; its error becomes the request's error reply.
    fn reply(&mut self, id: &RequestId, handle: impl FnOnce(&mut Self) -> Reply<Action>) -> Action {
        handle(self).unwrap_or_else(|error| {
            self.fail(Some(id), &error);
            Action::Done
        })
    }

    /// Hands the request's observation to the work that answers it (with the trace context of
    /// `line`, the message), or finishes it when the request was answered already.
    #[inline]
    fn settle(&mut self, action: &mut Action, line: &str) {
        if !self.observe.current().is_active() {
            return;
        }
        let mut observed = self.observe.take();
        match action {
            Action::Call(PendingCall { observed: slot, .. })
            | Action::Request(PendingRequest { observed: slot, .. }) => {
                observed.adopt_trace_context(line);
                observed.started();
                *slot = observed;
            }
            Action::Done => {
                let outcome = self.failure.map_or(Outcome::Ok, Outcome::Error);
                observed.finish(outcome, None);
            }
            Action::Cancel(_) => {}
        }
    }

    /// Answers with an error.
    fn fail(&mut self, id: Option<&RequestId>, error: &ErrorObject) {
        self.failure = Some(error.code);
        write_error(self.out, id, error);
    }

    /// Checks a mirrored header against the body's value.
    pub(super) fn check_mirrored(header: &str, sent: Option<&str>, body: &str) -> Reply<()> {
        match sent {
            Some(sent) if sent == body => Ok(()),
            Some(sent) => Err(ErrorObject::new(
                HEADER_MISMATCH,
                format!("Header mismatch: {header} header value '{sent}' does not match body value '{body}'"),
            )),
            None => Err(ErrorObject::new(
                HEADER_MISMATCH,
                format!("Header mismatch: the {header} header is missing"),
            )),
        }
    }

    fn tools_call(&mut self, id: &RequestId, params: CallToolParams<'_>) -> Reply<Action> {
        if let Some(mirrored) = self.mirrored {
            Self::check_mirrored("Mcp-Method", mirrored.method, "tools/call")?;
            Self::check_mirrored("Mcp-Name", mirrored.name.as_deref(), &params.name)?;
        }
        let era = self.era(params.meta.as_ref())?;
        self.call_tool(id, era, params).map(Action::Call)
    }

    fn request(
        &mut self,
        id: &RequestId,
        method: &str,
        params: Option<&RawValue>,
    ) -> Reply<Action> {
        if let Some(mirrored) = self.mirrored.filter(|_| method != "tools/call") {
            Self::check_mirrored("Mcp-Method", mirrored.method, method)?;
            if REMOVED_IN_MODERN.contains(&method) {
                return Err(removed(method));
            }
        }
        match method {
            "tools/call" => self.tools_call(id, required_params(params)?),
            "tools/list" => {
                let params: ListParams<'_> = optional_params(params)?;
                let era = self.era(params.meta.as_ref())?;
                self.list_tools(id, era, params.cursor.as_deref())?;
                Ok(Action::Done)
            }
            "initialize" if self.in_batch => Err(ErrorObject::invalid_request(
                "initialize must not be part of a JSON-RPC batch",
            )),
            "initialize" => {
                let params: InitializeParams<'_> = required_params(params)?;
                self.initialize(id, &params);
                Ok(Action::Done)
            }
            "ping" => {
                // Legacy: allowed at any time, even before `initialize`.
                let params: MetaOnlyParams<'_> = optional_params(params)?;
                if params
                    .meta
                    .as_ref()
                    .is_some_and(|m| m.protocol_version.is_some())
                {
                    return Err(removed("ping"));
                }
                write_result(self.out, id, &json!({}));
                Ok(Action::Done)
            }
            "server/discover" => {
                let params: MetaOnlyParams<'_> = optional_params(params)?;
                let meta = params.meta.as_ref();
                if meta.and_then(|m| m.protocol_version.as_ref()).is_none() {
                    self.bad_meta.set(true);
                    return Err(missing_meta());
                }
                self.era(meta)?;
                self.discover(id);
                Ok(Action::Done)
            }
            "logging/setLevel" => {
                let params: SetLevelParams<'_> = required_params(params)?;
                if self.session.legacy_version.is_none() {
                    return Err(ErrorObject::new(
                        METHOD_NOT_FOUND,
                        "logging/setLevel belongs to the initialize-based protocol; in 2026-07-28 \
                         send io.modelcontextprotocol/logLevel in each request's _meta",
                    ));
                }
                let level = parse_level(&params.level)?;
                self.session.log_level = Some(level);
                self.write_empty(id, self.era(None)?);
                Ok(Action::Done)
            }
            other => self.primitive(id, other, params).unwrap_or_else(|| {
                Err(
                    ErrorObject::new(METHOD_NOT_FOUND, format!("Method not found: {method}"))
                        .with_data(json!({"method": method})),
                )
            }),
        }
    }

    fn notification(&mut self, method: &str, params: Option<&RawValue>) -> Action {
        match method {
            "notifications/cancelled" => {
                match params.map(|p| serde_json::from_str::<CancelledParams>(p.get())) {
                    Some(Ok(CancelledParams {
                        request_id: Some(id),
                    })) => Action::Cancel(id),
                    _ => {
                        tracing::debug!("ignored a malformed notifications/cancelled");
                        Action::Done
                    }
                }
            }
            "notifications/initialized" => Action::Done,
            other => {
                tracing::debug!(method = other, "ignored a notification");
                Action::Done
            }
        }
    }

    /// How a request in `era` asks the client things: in a legacy session by requests on its
    /// stream; in the stateless era (for the methods that may) by `input_required` results.
    pub(super) fn client_link(
        &self,
        era: Era,
        meta: Option<&RequestMeta<'_>>,
        round: Option<InputRound>,
    ) -> Option<ClientLink> {
        match era {
            Era::Legacy(_) => self.session.client_link(),
            Era::Modern => Some(ClientLink {
                requests: None,
                input: round,
                caps: meta
                    .and_then(|m| m.client_capabilities)
                    .map_or_else(ClientCaps::default, |raw| ClientCaps::parse(raw.get())),
            }),
        }
    }

    /// The round of a stateless request that may ask the client for input.
    pub(super) fn input_round(
        &self,
        era: Era,
        method: &'static str,
        target: impl FnOnce() -> Arc<str>,
        responses: Option<&RawValue>,
        state: Option<&str>,
    ) -> Reply<Option<InputRound>> {
        if !era.is_modern() {
            return Ok(None);
        }
        InputRound::new(method, target(), &self.server.state_key, responses, state).map(Some)
    }

    /// The era a request is served in: modern when its `_meta` names a protocol version,
    /// legacy when this connection was initialized.
    pub(super) fn era(&self, meta: Option<&RequestMeta<'_>>) -> Reply<Era> {
        let era = self.era_of(meta);
        if matches!(&era, Err(e) if e.code == INVALID_PARAMS) {
            self.bad_meta.set(true);
        }
        if let Ok(era) = era {
            self.observe.current().era(era);
        }
        era
    }

    fn era_of(&self, meta: Option<&RequestMeta<'_>>) -> Reply<Era> {
        if let Some(mirrored) = self.mirrored {
            // A stateless request without its version is invalid (-32602) before its headers
            // can disagree with it (-32020).
            let body = meta
                .and_then(|m| m.protocol_version.as_deref())
                .ok_or_else(missing_meta)?;
            Self::check_mirrored("MCP-Protocol-Version", mirrored.protocol_version, body)?;
        }
        if let Some(meta) = meta {
            if let Some(version) = &meta.protocol_version {
                if version != MODERN_VERSION {
                    return Err(ErrorObject::new(
                        UNSUPPORTED_PROTOCOL_VERSION,
                        "Unsupported protocol version",
                    )
                    .with_data(json!({"supported": [MODERN_VERSION], "requested": version})));
                }
                if meta.client_capabilities.is_none() {
                    return Err(ErrorObject::invalid_params(format!(
                        "params._meta lacks {}",
                        meta_keys::CLIENT_CAPABILITIES
                    )));
                }
                if let Some(level) = &meta.log_level {
                    parse_level(level)?;
                }
                return Ok(Era::Modern);
            }
        }
        match self.session.legacy_version {
            Some(version) => Ok(Era::Legacy(version)),
            None => Err(missing_meta()),
        }
    }

    fn call_tool(
        &mut self,
        id: &RequestId,
        era: Era,
        params: CallToolParams<'_>,
    ) -> Reply<PendingCall> {
        let Some(&index) = self.tools.index.get(&*params.name) else {
            return Err(ErrorObject::invalid_params(format!(
                "Unknown tool: {}",
                params.name
            )));
        };
        self.observe
            .current_mut()
            .tool(&self.tools.handles, index, &params.name);
        if let Some(mirrored) = self.mirrored {
            let header_params = &self.tools.header_params[index];
            if !header_params.is_empty() || !mirrored.params.is_empty() {
                param_headers::check(header_params, params.arguments, &mirrored.params)?;
            }
        }
        let meta = params.meta.unwrap_or_default();
        let required = &self.tools.list[index].def().required_client_capabilities;
        if !required.is_empty() {
            let declared = match era {
                Era::Modern => meta.client_capabilities.map(RawValue::get),
                Era::Legacy(_) => self.session.client_capabilities.as_deref(),
            };
            missing_capabilities(required, declared)?;
        }
        let log_level = match era {
            Era::Modern => meta.log_level.as_deref().and_then(LogLevel::parse),
            Era::Legacy(_) => self.session.log_level,
        };
        let cache_control = match meta.cache.as_deref() {
            None => CacheControl::Default,
            Some(value) => CacheControl::parse(value).ok_or_else(|| {
                ErrorObject::invalid_params(format!(
                    "Invalid {CACHE_META_KEY}: {value} (expected default, bypass or refresh)"
                ))
            })?,
        };
        let round = self.input_round(
            era,
            "tools/call",
            || self.tools.list[index].def().name.clone(),
            params.input_responses,
            params.request_state.as_deref(),
        )?;
        let context = RequestContext::new(
            id.clone(),
            era,
            meta.progress_token.map(ToOwned::to_owned),
            log_level,
            self.outbox.clone(),
            cache_control,
            self.client_link(era, Some(&meta), round),
        );
        let tool = &self.tools.list[index];
        let call = ToolCall::from_parts(
            tool.def().name.clone(),
            params.arguments.map(ToOwned::to_owned),
            context.clone(),
            self.server.state.clone(),
        );
        Ok(PendingCall {
            id: id.clone(),
            era,
            tool: index,
            name: tool.def().name.clone(),
            call,
            context,
            observed: Observed::default(),
        })
    }

    fn list_tools(&mut self, id: &RequestId, era: Era, cursor: Option<&str>) -> Reply<()> {
        let entries = &self.tools.entries;
        self.list_page(id, era, cursor, "tools", entries)
    }

    fn initialize(&mut self, id: &RequestId, params: &InitializeParams<'_>) {
        let version = negotiate_legacy(&params.protocol_version);
        self.session.legacy_version = Some(version);
        self.session.hear_list_changes();
        self.session.client_capabilities = params.capabilities.map(|raw| Arc::from(raw.get()));
        self.session.client_caps = params
            .capabilities
            .map_or_else(ClientCaps::default, |raw| ClientCaps::parse(raw.get()));
        tracing::debug!(
            requested = %params.protocol_version,
            negotiated = version,
            client = params.client_info.map(RawValue::get),
            "initialize"
        );
        let result = json!({
            "protocolVersion": version,
            "capabilities": self.server.capabilities,
            "serverInfo": self.server.info,
            "instructions": self.server.instructions,
        });
        write_result(self.out, id, &strip_nulls(result));
    }

    fn discover(&mut self, id: &RequestId) {
        let result = json!({
            "supportedVersions": [MODERN_VERSION],
            "capabilities": self.server.capabilities,
            "instructions": self.server.instructions,
            "ttlMs": self.server.list_ttl_ms,
            "cacheScope": "public",
        });
        self.write(id, Era::Modern, &strip_nulls(result));
    }

    fn write_empty(&mut self, id: &RequestId, era: Era) {
        self.write(id, era, &json!({}));
    }

    pub(super) fn write<R: Serialize>(&mut self, id: &RequestId, era: Era, result: &R) {
        match era {
            Era::Modern => write_modern_result(self.out, id, result, self.server),
            Era::Legacy(_) => write_result(self.out, id, result),
        }
    }
}

/// Parses params a method cannot do without.
pub(super) fn required_params<'a, T: serde::Deserialize<'a>>(
    params: Option<&'a RawValue>,
) -> Reply<T> {
    let raw =
        params.ok_or_else(|| ErrorObject::invalid_params("Invalid params: missing \"params\""))?;
    serde_json::from_str(raw.get())
        .map_err(|err| ErrorObject::invalid_params(format!("Invalid params: {err}")))
}

/// Parses params that may be left out.
pub(super) fn optional_params<'a, T: serde::Deserialize<'a> + Default>(
    params: Option<&'a RawValue>,
) -> Reply<T> {
    params.map_or_else(|| Ok(T::default()), |raw| required_params(Some(raw)))
}

/// Refuses a call that needs client capabilities the client did not declare (`-32021`, with
/// `data.requiredCapabilities` keyed by the missing ones).
fn missing_capabilities(required: &[String], declared: Option<&str>) -> Reply<()> {
    let declared: serde_json::Map<String, Value> = declared
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let missing: serde_json::Map<String, Value> = required
        .iter()
        .filter(|c| !declared.contains_key(c.as_str()))
        .map(|c| (c.clone(), json!({})))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.keys().map(String::as_str).collect();
    Err(ErrorObject::new(
        MISSING_REQUIRED_CLIENT_CAPABILITY,
        format!(
            "Missing required client capability: this tool needs {} (declare it in the client's capabilities)",
            names.join(", ")
        ),
    )
    .with_data(json!({ "requiredCapabilities": missing })))
}

/// Methods of the initialize-based protocol that `2026-07-28` removed.
const REMOVED_IN_MODERN: [&str; 5] = [
    "initialize",
    "ping",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
];

fn removed(method: &str) -> ErrorObject {
    ErrorObject::new(
        METHOD_NOT_FOUND,
        format!(
            "Method not found: {method} belongs to the initialize-based protocol, not 2026-07-28"
        ),
    )
    .with_data(json!({ "method": method }))
}

fn parse_level(level: &str) -> Reply<LogLevel> {
    LogLevel::parse(level)
        .ok_or_else(|| ErrorObject::invalid_params(format!("Unknown log level: {level}")))
}

fn missing_meta() -> ErrorObject {
    ErrorObject::invalid_params(format!(
        "params._meta lacks {}: send `initialize` first (protocol 2025-11-25 and older), or put the \
         protocol version and client capabilities in each request's _meta (2026-07-28)",
        meta_keys::PROTOCOL_VERSION
    ))
}

/// The error for a line that is not a JSON-RPC message, with its id when it has a readable one.
fn unreadable(line: &str, err: &serde_json::Error) -> (Option<RequestId>, ErrorObject) {
    if serde_json::from_str::<serde::de::IgnoredAny>(line).is_err() {
        return (
            None,
            ErrorObject::new(PARSE_ERROR, format!("Parse error: {err}")),
        );
    }
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: RequestId,
    }
    let id = serde_json::from_str::<IdOnly>(line).ok().map(|m| m.id);
    (
        id,
        ErrorObject::new(INVALID_REQUEST, format!("Invalid request: {err}")),
    )
}

fn strip_nulls(mut value: Value) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|_, v| !v.is_null());
    }
    value
}
