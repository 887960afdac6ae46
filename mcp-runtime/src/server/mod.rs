//! The MCP server: a builder, the shared server data, and serving connections.

pub(crate) mod call;
mod catalog;
mod connection;
mod dispatch;
#[cfg(feature = "http")]
pub(crate) mod exchange;
mod fast_call;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
mod lines;
pub(crate) mod notify;
mod param_headers;
mod primitives;
mod reply;
mod rpc_batch;
mod surface;

use std::future::Future;
use std::hash::Hasher;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::context::input::StateKey;
use crate::layer::cache::ToolCache;
use crate::prompt::Prompt;
use crate::protocol::content::CallToolResult;
use crate::protocol::messages::{meta_keys, Implementation};
use crate::resource::Resource;
use crate::tool::{BoxError, SharedState, Tool, ToolCall, ToolService};
use connection::{Connection, DEFAULT_SHUTDOWN_GRACE};
use notify::ListKind;
use surface::Surface;
use tower::{Layer, Service};

/// Why a server could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Two tools share a name.
    #[error("two tools are named `{0}`")]
    DuplicateTool(String),
    /// A tool's name is not 1–128 characters of `A-Z a-z 0-9 _ - .`.
    #[error("`{0}` is not a valid tool name (1-128 characters of A-Z a-z 0-9 _ - .)")]
    InvalidToolName(String),
    /// Two resources share a URI, or two templates a pattern.
    #[error("two resources have the URI `{0}`")]
    DuplicateResource(String),
    /// Two prompts share a name.
    #[error("two prompts are named `{0}`")]
    DuplicatePrompt(String),
    /// A completer was given for an argument (or template variable) that does not exist.
    #[error("`{owner}` has no argument or variable `{argument}` to complete")]
    UnknownCompletionArgument {
        /// The prompt or resource template.
        owner: String,
        /// The argument named by the completer.
        argument: String,
    },
    /// A resource or prompt was added while serving to a server built without any: it does not
    /// declare the capability (`resources` or `prompts`), so clients would not ask for it.
    #[error("the server was built without {0}, so it does not declare that capability; register one when building it")]
    NotDeclared(&'static str),
    /// A tool takes `State<T>` but no `T` was registered with [`ServerBuilder::state`].
    #[error("tool `{tool}` takes State<{type_name}>, but no `{type_name}` was registered with ServerBuilder::state")]
    MissingState {
        /// The tool.
        tool: String,
        /// The state type it needs.
        type_name: &'static str,
    },
    /// A `#[prompt]` takes `State<T>` but no `T` was registered with [`ServerBuilder::state`].
    #[error("prompt `{prompt}` takes State<{type_name}>, but no `{type_name}` was registered with ServerBuilder::state")]
    PromptMissingState {
        /// The prompt.
        prompt: String,
        /// The state type it needs.
        type_name: &'static str,
    },
    /// A `#[resource]` takes `State<T>` but no `T` was registered with [`ServerBuilder::state`].
    #[error("resource `{uri}` takes State<{type_name}>, but no `{type_name}` was registered with ServerBuilder::state")]
    ResourceMissingState {
        /// The resource's URI or URI template.
        uri: String,
        /// The state type it needs.
        type_name: &'static str,
    },
}

/// Errors of serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The transport failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Configures and builds a [`Server`].
///
/// ```no_run
/// use mcp_toolkit::{tool, Server};
///
/// /// Add two numbers.
/// #[tool]
/// async fn add(a: i64, b: i64) -> i64 {
///     a + b
/// }
///
/// #[tokio::main(flavor = "current_thread")]
/// async fn main() -> Result<(), mcp_toolkit::Error> {
///     Server::builder("calculator", "1.0.0").tool(add::tool()).serve_stdio().await
/// }
/// ```
#[derive(Debug)]
#[must_use]
pub struct ServerBuilder {
    info: Implementation,
    instructions: Option<String>,
    tools: Vec<Tool>,
    resources: Vec<Resource>,
    prompts: Vec<Prompt>,
    state: SharedState,
    page_size: Option<usize>,
    list_ttl: Duration,
    max_message_bytes: usize,
    max_calls_in_flight: usize,
    cache_max_bytes: u64,
    shutdown_grace: Duration,
    default_timeout: Option<Duration>,
    layers: Vec<ToolWrapper>,
    state_key: Option<StateKey>,
    #[cfg(feature = "redis")]
    redis: Option<crate::store::redis::Redis>,
}

