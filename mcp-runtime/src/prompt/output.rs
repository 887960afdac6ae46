//! Turning what a `#[prompt]` function returns into a `prompts/get` result.

use std::borrow::Cow;
use std::fmt::Display;

use super::{GetPromptResult, PromptMessage};
use crate::protocol::jsonrpc::boxed_handler_error;
use crate::tool::BoxError;

/// Types a `#[prompt]` function can return.
///
/// Text (`String`, `&'static str`, `Cow<'static, str>`) is one user message; a
/// [`PromptMessage`] or `Vec<PromptMessage>` is sent as the messages; a [`GetPromptResult`] as
/// it is. A `Result<T, E>` of those with `E: Display` turns `Err` into a JSON-RPC error: an
/// [`ErrorObject`](crate::ErrorObject) (or a [`BoxError`] holding one) is sent as it is,
/// anything else as an internal error (-32603) carrying its message.
///
/// ```
/// use mcp_runtime::prompt::{IntoPromptResult, Role};
///
/// let result = "Summarize this.".into_prompt_result().unwrap();
/// assert_eq!(result.messages[0].role, Role::User);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a #[prompt] function",
    label = "not a prompt result",
    note = "return `String` or `&'static str` (one user message), `PromptMessage`, `Vec<PromptMessage>`, `GetPromptResult`, or a `Result<T, E>` of those with `E: Display`"
)]
pub trait IntoPromptResult {
    /// Converts the value into a result.
    ///
    /// # Errors
    /// The error of a `Result`, as the server sends it.
    fn into_prompt_result(self) -> Result<GetPromptResult, BoxError>;
}

impl IntoPromptResult for GetPromptResult {
    fn into_prompt_result(self) -> Result<GetPromptResult, BoxError> {
        Ok(self)
    }
}

impl IntoPromptResult for Vec<PromptMessage> {
    fn into_prompt_result(self) -> Result<GetPromptResult, BoxError> {
        Ok(GetPromptResult::new(self))
    }
}

impl IntoPromptResult for PromptMessage {
    fn into_prompt_result(self) -> Result<GetPromptResult, BoxError> {
        Ok(GetPromptResult::new(vec![self]))
    }
}

impl IntoPromptResult for String {
    fn into_prompt_result(self) -> Result<GetPromptResult, BoxError> {
        Ok(GetPromptResult::user_text(self))
    }
}

impl IntoPromptResult for &'static str {
    fn into_prompt_result(self) -> Result<GetPromptResult, BoxError> {
        Ok(GetPromptResult::user_text(self))
    }
}

impl IntoPromptResult for Cow<'static, str> {
    fn into_prompt_result(self) -> Result<GetPromptResult, BoxError> {
        Ok(GetPromptResult::user_text(self))
    }
}

impl<T: IntoPromptResult, E: Display + 'static> IntoPromptResult for Result<T, E> {
    fn into_prompt_result(self) -> Result<GetPromptResult, BoxError> {
        self.map_err(boxed_handler_error)?.into_prompt_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt::Role;
    use crate::protocol::content::Content;
    use crate::ErrorObject;

    #[test]
    fn text_is_one_user_message_and_errors_keep_error_objects() {
        let text = String::from("hi").into_prompt_result().unwrap();
        assert_eq!(text, GetPromptResult::user_text("hi"));
        let two = vec![
            PromptMessage::user(Content::text("q")),
            PromptMessage::assistant(Content::text("a")),
        ];
        assert_eq!(two.clone().into_prompt_result().unwrap().messages, two);
        assert_eq!(
            PromptMessage::assistant(Content::text("a"))
                .into_prompt_result()
                .unwrap()
                .messages[0]
                .role,
            Role::Assistant
        );

        let plain: Result<String, String> = Err("no such code".into());
        let err = plain.into_prompt_result().unwrap_err();
        assert!(err.downcast_ref::<ErrorObject>().is_none());
        assert_eq!(err.to_string(), "no such code");

        let own: Result<String, ErrorObject> = Err(ErrorObject::new(-32002, "gone"));
        let err = own.into_prompt_result().unwrap_err();
        assert_eq!(
            err.downcast_ref::<ErrorObject>().map(|e| e.code),
            Some(-32002)
        );

        let boxed: Result<String, BoxError> = Err(ErrorObject::new(-32001, "boxed").into());
        let err = boxed.into_prompt_result().unwrap_err();
        assert_eq!(
            err.downcast_ref::<ErrorObject>().map(|e| e.code),
            Some(-32001)
        );
    }
}
