//! The differential check: the one-pass `tools/call` reader against the general parser.

use serde_json::value::RawValue;

use super::check_canonical_key;
use crate::protocol::jsonrpc::{Classified, Incoming, RequestId};
use crate::protocol::messages::{CallToolParams, RequestMeta};
use crate::server::fast_call::FastCall;

/// The differential check: whenever the one-pass reader accepts a line, the general path
/// (envelope, classification, then `params`) must accept it too and read the same request.
/// The reader may decline lines the general path accepts; never the converse.
pub fn check_line(line: &[u8]) {
    let Ok(text) = std::str::from_utf8(line) else {
        return;
    };
    let general = general_call(text);
    if let Some(arguments) = general.as_ref().ok().and_then(|(_, p)| p.arguments) {
        check_canonical_key(arguments.get());
    }
    let Ok(fast) = serde_json::from_str::<FastCall<'_>>(text) else {
        return;
    };
    let (id, params) = match general {
        Ok(call) => call,
        Err(why) => {
            panic!("the one-pass reader accepted what the general path refuses ({why}): {text}")
        }
    };
    assert_eq!(fast.id, id, "ids differ: {text}");
    assert_eq!(fast.params.name, params.name, "names differ: {text}");
    assert_eq!(
        fast.params.arguments.map(RawValue::get),
        params.arguments.map(RawValue::get),
        "arguments differ: {text}"
    );
    assert_eq!(
        meta_fields(fast.params.meta.as_ref()),
        meta_fields(params.meta.as_ref()),
        "_meta differs: {text}"
    );
}

/// What the general path makes of a line, when it is a `tools/call` with readable params.
fn general_call(text: &str) -> Result<(RequestId, CallToolParams<'_>), String> {
    let incoming: Incoming<'_> = serde_json::from_str(text).map_err(|err| err.to_string())?;
    match incoming.classify() {
        Classified::Request { id, method, params } if method == "tools/call" => {
            let params = params.ok_or("no params")?;
            let params = serde_json::from_str(params.get()).map_err(|err| err.to_string())?;
            Ok((id, params))
        }
        Classified::Request { method, .. } => Err(format!("a request for {method}")),
        Classified::Notification { .. } => Err("a notification".into()),
        Classified::Response { .. } => Err("a response".into()),
        Classified::Invalid { error, .. } => Err(error.message),
    }
}

type MetaFields<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn meta_fields<'a>(meta: Option<&'a RequestMeta<'_>>) -> Option<MetaFields<'a>> {
    meta.map(|m| {
        (
            m.progress_token.map(RawValue::get),
            m.protocol_version.as_deref(),
            m.client_capabilities.map(RawValue::get),
            m.log_level.as_deref(),
            m.cache.as_deref(),
        )
    })
}