/// What a server does to each tool it registers, at build time and when one is added later.
struct PrepareTool {
    default_timeout: Option<Duration>,
    layers: Vec<ToolWrapper>,
}

impl PrepareTool {
    fn apply(&self, mut tool: Tool) -> Tool {
        if let Some(timeout) = self.default_timeout {
            if !tool.has_timeout() {
                tool = tool.timeout(timeout);
            }
        }
        for wrapper in &self.layers {
            tool = (wrapper.0)(tool);
        }
        tool
    }
}

/// A server-wide layer, applied to each tool when the server is built.
struct ToolWrapper(Box<dyn Fn(Tool) -> Tool + Send + Sync>);

impl std::fmt::Debug for ToolWrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ToolWrapper")
    }
}

impl ServerBuilder {
    fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        ServerBuilder {
            info: Implementation {
                name: name.into(),
                version: version.into(),
                title: None,
            },
            instructions: None,
            tools: Vec::new(),
            resources: Vec::new(),
            prompts: Vec::new(),
            state: SharedState::default(),
            page_size: None,
            list_ttl: Duration::from_secs(300),
            max_message_bytes: 16 * 1024 * 1024,
            max_calls_in_flight: DEFAULT_MAX_CALLS_IN_FLIGHT,
            cache_max_bytes: DEFAULT_CACHE_MAX_BYTES,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            default_timeout: None,
            layers: Vec::new(),
            state_key: None,
            #[cfg(feature = "redis")]
            redis: None,
        }
    }

    /// A display name for the server.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.info.title = Some(title.into());
        self
    }

    /// Instructions for the model on how to use the server's tools.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Registers a tool. Tools are listed in the order they were registered.
    pub fn tool(mut self, tool: Tool) -> Self {
        self.tools.push(tool);
        self
    }

    /// Registers several tools.
    pub fn tools(mut self, tools: impl IntoIterator<Item = Tool>) -> Self {
        self.tools.extend(tools);
        self
    }

    /// Registers a resource or resource template. Resources are listed in the order they were
    /// registered; a read goes to the first that serves its URI (fixed URIs, then templates,
    /// in that order).
    pub fn resource(mut self, resource: Resource) -> Self {
        self.resources.push(resource);
        self
    }

    /// Registers several resources.
    pub fn resources(mut self, resources: impl IntoIterator<Item = Resource>) -> Self {
        self.resources.extend(resources);
        self
    }

    /// Registers a prompt. Prompts are listed in the order they were registered.
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.prompts.push(prompt);
        self
    }

    /// Registers several prompts.
    pub fn prompts(mut self, prompts: impl IntoIterator<Item = Prompt>) -> Self {
        self.prompts.extend(prompts);
        self
    }

    /// Shares a value with every call: tools take it as [`State<T>`](crate::State).
    /// Create pools and clients once, here.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.state.insert(value);
        self
    }

    /// Pages `tools/list` results (all tools in one page by default).
    pub fn page_size(mut self, tools_per_page: usize) -> Self {
        self.page_size = Some(tools_per_page.max(1));
        self
    }

    /// How long modern clients may cache the tool list and discovery result (`ttlMs`).
    pub fn list_ttl(mut self, ttl: Duration) -> Self {
        self.list_ttl = ttl;
        self
    }

    /// The largest message accepted (16 MiB by default); bigger ones get an error reply.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes.max(1024);
        self
    }

    /// How many calls one connection may have running at once (1,024 by default). Beyond it
    /// the server stops reading that connection's input until a call finishes: the client
    /// waits (backpressure); nothing is dropped or refused. A JSON-RPC batch array with more
    /// messages than this is refused (-32600).
    pub fn max_calls_in_flight(mut self, calls: usize) -> Self {
        self.max_calls_in_flight = calls.max(1);
        self
    }

    /// The byte budget of the server's result caches (256 MiB by default): the cached tools
    /// without a budget of their own (`cache_max_bytes`) share it evenly. Results, keys and
    /// bookkeeping all count; the least useful entries make room for new ones.
    pub fn cache_max_bytes(mut self, bytes: u64) -> Self {
        self.cache_max_bytes = bytes;
        self
    }

    /// How long running calls may finish after the client closes its input, or after a
    /// shutdown signal (10 s by default).
    pub fn shutdown_timeout(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The secret the `requestState` of multi-round-trip requests (`2026-07-28`) is signed
    /// with. Give every instance behind one load balancer the same secret, so a retry may
    /// reach any of them; by default each process draws a random one.
    pub fn request_state_key(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.state_key = Some(StateKey::from_secret(secret.as_ref()));
        self
    }

    /// A timeout for every tool that has none of its own (`#[tool(timeout = ...)]` wins).
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = Some(timeout);
        self
    }

    /// Wraps every tool in a tower layer (metrics, auth, tracing ...), outside the tool's own
    /// layers, so it sees every call, cache hits included. Layers added later wrap earlier ones.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<ToolService> + Clone + Send + Sync + 'static,
        L::Service: Service<ToolCall, Response = CallToolResult> + Clone + Send + Sync + 'static,
        <L::Service as Service<ToolCall>>::Error: Into<BoxError>,
        <L::Service as Service<ToolCall>>::Future: Send + 'static,
    {
        self.layers.push(ToolWrapper(Box::new(move |tool: Tool| {
            tool.layer(layer.clone())
        })));
        self
    }

    /// Shares this server's work with its other instances through Redis (or Redis Cluster):
    /// cached results (a level-2 cache under each instance's own), rate budgets and, over
    /// Streamable HTTP, legacy sessions and their events. See [`store::redis`].
    ///
    /// ```no_run
    /// # use mcp_runtime::{store::redis::Redis, Server};
    /// let url = std::env::var("REDIS_URL").unwrap_or("redis://127.0.0.1:6379".into());
    /// let server = Server::builder("weather", "1.0.0")
    ///     .redis(Redis::new(&url)?.prefix("weather"))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// [`store::redis`]: crate::store::redis
    #[cfg(feature = "redis")]
    pub fn redis(mut self, redis: crate::store::redis::Redis) -> Self {
        self.redis = Some(redis);
        self
    }

    /// Checks the configuration and builds the server.
    ///
    /// # Errors
    /// Duplicate or invalid tool names, and `State<T>` arguments whose `T` was not registered.
    pub fn build(mut self) -> Result<Server, BuildError> {
        let prepare = PrepareTool {
            default_timeout: self.default_timeout,
            layers: std::mem::take(&mut self.layers),
        };
        self.tools = std::mem::take(&mut self.tools)
            .into_iter()
            .map(|tool| prepare.apply(tool))
            .collect();
        let tools = catalog::Tools::build(std::mem::take(&mut self.tools), &self.state, 0)?;
        self.tools = tools.list.clone();
        self.state.make_distinct();
        #[cfg(feature = "redis")]
        if let Some(redis) = self.redis.take() {
            self.state.insert(crate::store::Shared {
                redis,
                server: self.info.name.as_str().into(),
            });
        }
        self.make_cache_stores();
        let surface = Surface::build(self.resources, self.prompts, &self.state)?;
        let capabilities = surface.capabilities();
        let server_meta = json!({ meta_keys::SERVER_INFO: self.info });
        let modern_result_fields = format!(r#""resultType":"complete","_meta":{server_meta}"#)
            .into_bytes()
            .into_boxed_slice();
        Ok(Server {
            inner: Arc::new(ServerInner {
                capabilities,
                info: self.info,
                instructions: self.instructions,
                tools: catalog::ToolCatalog::new(tools),
                prepare,
                surface: surface::SurfaceCatalog::new(surface),
                listeners: notify::Listeners::default(),
                state: self.state,
                state_key: self.state_key.unwrap_or_else(StateKey::random),
                page_size: self.page_size,
                list_ttl_ms: u64::try_from(self.list_ttl.as_millis()).unwrap_or(u64::MAX),
                max_message_bytes: self.max_message_bytes,
                max_calls_in_flight: self.max_calls_in_flight,
                shutdown_grace: self.shutdown_grace,
                modern_result_fields,
            }),
        })
    }

    /// Gives each cached tool a store of this server's own, within the byte budget.
    fn make_cache_stores(&mut self) {
        let caches: Vec<(ToolCache, &Tool)> = self
            .tools
            .iter()
            .filter_map(|t| Some((t.cache()?.clone(), t)))
            .collect();
        let sharing = caches.iter().filter(|c| c.0.max_bytes().is_none()).count();
        let share = self.cache_max_bytes / (sharing.max(1) as u64);
        let stores: Vec<_> = caches
            .iter()
            .map(|(cache, tool)| (cache.id(), cache.new_store(share, tool.def(), &self.state)))
            .collect();
        for (id, store) in stores {
            self.state.insert_cache_store(id, store);
        }
    }
}

