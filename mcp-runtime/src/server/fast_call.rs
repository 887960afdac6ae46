//! The hot path: a `tools/call` request read in one pass.
//!
//! The general path reads a message's envelope with `params` as raw JSON, then reads `params`
//! again for its method: every byte of the arguments is scanned twice. Clients write `method`
//! before `params` (the Python and TypeScript SDKs do), so a `tools/call` can go straight into
//! its parameter type. Anything unexpected (another method, `params` first, a malformed field)
//! makes this reader give up, and the general path reads the message and reports any error
//! exactly as it would have.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::protocol::jsonrpc::RequestId;
use crate::protocol::messages::CallToolParams;

/// A well-formed `tools/call` request.
pub(crate) struct FastCall<'a> {
    pub id: RequestId,
    pub params: CallToolParams<'a>,
}

impl<'de: 'a, 'a> Deserialize<'de> for FastCall<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FastCallVisitor(std::marker::PhantomData))
    }
}

struct FastCallVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for FastCallVisitor<'a> {
    type Value = FastCall<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tools/call request")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<FastCall<'a>, M::Error> {
        let (mut version_ok, mut id, mut is_call, mut params) = (false, None, false, None);
        let mut seen = 0u8;
        // `&str` (not `Cow`, which serde always copies): a key or value with escapes fails here
        // and takes the general path.
        while let Some(key) = map.next_key::<&'de str>()? {
            // The general path refuses a repeated member; reading the last one here would answer
            // a request it refuses (found by the fuzzer's differential check).
            let bit = match key {
                "jsonrpc" => 1,
                "id" => 2,
                "method" => 4,
                "params" => 8,
                _ => 0,
            };
            if seen & bit != 0 {
                return Err(de::Error::custom("a repeated member"));
            }
            seen |= bit;
            match key {
                "jsonrpc" => version_ok = map.next_value::<&'de str>()? == "2.0",
                "id" => id = RequestId::from_raw(map.next_value::<&'de RawValue>()?),
                "method" => is_call = map.next_value::<&'de str>()? == "tools/call",
                "params" if is_call => params = Some(map.next_value::<CallToolParams<'a>>()?),
                "params" | "result" | "error" => return Err(de::Error::custom("not the hot path")),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if !is_call && key == "method" {
                return Err(de::Error::custom("not tools/call"));
            }
        }
        match (version_ok, id, params) {
            (true, Some(id), Some(params)) => Ok(FastCall { id, params }),
            _ => Err(de::Error::custom("not a complete tools/call request")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast(line: &str) -> Option<FastCall<'_>> {
        serde_json::from_str(line).ok()
    }

    #[test]
    fn reads_well_formed_calls_and_declines_the_rest() {
        let call = fast(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}"#).unwrap();
        assert_eq!((call.id, &*call.params.name), (RequestId::Number(7), "add"));
        assert_eq!(call.params.arguments.map(RawValue::get), Some(r#"{"a":1}"#));
        for line in [
            r#"{"jsonrpc":"2.0","id":7,"params":{"name":"add"},"method":"tools/call"}"#,
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"arguments":{}}}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"add"}}"#,
            r#"{"jsonrpc":"1.0","id":7,"method":"tools/call","params":{"name":"add"}}"#,
            r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"add"}}"#,
            r#"[{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add"}}]"#,
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"a"},"params":{}}"#,
            r#"{"jsonrpc":"2.0","id":7,"id":8,"method":"tools/call","params":{"name":"add"}}"#,
        ] {
            assert!(fast(line).is_none(), "{line}");
        }
    }
}
