//! Requests a tool sends to the client while it runs: sampling (ask the client's model),
//! elicitation (ask the user), roots. Legacy era: a JSON-RPC request on the call's own stream
//! (the stdio connection, or the call's SSE stream over HTTP), answered by the client's
//! response message. The stateless era asks through `input_required` results instead, which
//! this server does not implement yet: such requests fail with a clear error.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tokio::sync::oneshot;

use super::input::InputRound;
use super::RequestContext;
use crate::protocol::content::Content;
use crate::protocol::jsonrpc::{ErrorObject, RequestId};

/// Requests to the client not yet answered, on one connection (stdio) or session (HTTP).
#[derive(Debug, Default)]
pub(crate) struct ClientRequests {
    next_id: AtomicU64,
    pending: Mutex<HashMap<u64, oneshot::Sender<Result<Value, ErrorObject>>>>,
}

/// Requests one connection or session may have waiting for the client.
const MAX_PENDING: usize = 1024;

impl ClientRequests {
    /// Requests numbered from `first` on: a session continued on another instance numbers its
    /// requests far from the first instance's, so that the client's answer to one is never
    /// taken for the other's.
    #[cfg(all(feature = "http", feature = "redis"))]
    pub(crate) fn numbered_from(first: u64) -> ClientRequests {
        ClientRequests {
            next_id: AtomicU64::new(first),
            pending: Mutex::default(),
        }
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<Result<Value, ErrorObject>>>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new request id and the receiver of its answer; `None` at the cap.
    fn open(&self) -> Option<(u64, oneshot::Receiver<Result<Value, ErrorObject>>)> {
        let mut pending = self.lock();
        if pending.len() >= MAX_PENDING {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = oneshot::channel();
        pending.insert(id, tx);
        Some((id, rx))
    }

    fn forget(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Hands the client's response to the request waiting for it; `false` when none is.
    pub(crate) fn complete(&self, id: &RequestId, answer: Result<Value, ErrorObject>) -> bool {
        let RequestId::Number(n) = id else {
            return false;
        };
        let Ok(n) = u64::try_from(*n) else {
            return false;
        };
        match self.lock().remove(&n) {
            Some(waiting) => {
                let _ = waiting.send(answer);
                true
            }
            None => false,
        }
    }
}

/// The client capabilities a tool may ask for, as flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ClientCaps(u8);

impl ClientCaps {
    const SAMPLING: u8 = 1;
    const ELICITATION: u8 = 2;
    const ROOTS: u8 = 4;

    /// Reads the capabilities a client declared (a JSON object).
    pub(crate) fn parse(raw: &str) -> ClientCaps {
        if raw.len() <= 2 {
            return ClientCaps(0); // `{}`: the common case
        }
        // Read on every stateless call: the keys are looked at in place, nothing is allocated.
        struct Flags;
        impl<'de> serde::de::Visitor<'de> for Flags {
            type Value = u8;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("client capabilities")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<u8, M::Error> {
                let mut flags = 0;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    flags |= match &*key {
                        "sampling" => ClientCaps::SAMPLING,
                        "elicitation" => ClientCaps::ELICITATION,
                        "roots" => ClientCaps::ROOTS,
                        _ => 0,
                    };
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
                Ok(flags)
            }
        }
        let mut reader = serde_json::Deserializer::from_str(raw);
        ClientCaps(serde::Deserializer::deserialize_map(&mut reader, Flags).unwrap_or(0))
    }

    fn has(self, capability: &str) -> bool {
        let flag = match capability {
            "sampling" => Self::SAMPLING,
            "elicitation" => Self::ELICITATION,
            "roots" => Self::ROOTS,
            _ => return false,
        };
        self.0 & flag != 0
    }
}

/// What a request context needs to ask the client: in the legacy era where answers come
/// back; in the stateless era the round of a multi-round-trip request; and what the client
/// declared it can do.
#[derive(Debug)]
pub(crate) struct ClientLink {
    pub requests: Option<Arc<ClientRequests>>,
    pub input: Option<InputRound>,
    pub caps: ClientCaps,
}

/// Why a request to the client did not get an answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientRequestError {
    /// The client did not declare the capability (`sampling`, `elicitation`, `roots`).
    #[error("the client did not declare the `{0}` capability")]
    NotDeclared(&'static str),
    /// This request cannot ask the client: it came without a connection to one, or in the
    /// stateless era (which asks through `input_required` results; not implemented yet).
    #[error("this request cannot send requests to the client ({0})")]
    Unavailable(&'static str),
    /// The client answered with an error.
    #[error("the client answered with an error: {0}")]
    Client(ErrorObject),
    /// The client's answer did not have the expected shape.
    #[error("the client's answer was malformed: {0}")]
    Malformed(String),
    /// The type asked for cannot be elicited (elicitation takes a flat object of strings,
    /// numbers, integers, booleans and enums).
    #[error("cannot elicit this type: {0}")]
    Schema(String),
    /// The connection ended before the client answered.
    #[error("the connection ended before the client answered")]
    Gone,
    /// Stateless era: the client is asked for this input in the request's `input_required`
    /// result and retries the request with its answer. End the handler (propagate this
    /// error); whatever it returns now is replaced by that result.
    #[error("the client is asked for input `{0}`; the request is retried with its answer")]
    InputRequired(String),
}

/// One message of a sampling request or its answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SamplingMessage {
    /// `"user"` or `"assistant"`.
    pub role: String,
    /// A text, image or audio block.
    pub content: Content,
}

impl SamplingMessage {
    /// A text message from the user.
    pub fn user(text: impl Into<String>) -> Self {
        SamplingMessage {
            role: "user".into(),
            content: Content::text(text),
        }
    }
}

/// The client's answer to a sampling request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateMessageResult {
    /// Who wrote it (`"assistant"`).
    pub role: String,
    /// What the model wrote.
    pub content: Content,
    /// The model that wrote it.
    #[serde(default)]
    pub model: String,
    /// Why it stopped.
    #[serde(default)]
    pub stop_reason: Option<String>,
}

/// How the user answered an elicitation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElicitAction {
    /// Submitted the form.
    Accept,
    /// Refused to.
    Decline,
    /// Dismissed it.
    Cancel,
}

/// The client's answer to an elicitation with a schema of your own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ElicitResult {
    /// What the user did.
    pub action: ElicitAction,
    /// The values submitted (with `Accept`).
    #[serde(default)]
    pub content: Option<Map<String, Value>>,
}

