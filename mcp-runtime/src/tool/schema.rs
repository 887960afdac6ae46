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
/// for every protocol version); `None` for anything else, whose results are sent as text only.
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

    #[test]
    fn only_objects_have_output_schemas() {
        assert!(output_schema::<Person>().is_some());
        assert!(output_schema::<i64>().is_none());
        assert!(output_schema::<Vec<Person>>().is_none());
    }
}
