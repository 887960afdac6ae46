//! JSON Schemas for tool inputs and outputs, in the shape real clients accept.
//!
//! schemars emits `$schema`, a root `title` and `$defs`/`$ref` for nested types; several
//! clients (Gemini CLI, Cursor, VS Code Copilot, LangGraph, ...) fail on `$ref` or on a 2020-12
//! `$schema`. So subschemas are inlined (`$defs` survive only for recursive types), `$schema` and
//! the root `title` are dropped, and the root must be an object. Each schema is built once, when
//! the tool is created.

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value};

/// A JSON Schema object.
pub type JsonObject = Map<String, Value>;

fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.inline_subschemas = true;
            settings.meta_schema = None;
        })
        .into_generator()
}

/// Removes what clients choke on from a root schema.
fn client_safe(mut schema: JsonObject) -> JsonObject {
    schema.remove("$schema");
    schema.remove("title");
    strip_numeric_formats(&mut schema);
    schema
}

/// schemars marks Rust number types with formats such as `int64` or `uint8`. They are not JSON
/// Schema formats: validators warn about them and some model APIs reject the whole schema. The
/// bounds schemars also emits (`minimum`) carry the part that matters.
fn strip_numeric_formats(schema: &mut JsonObject) {
    let numeric = |format: &str| {
        let digits = format.trim_start_matches("uint").trim_start_matches("int");
        matches!(format, "float" | "double" | "int" | "uint")
            || (digits.len() < format.len()
                && !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit()))
    };
    if schema
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(numeric)
    {
        schema.remove("format");
    }
    for value in schema.values_mut() {
        match value {
            Value::Object(child) => strip_numeric_formats(child),
            Value::Array(items) => items
                .iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(strip_numeric_formats),
            _ => {}
        }
    }
}

fn has_object_root(schema: &JsonObject) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
}

