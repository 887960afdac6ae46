//! What `#[tool]` derives and generates, checked through the generated tools.

use std::time::{Duration, Instant};

use mcp_toolkit::{
    tool, Args, CallToolResult, Content, RequestContext, Server, SharedState, State, ToolCall,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Look up a user.
///
/// Returns their profile.
#[tool(
    name = "get_user",
    title = "Get user",
    read_only,
    idempotent,
    open_world = false
)]
async fn lookup(
    /// The user's id.
    id: u32,
    /// Include the email address.
    #[serde(default)]
    with_email: bool,
    /// Optional locale.
    locale: Option<String>,
    #[serde(rename = "type")] kind: Option<String>,
) -> Result<Profile, String> {
    if id == 0 {
        return Err(format!("no user with id {id}"));
    }
    Ok(Profile {
        id,
        email: with_email.then(|| "a@b.c".into()),
        locale,
        kind,
    })
}

#[derive(Serialize, JsonSchema)]
struct Profile {
    id: u32,
    email: Option<String>,
    locale: Option<String>,
    kind: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
struct Query {
    /// Search terms.
    terms: String,
    nested: Nested,
}

#[derive(Deserialize, JsonSchema)]
struct Nested {
    limit: u8,
}

/// Search.
#[tool]
async fn search(Args(query): Args<Query>) -> String {
    format!("{} x{}", query.terms, query.nested.limit)
}

#[derive(Clone)]
struct Prefix(String);

/// Uses state and context.
#[tool(destructive = false)]
async fn prefixed(text: String, State(prefix): State<Prefix>, ctx: RequestContext) -> String {
    assert!(!ctx.is_cancelled());
    format!("{}{text}", prefix.0)
}

/// Blocks its thread.
#[tool]
fn blocking(ms: u64) -> String {
    std::thread::sleep(Duration::from_millis(ms));
    "woke".into()
}

/// Returns blocks.
#[tool]
async fn blocks() -> Vec<Content> {
    vec![
        Content::text("a"),
        Content::image("iVBORw0KGgo=", "image/png"),
    ]
}

/// No parameters, no return value.
#[tool]
async fn nothing() {}

/// A raw identifier parameter.
#[tool]
async fn raw_ident(r#type: String) -> String {
    r#type
}

#[test]
fn name_description_title_and_annotations() {
    let tool = lookup::tool();
    let def = tool.def();
    assert_eq!(&*def.name, "get_user");
    assert_eq!(def.title.as_deref(), Some("Get user"));
    assert_eq!(
        def.description.as_deref(),
        Some("Look up a user.\n\nReturns their profile.")
    );
    let annotations = serde_json::to_value(&def.annotations).unwrap();
    assert_eq!(
        annotations,
        json!({"readOnlyHint": true, "idempotentHint": true, "openWorldHint": false})
    );
    assert_eq!(
        serde_json::to_value(&prefixed::tool().def().annotations).unwrap(),
        json!({"destructiveHint": false})
    );
    assert!(serde_json::to_value(search::tool().def())
        .unwrap()
        .get("annotations")
        .is_none());
}

#[test]
fn input_schema_from_parameters() {
    let schema = Value::Object(lookup::tool().def().input_schema.clone());
    assert_eq!(schema["type"], "object");
    assert_eq!(
        schema["required"],
        json!(["id"]),
        "Option and #[serde(default)] are optional"
    );
    assert_eq!(schema["properties"]["id"]["description"], "The user's id.");
    assert_eq!(schema["properties"]["with_email"]["default"], false);
    assert!(
        schema["properties"].get("type").is_some(),
        "serde renames apply"
    );
    assert!(schema.get("$schema").is_none() && schema.get("title").is_none());
    let raw = Value::Object(raw_ident::tool().def().input_schema.clone());
    assert_eq!(raw["required"], json!(["type"]));
    let empty = Value::Object(nothing::tool().def().input_schema.clone());
    assert_eq!(empty["properties"], json!({}));
}

#[test]
fn args_struct_is_the_whole_input_with_subschemas_inlined() {
    let schema = Value::Object(search::tool().def().input_schema.clone());
    assert_eq!(schema["required"], json!(["terms", "nested"]));
    assert_eq!(
        schema["properties"]["nested"]["properties"]["limit"]["type"],
        "integer"
    );
    assert!(!schema.to_string().contains("$ref"), "{schema}");
}

#[test]
fn output_schemas_for_serializable_results_only() {
    let schema = lookup::tool()
        .def()
        .output_schema
        .clone()
        .expect("Result<Profile, _> has an output schema");
    assert_eq!(schema["properties"]["id"]["type"], "integer");
    let text = search::tool().def().output_schema.clone().unwrap();
    assert_eq!(text["properties"]["result"]["type"], "string");
    assert!(blocks::tool().def().output_schema.is_none());
    assert!(nothing::tool().def().output_schema.is_none());
}

/// What a `#[tool]` answers with a string or a number: its text, and `{"result": value}`.
fn wrapped(text: &str, value: Value) -> CallToolResult {
    CallToolResult {
        structured_content: Some(json!({ "result": value })),
        ..CallToolResult::text(text)
    }
}

#[tokio::test]
async fn results_errors_and_the_plain_function() {
    let tool = lookup::tool();
    let ok = tool
        .call_json(json!({"id": 7, "with_email": true, "type": "admin"}))
        .await;
    assert_eq!(
        ok.structured_content,
        Some(json!({"id": 7, "email": "a@b.c", "locale": null, "kind": "admin"}))
    );
    assert_eq!(
        ok.content[0]
            .as_text()
            .map(|t| serde_json::from_str::<Value>(t).unwrap()),
        ok.structured_content
    );
    assert_eq!(
        tool.call_json(json!({"id": 0})).await,
        CallToolResult::error("no user with id 0")
    );
    // The function itself is untouched.
    assert!(lookup(3, false, None, None).await.is_ok());
    assert_eq!(
        search::tool()
            .call_json(json!({"terms": "rust", "nested": {"limit": 3}}))
            .await,
        wrapped("rust x3", json!("rust x3"))
    );
    assert_eq!(blocks::tool().call_json(json!({})).await.content.len(), 2);
    assert_eq!(
        nothing::tool().call_json(Value::Null).await,
        CallToolResult::default()
    );
}

#[tokio::test]
async fn state_comes_from_the_call() {
    let mut state = SharedState::default();
    state.insert(Prefix("> ".into()));
    let call = ToolCall::new("prefixed", json!({"text": "hi"})).with_state(state);
    assert_eq!(
        prefixed::tool().call(call).await,
        wrapped("> hi", json!("> hi"))
    );
    let missing = prefixed::tool().call_json(json!({"text": "hi"})).await;
    assert!(missing.is_error());
}

#[tokio::test(flavor = "current_thread")]
async fn sync_functions_run_off_the_async_thread() {
    let server = Server::builder("s", "1")
        .tools([blocking::tool(), nothing::tool()])
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let started = Instant::now();
    let slow = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .call_tool("blocking", json!({"ms": 400}))
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.call_tool("nothing", json!({})).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "the async call waited for the blocking one"
    );
    assert_eq!(
        slow.await.unwrap().content,
        CallToolResult::text("woke").content
    );
}