/// What every connection of a server shares. Built once; read-only while serving.
pub(crate) struct ServerInner {
    pub info: Implementation,
    pub instructions: Option<String>,
    pub capabilities: Value,
    /// The tools, replaced whole when one is added or removed while serving.
    pub tools: catalog::ToolCatalog,
    /// What `build` did to each tool (default timeout, server-wide layers): `add_tool` does it
    /// too.
    prepare: PrepareTool,
    /// The resources and prompts, replaced whole when one is added or removed while serving.
    surface: surface::SurfaceCatalog,
    /// The clients that may hear unprompted notifications (resource updates).
    pub listeners: notify::Listeners,
    pub state: SharedState,
    /// Signs the `requestState` of `input_required` results.
    pub state_key: StateKey,
    pub page_size: Option<usize>,
    pub list_ttl_ms: u64,
    pub max_message_bytes: usize,
    pub max_calls_in_flight: usize,
    pub shutdown_grace: Duration,
    /// `"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":{...}}`: what
    /// every modern result adds to its own fields.
    pub modern_result_fields: Box<[u8]>,
}

/// An MCP server: tools, shared state and settings, ready to serve connections.
///
/// Cheap to clone; every connection shares the same tools and state.
#[derive(Clone)]
pub struct Server {
    inner: Arc<ServerInner>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("info", &self.inner.info)
            .field("tools", &self.inner.tools.load().list.len())
            .finish()
    }
}

