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
/// - **Output**: `String`/`&str` become text; `T: Serialize + JsonSchema` becomes
///   `structuredContent` (with `outputSchema`) when it is an object, text otherwise;
///   [`Content`], `Vec<Content>` and [`CallToolResult`] are sent as they are; `Result<T, E>`
///   with `E: Display` turns `Err` into an `isError: true` result the model can read.
/// - **Extracted arguments** (not in the schema): [`State<T>`] (shared state registered with
///   [`ServerBuilder::state`]) and [`RequestContext`] (progress, logging, cancellation),
///   recognized by name when written bare or as `mcp_toolkit::...` (`State` only with its type
///   argument; write `self::State<T>` for a type of your own called `State`); any other
///   [`FromToolCall`] type when marked `#[extract]` (not in `batch` tools).
/// - **Annotations**: `read_only`, `destructive`, `idempotent`, `open_world`, each also as
///   `= true`/`= false`.
/// - **Performance**: `cache_ttl = 300` (or `"5m"`) with `cache_capacity = N` and
///   `cache_max_bytes = N` (an `#[extract]`ed argument of a cached tool must implement
///   [`CacheKey`], so its value keys the results), `timeout = "5s"`,
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
pub use mcp_macros::tool;

#[doc(hidden)]
pub mod __private {
    pub use mcp_runtime::private::*;
}
