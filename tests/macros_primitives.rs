//! What `#[prompt]` and `#[resource]` derive and generate, driven through a real server in
//! both eras.

use mcp_toolkit::completion::{values, CompletionRequest};
use mcp_toolkit::prompt::{GetPromptResult, PromptMessage};
use mcp_toolkit::protocol::content::ResourceContents;
use mcp_toolkit::resource::ReadResourceResult;
use mcp_toolkit::{
    prompt, resource, BoxError, BuildError, Client, Content, ErrorObject, FromToolCall,
    RequestContext, Server, State, ToolCall,
};
use serde_json::{json, Value};

#[derive(Clone)]
struct Greeting(&'static str);

/// The caller's tenant, taken from the request by an extractor of the user's own.
struct Tenant(String);

impl FromToolCall for Tenant {
    fn from_tool_call(call: &ToolCall) -> Result<Self, BoxError> {
        let greeting = call.state().get::<Greeting>().ok_or("no tenant")?;
        Ok(Tenant(format!("{} tenant", greeting.0)))
    }
}

/// Greet someone.
///
/// Warmly, if asked.
#[prompt(title = "Greeting", complete(style = styles, name = values(["Ada", "Alan", "Grace"])))]
async fn greet(
    /// Who to greet.
    name: String,
    /// How.
    style: Option<String>,
    /// How many times.
    times: Option<u8>,
    State(greeting): State<Greeting>,
    ctx: RequestContext,
) -> String {
    assert!(!ctx.is_cancelled());
    let style = style.unwrap_or_else(|| "plainly".into());
    let times = times.unwrap_or(1);
    format!("{} {name} {style}, {times} time(s).", greeting.0)
}

async fn styles(req: CompletionRequest) -> Vec<String> {
    let who = req.other("name").unwrap_or("anyone").to_owned();
    vec![format!("warmly, for {who}"), format!("{}...", req.value())]
}

/// A conversation.
#[prompt(name = "chat")]
async fn conversation(topic: String, r#type: Option<String>) -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::text(format!("Let us talk about {topic}."))),
        PromptMessage::assistant(Content::text(r#type.unwrap_or_else(|| "Sure.".into()))),
    ]
}

/// Fails on request.
#[prompt(description = "May fail.")]
async fn fallible(how: String) -> Result<GetPromptResult, ErrorObject> {
    match how.as_str() {
        "own" => Err(ErrorObject::new(-32001, "a code of its own")),
        _ => Ok(GetPromptResult::user_text("fine").with_description("rendered")),
    }
}

/// Fails with a message.
#[prompt]
fn blocking(fail: bool) -> Result<PromptMessage, String> {
    std::thread::sleep(std::time::Duration::from_millis(5));
    if fail {
        return Err("the oracle is asleep".into());
    }
    Ok(PromptMessage::assistant(Content::text("awake")))
}

/// Uses an extractor of its own.
#[prompt]
async fn tenant_prompt(#[extract] tenant: Tenant) -> &'static str {
    if tenant.0.is_empty() {
        "nobody"
    } else {
        "somebody"
    }
}

/// The README.
#[resource("docs://readme", title = "Read me")]
async fn readme() -> &'static str {
    "# Hello"
}

/// One item.
#[resource("test://template/{id}/data", mime_type = "application/json", complete(id = values(["123", "124", "200"])))]
async fn item(id: u32, State(greeting): State<Greeting>) -> Result<String, ErrorObject> {
    if id == 404 {
        return Err(ErrorObject::new(-32002, "no such item"));
    }
    Ok(format!(r#"{{"id":{id},"greeting":"{}"}}"#, greeting.0))
}

/// A file's bytes.
#[resource("files:///{+path}", name = "file")]
fn file(path: String) -> Result<Vec<u8>, String> {
    if path == "missing" {
        return Err(format!("{path} is not there"));
    }
    Ok(path.into_bytes())
}

/// Whole results.
#[resource("whole://{kind}")]
async fn whole(kind: String, ctx: RequestContext) -> ReadResourceResult {
    let uri = format!("whole://{kind}");
    assert!(!ctx.is_cancelled());
    match kind.as_str() {
        "two" => ReadResourceResult::new(vec![
            ResourceContents::Text {
                uri: uri.clone(),
                mime_type: None,
                text: "one".into(),
            },
            ResourceContents::Text {
                uri,
                mime_type: None,
                text: "two".into(),
            },
        ]),
        _ => ReadResourceResult::text(uri, "text/csv", "a,b"),
    }
}

/// One item of contents.
#[resource("contents://one")]
async fn one_contents() -> ResourceContents {
    ResourceContents::Blob {
        uri: "contents://one".into(),
        mime_type: Some("image/png".into()),
        blob: "iVBORw0KGgo=".into(),
    }
}

fn server() -> Server {
    Server::builder("primitives", "1.0.0")
        .state(Greeting("Hello"))
        .prompts([
            greet::prompt(),
            conversation::prompt(),
            fallible::prompt(),
            blocking::prompt(),
            tenant_prompt::prompt(),
        ])
        .resources([
            readme::resource(),
            item::resource(),
            file::resource(),
            whole::resource(),
            one_contents::resource(),
        ])
        .build()
        .unwrap()
}

async fn clients() -> [(Client, bool); 2] {
    let legacy = server().connect_in_memory();
    legacy.initialize().await.unwrap();
    [
        (legacy, false),
        (server().connect_in_memory().modern(), true),
    ]
}

async fn get(client: &Client, name: &str, arguments: Value) -> Result<Value, ErrorObject> {
    client
        .request("prompts/get", json!({"name": name, "arguments": arguments}))
        .await
}

async fn read(client: &Client, uri: &str) -> Result<Value, ErrorObject> {
    client.request("resources/read", json!({"uri": uri})).await
}

#[test]
fn prompt_definitions_come_from_the_function() {
    let prompt = greet::prompt();
    let def = serde_json::to_value(prompt.def()).unwrap();
    assert_eq!(
        def,
        json!({
            "name": "greet",
            "title": "Greeting",
            "description": "Greet someone.\n\nWarmly, if asked.",
            "arguments": [
                {"name": "name", "description": "Who to greet.", "required": true},
                {"name": "style", "description": "How.", "required": false},
                {"name": "times", "description": "How many times.", "required": false},
            ],
        })
    );
    let chat = serde_json::to_value(conversation::prompt().def()).unwrap();
    assert_eq!(chat["name"], "chat");
    assert_eq!(chat["arguments"][1]["name"], "type", "r#type is `type`");
    assert_eq!(
        fallible::prompt().def().description.as_deref(),
        Some("May fail.")
    );
    assert!(tenant_prompt::prompt().def().arguments.is_empty());
    assert!(std::ptr::eq(greet::prompt().def(), greet::prompt().def()));
}

#[tokio::test]
async fn the_functions_stay_callable() {
    let text = greet(
        "Ada".into(),
        None,
        Some(2),
        State(Greeting("Hi")),
        RequestContext::detached(),
    )
    .await;
    assert_eq!(text, "Hi Ada plainly, 2 time(s).");
    assert_eq!(readme().await, "# Hello");
    assert_eq!(file("a".into()).unwrap(), b"a");
}

#[tokio::test]
async fn prompts_render_in_both_eras() {
    for (client, modern) in clients().await {
        let list = client.request("prompts/list", json!({})).await.unwrap();
        let names: Vec<_> = list["prompts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            ["greet", "chat", "fallible", "blocking", "tenant_prompt"]
        );

        let got = get(
            &client,
            "greet",
            json!({"name": "Ada", "style": "warmly", "times": "3"}),
        )
        .await
        .unwrap();
        assert_eq!(
            got["messages"],
            json!([{"role": "user", "content": {"type": "text", "text": "Hello Ada warmly, 3 time(s)."}}]),
            "modern: {modern}"
        );
        let got = get(&client, "greet", json!({"name": "Bo"})).await.unwrap();
        assert_eq!(
            got["messages"][0]["content"]["text"],
            "Hello Bo plainly, 1 time(s)."
        );

        let bad = get(&client, "greet", json!({"name": "Bo", "times": "many"}))
            .await
            .unwrap_err();
        assert_eq!(bad.code, -32602);
        assert!(
            bad.message.contains("`times`") && bad.message.contains("invalid digit"),
            "{}",
            bad.message
        );
        let missing = get(&client, "greet", json!({})).await.unwrap_err();
        assert_eq!(missing.code, -32602);
        assert!(missing.message.contains("`name`"), "{}", missing.message);

        let chat = get(&client, "chat", json!({"topic": "Rust", "type": "Gladly."}))
            .await
            .unwrap();
        assert_eq!(
            chat["messages"],
            json!([
                {"role": "user", "content": {"type": "text", "text": "Let us talk about Rust."}},
                {"role": "assistant", "content": {"type": "text", "text": "Gladly."}},
            ])
        );

        let fine = get(&client, "fallible", json!({"how": "well"}))
            .await
            .unwrap();
        assert_eq!(fine["description"], "rendered");
        let own = get(&client, "fallible", json!({"how": "own"}))
            .await
            .unwrap_err();
        assert_eq!(
            (own.code, own.message.as_str()),
            (-32001, "a code of its own")
        );

        let awake = get(&client, "blocking", json!({"fail": "false"}))
            .await
            .unwrap();
        assert_eq!(awake["messages"][0]["role"], "assistant");
        let asleep = get(&client, "blocking", json!({"fail": "true"}))
            .await
            .unwrap_err();
        assert_eq!(asleep.code, -32603);
        assert!(
            asleep.message.contains("the oracle is asleep"),
            "{}",
            asleep.message
        );

        let tenant = get(&client, "tenant_prompt", json!({})).await.unwrap();
        assert_eq!(tenant["messages"][0]["content"]["text"], "somebody");
    }
}

#[tokio::test]
async fn extractors_without_their_state_fail_the_request() {
    let client = Server::builder("s", "1")
        .prompt(tenant_prompt::prompt())
        .build()
        .unwrap()
        .connect_in_memory()
        .modern();
    let error = get(&client, "tenant_prompt", json!({})).await.unwrap_err();
    assert_eq!(error.code, -32603);
    assert!(error.message.contains("no tenant"), "{}", error.message);
}

#[test]
fn state_they_take_must_be_registered() {
    let err = Server::builder("s", "1")
        .prompt(greet::prompt())
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, BuildError::PromptMissingState { prompt, type_name } if prompt == "greet" && type_name.ends_with("Greeting")),
        "{err}"
    );
    let err = Server::builder("s", "1")
        .resource(item::resource())
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, BuildError::ResourceMissingState { uri, .. } if uri == "test://template/{id}/data"),
        "{err}"
    );
}

