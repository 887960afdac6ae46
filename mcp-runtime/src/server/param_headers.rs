//! Tool parameters mirrored into HTTP headers (`x-mcp-header`, `2026-07-28`): a property of a
//! tool's input schema marked `"x-mcp-header": "Region"` travels as `Mcp-Param-Region` too, so
//! that intermediaries can route on it; the server checks that the header and the body agree.

use serde_json::value::RawValue;
use serde_json::Value;

use crate::protocol::jsonrpc::{ErrorObject, HEADER_MISMATCH};
use crate::tool::schema::JsonObject;

/// One mirrored parameter: its header name (after `Mcp-Param-`) and where it sits in the
/// arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeaderParam {
    pub header: String,
    pub path: Vec<String>,
}

/// The mirrored parameters of an input schema (properties at any depth of `properties`).
pub(crate) fn header_params(schema: &JsonObject) -> Vec<HeaderParam> {
    let mut found = Vec::new();
    collect(schema, &mut Vec::new(), &mut found);
    found
}

fn collect(schema: &JsonObject, path: &mut Vec<String>, found: &mut Vec<HeaderParam>) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, property) in properties {
        let Some(property) = property.as_object() else {
            continue;
        };
        path.push(name.clone());
        if let Some(header) = property.get("x-mcp-header").and_then(Value::as_str) {
            found.push(HeaderParam {
                header: header.to_owned(),
                path: path.clone(),
            });
        }
        collect(property, path, found);
        path.pop();
    }
}

/// Checks the `Mcp-Param-*` headers a request carried (`sent`: lower-cased name after the
/// prefix, decoded value) against the arguments in its body.
pub(crate) fn check(
    params: &[HeaderParam],
    arguments: Option<&RawValue>,
    sent: &[(String, String)],
) -> Result<(), ErrorObject> {
    let arguments: Value = match arguments {
        Some(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
        None => Value::Null,
    };
    for param in params {
        let body = param
            .path
            .iter()
            .try_fold(&arguments, |value, key| value.get(key))
            .filter(|value| !value.is_null());
        let lower = param.header.to_ascii_lowercase();
        let header = sent.iter().find(|(name, _)| *name == lower).map(|(_, v)| v);
        let mismatch = |why: String| {
            ErrorObject::new(
                HEADER_MISMATCH,
                format!("Header mismatch: Mcp-Param-{} {why}", param.header),
            )
        };
        match (body, header) {
            (None, None) => {}
            (Some(_), None) => {
                return Err(mismatch("is missing, but the body has the value".into()))
            }
            (None, Some(_)) => return Err(mismatch("is sent, but the body has no value".into())),
            (Some(body), Some(header)) if !agrees(body, header) => {
                return Err(mismatch(format!(
                    "value '{header}' does not match the body"
                )))
            }
            (Some(_), Some(_)) => {}
        }
    }
    Ok(())
}

/// Whether a header's (decoded) text says what the body's value says: strings exactly, numbers
/// numerically (`42.0` is `42`), booleans as `true`/`false`.
fn agrees(body: &Value, header: &str) -> bool {
    match body {
        Value::String(text) => text == header,
        Value::Number(number) => header
            .parse::<f64>()
            .is_ok_and(|h| number.as_f64() == Some(h)),
        Value::Bool(flag) => header == if *flag { "true" } else { "false" },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> JsonObject {
        let Value::Object(schema) = json!({
            "type": "object",
            "properties": {
                "region": {"type": "string", "x-mcp-header": "Region"},
                "limit": {"type": "integer", "x-mcp-header": "Limit"},
                "nested": {"type": "object", "properties": {
                    "flag": {"type": "boolean", "x-mcp-header": "Flag"}
                }},
                "query": {"type": "string"},
            }
        }) else {
            unreachable!()
        };
        schema
    }

    fn run(arguments: Value, sent: &[(&str, &str)]) -> Result<(), ErrorObject> {
        let params = header_params(&schema());
        let raw = serde_json::value::to_raw_value(&arguments).unwrap();
        let sent: Vec<(String, String)> = sent
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        check(&params, Some(&raw), &sent)
    }

    #[test]
    fn headers_must_say_what_the_body_says() {
        assert_eq!(header_params(&schema()).len(), 3);
        let all = [("region", "us-west1"), ("limit", "42"), ("flag", "true")];
        let body =
            json!({"region": "us-west1", "limit": 42, "nested": {"flag": true}, "query": "q"});
        assert!(run(body.clone(), &all).is_ok());
        assert!(run(
            body.clone(),
            &[("region", "us-west1"), ("limit", "42.0"), ("flag", "true")]
        )
        .is_ok());
        assert!(run(
            body.clone(),
            &[("region", "eu"), ("limit", "42"), ("flag", "true")]
        )
        .is_err());
        assert!(
            run(body.clone(), &[("limit", "42"), ("flag", "true")]).is_err(),
            "omitted header"
        );
        assert!(
            run(json!({"query": "q"}), &[]).is_ok(),
            "no values, no headers"
        );
        assert!(
            run(json!({"region": null}), &[]).is_ok(),
            "null is no value"
        );
        assert!(
            run(json!({}), &[("region", "x")]).is_err(),
            "a header for no value"
        );
    }
}