/// The answer to [`RequestContext::elicit`].
#[derive(Clone, Debug, PartialEq)]
pub enum Elicitation<T> {
    /// The user submitted these values.
    Accept(T),
    /// The user refused.
    Decline,
    /// The user dismissed the request.
    Cancel,
}

/// A root the client shares (a directory, usually `file://`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Root {
    /// Its URI.
    pub uri: String,
    /// Its display name.
    #[serde(default)]
    pub name: Option<String>,
}

/// One request for the client's input, named by a key (the stateless era's `inputRequests`
/// are keyed; the legacy era ignores the key). Take one with [`RequestContext::input`].
#[derive(Debug)]
pub struct InputRequest<'a> {
    context: &'a RequestContext,
    key: String,
}

impl RequestContext {
    /// An input request named `key`, for [`InputRequest::elicit`] and its siblings. Keys name
    /// the answers of a multi-round-trip request (`2026-07-28`), so a handler that asks again
    /// after a retry must use the same key; the `RequestContext` methods of the same names
    /// number their requests in the order they are made.
    pub fn input(&self, key: impl Into<String>) -> InputRequest<'_> {
        InputRequest {
            context: self,
            key: key.into(),
        }
    }

    fn numbered_input(&self) -> InputRequest<'_> {
        let n = self.inner.input_seq.fetch_add(1, Ordering::Relaxed) + 1;
        self.input(format!("input-{n}"))
    }

    /// Sends a request to the client and waits for its answer (see
    /// [`InputRequest::request`]).
    ///
    /// # Errors
    /// See [`ClientRequestError`].
    pub async fn request_client(
        &self,
        method: &str,
        params: Value,
    ) -> Result<Value, ClientRequestError> {
        self.numbered_input().request(method, params).await
    }

    /// Whether the client declared a capability (`"sampling"`, `"elicitation"`, `"roots"`).
    pub fn client_supports(&self, capability: &str) -> bool {
        self.client_link()
            .is_some_and(|link| link.caps.has(capability))
    }

    /// Asks the client's model to write a message (see [`InputRequest::sample`]).
    ///
    /// ```no_run
    /// # use mcp_runtime::RequestContext;
    /// # use mcp_runtime::context::SamplingMessage;
    /// # async fn f(ctx: RequestContext) -> Result<(), Box<dyn std::error::Error>> {
    /// let answer = ctx.sample(vec![SamplingMessage::user("Summarize: ...")], 200).await?;
    /// println!("{:?}", answer.content.as_text());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// See [`ClientRequestError`].
    pub async fn sample(
        &self,
        messages: Vec<SamplingMessage>,
        max_tokens: u32,
    ) -> Result<CreateMessageResult, ClientRequestError> {
        self.numbered_input().sample(messages, max_tokens).await
    }

    /// Asks the user for values described by `schema` (see [`InputRequest::elicit_schema`]).
    ///
    /// # Errors
    /// See [`ClientRequestError`].
    pub async fn elicit_schema(
        &self,
        message: &str,
        schema: Map<String, Value>,
    ) -> Result<ElicitResult, ClientRequestError> {
        self.numbered_input().elicit_schema(message, schema).await
    }

    /// Asks the user to fill in a `T` (see [`InputRequest::elicit`]).
    ///
    /// ```no_run
    /// # use mcp_runtime::RequestContext;
    /// # use mcp_runtime::context::Elicitation;
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Contact {
    ///     /// Your name.
    ///     name: String,
    ///     /// Where to reach you.
    ///     email: String,
    /// }
    /// # async fn f(ctx: RequestContext) -> Result<(), Box<dyn std::error::Error>> {
    /// match ctx.elicit::<Contact>("How can we reach you?").await? {
    ///     Elicitation::Accept(contact) => println!("{}", contact.email),
    ///     Elicitation::Decline | Elicitation::Cancel => {}
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// See [`ClientRequestError`].
    pub async fn elicit<T: JsonSchema + DeserializeOwned>(
        &self,
        message: &str,
    ) -> Result<Elicitation<T>, ClientRequestError> {
        self.numbered_input().elicit(message).await
    }

    /// The roots the client shares (see [`InputRequest::list_roots`]).
    ///
    /// # Errors
    /// See [`ClientRequestError`].
    pub async fn list_roots(&self) -> Result<Vec<Root>, ClientRequestError> {
        self.numbered_input().list_roots().await
    }
}

