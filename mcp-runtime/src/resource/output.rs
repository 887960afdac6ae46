//! Turning what a `#[resource]` function returns into a `resources/read` result.

use std::borrow::Cow;
use std::fmt::Display;

use base64::Engine as _;

use super::ReadResourceResult;
use crate::protocol::content::ResourceContents;
use crate::protocol::jsonrpc::boxed_handler_error;
use crate::tool::BoxError;

/// Types a `#[resource]` function can return.
///
/// Text (`String`, `&'static str`, `Cow<'static, str>`) is one text item and bytes (`Vec<u8>`,
/// `&'static [u8]`) one base64 blob, each carrying the URI read and the resource's MIME type;
/// [`ResourceContents`] (one or a `Vec`) and [`ReadResourceResult`] are sent as they are. A
/// `Result<T, E>` of those with `E: Display` turns `Err` into a JSON-RPC error: an
/// [`ErrorObject`](crate::ErrorObject) (or a [`BoxError`] holding one) is sent as it is,
/// anything else as an internal error (-32603) carrying its message.
///
/// ```
/// use mcp_runtime::resource::IntoResourceResult;
/// use mcp_runtime::protocol::content::ResourceContents;
///
/// let mime = <String as IntoResourceResult>::MIME_TYPE;
/// let result = String::from("# Hello").into_resource_result("docs://readme", mime).unwrap();
/// assert!(matches!(
///     &result.contents[0],
///     ResourceContents::Text { uri, mime_type: Some(mime), text }
///         if uri == "docs://readme" && mime == "text/plain" && text == "# Hello"
/// ));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a #[resource] function",
    label = "not a resource's contents",
    note = "return `String` or `&'static str` (text), `Vec<u8>` (a binary blob), `ResourceContents`, `Vec<ResourceContents>`, `ReadResourceResult`, or a `Result<T, E>` of those with `E: Display`"
)]
pub trait IntoResourceResult {
    /// The MIME type of what this type reads as, when the resource does not name one:
    /// `text/plain` for text, `application/octet-stream` for bytes, none for contents that carry
    /// their own.
    const MIME_TYPE: Option<&'static str> = None;

    /// Converts the value into the result of reading `uri`, of type `mime_type`.
    ///
    /// # Errors
    /// The error of a `Result`, as the server sends it.
    fn into_resource_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, BoxError>;
}

impl IntoResourceResult for ReadResourceResult {
    fn into_resource_result(
        self,
        _: &str,
        _: Option<&str>,
    ) -> Result<ReadResourceResult, BoxError> {
        Ok(self)
    }
}

impl IntoResourceResult for ResourceContents {
    fn into_resource_result(
        self,
        _: &str,
        _: Option<&str>,
    ) -> Result<ReadResourceResult, BoxError> {
        Ok(ReadResourceResult::new(vec![self]))
    }
}

impl IntoResourceResult for Vec<ResourceContents> {
    fn into_resource_result(
        self,
        _: &str,
        _: Option<&str>,
    ) -> Result<ReadResourceResult, BoxError> {
        Ok(ReadResourceResult::new(self))
    }
}

/// One text item.
fn text(uri: &str, mime_type: Option<&str>, text: String) -> ReadResourceResult {
    ReadResourceResult::new(vec![ResourceContents::Text {
        uri: uri.to_owned(),
        mime_type: mime_type.map(str::to_owned),
        text,
    }])
}

/// One base64 blob.
fn blob(uri: &str, mime_type: Option<&str>, bytes: &[u8]) -> ReadResourceResult {
    ReadResourceResult::new(vec![ResourceContents::Blob {
        uri: uri.to_owned(),
        mime_type: mime_type.map(str::to_owned),
        blob: base64::engine::general_purpose::STANDARD.encode(bytes),
    }])
}

impl IntoResourceResult for String {
    const MIME_TYPE: Option<&'static str> = Some("text/plain");

    fn into_resource_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, BoxError> {
        Ok(text(uri, mime_type, self))
    }
}

impl IntoResourceResult for &'static str {
    const MIME_TYPE: Option<&'static str> = Some("text/plain");

    fn into_resource_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, BoxError> {
        Ok(text(uri, mime_type, self.to_owned()))
    }
}

impl IntoResourceResult for Cow<'static, str> {
    const MIME_TYPE: Option<&'static str> = Some("text/plain");

    fn into_resource_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, BoxError> {
        Ok(text(uri, mime_type, self.into_owned()))
    }
}

impl IntoResourceResult for Vec<u8> {
    const MIME_TYPE: Option<&'static str> = Some("application/octet-stream");

    fn into_resource_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, BoxError> {
        Ok(blob(uri, mime_type, &self))
    }
}

impl IntoResourceResult for &'static [u8] {
    const MIME_TYPE: Option<&'static str> = Some("application/octet-stream");

    fn into_resource_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, BoxError> {
        Ok(blob(uri, mime_type, self))
    }
}

impl<T: IntoResourceResult, E: Display + 'static> IntoResourceResult for Result<T, E> {
    const MIME_TYPE: Option<&'static str> = T::MIME_TYPE;

    fn into_resource_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, BoxError> {
        self.map_err(boxed_handler_error)?
            .into_resource_result(uri, mime_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorObject;

    #[test]
    fn text_and_bytes_carry_the_uri_and_mime_type() {
        let read = |value: Vec<u8>| {
            value
                .into_resource_result("a://b", <Vec<u8>>::MIME_TYPE)
                .unwrap()
        };
        assert_eq!(
            read(b"\x89PNG".to_vec()),
            ReadResourceResult::blob("a://b", "application/octet-stream", "iVBORw==")
        );
        let text = "hi".into_resource_result("a://b", Some("text/markdown"));
        assert_eq!(
            text.unwrap(),
            ReadResourceResult::text("a://b", "text/markdown", "hi")
        );
        assert_eq!(
            <Result<String, String>>::MIME_TYPE,
            Some("text/plain"),
            "a Result reads as its value"
        );
        assert_eq!(<ReadResourceResult as IntoResourceResult>::MIME_TYPE, None);
        let own: Result<String, ErrorObject> = Err(ErrorObject::new(-32002, "gone"));
        let err = own.into_resource_result("a://b", None).unwrap_err();
        assert_eq!(
            err.downcast_ref::<ErrorObject>().map(|e| e.code),
            Some(-32002)
        );
    }
}
