//! Method parameters and results other than tool content.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::jsonrpc::RequestId;

/// `io.modelcontextprotocol/...` keys of a modern request's `_meta`.
pub mod meta_keys {
    /// The request's protocol version (required in the modern era).
    pub const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
    /// The client's capabilities (required in the modern era).
    pub const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
    /// The client's name and version.
    pub const CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
    /// The lowest log level the client wants as `notifications/message` for this request.
    pub const LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
    /// Our name and version, on every modern result.
    pub const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
}

/// A request's `params._meta`, as far as the server reads it.
#[derive(Default, Deserialize)]
pub(crate) struct RequestMeta<'a> {
    #[serde(rename = "progressToken", default, borrow)]
    pub progress_token: Option<&'a RawValue>,
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", default, borrow)]
    pub protocol_version: Option<Cow<'a, str>>,
    #[serde(rename = "io.modelcontextprotocol/clientCapabilities", default, borrow)]
    pub client_capabilities: Option<&'a RawValue>,
    #[serde(rename = "io.modelcontextprotocol/logLevel", default, borrow)]
    pub log_level: Option<Cow<'a, str>>,
    #[serde(rename = "mcp-toolkit/cache", default, borrow)]
    pub cache: Option<Cow<'a, str>>,
}

/// Params of any request: only `_meta` is read (methods without parameters of their own).
#[derive(Default, Deserialize)]
pub(crate) struct MetaOnlyParams<'a> {
    #[serde(rename = "_meta", default, borrow)]
    pub meta: Option<RequestMeta<'a>>,
}

/// `tools/call` params.
#[derive(Deserialize)]
pub(crate) struct CallToolParams<'a> {
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(default, borrow)]
    pub arguments: Option<&'a RawValue>,
    #[serde(rename = "_meta", default, borrow)]
    pub meta: Option<RequestMeta<'a>>,
    /// A multi-round-trip retry's answers (`2026-07-28`).
    #[serde(rename = "inputResponses", default, borrow)]
    pub input_responses: Option<&'a RawValue>,
    /// The state an `input_required` result handed out, echoed back.
    #[serde(rename = "requestState", default, borrow)]
    pub request_state: Option<Cow<'a, str>>,
}

/// `tools/list` params.
#[derive(Default, Deserialize)]
pub(crate) struct ListParams<'a> {
    #[serde(default, borrow)]
    pub cursor: Option<Cow<'a, str>>,
    #[serde(rename = "_meta", default, borrow)]
    pub meta: Option<RequestMeta<'a>>,
}

/// `initialize` params.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InitializeParams<'a> {
    #[serde(borrow)]
    pub protocol_version: Cow<'a, str>,
    #[serde(default, borrow)]
    pub client_info: Option<&'a RawValue>,
    #[serde(default, borrow)]
    pub capabilities: Option<&'a RawValue>,
}

/// `logging/setLevel` params.
#[derive(Deserialize)]
pub(crate) struct SetLevelParams<'a> {
    #[serde(borrow)]
    pub level: Cow<'a, str>,
}

/// `notifications/cancelled` params.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CancelledParams {
    #[serde(default)]
    pub request_id: Option<RequestId>,
}

/// A name and version: the server's `serverInfo`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Implementation {
    /// Programmatic name.
    pub name: String,
    /// Version string.
    pub version: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// Hints that describe a tool's behaviour to the client; all optional.
///
/// Set them with `#[tool(read_only, idempotent, ...)]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnnotations {
    /// A display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The tool does not modify its environment (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    /// The tool may perform destructive updates (default true; meaningful when not read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destructive_hint: Option<bool>,
    /// Calling it twice with the same arguments has no further effect (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    /// The tool talks to an open world of external entities (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_world_hint: Option<bool>,
}

impl ToolAnnotations {
    /// Whether no hint is set (then the tool omits `annotations`).
    pub fn is_empty(&self) -> bool {
        *self == ToolAnnotations::default()
    }
}

/// Syslog severities, least severe first, as MCP logging uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Detailed debugging information.
    Debug,
    /// Informational messages.
    Info,
    /// Normal but significant events.
    Notice,
    /// Warning conditions.
    Warning,
    /// Error conditions.
    Error,
    /// Critical conditions.
    Critical,
    /// Action must be taken immediately.
    Alert,
    /// The system is unusable.
    Emergency,
}

impl LogLevel {
    const ALL: [LogLevel; 8] = [
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Notice,
        LogLevel::Warning,
        LogLevel::Error,
        LogLevel::Critical,
        LogLevel::Alert,
        LogLevel::Emergency,
    ];

    /// The wire name, e.g. `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
            LogLevel::Alert => "alert",
            LogLevel::Emergency => "emergency",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.as_str() == name)
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `notifications/progress` params.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProgressParams<'a> {
    pub progress_token: &'a RawValue,
    pub progress: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'a str>,
}

/// `notifications/message` params.
#[derive(Serialize)]
pub(crate) struct LogMessageParams<'a, D: Serialize> {
    pub level: LogLevel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logger: Option<&'a str>,
    pub data: D,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_levels_order_by_severity_and_round_trip() {
        assert!(LogLevel::Debug < LogLevel::Info && LogLevel::Alert < LogLevel::Emergency);
        for level in LogLevel::ALL {
            assert_eq!(LogLevel::parse(level.as_str()), Some(level));
            assert_eq!(
                serde_json::to_string(&level).unwrap(),
                format!("\"{level}\"")
            );
        }
        assert_eq!(LogLevel::parse("verbose"), None);
    }
}
