//! Turning what a tool function returns into a `tools/call` result.
//!
//! Two families of return types are accepted:
//! - [`IntoToolResult`] types: text (`String`, `&str`), content blocks, [`CallToolResult`],
//!   [`Json<T>`], `()`, and `Result<T, E>` of those with `E: Display`;
//! - any `T: Serialize` (and `Result<T, E: Display>`), sent as `structuredContent` plus a text
//!   block when it is a JSON object, and as text otherwise.
//!
//! `#[tool]` picks the family at compile time through autoref-based specialization on
//! [`OutputKind`]: the first `via_*` method whose bounds hold wins.

use std::borrow::Cow;
use std::fmt::Display;
use std::future::{ready, Future};
use std::marker::PhantomData;
use std::pin::Pin;

use futures_util::{Stream, StreamExt};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::schema::{output_schema, JsonObject};
use crate::context::RequestContext;
use crate::protocol::content::{CallToolResult, Content};

/// Types a tool can return as its result.
///
/// Implemented for text, integers and `bool` (as text), content blocks, [`CallToolResult`],
/// [`Json<T>`], `()` and `Result`s of those. Any `T: Serialize` can also be returned from a `#[tool]` function directly.
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

impl IntoToolResult for String {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::text(self)
    }
}

impl IntoToolResult for &'static str {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::text(self)
    }
}

impl IntoToolResult for Cow<'static, str> {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::text(self)
    }
}

impl IntoToolResult for () {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::new(Vec::new())
    }
}

/// Integers and booleans become their text, as their JSON would read (`42`, `true`), without
/// a detour through `serde_json::Value`.
macro_rules! display_as_text {
    ($($ty:ty)*) => {$(
        impl IntoToolResult for $ty {
            fn into_tool_result(self) -> CallToolResult {
                CallToolResult::text(self.to_string())
            }
        }
    )*};
}

display_as_text!(i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize bool);

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
}

/// Structured output: the value as `structuredContent` (and as text), with its schema as the
/// tool's `outputSchema`.
///
/// `#[tool]` functions can return `T: Serialize` directly; `Json` is for hand-written tools and
/// generic code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize + JsonSchema> IntoToolResult for Json<T> {
    fn into_tool_result(self) -> CallToolResult {
        serialize_result(&self.0)
    }

    fn output_schema() -> Option<JsonObject> {
        output_schema::<T>()
    }
}

/// Objects become structured content; other values become text (strings unquoted).
fn serialize_result<T: Serialize + ?Sized>(value: &T) -> CallToolResult {
    match serde_json::to_value(value) {
        Ok(value @ Value::Object(_)) => CallToolResult::structured(value),
        Ok(Value::String(text)) => CallToolResult::text(text),
        // Integers format through std's specialized `to_string`, not the `fmt` machinery.
        Ok(Value::Number(number)) => {
            CallToolResult::text(match (number.as_i64(), number.as_u64()) {
                (Some(n), _) => n.to_string(),
                (_, Some(n)) => n.to_string(),
                _ => number.to_string(),
            })
        }
        Ok(other) => CallToolResult::text(other.to_string()),
        Err(err) => {
            CallToolResult::error(format!("The tool's result could not be serialized: {err}"))
        }
    }
}

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

/// A stream of content blocks: each block is sent as a progress notification (its text as the
/// message) when the client asked for progress, and all blocks form the final result.
///
/// Return one from a `#[tool]` to stream a large result:
///
/// ```
/// use futures_util::stream;
/// use mcp_toolkit::{tool, Content, ContentStream};
///
/// /// Read a long report, page by page.
/// #[tool]
/// async fn report(pages: u32) -> ContentStream {
///     ContentStream::new(stream::iter((1..=pages).map(|page| Content::text(format!("page {page}")))))
/// }
/// ```
pub struct ContentStream(Pin<Box<dyn Stream<Item = Content> + Send>>);

impl ContentStream {
    /// Wraps a stream of blocks.
    pub fn new(stream: impl Stream<Item = Content> + Send + 'static) -> Self {
        ContentStream(Box::pin(stream))
    }

    /// Reports each block as progress (when asked) and gathers them into one result.
    pub async fn collect(mut self, ctx: &RequestContext) -> CallToolResult {
        let mut blocks = Vec::new();
        while let Some(block) = self.0.next().await {
            if ctx.wants_progress() {
                let count = (blocks.len() + 1) as f64;
                match block.as_text() {
                    Some(text) => ctx.progress_with_message(count, None, text),
                    None => ctx.progress(count, None),
                }
            }
            blocks.push(block);
        }
        CallToolResult::new(blocks)
    }
}

impl std::fmt::Debug for ContentStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContentStream")
    }
}

/// Choice zero: a stream, consumed while reporting progress.
#[doc(hidden)]
pub trait ViaStream {
    fn into_result(
        self,
        value: ContentStream,
        ctx: &RequestContext,
    ) -> impl Future<Output = CallToolResult> + Send;
    fn output_schema(self) -> Option<JsonObject>;
}

impl ViaStream for &&&&OutputKind<ContentStream> {
    fn into_result(
        self,
        value: ContentStream,
        ctx: &RequestContext,
    ) -> impl Future<Output = CallToolResult> + Send {
        value.collect(ctx)
    }

