//! Turning what a tool returns into a `tools/call` result.
//!
//! [`IntoToolResult`] is how a type says what result it makes: text (`String`, `&str`, numbers,
//! `bool`), content blocks, [`CallToolResult`], [`Json<T>`], `()`, and `Result<T, E>` of those
//! with `E: Display`. `#[tool]` also accepts any `T: Serialize + JsonSchema` (see `select`),
//! and sends every serializable value as structured output: `structuredContent` with an
//! `outputSchema`, plus the text block older clients read. A JSON object is sent as itself;
//! anything else (a list, a number, a string, `null`) as `{"result": value}`, since
//! `structuredContent` must be an object.

use std::any::TypeId;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::{OnceLock, RwLock};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use super::schema::{result_schema, structured_output_schema, JsonObject};
use crate::protocol::content::{CallToolResult, Content};

/// Types a tool can return as its result.
///
/// Implemented for text, integers and `bool` (as text), content blocks, [`CallToolResult`],
/// [`Json<T>`], `()` and `Result`s of those. Any `T: Serialize` can also be returned from a
/// `#[tool]` function directly.
///
/// Called by hand, `into_tool_result` makes text of strings, numbers and `bool`s; `#[tool]`
/// sends them as structured output too (unless `structured = false`). For structured output
/// from a hand-written tool, wrap the value in [`Json`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a #[tool] function",
    note = "return a type that implements `serde::Serialize` and `schemars::JsonSchema` (structured output), `String`, `Content`, `Vec<Content>`, `CallToolResult`, or a `Result<T, E>` of those with `E: Display`"
)]
pub trait IntoToolResult {
    /// Converts the value into a result.
    fn into_tool_result(self) -> CallToolResult;

    /// The output schema results of this type conform to, if any.
    fn output_schema() -> Option<JsonObject> {
        None
    }

    /// What `#[tool]` sends: with `structured`, values the toolkit knows how to describe
    /// (strings, numbers, `bool`, [`Json`]) as structured output; without, as text.
    #[doc(hidden)]
    fn into_tool_result_as(self, structured: bool) -> CallToolResult
    where
        Self: Sized,
    {
        let _ = structured;
        self.into_tool_result()
    }

    /// The output schema `#[tool]` publishes, to match [`Self::into_tool_result_as`].
    #[doc(hidden)]
    fn output_schema_as(structured: bool) -> Option<JsonObject> {
        let _ = structured;
        Self::output_schema()
    }
}

impl IntoToolResult for CallToolResult {
    fn into_tool_result(self) -> CallToolResult {
        self
    }
}

impl IntoToolResult for Content {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::new(vec![self])
    }
}

impl IntoToolResult for Vec<Content> {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::new(self)
    }
}

impl IntoToolResult for () {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::new(Vec::new())
    }
}

/// Text and scalars: text by hand, and `{"result": value}` as well from `#[tool]`.
macro_rules! text_or_wrapped {
    ($($ty:ty),* => |$value:ident| $structured:expr) => {$(
        impl IntoToolResult for $ty {
            fn into_tool_result(self) -> CallToolResult {
                CallToolResult::text(self.to_string())
            }

            fn into_tool_result_as(self, structured: bool) -> CallToolResult {
                if !structured {
                    return self.into_tool_result();
                }
                let $value = self;
                $structured
            }

            fn output_schema_as(structured: bool) -> Option<JsonObject> {
                structured.then(structured_output_schema::<$ty>)
            }
        }
    )*};
}

text_or_wrapped!(String, &'static str, Cow<'static, str> => |value| {
    // A move for `String`, a copy for the borrowed ones.
    #[allow(clippy::useless_conversion)]
    let text = String::from(value);
    wrapped(text.clone(), Value::String(text))
});
// Integers and booleans read as their JSON (`42`, `true`); their text comes from std's
// specialized `to_string`, not through the `Value`.
text_or_wrapped!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, bool => |value| {
    match serde_json::to_value(value) {
        Ok(json) => wrapped(value.to_string(), json),
        Err(err) => serialize_error(err),
    }
});

impl<T: IntoToolResult, E: Display> IntoToolResult for Result<T, E> {
    fn into_tool_result(self) -> CallToolResult {
        match self {
            Ok(value) => value.into_tool_result(),
            Err(err) => CallToolResult::error(err.to_string()),
        }
    }

    fn output_schema() -> Option<JsonObject> {
        T::output_schema()
    }

