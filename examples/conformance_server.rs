//! The fixtures of the official MCP conformance suite (`@modelcontextprotocol/conformance`),
//! served over Streamable HTTP at `http://127.0.0.1:PORT/mcp`:
//! `conformance_server --port PORT` (or env `PORT`). `tests/conformance/run.sh` runs the suite
//! against it.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use mcp_toolkit::completion::values;
use mcp_toolkit::context::SamplingMessage;
use mcp_toolkit::prompt::PromptMessage;
use mcp_toolkit::protocol::content::{EmbeddedResource, ResourceContents};
use mcp_toolkit::resource::ReadResourceResult;
use mcp_toolkit::{
    prompt, resource, tool, CallToolResult, Content, Prompt, RequestContext, Resource, Server,
    Tool, ToolCall, ToolDef,
};

/// A 1×1 red PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/// A WAV header with no samples.
const WAV: &str = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=";

/// Returns a simple text response.
#[tool]
async fn test_simple_text() -> &'static str {
    "This is a simple text response for testing."
}

/// Returns an image.
#[tool]
async fn test_image_content() -> CallToolResult {
    CallToolResult::new(vec![Content::image(PNG, "image/png")])
}

/// Returns audio.
#[tool]
async fn test_audio_content() -> CallToolResult {
    CallToolResult::new(vec![Content::audio(WAV, "audio/wav")])
}

/// Returns an embedded resource.
#[tool]
async fn test_embedded_resource() -> CallToolResult {
    CallToolResult::new(vec![Content::embedded_text(
        "test://embedded-resource",
        "text/plain",
        "This is an embedded resource content.",
    )])
}

/// Returns text, an image and a resource.
#[tool]
async fn test_multiple_content_types() -> CallToolResult {
    CallToolResult::new(vec![
        Content::text("Multiple content types test:"),
        Content::image(PNG, "image/png"),
        Content::Resource(EmbeddedResource {
            resource: ResourceContents::Text {
                uri: "test://mixed-content-resource".into(),
                mime_type: Some("application/json".into()),
                text: r#"{"test":"data","value":123}"#.into(),
            },
            annotations: None,
            meta: None,
        }),
    ])
}

/// Sends three log messages while it runs.
#[tool]
async fn test_tool_with_logging(ctx: RequestContext) -> &'static str {
    for message in [
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
    ] {
        ctx.info(message);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    "Logging test completed"
}

/// Always fails.
#[tool]
async fn test_error_handling() -> Result<&'static str, String> {
    Err("This tool intentionally returns an error for testing".into())
}

/// Reports progress 0, 50 and 100 of 100.
#[tool]
async fn test_tool_with_progress(ctx: RequestContext) -> &'static str {
    for progress in [0.0, 50.0, 100.0] {
        ctx.progress(progress, Some(100.0));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    "Progress test completed"
}

/// Logs one message (sent only to clients that asked for log messages).
#[tool]
async fn test_logging_tool(ctx: RequestContext) -> &'static str {
    ctx.info("test_logging_tool ran");
    "Logged (if the client asked for log messages)"
}

/// Takes a while, for clients that test reconnecting to a stream.
#[tool]
async fn test_reconnection(ctx: RequestContext) -> &'static str {
    for step in 1..=3 {
        ctx.progress(f64::from(step), Some(3.0));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    "Reconnection test completed"
}

/// Needs the client's `sampling` capability: a client that did not declare it is refused with
/// -32021 before the tool runs.
fn test_missing_capability() -> Tool {
    let def = ToolDef::new("test_missing_capability", serde_json::Map::new())
        .with_description("A tool that requires the client's sampling capability.")
        .requires_client_capability("sampling");
    Tool::from_fn(def, |call: ToolCall| async move {
        let answer = call
            .context()
            .sample(vec![SamplingMessage::user("Say hello.")], 20)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(CallToolResult::text(
            answer.content.as_text().unwrap_or_default(),
        ))
    })
}

/// Asks the client's model to answer `prompt` (sampling).
#[tool]
async fn test_sampling(prompt: String, ctx: RequestContext) -> Result<String, String> {
    let answer = ctx
        .sample(vec![SamplingMessage::user(prompt)], 100)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "LLM response: {}",
        answer.content.as_text().unwrap_or_default()
    ))
}