impl Server {
    /// Starts configuring a server with its name and version (`serverInfo`).
    pub fn builder(name: impl Into<String>, version: impl Into<String>) -> ServerBuilder {
        ServerBuilder::new(name, version)
    }

    /// The server's name and version.
    pub fn info(&self) -> &Implementation {
        &self.inner.info
    }

    #[cfg(feature = "http")]
    pub(crate) fn inner(&self) -> &Arc<ServerInner> {
        &self.inner
    }

    /// Tells every client subscribed to `uri` (`resources/subscribe`) that the resource changed:
    /// each gets `notifications/resources/updated` (on stdio at once; over HTTP on its session's
    /// `GET` stream). Updates of one URI not yet sent are sent once.
    ///
    /// ```
    /// # use mcp_runtime::{Resource, Server};
    /// let server = Server::builder("s", "1")
    ///     .resource(Resource::text("app://status", "status", "text/plain", "ok"))
    ///     .build()
    ///     .unwrap();
    /// server.notify_resource_updated("app://status");
    /// ```
    pub fn notify_resource_updated(&self, uri: &str) {
        self.inner.listeners.resource_updated(uri);
    }

    /// The tools registered now, in listing order (a copy: tools may be added and removed
    /// while the server runs).
    pub fn tools(&self) -> Vec<Tool> {
        self.inner.tools.load().list.clone()
    }

