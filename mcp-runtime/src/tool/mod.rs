//! Tools: their definitions, the calls they receive, and the tower services that run them.

pub(crate) mod call;
mod def;
mod extract;
mod output;
pub mod schema;
mod select;
pub(crate) mod service;
pub(crate) mod state;
mod stream;

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;
use tower::{Layer, Service, ServiceExt};

pub use call::ToolCall;
pub use def::{is_valid_tool_name, ToolDef};
pub use extract::{Args, CacheKey, FromToolCall, State, StateRequirement};
pub use output::{IntoToolResult, Json};
#[doc(hidden)]
pub use select::{
    OutputKind, OutputMode, ViaFallback, ViaIntoToolResult, ViaSerialize, ViaSerializeResult,
    ViaStream,
};
pub use service::{BoxError, ToolFuture, ToolService};
pub use state::SharedState;
pub use stream::ContentStream;

use crate::layer::cache::store::ToolCache;
use crate::protocol::content::CallToolResult;

/// A tool: its definition and the service that runs it.
///
/// `#[tool]` generates one for each function (`my_fn::tool()`); build others by hand with
/// [`Tool::new`] or [`Tool::from_fn`].
#[derive(Clone)]
pub struct Tool {
    def: Arc<ToolDef>,
    service: ToolService,
    /// Set by [`Tool::with_cache`] (in `layer/cache`): the server gives the cache its stores.
    pub(crate) cache: Option<ToolCache>,
    /// Set by [`Tool::timeout`] (in `layer/timeout`): a server-wide default does not apply.
    pub(crate) has_timeout: bool,
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
        Self::from_service(def, ToolService::from_handler(handler))
    }

    /// A tool whose service is a generated handler holding data (a `#[tools]` method's).
    pub(crate) fn from_shared_handler(
        def: ToolDef,
        handler: impl Fn(ToolCall) -> ToolFuture + Send + Sync + 'static,
    ) -> Self {
        Self::from_service(def, ToolService::from_shared_handler(handler))
    }

    fn from_service(def: ToolDef, service: ToolService) -> Self {
        Tool {
            def: Arc::new(def),
            service,
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

    /// Runs at most `limit` calls at once; further calls wait for a free slot (bounded by the
    /// tool's timeout, when it has one). (`#[tool(concurrency = 4)]`)
    pub fn concurrency_limit(self, limit: usize) -> Self {
        self.layer(tower::limit::ConcurrencyLimitLayer::new(limit.max(1)))
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
