//! What `#[tool]` functions' return types become on the wire: each tool's `outputSchema` in
//! `tools/list` and its results' `structuredContent` in `tools/call`, through a server (the
//! same reply writer as stdio), and each result checked against its schema.

use std::collections::BTreeMap;

use mcp_toolkit::{tool, Client, Server};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Serialize, JsonSchema)]
struct Book {
    title: String,
    year: u16,
}

/// Books published in or after a year.
#[tool]
async fn books_since(year: u16) -> Vec<Book> {
    [("Dune", 1965), ("Hyperion", 1989)]
        .into_iter()
        .filter(|(_, published)| *published >= year)
        .map(|(title, year)| Book {
            title: title.into(),
            year,
        })
        .collect()
}

/// Add two numbers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Say hello.
#[tool]
async fn hello(name: String) -> String {
    format!("hello {name}")
}

/// The first book with this title, if any.
#[tool]
async fn find(title: String) -> Option<Book> {
    (title == "Dune").then_some(Book { title, year: 1965 })
}

/// Books from a shelf that may not exist.
#[tool]
async fn shelf(number: u8) -> Result<Vec<Book>, String> {
    match number {
        1 => Ok(vec![Book {
            title: "Dune".into(),
            year: 1965,
        }]),
        _ => Err(format!("no shelf {number}")),
    }
}

/// Add two numbers, as text only.
#[tool(structured = false)]
async fn add_text(a: i64, b: i64) -> i64 {
    a + b
}

/// Books, as text only.
#[tool(structured = false)]
async fn books_text() -> Vec<Book> {
    vec![Book {
        title: "Dune".into(),
        year: 1965,
    }]
}

/// A book, as text only: even an object is sent as its JSON text.
#[tool(structured = false)]
async fn book_text() -> Book {
    Book {
        title: "Dune".into(),
        year: 1965,
    }
}

/// A recursive value: its definitions must move to the root of the wrapped schema.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
enum Tree {
    Leaf(u8),
    Node(Vec<Tree>),
}

/// A small tree.
#[tool]
async fn tree() -> Tree {
    Tree::Node(vec![Tree::Leaf(1), Tree::Node(vec![Tree::Leaf(2)])])
}

/// Counts by name: a map is an object, sent as itself.
#[tool]
async fn counts() -> BTreeMap<String, u32> {
    BTreeMap::from([("a".into(), 1), ("b".into(), 2)])
}

async fn connect() -> Client {
    let server = Server::builder("output", "1")
        .tool(books_since::tool())
        .tool(add::tool())
        .tool(hello::tool())
        .tool(find::tool())
        .tool(shelf::tool())
        .tool(add_text::tool())
        .tool(books_text::tool())
        .tool(book_text::tool())
        .tool(tree::tool())
        .tool(counts::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory();
    client.initialize().await.unwrap();
    client
}

/// `tools/list`'s `outputSchema` of each tool, `None` when it has none.
async fn output_schemas(client: &Client) -> BTreeMap<String, Option<Value>> {
    let listed = client.list_tools().await.unwrap();
    listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| {
            (
                tool["name"].as_str().unwrap().to_owned(),
                tool.get("outputSchema").cloned(),
            )
        })
        .collect()
}

/// The raw `tools/call` result.
async fn call(client: &Client, name: &str, arguments: Value) -> Value {
    client
        .request("tools/call", json!({"name": name, "arguments": arguments}))
        .await
        .unwrap()
}

/// The `{"result": ...}` wrapper's schema, with what it says `result` is.
fn result_schema(schema: &Option<Value>) -> &Value {
    let schema = schema.as_ref().expect("an output schema");
    assert_eq!(schema["type"], "object", "{schema}");
    assert_eq!(schema["required"], json!(["result"]), "{schema}");
    &schema["properties"]["result"]
}