    /// What every call of this server shares (its state, its caches' stores, its Redis).
    pub(crate) fn shared_state(&self) -> &SharedState {
        &self.inner.state
    }

    /// Registers a tool while the server runs, after the others: calls that arrive from now on
    /// find it, and every client is told the list changed (`notifications/tools/list_changed`
    /// to initialized legacy clients; an event on the `subscriptions/listen` streams that asked
    /// for `toolsListChanged`). The server's default timeout and layers apply to it, as at
    /// build time. A cached tool added this way keeps its results in a store of its own rather
    /// than within the server's byte budget.
    ///
    /// ```
    /// # use mcp_runtime::{CallToolResult, Server, Tool, ToolCall, ToolDef};
    /// let server = Server::builder("s", "1").build().unwrap();
    /// let def = ToolDef::new("ping", serde_json::Map::new());
    /// let ping = Tool::from_fn(def, |_: ToolCall| async {
    ///     Ok::<_, std::convert::Infallible>(CallToolResult::text("pong"))
    /// });
    /// server.add_tool(ping.clone()).unwrap();
    /// assert!(server.add_tool(ping).is_err(), "names stay unique");
    /// assert!(server.remove_tool("ping"));
    /// ```
    ///
    /// # Errors
    /// As [`ServerBuilder::build`]: an invalid name, one already registered, or a `State<T>`
    /// argument whose `T` the server does not have. Nothing changes then.
    pub fn add_tool(&self, tool: Tool) -> Result<(), BuildError> {
        let tool = self.inner.prepare.apply(tool);
        self.inner.tools.change(&self.inner.state, |list| {
            list.push(tool);
            true
        })?;
        self.inner.listeners.list_changed(ListKind::Tools);
        Ok(())
    }

    /// Unregisters the tool named `name` while the server runs; `false` when there is none.
    /// Calls already running finish and are answered; later calls get "Unknown tool". Clients
    /// are told the list changed, as with [`Server::add_tool`].
    pub fn remove_tool(&self, name: &str) -> bool {
        let removed = self.inner.tools.change(&self.inner.state, |list| {
            let before = list.len();
            list.retain(|tool| &*tool.def().name != name);
            list.len() != before
        });
        // Removing leaves a list that was valid valid.
        let removed = removed.unwrap_or(false);
        if removed {
            self.inner.listeners.list_changed(ListKind::Tools);
        }
        removed
    }

    /// Registers a resource or resource template while the server runs (after the others of
    /// its kind), and tells clients the resource list changed (initialized legacy clients;
    /// `subscriptions/listen` streams that asked for `resourcesListChanged`).
    ///
    /// ```
    /// # use mcp_runtime::{Resource, Server};
    /// let server = Server::builder("s", "1")
    ///     .resource(Resource::text("app://status", "status", "text/plain", "ok"))
    ///     .build()
    ///     .unwrap();
    /// server.add_resource(Resource::text("app://motd", "motd", "text/plain", "hi")).unwrap();
    /// assert!(server.remove_resource("app://motd"));
    /// ```
    ///
    /// # Errors
    /// As [`ServerBuilder::build`] (a URI already registered, a missing state, a completer for
    /// an unknown variable), and [`BuildError::NotDeclared`] when the server was built without
    /// resources. Nothing changes then.
    pub fn add_resource(&self, resource: Resource) -> Result<(), BuildError> {
        self.change_surface(ListKind::Resources, |resources, _| {
            resources.push(resource);
            true
        })
        .map(drop)
    }