impl InputRequest<'_> {
    /// Sends a request to the client and waits for its answer. Legacy era: a request on the
    /// call's stream, answered by the client's response (a tool's timeout bounds the wait; a
    /// cancelled call withdraws it). Stateless era: the answer the client sent in
    /// `inputResponses` under this key, or [`ClientRequestError::InputRequired`]: the request
    /// then ends with an `input_required` result and is retried with the answer.
    ///
    /// # Errors
    /// See [`ClientRequestError`].
    pub async fn request(self, method: &str, params: Value) -> Result<Value, ClientRequestError> {
        let Some(link) = self.context.client_link() else {
            return Err(ClientRequestError::Unavailable("no client is attached"));
        };
        if let Some(round) = &link.input {
            if let Some(answer) = round.answer(&self.key) {
                return Ok(answer.clone());
            }
            round.ask(&self.key, method, params);
            return Err(ClientRequestError::InputRequired(self.key));
        }
        let Some(requests) = &link.requests else {
            return Err(ClientRequestError::Unavailable(
                "this request cannot ask the client for input (only tools/call, prompts/get and \
                 resources/read can)",
            ));
        };
        let Some((id, answer)) = requests.open() else {
            return Err(ClientRequestError::Unavailable(
                "too many requests wait for the client",
            ));
        };
        /// Withdraws the request if the call ends first.
        struct Waiting<'a>(&'a ClientRequests, u64);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.forget(self.1);
            }
        }
        let _waiting = Waiting(requests, id);
        let mut line = Vec::with_capacity(128);
        serde_json::to_writer(
            &mut line,
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )
        .expect("a request serializes");
        line.push(b'\n');
        self.context.leave_request(line);
        match answer.await {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(error)) => Err(ClientRequestError::Client(error)),
            Err(_) => Err(ClientRequestError::Gone),
        }
    }

    fn require(&self, capability: &'static str) -> Result<(), ClientRequestError> {
        if self.context.client_link().is_some() && !self.context.client_supports(capability) {
            return Err(ClientRequestError::NotDeclared(capability));
        }
        Ok(())
    }

    /// Sends the request and reads the answer as a `T`. A stateless client whose answer does
    /// not have that shape is asked again (a new `input_required` round).
    async fn ask<T: DeserializeOwned>(
        self,
        method: &str,
        params: Value,
    ) -> Result<T, ClientRequestError> {
        let context = self.context;
        let key = self.key.clone();
        let answer = self.request(method, params.clone()).await?;
        match serde_json::from_value(answer) {
            Ok(answer) => Ok(answer),
            Err(error) => match context.client_link().and_then(|l| l.input.as_ref()) {
                Some(round) => {
                    tracing::debug!(%key, "a malformed input response; asking again: {error}");
                    round.ask(&key, method, params);
                    Err(ClientRequestError::InputRequired(key))
                }
                None => Err(ClientRequestError::Malformed(error.to_string())),
            },
        }
    }

    /// Asks the client's model to write a message (`sampling/createMessage`).
    ///
    /// # Errors
    /// See [`ClientRequestError`].
    pub async fn sample(
        self,
        messages: Vec<SamplingMessage>,
        max_tokens: u32,
    ) -> Result<CreateMessageResult, ClientRequestError> {
        self.require("sampling")?;
        let params = json!({"messages": messages, "maxTokens": max_tokens});
        self.ask("sampling/createMessage", params).await
    }

    /// Asks the user for values described by `schema` (`elicitation/create`, form mode): a
    /// flat object schema of strings, numbers, integers, booleans and enums.
    ///
    /// # Errors
    /// See [`ClientRequestError`].
    pub async fn elicit_schema(
        self,
        message: &str,
        schema: Map<String, Value>,
    ) -> Result<ElicitResult, ClientRequestError> {
        self.require("elicitation")?;
        let params = json!({"mode": "form", "message": message, "requestedSchema": schema});
        self.ask("elicitation/create", params).await
    }

    /// Asks the user to fill in a `T` (its schema, from schemars, must be a flat object of
    /// strings, numbers, integers, booleans and enums, as elicitation allows; defaults and
    /// descriptions are kept).
    ///
    /// # Errors
    /// See [`ClientRequestError`].
    pub async fn elicit<T: JsonSchema + DeserializeOwned>(
        self,
        message: &str,
    ) -> Result<Elicitation<T>, ClientRequestError> {
        let schema = elicitation_schema::<T>()?;
        let answer = self.elicit_schema(message, schema).await?;
        Ok(match answer.action {
            ElicitAction::Accept => {
                let content = Value::Object(answer.content.unwrap_or_default());
                Elicitation::Accept(
                    serde_json::from_value(content)
                        .map_err(|e| ClientRequestError::Malformed(e.to_string()))?,
                )
            }
            ElicitAction::Decline => Elicitation::Decline,
            ElicitAction::Cancel => Elicitation::Cancel,
        })
    }

    /// The roots the client shares (`roots/list`).
    ///
    /// # Errors
    /// See [`ClientRequestError`].
    pub async fn list_roots(self) -> Result<Vec<Root>, ClientRequestError> {
        self.require("roots")?;
        #[derive(Deserialize)]
        struct Roots {
            roots: Vec<Root>,
        }
        let answer: Roots = self.ask("roots/list", json!({})).await?;
        Ok(answer.roots)
    }
}