#[test]
fn tool_returns_the_same_definition_each_time() {
    assert!(std::ptr::eq(lookup::tool().def(), lookup::tool().def()));
}

/// The caller's tenant, taken from the call by an extractor of the user's own.
struct Tenant(String);

impl mcp_toolkit::FromToolCall for Tenant {
    fn from_tool_call(call: &ToolCall) -> Result<Self, mcp_toolkit::BoxError> {
        match call.state().get::<Prefix>() {
            Some(prefix) => Ok(Tenant(prefix.0.clone())),
            None => Err("no tenant is configured".into()),
        }
    }
}

/// Greet someone on behalf of the tenant.
#[tool]
async fn tenant_greeting(#[extract] tenant: Tenant, name: String) -> String {
    format!("{} greets {name}", tenant.0)
}

mod generic {
    use mcp_toolkit::tool;

    /// A generic type of the user's own called `State`, written with its path.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    pub struct State<T> {
        pub value: T,
    }

    /// Store a value.
    #[tool]
    pub async fn store(state: self::State<u32>) -> u32 {
        state.value
    }
}

mod traffic {
    use mcp_toolkit::tool;

    /// A type of the user's own that happens to be called `State`: a plain property.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    pub enum State {
        Red,
        Green,
    }

    /// Set the light.
    #[tool]
    pub async fn set_light(state: State) -> &'static str {
        match state {
            State::Red => "stop",
            State::Green => "go",
        }
    }
}

#[tokio::test]
async fn extract_marks_arguments_of_any_extractor_type() {
    let tool = tenant_greeting::tool();
    let schema = Value::Object(tool.def().input_schema.clone());
    assert_eq!(schema["required"], json!(["name"]), "{schema}");
    assert!(schema["properties"].get("tenant").is_none(), "{schema}");

    let mut state = SharedState::default();
    state.insert(Prefix("acme".into()));
    let call = ToolCall::new("tenant_greeting", json!({"name": "Ada"})).with_state(state);
    assert_eq!(
        tool.call(call).await,
        wrapped("acme greets Ada", json!("acme greets Ada"))
    );
    let failed = tool.call_json(json!({"name": "Ada"})).await;
    assert!(failed.is_error());
    assert_eq!(
        failed.content[0].as_text(),
        Some("Tool `tenant_greeting` failed: no tenant is configured")
    );

    let store = generic::store::tool();
    let result = store.call_json(json!({"state": {"value": 7}})).await;
    assert_eq!(result, wrapped("7", json!(7)));

    let light = traffic::set_light::tool();
    let schema = Value::Object(light.def().input_schema.clone());
    assert_eq!(schema["required"], json!(["state"]), "{schema}");
    let result = light.call_json(json!({"state": "Green"})).await;
    assert_eq!(result, wrapped("go", json!("go")));
}

/// Where to ship.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Shipment {
    /// The destination.
    address: PostalAddress,
}

#[derive(Deserialize, JsonSchema)]
struct PostalAddress {
    city: String,
}

/// Ship something; its schema is published as schemars makes it.
#[tool(verbatim_schema)]
async fn ship(Args(shipment): Args<Shipment>) -> String {
    shipment.address.city
}

/// The same input, published client-safe.
#[tool]
async fn ship_safe(Args(shipment): Args<Shipment>) -> String {
    shipment.address.city
}

#[test]
fn a_verbatim_schema_keeps_what_the_default_makes_client_safe() {
    let verbatim = serde_json::to_value(&ship::tool().def().input_schema).unwrap();
    assert_eq!(
        verbatim["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(verbatim["additionalProperties"], false);
    assert!(verbatim["$defs"]["PostalAddress"].is_object(), "{verbatim}");
    assert!(verbatim["properties"]["address"]["$ref"].is_string());
    let safe = serde_json::to_value(&ship_safe::tool().def().input_schema).unwrap();
    assert!(
        safe.get("$schema").is_none() && safe.get("$defs").is_none(),
        "{safe}"
    );
    assert_eq!(
        safe["properties"]["address"]["properties"]["city"]["type"],
        "string"
    );
}