/// Asks the user for a username and an email (elicitation).
#[tool]
async fn test_elicitation(message: String, ctx: RequestContext) -> Result<String, String> {
    let schema = object(serde_json::json!({
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    }));
    let answer = ctx
        .elicit_schema(&message, schema)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "User response: action={:?}, content={}",
        answer.action,
        serde_json::to_string(&answer.content).unwrap_or_default()
    ))
}

/// Elicits a form whose fields have defaults (SEP-1034).
#[tool]
async fn test_elicitation_sep1034_defaults(ctx: RequestContext) -> Result<String, String> {
    let schema = object(serde_json::json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active",
            },
            "verified": {"type": "boolean", "description": "Verification status", "default": true},
        },
    }));
    let answer = ctx
        .elicit_schema(
            "Please review and update the form fields with defaults",
            schema,
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "Elicitation completed: action={:?}, content={}",
        answer.action,
        serde_json::to_string(&answer.content).unwrap_or_default()
    ))
}

/// Elicits every kind of enum (SEP-1330).
#[tool]
async fn test_elicitation_sep1330_enums(ctx: RequestContext) -> Result<String, String> {
    let schema = object(serde_json::json!({
        "type": "object",
        "properties": {
            "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {"type": "string", "oneOf": [
                {"const": "value1", "title": "First Option"},
                {"const": "value2", "title": "Second Option"},
                {"const": "value3", "title": "Third Option"},
            ]},
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"],
            },
            "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
            "titledMulti": {"type": "array", "items": {"anyOf": [
                {"const": "value1", "title": "First Choice"},
                {"const": "value2", "title": "Second Choice"},
                {"const": "value3", "title": "Third Choice"},
            ]}},
        },
    }));
    let answer = ctx
        .elicit_schema("Please select options from the enum fields", schema)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "Elicitation completed: action={:?}, content={}",
        answer.action,
        serde_json::to_string(&answer.content).unwrap_or_default()
    ))
}

/// Multi-round-trip requests (2026-07-28): each asks through `ctx.input(key)`; a stateless
/// client gets an `input_required` result and retries with the answers.
fn name_schema(property: &str) -> serde_json::Map<String, serde_json::Value> {
    object(serde_json::json!({
        "type": "object",
        "properties": {property: {"type": "string"}},
        "required": [property],
    }))
}

/// Asks the user's name, then greets them.
#[tool]
async fn test_input_required_result_elicitation(ctx: RequestContext) -> Result<String, String> {
    let answer = ctx
        .input("user_name")
        .elicit_schema("What is your name?", name_schema("name"))
        .await
        .map_err(|e| e.to_string())?;
    let name = answer
        .content
        .and_then(|c| c.get("name").cloned())
        .unwrap_or_default();
    Ok(format!("Hello, {}!", name.as_str().unwrap_or("stranger")))
}

/// Asks the client's model a question.
#[tool]
async fn test_input_required_result_sampling(ctx: RequestContext) -> Result<String, String> {
    let question = SamplingMessage::user("What is the capital of France?");
    let answer = ctx
        .input("capital_question")
        .sample(vec![question], 100)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "The model said: {}",
        answer.content.as_text().unwrap_or_default()
    ))
}

/// Asks for the client's roots.
#[tool]
async fn test_input_required_result_list_roots(ctx: RequestContext) -> Result<String, String> {
    let roots = ctx
        .input("client_roots")
        .list_roots()
        .await
        .map_err(|e| e.to_string())?;
    let uris: Vec<&str> = roots.iter().map(|r| r.uri.as_str()).collect();
    Ok(format!("Roots: {}", uris.join(", ")))
}

/// Asks for a confirmation; the answer comes back with a verified requestState.
#[tool]
async fn test_input_required_result_request_state(ctx: RequestContext) -> Result<String, String> {
    let schema = object(serde_json::json!({
        "type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
    }));
    ctx.input("confirm")
        .elicit_schema("Please confirm", schema)
        .await
        .map_err(|e| e.to_string())?;
    // Earlier answers only come back through a requestState whose signature held.
    Ok("Confirmed: state-ok".into())
}

