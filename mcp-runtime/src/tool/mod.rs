//! Tools: their definitions, the calls they receive, and the tower services that run them.

mod extract;
mod output;
pub mod schema;
mod service;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tower::{Layer, Service, ServiceExt};

pub use extract::{Args, CacheKey, FromToolCall, State, StateRequirement};
pub use output::{ContentStream, IntoToolResult, Json};
#[doc(hidden)]
pub use output::{
    OutputKind, ViaFallback, ViaIntoToolResult, ViaSerialize, ViaSerializeResult, ViaStream,
};
pub use service::ToolService;

use crate::context::RequestContext;
use crate::layer::cache::{Store, ToolCache};
use crate::layer::rate_limit::RateLimitLayer;
use crate::layer::timeout::TimeoutLayer;
use crate::protocol::content::CallToolResult;
use crate::protocol::messages::ToolAnnotations;
use schema::JsonObject;

/// The error type of tool services. Errors become `isError: true` results, never protocol
/// errors, so the model can see what went wrong.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The future of a tool service (what a [`ToolService`] returns).
pub type ToolFuture = Pin<Box<dyn Future<Output = Result<CallToolResult, BoxError>> + Send>>;

/// Values shared by every call: connection pools, clients, configuration. Created once.
///
/// Tools reach them through [`State<T>`] arguments; register them with
/// [`ServerBuilder::state`](crate::ServerBuilder::state).
#[derive(Clone)]
pub struct SharedState(Arc<StateMap>);

struct StateMap {
    /// Identifies this set of values; a changed copy gets a new one (never reused).
    id: u64,
    values: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    /// The result stores of the server's cached tools, by [`ToolCache`] id.
    caches: HashMap<u64, Arc<Store>>,
}

impl StateMap {
    fn new() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        StateMap {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            values: HashMap::new(),
            caches: HashMap::new(),
        }
    }
}

impl Clone for StateMap {
    /// A copy about to change: it is a different set of values.
    fn clone(&self) -> Self {
        StateMap {
            values: self.values.clone(),
            caches: self.caches.clone(),
            ..StateMap::new()
        }
    }
}

impl Default for SharedState {
    /// No values. Every empty set is the same one until a value is added, so calls made
    /// without a server (`Tool::call_json`, say) still share batches.
    fn default() -> Self {
        static EMPTY: OnceLock<Arc<StateMap>> = OnceLock::new();
        SharedState(EMPTY.get_or_init(|| Arc::new(StateMap::new())).clone())
    }
}

impl SharedState {
    /// Adds a value, replacing any earlier value of the same type.
    pub fn insert<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        Arc::make_mut(&mut self.0)
            .values
            .insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The value of type `T`, if one was added.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.0
            .values
            .get(&TypeId::of::<T>())
            .and_then(|value| value.downcast_ref())
    }

    /// Identifies this set of values: clones share it, separately built (or changed) sets
    /// never do, even after the first is gone.
    pub(crate) fn id(&self) -> u64 {
        self.0.id
    }

    pub(crate) fn contains(&self, type_id: TypeId) -> bool {
        self.0.values.contains_key(&type_id)
    }

    /// The store a cached tool keeps this server's results in.
    pub(crate) fn cache_store(&self, cache: u64) -> Option<&Arc<Store>> {
        self.0.caches.get(&cache)
    }

    pub(crate) fn insert_cache_store(&mut self, cache: u64, store: Arc<Store>) {
        Arc::make_mut(&mut self.0).caches.insert(cache, store);
    }
}

impl std::fmt::Debug for SharedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedState")
            .field("values", &self.0.values.len())
            .finish()
    }
}

/// One call of a tool: its arguments, the request context and the shared state.
///
/// This is the request type of every tool service, so tower layers can read it.
#[derive(Debug)]
pub struct ToolCall {
    tool: Arc<str>,
    arguments: Option<Box<RawValue>>,
    context: RequestContext,
    state: SharedState,
}

