//! How `#[tool]` picks, at compile time, the conversion of its function's return type:
//! autoref-based specialization on [`OutputKind`], where the first `Via*` method whose bounds
//! hold wins (the generated code calls `(&&&&kind).into_result(..)`). In order:
//! [`ContentStream`]; any [`IntoToolResult`] (its `into_tool_result_as`); `Result<T, E>` of a
//! `T: Serialize + JsonSchema`; any `T: Serialize + JsonSchema`; and last a fallback that only
//! exists to make the compiler say what a tool may return.
//!
//! Every call also takes the tool's [`OutputMode`]: `#[tool(structured = false)]`, and the
//! schema's choice between sending a value as itself and as `{"result": value}`.

use std::fmt::Display;
use std::future::{ready, Future};
use std::marker::PhantomData;
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::Serialize;

use super::output::{serialize_result, IntoToolResult};
use super::schema::{result_schema, JsonObject};
use super::stream::ContentStream;
use crate::context::RequestContext;
use crate::protocol::content::CallToolResult;

/// Carries a return type for `#[tool]`'s compile-time choice of conversion.
#[doc(hidden)]
pub struct OutputKind<T>(PhantomData<fn() -> T>);

impl<T> OutputKind<T> {
    pub const fn new() -> Self {
        OutputKind(PhantomData)
    }

    pub fn of(_: &T) -> Self {
        OutputKind(PhantomData)
    }
}

impl<T> Default for OutputKind<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for OutputKind<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for OutputKind<T> {}

/// One tool's output settings, in a `static` next to its generated code: whether it sends
/// structured output at all, and whether its (one) return type is wrapped in `result`, decided
/// from the schema once rather than on every call.
#[doc(hidden)]
#[derive(Debug)]
pub struct OutputMode {
    structured: bool,
    wraps: OnceLock<bool>,
}

impl OutputMode {
    /// `structured`: `#[tool(structured = ...)]`, on by default.
    pub const fn new(structured: bool) -> Self {
        OutputMode {
            structured,
            wraps: OnceLock::new(),
        }
    }

    /// What [`serialize_result`] takes: `None` for text only, else whether to wrap.
    fn wrap<T: JsonSchema>(&self) -> Option<bool> {
        self.structured
            .then(|| *self.wraps.get_or_init(|| result_schema::<T>().1))
    }

    fn schema<T: JsonSchema>(&self) -> Option<JsonObject> {
        if !self.structured {
            return None;
        }
        let (schema, wraps) = result_schema::<T>();
        let _ = self.wraps.set(wraps);
        Some(schema)
    }
}

/// Choice zero: a stream, consumed while reporting progress.
#[doc(hidden)]
pub trait ViaStream {
    fn into_result(
        self,
        value: ContentStream,
        ctx: &RequestContext,
        mode: &OutputMode,
    ) -> impl Future<Output = CallToolResult> + Send;
    fn output_schema(self, mode: &OutputMode) -> Option<JsonObject>;
}

impl ViaStream for &&&&OutputKind<ContentStream> {
    fn into_result(
        self,
        value: ContentStream,
        ctx: &RequestContext,
        _: &OutputMode,
    ) -> impl Future<Output = CallToolResult> + Send {
        value.collect(ctx)
    }

    fn output_schema(self, _: &OutputMode) -> Option<JsonObject> {
        None
    }
}

/// First choice: the type says itself how it becomes a result.
#[doc(hidden)]
pub trait ViaIntoToolResult<T> {
    fn into_result(
        self,
        value: T,
        ctx: &RequestContext,
        mode: &OutputMode,
    ) -> impl Future<Output = CallToolResult> + Send;
    fn output_schema(self, mode: &OutputMode) -> Option<JsonObject>;
}

impl<T: IntoToolResult> ViaIntoToolResult<T> for &&&OutputKind<T> {
    fn into_result(
        self,
        value: T,
        _: &RequestContext,
        mode: &OutputMode,
    ) -> impl Future<Output = CallToolResult> + Send {
        ready(value.into_tool_result_as(mode.structured))
    }