/// As above, for clients that tamper with the requestState (they get -32602).
#[tool]
async fn test_input_required_result_tampered_state(ctx: RequestContext) -> Result<String, String> {
    let schema = object(serde_json::json!({
        "type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
    }));
    ctx.input("confirm")
        .elicit_schema("Please confirm", schema)
        .await
        .map_err(|e| e.to_string())?;
    Ok("Confirmed".into())
}

/// Asks for three inputs at once.
#[tool]
async fn test_input_required_result_multiple_inputs(ctx: RequestContext) -> Result<String, String> {
    let (name, greeting, roots) = tokio::join!(
        ctx.input("user_name")
            .elicit_schema("What is your name?", name_schema("name")),
        ctx.input("greeting")
            .sample(vec![SamplingMessage::user("Generate a greeting")], 50),
        ctx.input("client_roots").list_roots(),
    );
    let (name, greeting, roots) = (
        name.map_err(|e| e.to_string())?,
        greeting.map_err(|e| e.to_string())?,
        roots.map_err(|e| e.to_string())?,
    );
    Ok(format!(
        "{} / {} / {} roots",
        serde_json::to_string(&name.content).unwrap_or_default(),
        greeting.content.as_text().unwrap_or_default(),
        roots.len()
    ))
}

/// Two rounds: a name, then a color.
#[tool]
async fn test_input_required_result_multi_round(ctx: RequestContext) -> Result<String, String> {
    let name = ctx
        .input("step1")
        .elicit_schema("Step 1: What is your name?", name_schema("name"))
        .await
        .map_err(|e| e.to_string())?;
    let color = ctx
        .input("step2")
        .elicit_schema("Step 2: What is your favorite color?", name_schema("color"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "{} likes {}",
        serde_json::to_string(&name.content).unwrap_or_default(),
        serde_json::to_string(&color.content).unwrap_or_default()
    ))
}

/// Asks for elicitation and sampling; only what the client declared is asked.
#[tool]
async fn test_input_required_result_capabilities(ctx: RequestContext) -> Result<String, String> {
    let (elicited, sampled) = tokio::join!(
        ctx.input("user_name")
            .elicit_schema("What is your name?", name_schema("name")),
        ctx.input("greeting")
            .sample(vec![SamplingMessage::user("Generate a greeting")], 50),
    );
    Ok(format!("{} / {}", elicited.is_ok(), sampled.is_ok()))
}

/// Reports progress, then asks the user (the stream carries notifications, then the
/// `input_required` result; never a request of the server's own).
#[tool]
async fn test_streaming_elicitation(ctx: RequestContext) -> Result<String, String> {
    ctx.progress(1.0, Some(2.0));
    ctx.info("about to ask the user");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let answer = ctx
        .input("user_name")
        .elicit_schema("What is your name?", name_schema("name"))
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!("{:?}", answer.action))
}

fn object(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("object literals"),
    }
}

/// A tool whose `region` parameter is mirrored into the `Mcp-Param-Region` header
/// (`x-mcp-header`): the server checks that header and body agree.
fn test_custom_headers() -> Tool {
    let schema = object(serde_json::json!({
        "type": "object",
        "properties": {
            "region": {
                "type": "string",
                "description": "Where to run",
                "x-mcp-header": "Region",
            },
            "query": {"type": "string"},
        },
        "required": ["region"],
    }));
    let def = ToolDef::new("test_custom_headers", schema)
        .with_description("Echoes its region, which travels in a header too.");
    Tool::from_fn(def, |call: ToolCall| async move {
        let arguments = call.arguments().map_or("{}", |raw| raw.get()).to_owned();
        Ok::<_, Infallible>(CallToolResult::text(arguments))
    })
}