impl ToolCall {
    /// A call of `tool` with `arguments`, outside any server (for tests and benchmarks):
    /// a detached context and no shared state; add state with [`ToolCall::with_state`].
    ///
    /// ```
    /// let call = mcp_runtime::ToolCall::new("add", serde_json::json!({"a": 1, "b": 2}));
    /// assert_eq!(call.tool_name(), "add");
    /// ```
    pub fn new(tool: impl Into<Arc<str>>, arguments: Value) -> Self {
        let arguments = serde_json::value::to_raw_value(&arguments).ok();
        ToolCall::from_parts(
            tool.into(),
            arguments,
            RequestContext::detached(),
            SharedState::default(),
        )
    }

    pub(crate) fn from_parts(
        tool: Arc<str>,
        arguments: Option<Box<RawValue>>,
        context: RequestContext,
        state: SharedState,
    ) -> Self {
        ToolCall {
            tool,
            arguments,
            context,
            state,
        }
    }

    /// Sets how a detached call uses a result cache (replaces its context with a detached one).
    pub fn with_cache_control(mut self, control: crate::layer::cache::CacheControl) -> Self {
        self.context = RequestContext::detached_with(control);
        self
    }

    /// Replaces the shared state the call sees.
    pub fn with_state(mut self, state: SharedState) -> Self {
        self.state = state;
        self
    }

    /// The name of the tool being called.
    pub fn tool_name(&self) -> &str {
        &self.tool
    }

    pub(crate) fn tool_arc(&self) -> Arc<str> {
        self.tool.clone()
    }

    /// The arguments as the client sent them (`None` when it sent none).
    pub fn arguments(&self) -> Option<&RawValue> {
        self.arguments.as_deref()
    }

    /// The request context.
    pub fn context(&self) -> &RequestContext {
        &self.context
    }

    /// The shared state.
    pub fn state(&self) -> &SharedState {
        &self.state
    }

    /// Deserializes the arguments (absent or `null` count as `{}`).
    ///
    /// # Errors
    /// An `isError` result telling the model what is wrong with its arguments.
    pub fn parse_arguments<T: DeserializeOwned>(&self) -> Result<T, CallToolResult> {
        let text = match self.arguments.as_deref().map(RawValue::get) {
            None | Some("null") => "{}",
            Some(text) => text,
        };
        if !text.starts_with('{') {
            // Quote only the start: the arguments may be megabytes long.
            let shown = match text.char_indices().nth(SHOWN_ARGUMENT_CHARS) {
                Some((end, _)) => format!("{}...", &text[..end]),
                None => text.to_owned(),
            };
            return Err(CallToolResult::error(format!(
                "Invalid arguments for tool `{}`: expected a JSON object, got {shown}",
                self.tool
            )));
        }
        serde_json::from_str(text).map_err(|err| {
            CallToolResult::error(format!("Invalid arguments for tool `{}`: {err}", self.tool))
        })
    }
}

/// How much of non-object arguments an error message quotes.
const SHOWN_ARGUMENT_CHARS: usize = 64;

/// What a client sees of a tool in `tools/list`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolDef {
    /// Unique name: 1–128 characters of `A-Z a-z 0-9 _ - .`.
    pub name: Arc<str>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the tool does, for the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the arguments; its root is an object.
    pub input_schema: JsonObject,
    /// JSON Schema of `structuredContent`, when the tool returns structured results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<JsonObject>,
    /// Behaviour hints.
    #[serde(skip_serializing_if = "ToolAnnotations::is_empty")]
    pub annotations: ToolAnnotations,
    /// Shared state the tool needs; checked when the server is built.
    #[serde(skip)]
    pub state_requirements: Vec<StateRequirement>,
}

