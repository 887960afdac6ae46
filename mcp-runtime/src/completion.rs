//! Completions (`completion/complete`): suggested values for a prompt's argument or a resource
//! template's variable, offered by a [`Completer`] declared next to them.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;

use crate::tool::SharedState;

/// What a client is completing: the argument (or template variable), what it typed so far, and
/// the values of the other arguments it already chose.
#[derive(Debug)]
pub struct CompletionRequest {
    argument: String,
    value: String,
    arguments: HashMap<String, String>,
    state: SharedState,
}

impl CompletionRequest {
    pub(crate) fn new(
        argument: String,
        value: String,
        arguments: HashMap<String, String>,
        state: SharedState,
    ) -> Self {
        CompletionRequest {
            argument,
            value,
            arguments,
            state,
        }
    }

    /// The argument or variable being completed.
    pub fn argument(&self) -> &str {
        &self.argument
    }

    /// What the user typed so far.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Another argument's value, when the client sent it as context.
    pub fn other(&self, name: &str) -> Option<&str> {
        self.arguments.get(name).map(String::as_str)
    }

    /// The shared state.
    pub fn state(&self) -> &SharedState {
        &self.state
    }
}

/// Suggests values for one argument: `completer(|req| async move { ... })`, or
/// [`values`] for a fixed list.
pub type Completer = Arc<
    dyn Fn(CompletionRequest) -> Pin<Box<dyn Future<Output = Vec<String>> + Send>> + Send + Sync,
>;

/// A completer from an async function.
///
/// ```
/// use mcp_runtime::completion::{completer, CompletionRequest};
/// let cities = completer(|req: CompletionRequest| async move {
///     ["Paris", "Prague", "Porto"]
///         .iter()
///         .filter(|c| c.starts_with(req.value()))
///         .map(|c| c.to_string())
///         .collect()
/// });
/// ```
pub fn completer<F, Fut>(f: F) -> Completer
where
    F: Fn(CompletionRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<String>> + Send + 'static,
{
    Arc::new(move |request| Box::pin(f(request)))
}

/// What can offer completions: a [`Completer`], or an async function from a
/// [`CompletionRequest`] to the suggested values (what `complete(arg = ...)` of `#[prompt]` and
/// `#[resource]` takes).
///
/// ```
/// use mcp_runtime::completion::{values, CompletionRequest, IntoCompleter};
///
/// async fn cities(req: CompletionRequest) -> Vec<String> {
///     vec![format!("{}...", req.value())]
/// }
///
/// let from_fn = cities.into_completer();
/// let from_list = values(["Paris", "Porto"]).into_completer();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot offer completions",
    label = "not a completer",
    note = "name an `async fn(CompletionRequest) -> Vec<String>`, or give a `Completer` (`completer(...)`, `values([...])`)"
)]
pub trait IntoCompleter {
    /// The completer.
    fn into_completer(self) -> Completer;
}

impl IntoCompleter for Completer {
    fn into_completer(self) -> Completer {
        self
    }
}

impl<F, Fut> IntoCompleter for F
where
    F: Fn(CompletionRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Vec<String>> + Send + 'static,
{
    fn into_completer(self) -> Completer {
        completer(self)
    }
}

/// A completer over a fixed list: the values that start with what was typed (ignoring case).
pub fn values<I, S>(list: I) -> Completer
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let list: Arc<[String]> = list.into_iter().map(Into::into).collect();
    completer(move |request: CompletionRequest| {
        let typed = request.value().to_lowercase();
        let found = list
            .iter()
            .filter(|v| v.to_lowercase().starts_with(&typed))
            .cloned()
            .collect();
        async move { found }
    })
}

/// The most values one answer carries (the protocol's limit).
const MAX_VALUES: usize = 100;

/// `{"completion": {"values": [...], "total": n, "hasMore": bool}}`.
#[derive(Debug, Serialize)]
pub(crate) struct CompleteResult {
    completion: Completion,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Completion {
    values: Vec<String>,
    total: usize,
    has_more: bool,
}

impl CompleteResult {
    pub(crate) fn new(mut values: Vec<String>) -> Self {
        let total = values.len();
        values.truncate(MAX_VALUES);
        CompleteResult {
            completion: Completion {
                has_more: total > values.len(),
                values,
                total,
            },
        }
    }

    pub(crate) fn empty() -> Self {
        CompleteResult::new(Vec::new())
    }
}