/// A tool whose input schema is published exactly as written (JSON Schema 2020-12 with
/// `$schema`, `$defs` and `additionalProperties`), as the builder API does.
fn json_schema_2020_12_tool() -> Tool {
    let schema = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "$anchor": "address",
                "type": "object",
                "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
            }
        },
        "properties": {
            "name": {"type": "string"},
            "address": {"$ref": "#/$defs/address"},
            "contact": {"type": "string"},
        },
        "allOf": [{"anyOf": [{"required": ["name"]}, {"required": ["address"]}]}],
        "if": {"properties": {"contact": {"const": "mail"}}},
        "then": {"required": ["address"]},
        "else": {"required": ["name"]},
        "additionalProperties": false,
    });
    let serde_json::Value::Object(schema) = schema else {
        unreachable!("an object literal")
    };
    let def = ToolDef::new("json_schema_2020_12_tool", schema)
        .with_description("A tool whose input schema uses JSON Schema 2020-12 features.");
    Tool::from_fn(def, |call: ToolCall| async move {
        let arguments = call.arguments().map_or("{}", |raw| raw.get()).to_owned();
        Ok::<_, Infallible>(CallToolResult::text(arguments))
    })
}

/// A static text resource.
#[resource("test://static-text", name = "static-text", mime_type = "text/plain")]
async fn static_text() -> &'static str {
    "This is the content of the static text resource."
}

/// A static binary resource.
#[resource(
    "test://static-binary",
    name = "static-binary",
    mime_type = "image/png"
)]
async fn static_binary() -> ReadResourceResult {
    ReadResourceResult::blob("test://static-binary", "image/png", PNG)
}

/// A resource to subscribe to.
#[resource(
    "test://watched-resource",
    name = "watched-resource",
    mime_type = "text/plain"
)]
async fn watched_resource() -> &'static str {
    "Watched resource content"
}

/// A resource template with an id.
#[resource(
    "test://template/{id}/data",
    name = "template",
    mime_type = "application/json"
)]
async fn template_data(id: String) -> String {
    format!(r#"{{"id":"{id}","templateTest":true,"data":"Data for ID: {id}"}}"#)
}

fn resources() -> Vec<Resource> {
    vec![
        static_text::resource(),
        static_binary::resource(),
        watched_resource::resource(),
        template_data::resource(),
    ]
}

/// A simple prompt without arguments.
#[prompt]
async fn test_simple_prompt() -> &'static str {
    "This is a simple prompt for testing."
}

/// A prompt with required arguments.
#[prompt(complete(arg1 = values(["paris", "park", "party"])))]
async fn test_prompt_with_arguments(
    /// First test argument
    arg1: String,
    /// Second test argument
    arg2: String,
) -> String {
    format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'")
}

/// A prompt with an embedded resource.
#[prompt]
async fn test_prompt_with_embedded_resource(
    /// The resource to embed
    #[allow(non_snake_case)]
    resourceUri: String,
) -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::embedded_text(
            resourceUri,
            "text/plain",
            "Embedded resource content for testing.",
        )),
        PromptMessage::user(Content::text("Please process the embedded resource above.")),
    ]
}

/// A prompt with an image.
#[prompt]
async fn test_prompt_with_image() -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::image(PNG, "image/png")),
        PromptMessage::user(Content::text("Please analyze the image above.")),
    ]
}

/// A prompt that asks the user for context first (a multi-round-trip request).
#[prompt]
async fn test_input_required_result_prompt(ctx: RequestContext) -> Result<String, String> {
    let answer = ctx
        .input("user_context")
        .elicit_schema(
            "What context should the prompt use?",
            name_schema("context"),
        )
        .await
        .map_err(|e| e.to_string())?;
    let context = serde_json::to_string(&answer.content).unwrap_or_default();
    Ok(format!("Use this context: {context}"))
}

fn prompts() -> Vec<Prompt> {
    vec![
        test_simple_prompt::prompt(),
        test_prompt_with_arguments::prompt(),
        test_prompt_with_embedded_resource::prompt(),
        test_prompt_with_image::prompt(),
        test_input_required_result_prompt::prompt(),
    ]
}

/// The server, for the tools that change its tool list (it exists only once they are built).
type ServerCell = Arc<OnceLock<Server>>;