    fn output_schema(self) -> Option<JsonObject> {
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
    ) -> impl Future<Output = CallToolResult> + Send;
    fn output_schema(self) -> Option<JsonObject>;
}

impl<T: IntoToolResult> ViaIntoToolResult<T> for &&&OutputKind<T> {
    fn into_result(
        self,
        value: T,
        _: &RequestContext,
    ) -> impl Future<Output = CallToolResult> + Send {
        ready(value.into_tool_result())
    }

    fn output_schema(self) -> Option<JsonObject> {
        T::output_schema()
    }
}

/// Second choice: `Result<T: Serialize, E: Display>`.
#[doc(hidden)]
pub trait ViaSerializeResult<T> {
    fn into_result(
        self,
        value: T,
        ctx: &RequestContext,
    ) -> impl Future<Output = CallToolResult> + Send;
    fn output_schema(self) -> Option<JsonObject>;
}

impl<T: Serialize + JsonSchema, E: Display> ViaSerializeResult<Result<T, E>>
    for &&OutputKind<Result<T, E>>
{
    fn into_result(
        self,
        value: Result<T, E>,
        _: &RequestContext,
    ) -> impl Future<Output = CallToolResult> + Send {
        ready(match value {
            Ok(value) => serialize_result(&value),
            Err(err) => CallToolResult::error(err.to_string()),
        })
    }

    fn output_schema(self) -> Option<JsonObject> {
        output_schema::<T>()
    }
}

/// Third choice: any `T: Serialize`.
#[doc(hidden)]
pub trait ViaSerialize<T> {
    fn into_result(
        self,
        value: T,
        ctx: &RequestContext,
    ) -> impl Future<Output = CallToolResult> + Send;
    fn output_schema(self) -> Option<JsonObject>;
}

impl<T: Serialize + JsonSchema> ViaSerialize<T> for &OutputKind<T> {
    fn into_result(
        self,
        value: T,
        _: &RequestContext,
    ) -> impl Future<Output = CallToolResult> + Send {
        ready(serialize_result(&value))
    }

    fn output_schema(self) -> Option<JsonObject> {
        output_schema::<T>()
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
    ) -> impl Future<Output = CallToolResult> + Send
    where
        T: IntoToolResult;
    fn output_schema(self) -> Option<JsonObject>;
}

impl<T> ViaFallback<T> for OutputKind<T> {
    fn into_result(
        self,
        value: T,
        _: &RequestContext,
    ) -> impl Future<Output = CallToolResult> + Send
    where
        T: IntoToolResult,
    {
        ready(value.into_tool_result())
    }

    fn output_schema(self) -> Option<JsonObject> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize, JsonSchema)]
    struct Sum {
        total: i64,
    }

    macro_rules! convert {
        ($value:expr) => {{
            let value = $value;
            #[allow(unused_imports)]
            use super::{
                ViaFallback as _, ViaIntoToolResult as _, ViaSerialize as _,
                ViaSerializeResult as _, ViaStream as _,
            };
            use futures_util::FutureExt as _;
            let kind = OutputKind::of(&value);
            let ctx = RequestContext::detached();
            let schema = (&&&&kind).output_schema();
            (
                schema,
                (&&&&kind)
                    .into_result(value, &ctx)
                    .now_or_never()
                    .expect("ready"),
            )
        }};
    }

    #[test]
    fn integers_and_booleans_become_the_text_of_their_json() {
        fn check<T: Serialize + IntoToolResult + Copy>(value: T) {
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(value.into_tool_result(), CallToolResult::text(json));
        }
        check(-42_i64);
        check(i64::MIN);
        check(u64::MAX);
        check(7_u8);
        check(usize::MAX);
        check(true);
        let (schema, result) = convert!(3_i64);
        assert!(schema.is_none());
        assert_eq!(result, CallToolResult::text("3"));
    }

    #[test]
    fn text_types_become_text() {
        let (schema, result) = convert!(String::from("hi"));
        assert!(schema.is_none());
        assert_eq!(result, CallToolResult::text("hi"));
    }

    #[test]
    fn objects_become_structured_with_a_schema() {
        let (schema, result) = convert!(Sum { total: 3 });
        assert_eq!(schema.unwrap()["properties"]["total"]["type"], "integer");
        assert_eq!(result.structured_content, Some(json!({"total": 3})));
        assert_eq!(result.content[0].as_text(), Some("{\"total\":3}"));
    }

    #[test]
    fn scalars_become_text_without_a_schema() {
        let (schema, result) = convert!(42_i64);
        assert!(schema.is_none());
        assert_eq!(result, CallToolResult::text("42"));
    }

    #[test]
    fn errors_become_is_error_results() {
        let (schema, result) = convert!(Err::<Sum, _>("no such user"));
        assert!(schema.is_some());
        assert_eq!(result, CallToolResult::error("no such user"));
        let (_, result) = convert!(Ok::<_, std::io::Error>(String::from("fine")));
        assert_eq!(result, CallToolResult::text("fine"));
        let (_, result) = convert!(Ok::<_, String>(7_u8));
        assert_eq!(result, CallToolResult::text("7"));
    }
}