    fn output_schema(self, mode: &OutputMode) -> Option<JsonObject> {
        T::output_schema_as(mode.structured)
    }
}

/// Second choice: `Result<T: Serialize, E: Display>`.
#[doc(hidden)]
pub trait ViaSerializeResult<T> {
    fn into_result(
        self,
        value: T,
        ctx: &RequestContext,
        mode: &OutputMode,
    ) -> impl Future<Output = CallToolResult> + Send;
    fn output_schema(self, mode: &OutputMode) -> Option<JsonObject>;
}

impl<T: Serialize + JsonSchema, E: Display> ViaSerializeResult<Result<T, E>>
    for &&OutputKind<Result<T, E>>
{
    fn into_result(
        self,
        value: Result<T, E>,
        _: &RequestContext,
        mode: &OutputMode,
    ) -> impl Future<Output = CallToolResult> + Send {
        ready(match value {
            Ok(value) => serialize_result(&value, mode.wrap::<T>()),
            Err(err) => CallToolResult::error(err.to_string()),
        })
    }

    fn output_schema(self, mode: &OutputMode) -> Option<JsonObject> {
        mode.schema::<T>()
    }
}

/// Third choice: any `T: Serialize`.
#[doc(hidden)]
pub trait ViaSerialize<T> {
    fn into_result(
        self,
        value: T,
        ctx: &RequestContext,
        mode: &OutputMode,
    ) -> impl Future<Output = CallToolResult> + Send;
    fn output_schema(self, mode: &OutputMode) -> Option<JsonObject>;
}

impl<T: Serialize + JsonSchema> ViaSerialize<T> for &OutputKind<T> {
    fn into_result(
        self,
        value: T,
        _: &RequestContext,
        mode: &OutputMode,
    ) -> impl Future<Output = CallToolResult> + Send {
        ready(serialize_result(&value, mode.wrap::<T>()))
    }

    fn output_schema(self, mode: &OutputMode) -> Option<JsonObject> {
        mode.schema::<T>()
    }
}

/// Last resort, reached only when nothing fits: requires `IntoToolResult` so the compiler
/// explains what a tool may return.
#[doc(hidden)]
pub trait ViaFallback<T> {
    fn into_result(
        self,
        value: T,
        ctx: &RequestContext,
        mode: &OutputMode,
    ) -> impl Future<Output = CallToolResult> + Send
    where
        T: IntoToolResult;
    fn output_schema(self, mode: &OutputMode) -> Option<JsonObject>;
}

impl<T> ViaFallback<T> for OutputKind<T> {
    fn into_result(
        self,
        value: T,
        _: &RequestContext,
        _: &OutputMode,
    ) -> impl Future<Output = CallToolResult> + Send
    where
        T: IntoToolResult,
    {
        ready(value.into_tool_result())
    }