impl ToolDef {
    /// A definition with a name and input schema and nothing else.
    ///
    /// ```
    /// use mcp_runtime::ToolDef;
    /// let def = ToolDef::new("ping", serde_json::Map::new()).with_description("Answers pong.");
    /// assert_eq!(&*def.name, "ping");
    /// ```
    pub fn new(name: impl Into<Arc<str>>, input_schema: JsonObject) -> Self {
        let mut input_schema = input_schema;
        input_schema
            .entry("type")
            .or_insert_with(|| Value::from("object"));
        ToolDef {
            name: name.into(),
            title: None,
            description: None,
            input_schema,
            output_schema: None,
            annotations: ToolAnnotations::default(),
            state_requirements: Vec::new(),
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the display title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the output schema.
    pub fn with_output_schema(mut self, schema: Option<JsonObject>) -> Self {
        self.output_schema = schema;
        self
    }

    /// Sets the behaviour hints.
    pub fn with_annotations(mut self, annotations: ToolAnnotations) -> Self {
        self.annotations = annotations;
        self
    }

    /// Declares shared state the tool needs.
    pub fn with_state_requirement(mut self, requirement: StateRequirement) -> Self {
        self.state_requirements.push(requirement);
        self
    }
}

/// Whether `name` is a valid tool name: 1–128 characters of `A-Z a-z 0-9 _ - .`.
pub fn is_valid_tool_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// A tool: its definition and the service that runs it.
///
/// `#[tool]` generates one for each function (`my_fn::tool()`); build others by hand with
/// [`Tool::new`] or [`Tool::from_fn`].
#[derive(Clone)]
pub struct Tool {
    def: Arc<ToolDef>,
    service: ToolService,
    cache: Option<ToolCache>,
    has_timeout: bool,
}

impl std::fmt::Debug for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tool")
            .field("def", &self.def)
            .finish_non_exhaustive()
    }
}