/// `T`'s schema as elicitation accepts it: an object whose properties are primitives (or
/// enums), inlined, without `$schema`, `title` or `definitions`.
fn elicitation_schema<T: JsonSchema>() -> Result<Map<String, Value>, ClientRequestError> {
    let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
        s.inline_subschemas = true;
    });
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let Value::Object(mut schema) = schema.to_value() else {
        return Err(ClientRequestError::Schema("not an object schema".into()));
    };
    // The form schema elicitation takes has no room for a description of the whole.
    for key in ["$schema", "title", "description", "$defs", "definitions"] {
        schema.remove(key);
    }
    if schema.get("type") != Some(&Value::from("object")) {
        return Err(ClientRequestError::Schema(
            "the root must be an object".into(),
        ));
    }
    let mut properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for property in properties.values_mut() {
        // `Option<T>` gives `"type": ["T", "null"]`; elicitation takes the plain type (the
        // property is optional by not being required).
        if let Some(types) = property.get("type").and_then(Value::as_array) {
            let named: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
            if let [single] = named.as_slice() {
                property["type"] = single.clone();
            }
        }
    }
    schema.insert("properties".into(), Value::Object(properties.clone()));
    for (name, property) in &properties {
        let kind = property.get("type").and_then(Value::as_str);
        let primitive = matches!(kind, Some("string" | "number" | "integer" | "boolean"))
            || property.get("enum").is_some()
            || property.get("oneOf").is_some();
        let multi_select = kind == Some("array")
            && property
                .get("items")
                .is_some_and(|items| items.get("enum").is_some() || items.get("anyOf").is_some());
        if !primitive && !multi_select {
            return Err(ClientRequestError::Schema(format!(
                "property `{name}` is not a string, number, integer, boolean or enum"
            )));
        }
    }
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Form {
        /// Your name.
        name: String,
        age: Option<u8>,
        #[serde(default = "yes")]
        subscribed: bool,
    }

    fn yes() -> bool {
        true
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Nested {
        inner: Form,
    }

    #[test]
    fn flat_types_make_elicitation_schemas_and_nested_ones_are_refused() {
        let schema = elicitation_schema::<Form>().unwrap();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["properties"]["name"]["description"], "Your name.");
        assert_eq!(schema["properties"]["subscribed"]["default"], true);
        assert!(schema.get("$schema").is_none());
        assert!(matches!(
            elicitation_schema::<Nested>(),
            Err(ClientRequestError::Schema(message)) if message.contains("inner")
        ));
    }

    #[test]
    fn capabilities_are_read_from_the_keys_only() {
        let caps = ClientCaps::parse(r#"{"sampling":{},"roots":{"listChanged":true},"x":[1]}"#);
        assert!(caps.has("sampling") && caps.has("roots") && !caps.has("elicitation"));
        assert_eq!(ClientCaps::parse("{}"), ClientCaps::default());
        assert_eq!(
            ClientCaps::parse(r#"{"elicitation""#),
            ClientCaps::default()
        );
        assert!(ClientCaps::parse(r#"{"elic\u0069tation":{}}"#).has("elicitation"));
    }

    #[tokio::test]
    async fn answers_reach_the_request_that_waits_for_them() {
        let requests = ClientRequests::default();
        let (id, answer) = requests.open().unwrap();
        assert!(!requests.complete(&RequestId::Number(999), Ok(json!({}))));
        assert!(requests.complete(&RequestId::Number(id as i64), Ok(json!({"ok": true}))));
        assert_eq!(answer.await.unwrap().unwrap(), json!({"ok": true}));
        let (id, _answer) = requests.open().unwrap();
        requests.forget(id);
        assert!(!requests.complete(&RequestId::Number(id as i64), Ok(json!({}))));
    }
}