/// The input schema of `T`: a client-safe object schema.
///
/// # Errors
/// When `T` does not describe a JSON object (tool arguments are always an object), the error
/// says what it describes instead.
///
/// ```
/// #[derive(schemars::JsonSchema)]
/// struct Search { query: String, limit: Option<u32> }
/// let schema = mcp_runtime::schema::input_schema::<Search>().unwrap();
/// assert_eq!(schema["type"], "object");
/// assert_eq!(schema["required"], serde_json::json!(["query"]));
/// assert!(mcp_runtime::schema::input_schema::<Vec<u8>>().is_err());
/// ```
pub fn input_schema<T: JsonSchema>() -> Result<JsonObject, String> {
    let schema = client_safe(
        generator()
            .into_root_schema_for::<T>()
            .to_value()
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    if !has_object_root(&schema) {
        return Err(format!(
            "the input of a tool must be a JSON object, but `{}` has the schema {}",
            T::schema_name(),
            Value::Object(schema)
        ));
    }
    let mut schema = schema;
    // Some clients read `properties` unconditionally.
    schema
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    Ok(schema)
}

/// The input schema of `T` exactly as schemars makes it for JSON Schema 2020-12: `$schema`,
/// `$defs` and `$ref`s, `additionalProperties` and the rest kept (`#[tool(verbatim_schema)]`).
/// For clients that read the full dialect; the default, [`input_schema`], is what every client
/// reads.
///
/// # Errors
/// When `T` does not describe a JSON object.
///
/// ```
/// #[derive(schemars::JsonSchema)]
/// #[serde(deny_unknown_fields)]
/// struct Search { query: String }
/// let schema = mcp_runtime::schema::input_schema_verbatim::<Search>().unwrap();
/// assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
/// assert_eq!(schema["additionalProperties"], false);
/// ```
pub fn input_schema_verbatim<T: JsonSchema>() -> Result<JsonObject, String> {
    let schema = SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
        .as_object()
        .cloned()
        .unwrap_or_default();
    if !has_object_root(&schema) {
        return Err(format!(
            "the input of a tool must be a JSON object, but `{}` has the schema {}",
            T::schema_name(),
            Value::Object(schema)
        ));
    }
    Ok(schema)
}

/// The output schema of `T` when it describes a JSON object (what `structuredContent` may be
/// for every protocol version); `None` for anything else (see [`structured_output_schema`]).
pub fn output_schema<T: JsonSchema>() -> Option<JsonObject> {
    let schema = client_safe(
        generator()
            .into_root_schema_for::<T>()
            .to_value()
            .as_object()
            .cloned()?,
    );
    has_object_root(&schema).then_some(schema)
}

/// The `outputSchema` of a tool whose results are `T`s: `T`'s own schema when it describes a
/// JSON object, otherwise an object with one required property, `result`, holding `T`'s
/// schema (`structuredContent` must be an object, so such results are sent as
/// `{"result": value}`, as FastMCP does). Client-safe either way, with the `$defs` of recursive
/// types at the root, where their `$ref`s point.
///
/// ```
/// use mcp_runtime::schema::structured_output_schema;
/// let schema = structured_output_schema::<Vec<String>>();
/// assert_eq!(schema["required"], serde_json::json!(["result"]));
/// assert_eq!(schema["properties"]["result"]["items"]["type"], "string");
/// ```
pub fn structured_output_schema<T: JsonSchema>() -> JsonObject {
    result_schema::<T>().0
}

/// [`structured_output_schema`] and whether it wraps `T` in `result`.
pub(crate) fn result_schema<T: JsonSchema>() -> (JsonObject, bool) {
    match generator().into_root_schema_for::<T>().to_value() {
        Value::Object(schema) => {
            let schema = client_safe(schema);
            if has_object_root(&schema) {
                (schema, false)
            } else {
                (wrap_in_result(Value::Object(schema)), true)
            }
        }
        // `true` (any value, as for `serde_json::Value`) or `false`.
        other => (wrap_in_result(other), true),
    }
}

/// `{"type": "object", "properties": {"result": schema}, "required": ["result"]}`, with the
/// `$ref`s still pointing where they did: `$defs` move up to the new root, and a recursive
/// type's references to itself (`#`, the old root) now name `#/properties/result`.
fn wrap_in_result(mut schema: Value) -> JsonObject {
    repoint_root_refs(&mut schema);
    let defs = schema
        .as_object_mut()
        .and_then(|schema| schema.remove("$defs"));
    let mut root = JsonObject::new();
    root.insert("type".to_owned(), "object".into());
    root.insert(
        "properties".to_owned(),
        Value::Object(Map::from_iter([("result".to_owned(), schema)])),
    );
    root.insert("required".to_owned(), Value::from(["result"]));
    if let Some(defs) = defs {
        root.insert("$defs".to_owned(), defs);
    }
    root
}

fn repoint_root_refs(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                if key == "$ref" && value == "#" {
                    *value = "#/properties/result".into();
                } else {
                    repoint_root_refs(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(repoint_root_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct Address {
        /// Street and number.
        street: String,
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct Person {
        name: String,
        home: Address,
        age: Option<u8>,
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct Tree {
        children: Vec<Tree>,
    }

    #[test]
    fn nested_types_are_inlined_without_dialect_or_title() {
        let schema = Value::Object(input_schema::<Person>().unwrap());
        assert!(schema.get("$schema").is_none() && schema.get("title").is_none());
        assert!(schema.get("$defs").is_none(), "{schema}");
        assert_eq!(
            schema["properties"]["home"]["properties"]["street"]["description"],
            "Street and number."
        );
        assert_eq!(schema["required"], json!(["name", "home"]));
    }

    #[allow(dead_code)]
    #[derive(JsonSchema)]
    struct Numbers {
        small: u8,
        big: i64,
        ratio: f64,
        maybe: Option<u32>,
        when: Option<String>,
    }

    #[test]
    fn rust_number_formats_are_dropped() {
        let schema = Value::Object(input_schema::<Numbers>().unwrap());
        assert!(!schema.to_string().contains("format"), "{schema}");
        assert_eq!(schema["properties"]["small"]["maximum"], 255);
    }

    #[test]
    fn recursive_types_keep_their_definitions() {
        let schema = Value::Object(input_schema::<Tree>().unwrap());
        assert!(schema.to_string().contains("$ref"), "{schema}");
    }

    /// Every `$ref` in `schema` resolves within it, and none is `#` alone.
    fn assert_refs_resolve(schema: &Value) -> usize {
        let text = schema.to_string();
        let mut count = 0;
        for reference in text.split("\"$ref\":\"").skip(1) {
            let pointer = &reference[..reference.find('"').unwrap()];
            let target = pointer.strip_prefix('#').unwrap();
            assert!(!target.is_empty(), "{text}");
            assert!(schema.pointer(target).is_some(), "{pointer} in {text}");
            count += 1;
        }
        count
    }

    #[test]
    fn wrapped_schemas_keep_definitions_at_the_root() {
        let (schema, wraps) = result_schema::<Vec<Tree>>();
        assert!(wraps);
        let schema = Value::Object(schema);
        assert!(schema["$defs"]["Tree"].is_object(), "{schema}");
        assert!(schema["properties"]["result"].get("$defs").is_none());
        assert!(assert_refs_resolve(&schema) > 0);
        assert_eq!(schema["properties"]["result"]["type"], "array");
    }

    #[test]
    fn objects_are_not_wrapped_and_anything_else_is() {
        let (schema, wraps) = result_schema::<Person>();
        assert!(!wraps);
        assert_eq!(Some(schema), output_schema::<Person>());
        let schema = Value::Object(structured_output_schema::<Option<u8>>());
        assert_eq!(schema["required"], json!(["result"]));
        assert!(!schema.to_string().contains("format"), "{schema}");
        // `serde_json::Value` is anything, even an object: wrapped under the empty schema.
        let any = Value::Object(structured_output_schema::<Value>());
        assert_eq!(any["properties"]["result"], json!({}));
    }

    #[test]
    fn only_objects_have_output_schemas() {
        assert!(output_schema::<Person>().is_some());
        assert!(output_schema::<i64>().is_none());
        assert!(output_schema::<Vec<Person>>().is_none());
    }
}