#[tokio::test]
async fn completions_come_from_the_named_completers() {
    for (client, _) in clients().await {
        let complete = |reference: Value, name: &str, value: &str, context: Value| {
            let params = json!({"ref": reference, "argument": {"name": name, "value": value}, "context": {"arguments": context}});
            client.request("completion/complete", params)
        };
        let prompt = json!({"type": "ref/prompt", "name": "greet"});
        let styles = complete(prompt.clone(), "style", "bo", json!({"name": "Ada"}))
            .await
            .unwrap();
        assert_eq!(
            styles["completion"]["values"],
            json!(["warmly, for Ada", "bo..."])
        );
        let names = complete(prompt, "name", "a", json!({})).await.unwrap();
        assert_eq!(names["completion"]["values"], json!(["Ada", "Alan"]));
        let ids = complete(
            json!({"type": "ref/resource", "uri": "test://template/{id}/data"}),
            "id",
            "12",
            json!({}),
        )
        .await
        .unwrap();
        assert_eq!(
            ids["completion"],
            json!({"values": ["123", "124"], "total": 2, "hasMore": false})
        );
    }
}

#[tokio::test]
async fn resources_are_listed_and_read_in_both_eras() {
    for (client, modern) in clients().await {
        let list = client.request("resources/list", json!({})).await.unwrap();
        assert_eq!(
            list["resources"],
            json!([
                {"uri": "docs://readme", "name": "readme", "title": "Read me", "description": "The README.", "mimeType": "text/plain"},
                {"uri": "contents://one", "name": "one_contents", "description": "One item of contents."},
            ]),
            "modern: {modern}"
        );
        let templates = client
            .request("resources/templates/list", json!({}))
            .await
            .unwrap();
        assert_eq!(
            templates["resourceTemplates"],
            json!([
                {"uriTemplate": "test://template/{id}/data", "name": "item", "description": "One item.", "mimeType": "application/json"},
                {"uriTemplate": "files:///{+path}", "name": "file", "description": "A file's bytes.", "mimeType": "application/octet-stream"},
                {"uriTemplate": "whole://{kind}", "name": "whole", "description": "Whole results."},
            ])
        );

        let text = read(&client, "docs://readme").await.unwrap();
        assert_eq!(
            text["contents"],
            json!([{"uri": "docs://readme", "mimeType": "text/plain", "text": "# Hello"}])
        );
        let item = read(&client, "test://template/7/data").await.unwrap();
        assert_eq!(
            item["contents"],
            json!([{"uri": "test://template/7/data", "mimeType": "application/json", "text": r#"{"id":7,"greeting":"Hello"}"#}])
        );
        let bad = read(&client, "test://template/seven/data")
            .await
            .unwrap_err();
        assert_eq!(bad.code, -32602);
        assert!(bad.message.contains("`id`"), "{}", bad.message);
        let own = read(&client, "test://template/404/data").await.unwrap_err();
        // The handler's -32002, in its era's form (2026-07-28 retired it for -32602).
        assert_eq!(own.message.as_str(), "no such item");
        let expected = if modern { -32602 } else { -32002 };
        assert_eq!(own.code, expected, "{own:?}");

        let bytes = read(&client, "files:///a/b%20c").await.unwrap();
        assert_eq!(
            bytes["contents"],
            json!([{"uri": "files:///a/b%20c", "mimeType": "application/octet-stream", "blob": "YS9iIGM="}]),
            "the decoded path, base64"
        );
        let missing = read(&client, "files:///missing").await.unwrap_err();
        assert_eq!(missing.code, -32603);
        assert!(
            missing.message.contains("missing is not there"),
            "{}",
            missing.message
        );

        let two = read(&client, "whole://two").await.unwrap();
        assert_eq!(two["contents"].as_array().unwrap().len(), 2);
        let csv = read(&client, "whole://csv").await.unwrap();
        assert_eq!(csv["contents"][0]["mimeType"], "text/csv");
        let one = read(&client, "contents://one").await.unwrap();
        assert_eq!(one["contents"][0]["blob"], "iVBORw0KGgo=");
    }
}

static READS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counted reads, cached for a minute.
#[resource("counted://{id}", cache_ttl = 60)]
async fn counted(id: u32) -> String {
    READS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("item {id}")
}

/// Too slow for its timeout.
#[resource("slow://item", timeout = "50ms")]
async fn slow_item() -> String {
    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    "late".into()
}

/// Too slow for its timeout.
#[prompt(timeout = "50ms")]
async fn slow_prompt() -> String {
    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    "late".into()
}

#[tokio::test]
async fn reads_are_cached_and_reads_and_gets_time_out() {
    let server = Server::builder("layers", "1")
        .resources([counted::resource(), slow_item::resource()])
        .prompt(slow_prompt::prompt())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    for _ in 0..3 {
        let read = client
            .request("resources/read", json!({"uri": "counted://7"}))
            .await
            .unwrap();
        assert_eq!(read["contents"][0]["text"], "item 7");
    }
    client
        .request("resources/read", json!({"uri": "counted://8"}))
        .await
        .unwrap();
    assert_eq!(
        READS.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "one read per URI"
    );
    // Another server does not see this one's entries.
    let other = Server::builder("other", "1")
        .resource(counted::resource())
        .build()
        .unwrap();
    other
        .connect_in_memory()
        .modern()
        .request("resources/read", json!({"uri": "counted://7"}))
        .await
        .unwrap();
    assert_eq!(READS.load(std::sync::atomic::Ordering::SeqCst), 3);

    let late = client
        .request("resources/read", json!({"uri": "slow://item"}))
        .await
        .unwrap_err();
    assert!(
        late.message.contains("timed out after 50ms"),
        "{}",
        late.message
    );
    let late = client
        .request("prompts/get", json!({"name": "slow_prompt"}))
        .await
        .unwrap_err();
    assert!(
        late.message.contains("timed out after 50ms"),
        "{}",
        late.message
    );
}

static RUNNING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static MOST: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One read at a time.
#[resource("single://{id}", concurrency = 1)]
async fn single(id: u32) -> String {
    use std::sync::atomic::Ordering::SeqCst;
    let now = RUNNING.fetch_add(1, SeqCst) + 1;
    MOST.fetch_max(now, SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    RUNNING.fetch_sub(1, SeqCst);
    id.to_string()
}

#[tokio::test(start_paused = true)]
async fn reads_beyond_the_concurrency_limit_wait_their_turn() {
    let server = Server::builder("single", "1")
        .resource(single::resource())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let reads =
        (0..5).map(|id| client.request("resources/read", json!({"uri": format!("single://{id}")})));
    let results = futures_util::future::join_all(reads).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(MOST.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// Two reads a second.
#[resource("limited://{id}", rate_limit = "2/s")]
async fn limited(id: u32) -> String {
    id.to_string()
}

/// Two gets a second.
#[prompt(rate_limit = "2/s")]
async fn limited_prompt() -> &'static str {
    "ok"
}

#[tokio::test(start_paused = true)]
async fn reads_and_gets_over_the_rate_wait_their_turn() {
    let server = Server::builder("limited", "1")
        .resource(limited::resource())
        .prompt(limited_prompt::prompt())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let started = tokio::time::Instant::now();
    let reads = (0..4)
        .map(|id| client.request("resources/read", json!({"uri": format!("limited://{id}")})));
    assert!(futures_util::future::join_all(reads)
        .await
        .iter()
        .all(Result::is_ok));
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_secs(1),
        "4 reads at 2/s took {waited:?}"
    );
    let started = tokio::time::Instant::now();
    let gets = (0..3).map(|_| client.request("prompts/get", json!({"name": "limited_prompt"})));
    assert!(futures_util::future::join_all(gets)
        .await
        .iter()
        .all(Result::is_ok));
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
}
