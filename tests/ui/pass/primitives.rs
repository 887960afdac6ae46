use std::borrow::Cow;
use std::net::IpAddr;

use mcp_toolkit::completion::{completer, values, CompletionRequest};
use mcp_toolkit::prompt::{GetPromptResult, PromptMessage};
use mcp_toolkit::protocol::content::ResourceContents;
use mcp_toolkit::resource::ReadResourceResult;
use mcp_toolkit::{
    prompt, resource, BoxError, Content, ErrorObject, FromToolCall, RequestContext, State,
    ToolCall,
};

#[derive(Clone)]
pub struct Db;

pub struct Tenant;

impl FromToolCall for Tenant {
    fn from_tool_call(_: &ToolCall) -> Result<Self, BoxError> {
        Ok(Tenant)
    }
}

async fn hosts(req: CompletionRequest) -> Vec<String> {
    vec![req.value().to_owned()]
}

/// Every kind of argument.
#[prompt(
    name = "kitchen_sink",
    title = "Kitchen sink",
    description = "Wins over the doc comment.",
    complete(host = hosts, r#type = values(["a", "b"])),
    complete(count = completer(|_: CompletionRequest| async { vec!["1".to_owned()] })),
)]
pub async fn sink(
    /// A host.
    host: IpAddr,
    count: Option<u64>,
    r#type: Option<String>,
    State(_db): State<Db>,
    _ctx: RequestContext,
    #[extract] _tenant: Tenant,
) -> Result<Vec<PromptMessage>, BoxError> {
    Ok(vec![PromptMessage::user(Content::text(format!(
        "{host} {count:?} {type:?}",
        r#type = r#type
    )))])
}

/// Plain text.
#[prompt]
pub fn sync_prompt(name: String) -> &'static str {
    let _ = name;
    "hello"
}

/// A whole result.
#[prompt]
pub async fn whole() -> Result<GetPromptResult, ErrorObject> {
    Ok(GetPromptResult::user_text("hi"))
}

/// One message.
#[prompt]
pub async fn one() -> PromptMessage {
    PromptMessage::user(Content::text("hi"))
}

/// Borrowed-or-owned text.
#[prompt]
pub async fn cow() -> Cow<'static, str> {
    Cow::Borrowed("hi")
}

/// Bytes.
#[resource("bytes://{+path}", mime_type = "image/png", complete(path = hosts))]
pub fn bytes(path: String, State(_db): State<Db>) -> Result<Vec<u8>, std::io::Error> {
    Ok(path.into_bytes())
}

/// Parsed variables.
#[resource("hosts://{host}/ports/{port}", name = "port", title = "A port")]
pub async fn port(host: IpAddr, port: u16, _ctx: RequestContext) -> String {
    format!("{host}:{port}")
}

/// Contents.
#[resource("contents://many")]
pub async fn many() -> Vec<ResourceContents> {
    Vec::new()
}

/// A whole result.
#[resource("contents://whole")]
pub async fn whole_resource(#[extract] _tenant: Tenant) -> ReadResourceResult {
    ReadResourceResult::default()
}

/// Static bytes.
#[resource("contents://static")]
pub async fn static_bytes() -> &'static [u8] {
    b"bytes"
}

fn main() {
    let sink = sink::prompt();
    assert_eq!(sink.name(), "kitchen_sink");
    assert_eq!(sink.def().title.as_deref(), Some("Kitchen sink"));
    assert_eq!(sink.def().description.as_deref(), Some("Wins over the doc comment."));
    let names: Vec<_> = sink.def().arguments.iter().map(|a| (a.name.as_str(), a.required)).collect();
    assert_eq!(names, [("host", true), ("count", false), ("type", false)]);
    let _ = (sync_prompt::prompt(), whole::prompt(), one::prompt(), cow::prompt());
    assert_eq!(bytes::resource().uri(), "bytes://{+path}");
    assert_eq!(port::resource().uri(), "hosts://{host}/ports/{port}");
    let _ = (many::resource(), whole_resource::resource(), static_bytes::resource());
}