    /// Unregisters the resource whose URI (or template, for a template) is `uri`; `false` when
    /// there is none. Reads already running finish; clients are told the list changed.
    pub fn remove_resource(&self, uri: &str) -> bool {
        self.change_surface(ListKind::Resources, |resources, _| {
            let before = resources.len();
            resources.retain(|r| r.uri() != uri);
            resources.len() != before
        })
        .unwrap_or(false)
    }

    /// Registers a prompt while the server runs (listed after the others), and tells clients
    /// the prompt list changed (initialized legacy clients; `subscriptions/listen` streams that
    /// asked for `promptsListChanged`).
    ///
    /// # Errors
    /// As [`ServerBuilder::build`] (a name already registered, a missing state, a completer for
    /// an unknown argument), and [`BuildError::NotDeclared`] when the server was built without
    /// prompts. Nothing changes then.
    pub fn add_prompt(&self, prompt: Prompt) -> Result<(), BuildError> {
        self.change_surface(ListKind::Prompts, |_, prompts| {
            prompts.push(prompt);
            true
        })
        .map(drop)
    }

    /// Unregisters the prompt named `name`; `false` when there is none. Gets already running
    /// finish; clients are told the list changed.
    pub fn remove_prompt(&self, name: &str) -> bool {
        self.change_surface(ListKind::Prompts, |_, prompts| {
            let before = prompts.len();
            prompts.retain(|p| &*p.def().name != name);
            prompts.len() != before
        })
        .unwrap_or(false)
    }

    fn change_surface(
        &self,
        kind: ListKind,
        change: impl FnOnce(&mut Vec<Resource>, &mut Vec<Prompt>) -> bool,
    ) -> Result<bool, BuildError> {
        let capability = match kind {
            ListKind::Resources => "resources",
            ListKind::Prompts => "prompts",
            ListKind::Tools => unreachable!("tools are not part of the surface"),
        };
        if self.inner.capabilities.get(capability).is_none() {
            return Err(BuildError::NotDeclared(capability));
        }
        let changed = self.inner.surface.change(&self.inner.state, change)?;
        if changed {
            self.inner.listeners.list_changed(kind);
        }
        Ok(changed)
    }

    /// Serves one connection of newline-delimited JSON-RPC over `reader` and `writer`, until
    /// the reader ends and running calls have finished (or the shutdown timeout passed).
    ///
    /// # Errors
    /// When writing to the client fails (other than the client having gone away).
    pub async fn serve<R, W>(&self, reader: R, writer: W) -> io::Result<()>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        Connection::new(self.inner.clone(), reader, writer)
            .run()
            .await
    }

    /// [`Server::serve_with_shutdown`] for a transport of this crate (named in request spans).
    pub(crate) async fn serve_transport<R, W>(
        &self,
        transport: crate::observe::Transport,
        reader: R,
        writer: W,
        shutdown: Option<std::pin::Pin<Box<dyn Future<Output = ()> + Send>>>,
    ) -> io::Result<()>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let connection =
            Connection::new(self.inner.clone(), reader, writer).with_transport(transport);
        match shutdown {
            Some(shutdown) => connection.with_shutdown(shutdown).run().await,
            None => connection.run().await,
        }
    }

    /// Like [`Server::serve`], and stops reading when `shutdown` completes: the calls already
    /// received are answered (within [`ServerBuilder::shutdown_timeout`]), then it returns.
    ///
    /// # Errors
    /// When writing to the client fails (other than the client having gone away).
    pub async fn serve_with_shutdown<R, W>(
        &self,
        reader: R,
        writer: W,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        Connection::new(self.inner.clone(), reader, writer)
            .with_shutdown(shutdown)
            .run()
            .await
    }
}

/// The byte budget of a server's result caches, by default.
const DEFAULT_CACHE_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Calls one connection may have running at once, by default: far more than any client keeps
/// in flight, and a few MiB of memory at most (about 1 KiB per waiting call).
const DEFAULT_MAX_CALLS_IN_FLIGHT: usize = 1024;

/// FNV-1a: tool names are short and chosen by the server, so a fast hash beats SipHash's
/// protection against hash flooding here.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &byte in bytes {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}
