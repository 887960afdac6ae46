#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub use mcp_runtime::*;

/// Turns a function into an MCP tool.
///
/// ```
/// use mcp_toolkit::tool;
///
/// /// Add two numbers.
/// #[tool(read_only, idempotent, open_world = false)]
/// async fn add(
///     /// The first addend.
///     a: i64,
///     /// The second addend.
///     b: i64,
/// ) -> i64 {
///     a + b
/// }
///
/// let tool = add::tool();
/// assert_eq!(tool.name(), "add");
/// assert_eq!(tool.def().description.as_deref(), Some("Add two numbers."));
/// assert_eq!(tool.def().input_schema["properties"]["a"]["description"], "The first addend.");
/// ```
///
/// # What it derives
/// - **Name**: the function's name, or `name = "..."`.
/// - **Description**: the doc comment, or `description = "..."`; `title = "..."` sets a
///   display name.
/// - **Input schema**: each parameter is a property (its doc comment is the property's
///   description; `Option<T>` is optional; `#[serde(default)]`, `#[serde(rename = "...")]` and
///   `#[schemars(...)]` on a parameter are honoured). A single `Args<T>` parameter makes `T`
///   (`Deserialize + JsonSchema`, an object) the whole input. Schemas are client-safe: nested
///   types inlined, no `$schema`, built once.
/// - **Output**: any `T: Serialize + JsonSchema` (a struct, `Vec<T>`, a number, `bool`,
///   `String`/`&str`, `Option<T>`, an enum, ...) is structured output (unless
///   `structured = false`): `structuredContent`
///   with a matching `outputSchema`, and a text block for clients that read only text (the
///   JSON, or a string itself, unquoted). A JSON object is sent as itself; any other value as
///   `{"result": value}` (the schema is then an object with a required `result`), as
///   `structuredContent` must be an object. [`Content`], `Vec<Content>`, [`CallToolResult`] and
///   [`ContentStream`] are sent as built, `()` as no content, neither with a schema.
///   `Result<T, E>` with `E: Display` turns `Err` into an `isError: true` result the model can
///   read (text, no `structuredContent`).
/// - **Extracted arguments** (not in the schema): [`State<T>`] (shared state registered with
///   [`ServerBuilder::state`]) and [`RequestContext`] (progress, logging, cancellation),
///   recognized by name when written bare or as `mcp_toolkit::...` (`State` only with its type
///   argument; write `self::State<T>` for a type of your own called `State`); any other
///   [`FromToolCall`] type when marked `#[extract]` (not in `batch` tools).
/// - **Annotations**: `read_only`, `destructive`, `idempotent`, `open_world`, each also as
///   `= true`/`= false`.
/// - **Schemas**: `verbatim_schema` publishes the input schema exactly as schemars makes it;
///   `structured = false` turns structured output off (text only, no `outputSchema`).
/// - **Performance**: `cache_ttl = 300` (or `"5m"`) with `cache_capacity = N` and
///   `cache_max_bytes = N` (an `#[extract]`ed argument of a cached tool must implement
///   [`CacheKey`], so its value keys the results), `cache_lock = "5s"` (on a server with
///   Redis, concurrent misses across instances run the function once: see
///   [`ToolCache::shared_lock`](layer::cache::ToolCache::shared_lock)), `instance_local` (the
///   cache and rate budget stay per instance even on a server with Redis), `timeout = "5s"`,
///   `batch` / `batch(max_size = N, window = "2ms", key = "id")` (the function takes `Vec<K>`,
///   the tool one `K`), `concurrency = N`, `rate_limit = "10/s"`, and `layer = expr` for any
///   tower layer. See
///   [`layer`] for what each does and the order they wrap the function in.
/// - **Streaming**: return a [`ContentStream`] to send a large result block by block.
///
/// # What it generates
/// The function stays as written and callable. Next to it, a struct of the same name (structs
/// and functions live in different namespaces) provides `name::tool()`, which returns the
/// [`Tool`] to register with [`ServerBuilder::tool`].
///
/// A plain (non-`async`) function runs on tokio's blocking pool, so it may block without
/// stalling other calls; that costs a thread hand-off per call, so prefer `async fn` for work
/// that does not block.
///
/// # Options from code
/// `timeout`, `cache_ttl`, `concurrency` and `rate_limit` also take an expression: a const, a
/// config value, any code (`timeout = CONFIG.timeout`, `concurrency = POOL_SIZE`,
/// `rate_limit = settings.rate.as_str()`), evaluated when the tool is built. Durations are
/// [`std::time::Duration`]s, counts any integer, rates text such as `"10/s"` or
/// `(calls, period)`. A literal is checked at compile time; a value from code is checked then,
/// and a zero or malformed one panics naming the tool and the option.
///
/// ```
/// use std::time::Duration;
/// use mcp_toolkit::tool;
///
/// const LOOKUP_TIMEOUT: Duration = Duration::from_millis(1500);
/// const POOL_SIZE: usize = 8;
///
/// /// Look a user up.
/// #[tool(timeout = LOOKUP_TIMEOUT, concurrency = POOL_SIZE, rate_limit = (100, Duration::from_secs(1)))]
/// async fn lookup(id: u64) -> String {
///     format!("user {id}")
/// }
/// # let _ = lookup::tool();
/// ```
///
/// # Another path to the runtime
/// The generated code names the runtime as `::mcp_toolkit`. If the dependency is renamed, or
/// you use `mcp-runtime` and `mcp-macros` directly, say where it is: `#[tool(crate = "my_mcp")]`
/// or `#[tool(crate = "mcp_runtime")]` (as serde's `crate` attribute does).
///
/// On a method, `#[tool]` needs [`#[tools]`](macro@tools) on the impl block.
pub use mcp_macros::tool;