#[tokio::test]
async fn values_that_are_not_objects_are_wrapped_in_result() {
    let client = connect().await;
    let schemas = output_schemas(&client).await;

    let books = result_schema(&schemas["books_since"]);
    assert_eq!(books["type"], "array");
    assert_eq!(books["items"]["properties"]["year"]["type"], "integer");
    let reply = call(&client, "books_since", json!({"year": 1980})).await;
    assert_eq!(
        reply["structuredContent"],
        json!({"result": [{"title": "Hyperion", "year": 1989}]})
    );
    assert_eq!(
        reply["content"],
        json!([{"type": "text", "text": r#"[{"title":"Hyperion","year":1989}]"#}])
    );
    conforms(&reply["structuredContent"], &schemas["books_since"]);

    assert_eq!(result_schema(&schemas["add"])["type"], "integer");
    let reply = call(&client, "add", json!({"a": 2, "b": 3})).await;
    assert_eq!(
        reply,
        json!({"content": [{"type": "text", "text": "5"}], "structuredContent": {"result": 5}})
    );

    assert_eq!(result_schema(&schemas["hello"])["type"], "string");
    let reply = call(&client, "hello", json!({"name": "Ada"})).await;
    assert_eq!(reply["content"][0]["text"], "hello Ada", "unquoted");
    assert_eq!(reply["structuredContent"], json!({"result": "hello Ada"}));
}

#[tokio::test]
async fn options_are_wrapped_whether_some_or_none() {
    let client = connect().await;
    let schemas = output_schemas(&client).await;
    let found = call(&client, "find", json!({"title": "Dune"})).await;
    assert_eq!(
        found["structuredContent"],
        json!({"result": {"title": "Dune", "year": 1965}})
    );
    conforms(&found["structuredContent"], &schemas["find"]);
    let missing = call(&client, "find", json!({"title": "Emma"})).await;
    assert_eq!(missing["structuredContent"], json!({"result": null}));
    assert_eq!(missing["content"][0]["text"], "null");
    conforms(&missing["structuredContent"], &schemas["find"]);
    // The check can fail: a number is not an optional book, nor is a missing `result`.
    let root = schemas["find"].as_ref().unwrap();
    assert!(!check(&json!({"result": 5}), root, root));
    assert!(!check(&json!({}), root, root));
}

#[tokio::test]
async fn a_result_is_wrapped_when_ok_and_plain_error_text_when_not() {
    let client = connect().await;
    let schemas = output_schemas(&client).await;
    assert_eq!(result_schema(&schemas["shelf"])["type"], "array");
    let ok = call(&client, "shelf", json!({"number": 1})).await;
    assert_eq!(
        ok["structuredContent"],
        json!({"result": [{"title": "Dune", "year": 1965}]})
    );
    let failed = call(&client, "shelf", json!({"number": 2})).await;
    assert_eq!(
        failed,
        json!({"content": [{"type": "text", "text": "no shelf 2"}], "isError": true})
    );
}

#[tokio::test]
async fn objects_stay_as_they_are_and_recursive_schemas_resolve() {
    let client = connect().await;
    let schemas = output_schemas(&client).await;
    let counts = schemas["counts"].as_ref().unwrap();
    assert!(counts["properties"].get("result").is_none(), "{counts}");
    let reply = call(&client, "counts", json!({})).await;
    assert_eq!(reply["structuredContent"], json!({"a": 1, "b": 2}));

    let tree = schemas["tree"].as_ref().unwrap();
    result_schema(&schemas["tree"]);
    let reply = call(&client, "tree", json!({})).await;
    assert_eq!(reply["structuredContent"], json!({"result": [1, [2]]}));
    conforms(&reply["structuredContent"], &schemas["tree"]);
    // Every `$ref` points at something in the published schema.
    let text = tree.to_string();
    assert!(text.contains("$ref"), "{text}");
    for reference in text.split(r#""$ref":""#).skip(1) {
        let pointer = &reference[..reference.find('"').unwrap()];
        let target = pointer.strip_prefix('#').unwrap();
        assert!(
            !target.is_empty(),
            "a root `$ref` would point at the wrapper: {text}"
        );
        assert!(tree.pointer(target).is_some(), "{pointer} in {text}");
    }
}

#[tokio::test]
async fn structured_false_sends_text_only_and_no_schema() {
    let client = connect().await;
    let schemas = output_schemas(&client).await;
    for name in ["add_text", "books_text", "book_text"] {
        assert_eq!(schemas[name], None, "{name}");
    }
    assert_eq!(
        call(&client, "add_text", json!({"a": 2, "b": 3})).await,
        json!({"content": [{"type": "text", "text": "5"}]})
    );
    assert_eq!(
        call(&client, "books_text", json!({})).await,
        json!({"content": [{"type": "text", "text": r#"[{"title":"Dune","year":1965}]"#}]})
    );
    assert_eq!(
        call(&client, "book_text", json!({})).await,
        json!({"content": [{"type": "text", "text": r#"{"title":"Dune","year":1965}"#}]})
    );
}

/// A small JSON Schema check, enough for the schemas above: `type`, `properties`, `required`,
/// `items`, `anyOf`/`oneOf` and `$ref`s into the root.
fn conforms(value: &Value, schema: &Option<Value>) {
    let root = schema.as_ref().expect("an output schema");
    assert!(
        check(value, root, root),
        "{value} does not conform to {root}"
    );
}

fn check(value: &Value, schema: &Value, root: &Value) -> bool {
    if let Some(pointer) = schema.get("$ref").and_then(Value::as_str) {
        let target = root
            .pointer(pointer.strip_prefix('#').unwrap())
            .unwrap_or_else(|| panic!("{pointer} does not resolve"));
        return check(value, target, root);
    }
    let type_ok = |name: &str| match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("unknown type {other}"),
    };
    let types_ok = match schema.get("type") {
        Some(Value::String(name)) => type_ok(name),
        Some(Value::Array(names)) => names.iter().any(|name| type_ok(name.as_str().unwrap())),
        _ => true,
    };
    let any_ok = ["anyOf", "oneOf"].iter().all(|key| match schema.get(*key) {
        Some(Value::Array(options)) => options.iter().any(|option| check(value, option, root)),
        _ => true,
    });
    // `required` and `properties` constrain objects only, as `items` arrays only.
    let required_ok = match (schema.get("required"), value.as_object()) {
        (Some(Value::Array(names)), Some(object)) => names
            .iter()
            .all(|name| object.contains_key(name.as_str().unwrap())),
        _ => true,
    };
    let properties_ok = match (schema.get("properties"), value.as_object()) {
        (Some(Value::Object(properties)), Some(object)) => {
            properties.iter().all(|(name, property)| {
                object
                    .get(name)
                    .is_none_or(|field| check(field, property, root))
            })
        }
        _ => true,
    };
    let items_ok = match (schema.get("items"), value.as_array()) {
        (Some(items), Some(values)) => values.iter().all(|item| check(item, items, root)),
        _ => true,
    };
    types_ok && any_ok && required_ok && properties_ok && items_ok
}