    fn into_tool_result_as(self, structured: bool) -> CallToolResult {
        match self {
            Ok(value) => value.into_tool_result_as(structured),
            Err(err) => CallToolResult::error(err.to_string()),
        }
    }

    fn output_schema_as(structured: bool) -> Option<JsonObject> {
        T::output_schema_as(structured)
    }
}

/// Structured output: the value as `structuredContent` (a JSON object as itself, anything else
/// as `{"result": value}`) and as text, with the matching `outputSchema`
/// ([`structured_output_schema`](crate::schema::structured_output_schema)).
///
/// `#[tool]` functions can return `T: Serialize + JsonSchema` directly; `Json` is for
/// hand-written tools and generic code.
///
/// ```
/// use mcp_runtime::{IntoToolResult, Json};
/// let result = Json(vec![1, 2]).into_tool_result();
/// assert_eq!(result.structured_content, Some(serde_json::json!({"result": [1, 2]})));
/// assert_eq!(result.content[0].as_text(), Some("[1,2]"));
/// assert!(Json::<Vec<i32>>::output_schema().is_some());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize + JsonSchema + 'static> IntoToolResult for Json<T> {
    fn into_tool_result(self) -> CallToolResult {
        serialize_result(&self.0, Some(wraps_cached::<T>()))
    }

    fn output_schema() -> Option<JsonObject> {
        Some(structured_output_schema::<T>())
    }

    fn into_tool_result_as(self, structured: bool) -> CallToolResult {
        serialize_result(&self.0, structured.then(wraps_cached::<T>))
    }

    fn output_schema_as(structured: bool) -> Option<JsonObject> {
        structured.then(structured_output_schema::<T>)
    }
}

/// Whether results of type `T` are wrapped in `result` (its schema is not an object's): built
/// once per type, since schemas are costly, and shared by every [`Json`] of that type.
/// (`#[tool]` keeps its own per tool, without a lock: `select::OutputMode`.)
fn wraps_cached<T: JsonSchema + 'static>() -> bool {
    static WRAPS: OnceLock<RwLock<HashMap<TypeId, bool>>> = OnceLock::new();
    let cache = WRAPS.get_or_init(Default::default);
    let id = TypeId::of::<T>();
    let known = cache.read().ok().and_then(|cache| cache.get(&id).copied());
    known.unwrap_or_else(|| {
        let wraps = result_schema::<T>().1;
        if let Ok(mut cache) = cache.write() {
            cache.insert(id, wraps);
        }
        wraps
    })
}

/// A serializable result: with `wrap` (structured output, and whether `T`'s schema wraps it in
/// `result`), `structuredContent` and the text; without, text only.
pub(crate) fn serialize_result<T: Serialize + ?Sized>(
    value: &T,
    wrap: Option<bool>,
) -> CallToolResult {
    let value = match serde_json::to_value(value) {
        Ok(value) => value,
        Err(err) => return serialize_error(err),
    };
    match wrap {
        Some(true) => wrapped(text_of(&value), value),
        Some(false) if value.is_object() => CallToolResult::structured(value),
        _ => CallToolResult::text(text_of(&value)),
    }
}

/// A result whose `structuredContent` is `{"result": value}`, with `text` for the model.
pub(crate) fn wrapped(text: String, value: Value) -> CallToolResult {
    let mut object = Map::new();
    object.insert("result".to_owned(), value);
    CallToolResult {
        structured_content: Some(Value::Object(object)),
        ..CallToolResult::text(text)
    }
}

/// The text a value reads as: strings unquoted, anything else its JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        // Integers format through std's specialized `to_string`, not the `fmt` machinery.
        Value::Number(number) => match (number.as_i64(), number.as_u64()) {
            (Some(n), _) => n.to_string(),
            (_, Some(n)) => n.to_string(),
            _ => number.to_string(),
        },
        other => other.to_string(),
    }
}