impl Tool {
    /// A tool from its definition and any tower service over [`ToolCall`]s.
    pub fn new<S>(def: ToolDef, service: S) -> Self
    where
        S: Service<ToolCall, Response = CallToolResult> + Clone + Send + Sync + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        Tool {
            def: Arc::new(def),
            service: ToolService::new(service),
            cache: None,
            has_timeout: false,
        }
    }

    /// A tool from its definition and an async function.
    ///
    /// ```
    /// use mcp_runtime::{CallToolResult, Tool, ToolCall, ToolDef};
    /// let shout = Tool::from_fn(ToolDef::new("shout", Default::default()), |call: ToolCall| async move {
    ///     let text = call.arguments().map(|raw| raw.get().to_uppercase()).unwrap_or_default();
    ///     Ok::<_, std::convert::Infallible>(CallToolResult::text(text))
    /// });
    /// assert_eq!(shout.name(), "shout");
    /// ```
    pub fn from_fn<F, Fut, E>(def: ToolDef, f: F) -> Self
    where
        F: Fn(ToolCall) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<CallToolResult, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        Tool::new(def, tower::service_fn(f))
    }

    /// A tool whose service is a generated handler (what `#[tool]` builds).
    pub(crate) fn from_handler(def: ToolDef, handler: fn(ToolCall) -> ToolFuture) -> Self {
        Tool {
            def: Arc::new(def),
            service: ToolService::from_handler(handler),
            cache: None,
            has_timeout: false,
        }
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// The tool's definition.
    pub fn def(&self) -> &ToolDef {
        &self.def
    }

    /// The tool's service (a cheap clone).
    pub fn service(&self) -> ToolService {
        self.service.clone()
    }

    /// Wraps the tool's service in a tower layer.
    ///
    /// ```
    /// # use mcp_runtime::{CallToolResult, Tool, ToolCall, ToolDef};
    /// # let tool = Tool::from_fn(ToolDef::new("t", Default::default()), |_: ToolCall| async {
    /// #     Ok::<_, std::convert::Infallible>(CallToolResult::text("ok"))
    /// # });
    /// // Any tower layer over `ToolCall`s: here one that marks every result.
    /// let marked = tool.layer(tower::util::MapResponseLayer::new(|mut result: CallToolResult| {
    ///     result.meta = Some(serde_json::Map::from_iter([("seen".into(), true.into())]));
    ///     result
    /// }));
    /// ```
    pub fn layer<L>(self, layer: L) -> Self
    where
        L: Layer<ToolService>,
        L::Service: Service<ToolCall, Response = CallToolResult> + Clone + Send + Sync + 'static,
        <L::Service as Service<ToolCall>>::Error: Into<BoxError>,
        <L::Service as Service<ToolCall>>::Future: Send + 'static,
    {
        let service = layer.layer(self.service);
        Tool {
            service: ToolService::new(service.map_err(Into::into)),
            ..self
        }
    }

    /// Bounds every call to `duration`: a call still running then is dropped and answered with
    /// an `isError` result saying it timed out. (`#[tool(timeout = "5s")]`)
    pub fn timeout(self, duration: Duration) -> Self {
        let mut tool = self.layer(TimeoutLayer::new(duration));
        tool.has_timeout = true;
        tool
    }

    /// Caches successful results for `ttl`, keeping at most `capacity` argument sets per
    /// server, within the server's byte budget.
    /// (`#[tool(cache_ttl = 300, cache_capacity = 10_000)]`)
    pub fn cached(self, ttl: Duration, capacity: u64) -> Self {
        self.with_cache(ToolCache::new(ttl, capacity))
    }

    /// Caches successful results in `cache` (configured with a byte budget or keyed
    /// extractors, say). Each server the tool is registered with keeps its own results.
    pub fn with_cache(self, cache: ToolCache) -> Self {
        let mut tool = self.layer(cache.layer());
        tool.cache = Some(cache);
        tool
    }

    /// Runs at most `limit` calls at once; further calls wait for a free slot (bounded by the
    /// tool's timeout, when it has one). (`#[tool(concurrency = 4)]`)
    pub fn concurrency_limit(self, limit: usize) -> Self {
        self.layer(tower::limit::ConcurrencyLimitLayer::new(limit.max(1)))
    }

    /// Lets at most `calls` calls start in any window of `period`, shared by every connection;
    /// calls over the rate wait for their turn (bounded by the tool's timeout, when it has
    /// one).
    /// (`#[tool(rate_limit = "10/s")]`)
    pub fn rate_limit(self, calls: u32, period: Duration) -> Self {
        self.layer(RateLimitLayer::new(calls, period))
    }

    /// The tool's result cache, when it has one: invalidate entries, read hit counts.
    pub fn cache(&self) -> Option<&ToolCache> {
        self.cache.as_ref()
    }

    pub(crate) fn has_timeout(&self) -> bool {
        self.has_timeout
    }

    /// Runs one call through the tool's service. Service errors become `isError` results.
    pub async fn call(&self, call: ToolCall) -> CallToolResult {
        match self.service.clone().oneshot(call).await {
            Ok(result) => result,
            Err(err) => failure_result(&self.def.name, &*err),
        }
    }

    /// Calls the tool with JSON arguments, outside any server.
    ///
    /// ```
    /// # use mcp_runtime::{CallToolResult, Tool, ToolCall, ToolDef};
    /// # let tool = Tool::from_fn(ToolDef::new("t", Default::default()), |_: ToolCall| async {
    /// #     Ok::<_, std::convert::Infallible>(CallToolResult::text("ok"))
    /// # });
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let result = tool.call_json(serde_json::json!({})).await;
    /// assert_eq!(result.content[0].as_text(), Some("ok"));
    /// # });
    /// ```
    pub async fn call_json(&self, arguments: Value) -> CallToolResult {
        self.call(ToolCall::new(self.def.name.clone(), arguments))
            .await
    }
}

/// The `isError` result for a tool whose service failed.
pub(crate) fn failure_result(
    tool: &str,
    err: &(dyn std::error::Error + 'static),
) -> CallToolResult {
    CallToolResult::error(format!("Tool `{tool}` failed: {err}"))
}