/// Adds `test_dynamic_tool` when it is missing and removes it when present, so that clients
/// can watch `notifications/tools/list_changed` arrive.
fn test_trigger_tool_change(server: ServerCell) -> Tool {
    let def = ToolDef::new("test_trigger_tool_change", serde_json::Map::new())
        .with_description("Adds or removes test_dynamic_tool, changing the tool list.");
    Tool::from_fn(def, move |_: ToolCall| {
        let server = server.clone();
        async move {
            let server = server.get().ok_or("the server is not running yet")?;
            let change = if server.remove_tool("test_dynamic_tool") {
                "removed"
            } else {
                server
                    .add_tool(test_dynamic_tool())
                    .map_err(|e| e.to_string())?;
                "added"
            };
            Ok::<_, String>(CallToolResult::text(format!("test_dynamic_tool {change}")))
        }
    })
}

/// Adds `test_dynamic_prompt` when it is missing and removes it when present, so that clients
/// can watch `notifications/prompts/list_changed` arrive.
fn test_trigger_prompt_change(server: ServerCell) -> Tool {
    let def = ToolDef::new("test_trigger_prompt_change", serde_json::Map::new())
        .with_description("Adds or removes test_dynamic_prompt, changing the prompt list.");
    Tool::from_fn(def, move |_: ToolCall| {
        let server = server.clone();
        async move {
            let server = server.get().ok_or("the server is not running yet")?;
            let change = if server.remove_prompt("test_dynamic_prompt") {
                "removed"
            } else {
                server
                    .add_prompt(test_dynamic_prompt::prompt())
                    .map_err(|e| e.to_string())?;
                "added"
            };
            Ok::<_, String>(CallToolResult::text(format!(
                "test_dynamic_prompt {change}"
            )))
        }
    })
}

/// A prompt that test_trigger_prompt_change adds and removes.
#[prompt]
async fn test_dynamic_prompt() -> &'static str {
    "I come and go."
}

fn test_dynamic_tool() -> Tool {
    let def = ToolDef::new("test_dynamic_tool", serde_json::Map::new())
        .with_description("A tool that test_trigger_tool_change adds and removes.");
    Tool::from_fn(def, |_: ToolCall| async {
        Ok::<_, Infallible>(CallToolResult::text("I come and go."))
    })
}

fn port() -> u16 {
    let mut args = std::env::args().skip(1);
    let from_flag = match (args.next().as_deref(), args.next()) {
        (Some("--port"), Some(port)) => Some(port),
        (None, _) => None,
        _ => {
            eprintln!("usage: conformance_server [--port PORT]");
            std::process::exit(2);
        }
    };
    from_flag
        .or_else(|| std::env::var("PORT").ok())
        .and_then(|port| port.parse().ok())
        .unwrap_or(3000)
}

#[tokio::main]
async fn main() -> Result<(), mcp_toolkit::Error> {
    let addr = format!("127.0.0.1:{}", port());
    eprintln!("conformance_server: serving http://{addr}/mcp");
    let cell = ServerCell::default();
    let server = Server::builder("mcp-toolkit-conformance", env!("CARGO_PKG_VERSION"))
        .tools([
            test_simple_text::tool(),
            test_image_content::tool(),
            test_audio_content::tool(),
            test_embedded_resource::tool(),
            test_multiple_content_types::tool(),
            test_tool_with_logging::tool(),
            test_error_handling::tool(),
            test_tool_with_progress::tool(),
            test_logging_tool::tool(),
            test_reconnection::tool(),
            test_missing_capability(),
            test_sampling::tool(),
            test_elicitation::tool(),
            test_elicitation_sep1034_defaults::tool(),
            test_elicitation_sep1330_enums::tool(),
            test_input_required_result_elicitation::tool(),
            test_input_required_result_sampling::tool(),
            test_input_required_result_list_roots::tool(),
            test_input_required_result_request_state::tool(),
            test_input_required_result_tampered_state::tool(),
            test_input_required_result_multiple_inputs::tool(),
            test_input_required_result_multi_round::tool(),
            test_input_required_result_capabilities::tool(),
            test_streaming_elicitation::tool(),
            json_schema_2020_12_tool(),
            test_custom_headers(),
            test_trigger_tool_change(cell.clone()),
            test_trigger_prompt_change(cell.clone()),
        ])
        .resources(resources())
        .prompts(prompts())
        .build()?;
    cell.set(server.clone())
        .unwrap_or_else(|_| unreachable!("set once"));
    server.serve_http(addr).await
}