fn serialize_error(err: serde_json::Error) -> CallToolResult {
    CallToolResult::error(format!("The tool's result could not be serialized: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize, JsonSchema)]
    struct Sum {
        total: i64,
    }

    #[test]
    fn by_hand_integers_and_booleans_become_the_text_of_their_json() {
        fn check<T: Serialize + IntoToolResult + Copy>(value: T) {
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(value.into_tool_result(), CallToolResult::text(json));
            assert!(T::output_schema().is_none());
        }
        check(-42_i64);
        check(i64::MIN);
        check(u64::MAX);
        check(7_u8);
        check(usize::MAX);
        check(true);
    }

    #[test]
    fn for_tool_scalars_are_wrapped_in_result() {
        let result = 3_i64.into_tool_result_as(true);
        assert_eq!(result.content, CallToolResult::text("3").content);
        assert_eq!(result.structured_content, Some(json!({"result": 3})));
        let schema = Value::Object(i64::output_schema_as(true).unwrap());
        assert_eq!(schema["properties"]["result"]["type"], "integer");
        assert_eq!(schema["required"], json!(["result"]));

        let result = "hi".into_tool_result_as(true);
        assert_eq!(result.content[0].as_text(), Some("hi"));
        assert_eq!(result.structured_content, Some(json!({"result": "hi"})));
        assert_eq!(
            Cow::<str>::Borrowed("x")
                .into_tool_result_as(true)
                .structured_content,
            Some(json!({"result": "x"}))
        );
        assert_eq!(
            false.into_tool_result_as(true).structured_content,
            Some(json!({"result": false}))
        );
    }

    #[test]
    fn an_integer_out_of_json_range_is_an_error_not_a_wrong_number() {
        let result = i128::MAX.into_tool_result_as(true);
        assert!(result.is_error(), "{result:?}");
        assert_eq!(
            i128::MAX.into_tool_result_as(false),
            CallToolResult::text(i128::MAX.to_string())
        );
    }

    #[test]
    fn unstructured_scalars_stay_text_without_a_schema() {
        assert_eq!(7_u8.into_tool_result_as(false), CallToolResult::text("7"));
        assert!(u8::output_schema_as(false).is_none());
        assert!(String::output_schema_as(false).is_none());
    }

    #[test]
    fn results_carry_their_values_choice_and_errors_stay_text() {
        type R = Result<String, std::io::Error>;
        let ok: R = Ok("fine".into());
        assert_eq!(
            ok.into_tool_result_as(true).structured_content,
            Some(json!({"result": "fine"}))
        );
        assert!(R::output_schema_as(true).is_some());
        let failed: R = Err(std::io::Error::other("no such user"));
        assert_eq!(
            failed.into_tool_result_as(true),
            CallToolResult::error("no such user")
        );
        let by_hand: R = Ok("fine".into());
        assert_eq!(by_hand.into_tool_result(), CallToolResult::text("fine"));
    }

    #[test]
    fn content_and_unit_are_sent_as_built_without_a_schema() {
        assert_eq!(
            ().into_tool_result_as(true),
            CallToolResult::new(Vec::new())
        );
        assert!(<()>::output_schema_as(true).is_none());
        let image = Content::image("AA==", "image/png");
        assert_eq!(
            image.clone().into_tool_result_as(true),
            CallToolResult::new(vec![image])
        );
        assert!(Vec::<Content>::output_schema_as(true).is_none());
        assert!(CallToolResult::output_schema_as(true).is_none());
    }

    #[test]
    fn json_wraps_what_is_not_an_object_and_keeps_objects_as_they_are() {
        let list = Json(vec!["a", "b"]).into_tool_result();
        assert_eq!(list.structured_content, Some(json!({"result": ["a", "b"]})));
        assert_eq!(list.content[0].as_text(), Some(r#"["a","b"]"#));
        let schema = Json::<Vec<&str>>::output_schema().unwrap();
        assert_eq!(schema["properties"]["result"]["type"], "array");

        let sum = Json(Sum { total: 3 }).into_tool_result();
        assert_eq!(sum.structured_content, Some(json!({"total": 3})));
        assert_eq!(sum.content[0].as_text(), Some(r#"{"total":3}"#));
        let schema = Json::<Sum>::output_schema().unwrap();
        assert_eq!(schema["properties"]["total"]["type"], "integer");

        // The schema decides, not the value: `Some(object)` of an optional object is wrapped.
        let some = Json(Some(Sum { total: 1 })).into_tool_result();
        assert_eq!(
            some.structured_content,
            Some(json!({"result": {"total": 1}}))
        );
        let none = Json(None::<Sum>).into_tool_result();
        assert_eq!(none.structured_content, Some(json!({"result": null})));
        assert_eq!(none.content[0].as_text(), Some("null"));
    }

    #[test]
    fn unstructured_json_is_text() {
        let sum = Json(Sum { total: 3 }).into_tool_result_as(false);
        assert_eq!(sum, CallToolResult::text(r#"{"total":3}"#));
        assert!(Json::<Sum>::output_schema_as(false).is_none());
    }
}