    fn output_schema(self, _: &OutputMode) -> Option<JsonObject> {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::protocol::content::Content;
    use serde_json::{json, Value};

    #[derive(Serialize, JsonSchema)]
    struct Sum {
        total: i64,
    }

    #[allow(dead_code)]
    #[derive(Serialize, JsonSchema)]
    #[serde(rename_all = "snake_case")]
    enum Color {
        Red,
        Green,
    }

    /// A recursive type whose schema is not an object's: its references to itself must still
    /// point at it once it is wrapped.
    #[derive(Serialize, JsonSchema)]
    #[serde(untagged)]
    enum Expr {
        Number(i64),
        Sum(Vec<Expr>),
    }

    /// `(outputSchema, result)` as `#[tool]` makes them, structured or not.
    macro_rules! convert {
        ($value:expr) => {
            convert!($value, true)
        };
        ($value:expr, $structured:expr) => {{
            let value = $value;
            #[allow(unused_imports)]
            use super::{
                ViaFallback as _, ViaIntoToolResult as _, ViaSerialize as _,
                ViaSerializeResult as _, ViaStream as _,
            };
            use futures_util::FutureExt as _;
            let mode = OutputMode::new($structured);
            let kind = OutputKind::of(&value);
            let ctx = RequestContext::detached();
            let schema = (&&&&kind).output_schema(&mode).map(Value::Object);
            let result = (&&&&kind)
                .into_result(value, &ctx, &mode)
                .now_or_never()
                .expect("ready");
            (schema, result)
        }};
    }

    /// Checks a wrapped result: its text, its `{"result": ...}`, and that the schema requires
    /// `result` with `result_type` as the type of its value.
    fn assert_wrapped(
        (schema, result): (Option<Value>, CallToolResult),
        text: &str,
        value: Value,
        result_type: &str,
    ) {
        let schema = schema.expect("an output schema");
        assert_eq!(schema["type"], "object", "{schema}");
        assert_eq!(schema["required"], json!(["result"]), "{schema}");
        assert_eq!(
            schema["properties"]["result"]["type"], result_type,
            "{schema}"
        );
        assert_eq!(result.content, vec![Content::text(text)]);
        assert_eq!(result.structured_content, Some(json!({ "result": value })));
        assert_eq!(result.is_error, None);
    }

    #[test]
    fn numbers_and_booleans_are_wrapped() {
        assert_wrapped(convert!(3_i64), "3", json!(3), "integer");
        assert_wrapped(
            convert!(u64::MAX),
            "18446744073709551615",
            json!(u64::MAX),
            "integer",
        );
        assert_wrapped(convert!(2.5_f64), "2.5", json!(2.5), "number");
        assert_wrapped(convert!(true), "true", json!(true), "boolean");
    }

    #[test]
    fn text_is_wrapped_and_stays_unquoted() {
        assert_wrapped(convert!(String::from("hi")), "hi", json!("hi"), "string");
        assert_wrapped(
            convert!("quote \""),
            "quote \"",
            json!("quote \""),
            "string",
        );
        assert_wrapped(convert!('x'), "x", json!("x"), "string");
        assert_wrapped(convert!(Color::Green), "green", json!("green"), "string");
    }

    #[test]
    fn lists_are_wrapped_and_read_as_their_json() {
        assert_wrapped(
            convert!(vec![Sum { total: 1 }, Sum { total: 2 }]),
            r#"[{"total":1},{"total":2}]"#,
            json!([{"total": 1}, {"total": 2}]),
            "array",
        );
        let (schema, _) = convert!(vec![Sum { total: 1 }]);
        let items = &schema.unwrap()["properties"]["result"]["items"];
        assert_eq!(items["properties"]["total"]["type"], "integer");
    }

    #[test]
    fn options_are_wrapped_whether_some_or_none() {
        let (schema, some) = convert!(Some(Sum { total: 4 }));
        assert_eq!(
            some.structured_content,
            Some(json!({"result": {"total": 4}}))
        );
        assert_eq!(some.content[0].as_text(), Some(r#"{"total":4}"#));
        let schema = schema.unwrap();
        assert_eq!(schema["required"], json!(["result"]));
        let (_, none) = convert!(None::<Sum>);
        assert_eq!(none.structured_content, Some(json!({"result": null})));
        assert_eq!(none.content[0].as_text(), Some("null"));
    }

    #[test]
    fn objects_are_sent_as_themselves() {
        let (schema, result) = convert!(Sum { total: 3 });
        assert_eq!(schema.unwrap()["properties"]["total"]["type"], "integer");
        assert_eq!(result.structured_content, Some(json!({"total": 3})));
        assert_eq!(result.content[0].as_text(), Some("{\"total\":3}"));
        let (schema, result) = convert!(BTreeMap::from([("a", 1)]));
        assert_eq!(schema.unwrap()["type"], "object");
        assert_eq!(result.structured_content, Some(json!({"a": 1})));
    }

    #[test]
    fn references_of_recursive_types_still_resolve_once_wrapped() {
        let (schema, result) = convert!(Expr::Sum(vec![Expr::Number(1)]));
        let schema = schema.unwrap();
        let text = schema.to_string();
        assert!(
            schema["properties"]["result"].get("$defs").is_none(),
            "{text}"
        );
        let mut references = 0;
        for reference in text.split("\"$ref\":\"").skip(1) {
            let pointer = &reference[..reference.find('"').unwrap()];
            let target = pointer.strip_prefix('#').unwrap();
            // `#` alone would now be the wrapper, not the type.
            assert!(!target.is_empty(), "{text}");
            assert!(schema.pointer(target).is_some(), "{pointer} in {text}");
            references += 1;
        }
        assert!(references > 0, "{text}");
        assert_eq!(result.structured_content, Some(json!({"result": [1]})));
    }

    #[test]
    fn any_json_value_is_wrapped_under_a_schema_that_accepts_it() {
        let (schema, result) = convert!(json!({"free": "form"}));
        let schema = schema.unwrap();
        assert_eq!(schema["required"], json!(["result"]));
        assert_eq!(
            result.structured_content,
            Some(json!({"result": {"free": "form"}}))
        );
    }

    #[test]
    fn errors_are_is_error_text_without_structured_content() {
        let (schema, result) = convert!(Err::<Vec<u8>, _>("no such user"));
        assert_eq!(schema.unwrap()["properties"]["result"]["type"], "array");
        assert_eq!(result, CallToolResult::error("no such user"));
        let (schema, result) = convert!(Err::<String, _>(std::fmt::Error));
        assert!(schema.is_some());
        assert!(result.is_error() && result.structured_content.is_none());
        assert_wrapped(
            convert!(Ok::<_, String>(vec![1_u8])),
            "[1]",
            json!([1]),
            "array",
        );
        assert_wrapped(convert!(Ok::<_, String>(7_u8)), "7", json!(7), "integer");
        let (_, result) = convert!(Ok::<_, String>(Sum { total: 2 }));
        assert_eq!(result.structured_content, Some(json!({"total": 2})));
    }

    #[test]
    fn content_unit_and_streams_have_no_schema() {
        let (schema, result) = convert!(());
        assert!(schema.is_none());
        assert_eq!(result, CallToolResult::new(Vec::new()));
        let (schema, result) = convert!(Ok::<(), String>(()));
        assert!(schema.is_none());
        assert_eq!(result, CallToolResult::new(Vec::new()));
        let (schema, result) = convert!(vec![Content::text("a")]);
        assert!(schema.is_none());
        assert_eq!(result, CallToolResult::text("a"));
        let (schema, result) = convert!(CallToolResult::text("as built"));
        assert!(schema.is_none());
        assert_eq!(result, CallToolResult::text("as built"));
        let blocks = futures_util::stream::iter([Content::text("x")]);
        let (schema, result) = convert!(ContentStream::new(blocks));
        assert!(schema.is_none());
        assert_eq!(result, CallToolResult::text("x"));
    }

    #[test]
    fn unstructured_tools_send_text_and_no_schema() {
        for (schema, result, text) in [
            (convert!(3_i64, false), "3"),
            (convert!(String::from("hi"), false), "hi"),
            (convert!(vec![1, 2], false), "[1,2]"),
            (convert!(Some("x"), false), "x"),
            (convert!(Sum { total: 3 }, false), r#"{"total":3}"#),
            (convert!(Ok::<_, String>(vec![1]), false), "[1]"),
            (convert!(super::super::Json(vec![1]), false), "[1]"),
        ]
        .map(|((schema, result), text)| (schema, result, text))
        {
            assert!(schema.is_none(), "{text}: {schema:?}");
            assert_eq!(result, CallToolResult::text(text));
        }
    }
}