/// Serves the `#[tool]` methods of an impl block: tools that reach the server's own struct
/// (pools, clients, config) through `&self`.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use mcp_toolkit::{tool, tools, Server};
///
/// struct Calculator {
///     calls: AtomicU64,
/// }
///
/// #[tools]
/// impl Calculator {
///     /// Add two numbers.
///     #[tool(read_only)]
///     async fn add(&self, a: i64, b: i64) -> i64 {
///         self.calls.fetch_add(1, Ordering::Relaxed);
///         a + b
///     }
///
///     /// How many additions this calculator made.
///     #[tool(cache_ttl = 1)]
///     async fn count(&self) -> u64 {
///         self.calls.load(Ordering::Relaxed)
///     }
/// }
///
/// let calculator = Calculator { calls: AtomicU64::new(0) };
/// let server = Server::builder("calculator", "1.0.0")
///     .tools(calculator.tools())
///     .build()
///     .unwrap();
/// assert_eq!(server.tools().len(), 2);
/// ```
///
/// Each `#[tool]` method becomes a tool as a free function's would, with every option
/// (`cache_ttl`, `timeout`, `batch`, `concurrency`, `rate_limit`, `layer`, ...) and extracted
/// arguments ([`State<T>`], [`RequestContext`]). Methods take `&self` or `self: Arc<Self>`
/// (calls run concurrently: keep mutable state behind atomics or a lock); methods without
/// `self` work too. Options written as code may read `self`:
/// `#[tool(timeout = self.config.timeout)]`.
///
/// # What it generates
/// The impl block stays as written (without the `#[tool]` attributes), and the type gains:
/// - `tools(self) -> Vec<Tool>`: the tools, sharing the value (moved into an `Arc`);
/// - `tools_from(Arc<Self>) -> Vec<Tool>`: the same for a value already in an `Arc`.
///
/// Each call of either builds new tools: their caches, rate budgets and batches belong to that
/// value. The type must be `Send + Sync + 'static`. `#[tools(crate = "...")]` sets the
/// runtime's path for every method. One `#[tools]` block per type (the second would define
/// `tools` again); it cannot be generic or a trait impl.
pub use mcp_macros::tools;

