//! Arguments of a `#[tool]` function that are not part of its input schema.

use std::any::TypeId;
use std::ops::{Deref, DerefMut};

use super::{BoxError, ToolCall};
use crate::context::RequestContext;

/// A value a tool argument takes from the call rather than from the client's arguments.
///
/// Implemented for [`State<T>`] and [`RequestContext`], which `#[tool]` recognizes by name.
/// Implement it for types of your own (the caller's tenant, a connection checked out of a
/// pool) and mark such arguments `#[extract]`:
///
/// ```
/// use mcp_toolkit::{tool, BoxError, FromToolCall, ToolCall};
///
/// #[derive(Clone)]
/// struct Config { tenant: String }
///
/// struct Tenant(String);
///
/// impl FromToolCall for Tenant {
///     fn from_tool_call(call: &ToolCall) -> Result<Self, BoxError> {
///         let config = call.state().get::<Config>().ok_or("no configuration")?;
///         Ok(Tenant(config.tenant.clone()))
///     }
/// }
///
/// /// Greet someone on behalf of the tenant.
/// #[tool]
/// async fn greet(#[extract] tenant: Tenant, name: String) -> String {
///     format!("{} greets {name}", tenant.0)
/// }
/// ```
///
/// An error fails the call with an `isError` result carrying its message.
///
/// `#[prompt]` and `#[resource]` functions take extractors too: the call they read carries the
/// request's context and the server's shared state, the prompt's name (or the URI read) as its
/// tool name, and no arguments. There an error fails the request with a JSON-RPC error
/// (-32603) carrying its message.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be taken from the call",
    note = "an argument marked `#[extract]` must implement `FromToolCall`; without `#[extract]` it is read from the client's arguments",
    note = "`State<T>` and `RequestContext` are taken from the call by name: for a type of your own with one of those names, write its path (`self::State<T>`)"
)]
pub trait FromToolCall: Sized {
    /// Takes the value from the call.
    ///
    /// # Errors
    /// When the call cannot provide it (shared state that was never registered).
    fn from_tool_call(call: &ToolCall) -> Result<Self, BoxError>;

    /// Shared state this extractor needs, checked when the server is built.
    fn state_requirement() -> Option<StateRequirement> {
        None
    }
}

/// An extracted value that keys a cached tool's results: callers whose values differ never
/// share cached results.
///
/// A cached tool (`cache_ttl`) with an `#[extract]`ed argument must have it implement this
/// trait (or the tool does not compile): what an extractor takes from the call (a tenant, a
/// user) usually changes the result, and a cache keyed by the arguments alone would serve one
/// caller's result to another. `State<T>` and `RequestContext` need nothing: caches are kept
/// per server, and the context does not change results.
///
/// ```
/// use mcp_toolkit::{tool, BoxError, CacheKey, FromToolCall, ToolCall};
///
/// struct Tenant(String);
///
/// impl FromToolCall for Tenant {
///     fn from_tool_call(call: &ToolCall) -> Result<Self, BoxError> {
///         let id = call.context().request_id().to_string(); // say, from an auth token
///         Ok(Tenant(id))
///     }
/// }
///
/// impl CacheKey for Tenant {
///     fn cache_key(&self) -> String {
///         self.0.clone()
///     }
/// }
///
/// /// The tenant's report for a day.
/// #[tool(cache_ttl = 60)]
/// async fn report(#[extract] tenant: Tenant, day: String) -> String {
///     format!("{}'s report for {day}", tenant.0)
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is taken with `#[extract]` by a cached tool, but its value is not part of the cache key",
    label = "callers with different `{Self}` values would be served each other's cached results",
    note = "implement `mcp_toolkit::CacheKey` for `{Self}` so that its value keys the cache, or remove `cache_ttl`"
)]
pub trait CacheKey {
    /// What tells this value's results apart from another's: equal for values whose calls
    /// may share results, different otherwise.
    fn cache_key(&self) -> String;
}

/// Shared state a tool needs: a type that must be registered on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateRequirement {
    /// The type's id.
    pub type_id: TypeId,
    /// The type's name, for error messages.
    pub type_name: &'static str,
}

/// Shared state, created once and handed to every call: a connection pool, an HTTP client.
///
/// Register the value with [`ServerBuilder::state`](crate::ServerBuilder::state); each call
/// gets a clone, so wrap big values in an `Arc` (pools usually are one already).
///
/// ```
/// use mcp_toolkit::{tool, State};
///
/// #[derive(Clone)]
/// struct Greeting(&'static str);
///
/// /// Greet someone.
/// #[tool]
/// async fn greet(name: String, State(greeting): State<Greeting>) -> String {
///     format!("{}, {name}!", greeting.0)
/// }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct State<T>(pub T);

impl<T> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for State<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Clone + Send + Sync + 'static> FromToolCall for State<T> {
    fn from_tool_call(call: &ToolCall) -> Result<Self, BoxError> {
        call.state().get::<T>().cloned().map(State).ok_or_else(|| {
            format!(
                "no shared state of type `{}` was registered",
                std::any::type_name::<T>()
            )
            .into()
        })
    }

    fn state_requirement() -> Option<StateRequirement> {
        Some(StateRequirement {
            type_id: TypeId::of::<T>(),
            type_name: std::any::type_name::<T>(),
        })
    }
}

impl FromToolCall for RequestContext {
    fn from_tool_call(call: &ToolCall) -> Result<Self, BoxError> {
        Ok(call.context().clone())
    }
}

/// The whole input of a tool as one struct: `Args(search): Args<Search>` makes `Search`'s
/// schema the tool's input schema (it must describe an object).
///
/// ```
/// use mcp_toolkit::{tool, Args};
///
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// struct Search {
///     /// What to look for.
///     query: String,
///     /// At most this many hits.
///     limit: Option<u32>,
/// }
///
/// /// Search the catalogue.
/// #[tool]
/// async fn search(Args(search): Args<Search>) -> String {
///     format!("{} (limit {:?})", search.query, search.limit)
/// }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Args<T>(pub T);

impl<T> Deref for Args<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
