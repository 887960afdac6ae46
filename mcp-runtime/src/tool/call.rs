//! One call of a tool, as every tool service and layer receives it.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::Value;

use super::SharedState;
use crate::context::{CacheControl, RequestContext};
use crate::protocol::content::CallToolResult;

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
    pub fn with_cache_control(mut self, control: CacheControl) -> Self {
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