/// Turns a function into an MCP prompt: a message template a client offers its user.
///
/// ```
/// use mcp_toolkit::prompt;
/// use mcp_toolkit::completion::CompletionRequest;
///
/// /// Review a piece of code.
/// #[prompt(title = "Code review", complete(language = languages))]
/// async fn code_review(
///     /// The code to review.
///     code: String,
///     /// Its language, when it is not obvious.
///     language: Option<String>,
///     /// How many findings to list at most.
///     max_findings: Option<u32>,
/// ) -> String {
///     let language = language.unwrap_or_else(|| "code".into());
///     let max = max_findings.unwrap_or(5);
///     format!("Review this {language}; list at most {max} findings:\n{code}")
/// }
///
/// async fn languages(req: CompletionRequest) -> Vec<String> {
///     ["rust", "python"].iter().filter(|l| l.starts_with(req.value())).map(|l| l.to_string()).collect()
/// }
///
/// let prompt = code_review::prompt();
/// assert_eq!(prompt.name(), "code_review");
/// assert_eq!(prompt.def().description.as_deref(), Some("Review a piece of code."));
/// assert!(prompt.def().arguments[0].required && !prompt.def().arguments[1].required);
/// ```
///
/// # What it derives
/// - **Name**: the function's name, or `name = "..."`.
/// - **Description**: the doc comment, or `description = "..."`; `title = "..."` sets a
///   display name.
/// - **Arguments**: each parameter is an argument of the same name (its doc comment is the
///   argument's description). Values arrive as text: a `String` takes it as it is, any other
///   type is parsed with `FromStr` (a value that does not parse is answered with a -32602
///   error naming the argument). `Option<T>` makes the argument optional.
/// - **Completions**: `complete(argument = f)` offers completions for an argument, from an
///   `async fn(CompletionRequest) -> Vec<String>` or a
///   [`Completer`](completion::Completer) value (`complete(style = values(["formal",
///   "casual"]))`); repeat or list several (`complete(a = f, b = g)`).
/// - **Extracted arguments**: [`State<T>`], [`RequestContext`] and `#[extract]` arguments, as
///   for [`tool`](macro@tool): extractors read the request's context and the server's shared
///   state (their [`ToolCall`] has no arguments). A missing extractor value (state that was
///   never registered) fails the request with -32603.
/// - **Result**: `String` or `&'static str` is one user message; [`PromptMessage`](prompt::PromptMessage),
///   `Vec<PromptMessage>` and [`GetPromptResult`](prompt::GetPromptResult) are sent as they
///   are (see [`IntoPromptResult`](prompt::IntoPromptResult)). `Result<T, E: Display>` turns
///   `Err` into a JSON-RPC error: an [`ErrorObject`] is sent as it is, anything else as -32603
///   with its message.
///
/// # What it generates
/// The function stays as written and callable; a struct of the same name provides
/// `name::prompt()`, which returns the [`Prompt`] to register with [`ServerBuilder::prompt`].
/// A plain (non-`async`) function runs on tokio's blocking pool.
pub use mcp_macros::prompt;

/// Turns a function into an MCP resource: data a client reads by URI, at a fixed URI or at any
/// URI that matches a template (RFC 6570 `{name}` and `{+name}` forms).
///
/// ```
/// use mcp_toolkit::resource;
///
/// /// The team's README.
/// #[resource("docs://readme", mime_type = "text/markdown")]
/// async fn readme() -> &'static str {
///     "# Hello"
/// }
///
/// /// A user's profile.
/// #[resource("users://{id}/profile", name = "user_profile", mime_type = "application/json")]
/// async fn profile(id: u32) -> Result<String, String> {
///     if id == 0 {
///         return Err("no such user".into());
///     }
///     Ok(format!(r#"{{"id":{id}}}"#))
/// }
///
/// assert_eq!(readme::resource().uri(), "docs://readme");
/// assert_eq!(profile::resource().uri(), "users://{id}/profile");
/// ```
///
/// # What it derives
/// - **URI**: the first argument, a literal. Without variables it is a fixed resource
///   (`resources/list`); with them a template (`resources/templates/list`) whose reads are
///   any URI that matches. The template is checked when the macro runs, with the rules of
///   [`UriTemplate::parse`](resource::UriTemplate::parse).
/// - **Variables**: each variable is the parameter of the same name, a `String` or any
///   `FromStr` type parsed from the (percent-decoded) value; a value that does not parse is
///   answered with a -32602 error naming the variable. Every variable needs its parameter, and
///   every parameter (except extracted ones) its variable.
/// - **Name**: the function's name, or `name = "..."`; **description**: the doc comment, or
///   `description = "..."`; `title = "..."`.
/// - **MIME type**: `mime_type = "..."`; by default `text/plain` for text and
///   `application/octet-stream` for bytes.
/// - **Completions**: `complete(variable = f)`, as for [`prompt`](macro@prompt).
/// - **Extracted arguments**: [`State<T>`], [`RequestContext`] and `#[extract]` arguments, as
///   for [`prompt`](macro@prompt).
/// - **Result**: `String` or `&'static str` is a text item and `Vec<u8>` a base64 blob, each
///   with the URI read and the MIME type;
///   [`ResourceContents`](protocol::content::ResourceContents) (one or a `Vec`) and
///   [`ReadResourceResult`](resource::ReadResourceResult) are sent as they are (see
///   [`IntoResourceResult`](resource::IntoResourceResult)). `Result<T, E: Display>` as for
///   [`prompt`](macro@prompt).
///
/// # What it generates
/// The function stays as written and callable; a struct of the same name provides
/// `name::resource()`, which returns the [`Resource`] to register with
/// [`ServerBuilder::resource`]. A plain (non-`async`) function runs on tokio's blocking pool.
pub use mcp_macros::resource;

#[doc(hidden)]
pub mod __private {
    pub use mcp_runtime::private::*;
}
