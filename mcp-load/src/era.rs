//! The two protocol eras, as a client speaks them.
//!
//! Modern (`2026-07-28`) is stateless: every request carries the version, the client's
//! capabilities and its identity in `params._meta` (and, over HTTP, the version and method in
//! headers). Legacy (`2025-11-25`) opens with `initialize` and `notifications/initialized`; over
//! HTTP the server's `Mcp-Session-Id` then goes on every request.

use crate::cli::EraArg;

/// The modern era's version.
pub const MODERN_VERSION: &str = "2026-07-28";
/// The legacy version `initialize` asks for.
pub const LEGACY_VERSION: &str = "2025-11-25";

/// The client's name and version, as sent in `clientInfo`.
const CLIENT_INFO: &str = concat!(
    r#"{"name":"mcp-load","version":""#,
    env!("CARGO_PKG_VERSION"),
    r#""}"#
);

/// The request id of the legacy handshake: a string, so it never meets the calls' numbers.
pub const HANDSHAKE_ID: &str = "mcp-load-initialize";

/// A protocol era.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// Stateless, `_meta` on every request.
    Modern,
    /// `initialize` first.
    Legacy,
}

impl From<EraArg> for Era {
    fn from(arg: EraArg) -> Era {
        match arg {
            EraArg::Modern => Era::Modern,
            EraArg::Legacy => Era::Legacy,
        }
    }
}

impl Era {
    /// The `"_meta":{...}` member every modern request's params carry, `None` for legacy.
    pub fn meta(self) -> Option<String> {
        match self {
            Era::Modern => Some(format!(
                r#""_meta":{{"io.modelcontextprotocol/protocolVersion":"{MODERN_VERSION}","io.modelcontextprotocol/clientCapabilities":{{}},"io.modelcontextprotocol/clientInfo":{CLIENT_INFO}}}"#
            )),
            Era::Legacy => None,
        }
    }
}

/// The legacy `initialize` request (one line of JSON, no newline).
pub fn initialize_request() -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":"{HANDSHAKE_ID}","method":"initialize","params":{{"protocolVersion":"{LEGACY_VERSION}","capabilities":{{}},"clientInfo":{CLIENT_INFO}}}}}"#
    )
}

/// The notification that ends the legacy handshake.
pub const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;

/// The version an `initialize` result picked, or why the handshake failed.
pub fn negotiated_version(reply: &[u8]) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Reply {
        id: Option<serde_json::Value>,
        result: Option<InitResult>,
        error: Option<serde_json::Value>,
    }
    #[derive(serde::Deserialize)]
    struct InitResult {
        #[serde(rename = "protocolVersion")]
        protocol_version: String,
    }
    let text = String::from_utf8_lossy(reply);
    let reply: Reply = serde_json::from_slice(reply)
        .map_err(|err| format!("initialize: a reply that is not JSON-RPC ({err}): {text}"))?;
    if reply.id.as_ref().and_then(|id| id.as_str()) != Some(HANDSHAKE_ID) {
        return Err(format!("initialize: a reply with another id: {text}"));
    }
    if let Some(error) = reply.error {
        return Err(format!("initialize was refused: {error}"));
    }
    reply
        .result
        .map(|result| result.protocol_version)
        .ok_or_else(|| format!("initialize: a reply without a protocolVersion: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modern_meta_names_the_version_capabilities_and_client() {
        let meta = Era::Modern.meta().unwrap();
        let value: serde_json::Value = serde_json::from_str(&format!("{{{meta}}}")).unwrap();
        let meta = &value["_meta"];
        assert_eq!(
            meta["io.modelcontextprotocol/protocolVersion"],
            MODERN_VERSION
        );
        assert!(meta["io.modelcontextprotocol/clientCapabilities"].is_object());
        assert_eq!(
            meta["io.modelcontextprotocol/clientInfo"]["name"],
            "mcp-load"
        );
        assert_eq!(Era::Legacy.meta(), None);
    }

    #[test]
    fn the_handshake_reads_the_negotiated_version() {
        let request: serde_json::Value = serde_json::from_str(&initialize_request()).unwrap();
        assert_eq!(request["params"]["protocolVersion"], LEGACY_VERSION);
        let reply = br#"{"jsonrpc":"2.0","id":"mcp-load-initialize","result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"s","version":"1"}}}"#;
        assert_eq!(negotiated_version(reply).unwrap(), "2025-06-18");
        let refused = br#"{"jsonrpc":"2.0","id":"mcp-load-initialize","error":{"code":-32600,"message":"no"}}"#;
        assert!(negotiated_version(refused).unwrap_err().contains("refused"));
        assert!(negotiated_version(b"nonsense").is_err());
    }
}
