//! `#[tools]` impl blocks: tools as methods reaching the value through `&self`, with every
//! `#[tool]` option, served by a real server over the in-memory transport.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use mcp_toolkit::{tool, tools, CallToolResult, RequestContext, Server, State};
use serde_json::json;

/// What the tools share: a "pool" counting its queries, and settings read by options.
struct Inventory {
    stock: Mutex<HashMap<String, u64>>,
    queries: AtomicU64,
    batches: AtomicU64,
    settings: Settings,
}

struct Settings {
    timeout: Duration,
    rate: String,
}

#[derive(Clone)]
struct Currency(&'static str);

#[tools]
impl Inventory {
    /// How many of an item are in stock.
    #[tool(read_only, cache_ttl = 60)]
    async fn stock(
        &self,
        /// The item's name.
        item: String,
    ) -> u64 {
        self.queries.fetch_add(1, Ordering::SeqCst);
        self.stock.lock().unwrap().get(&item).copied().unwrap_or(0)
    }

    /// Adds items to the stock.
    #[tool(name = "restock", destructive = false)]
    fn add_stock(&self, item: String, count: u64) -> u64 {
        let mut stock = self.stock.lock().unwrap();
        let total = stock.entry(item).or_default();
        *total += count;
        *total
    }

    /// Prices of many items, looked up together.
    #[tool(batch(window = "5ms"))]
    async fn prices(&self, items: Vec<String>, State(currency): State<Currency>) -> Vec<String> {
        self.batches.fetch_add(1, Ordering::SeqCst);
        items
            .iter()
            .map(|item| format!("{} {}", item.len(), currency.0))
            .collect()
    }

    /// Waits, with a timeout and a rate from the settings.
    #[tool(timeout = self.settings.timeout, rate_limit = self.settings.rate.as_str())]
    async fn slow(&self, ms: u64) -> String {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        "done".into()
    }

    /// Takes the value as an `Arc`, and the request's context.
    #[tool(concurrency = 2)]
    async fn shared(self: Arc<Self>, ctx: RequestContext) -> u64 {
        assert!(!ctx.is_cancelled());
        Arc::strong_count(&self) as u64
    }

    /// No `self` at all.
    #[tool]
    async fn echo(text: String) -> String {
        text
    }

    /// Not a tool: stays a plain method.
    fn total(&self) -> u64 {
        self.stock.lock().unwrap().values().sum()
    }
}

fn inventory() -> Inventory {
    Inventory {
        stock: Mutex::new(HashMap::from([("apple".to_owned(), 3)])),
        queries: AtomicU64::new(0),
        batches: AtomicU64::new(0),
        settings: Settings {
            timeout: Duration::from_millis(200),
            rate: "1000/s".into(),
        },
    }
}

fn text(result: &CallToolResult) -> &str {
    result
        .content
        .first()
        .and_then(|block| block.as_text())
        .unwrap_or_default()
}

#[tokio::test]
async fn methods_are_tools_that_reach_self() {
    let shared = Arc::new(inventory());
    let server = Server::builder("inventory", "1")
        .tools(Inventory::tools_from(shared.clone()))
        .state(Currency("EUR"))
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();

    let listed = client.list_tools().await.unwrap();
    let mut names: Vec<&str> = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["echo", "prices", "restock", "shared", "slow", "stock"]
    );
    let stock_def = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "stock")
        .unwrap();
    assert_eq!(
        stock_def["description"],
        "How many of an item are in stock."
    );
    assert_eq!(
        stock_def["inputSchema"]["properties"]["item"]["description"],
        "The item's name."
    );
    assert_eq!(stock_def["annotations"]["readOnlyHint"], true);

    let stock = client
        .call_tool("stock", json!({"item": "apple"}))
        .await
        .unwrap();
    assert_eq!(text(&stock), "3");
    // A blocking method runs on the blocking pool and changes the shared value.
    let restocked = client
        .call_tool("restock", json!({"item": "pear", "count": 5}))
        .await
        .unwrap();
    assert_eq!(text(&restocked), "5");
    assert_eq!(shared.total(), 8);
    // The cache answers the second lookup: the method ran once.
    client
        .call_tool("stock", json!({"item": "apple"}))
        .await
        .unwrap();
    assert_eq!(shared.queries.load(Ordering::SeqCst), 1);

    let echoed = client
        .call_tool("echo", json!({"text": "hi"}))
        .await
        .unwrap();
    assert_eq!(text(&echoed), "hi");
    // `self: Arc<Self>`: the test's handle, the tools' handle, and this call's clone.
    let shared_count = client.call_tool("shared", json!({})).await.unwrap();
    assert!(text(&shared_count).parse::<u64>().unwrap() >= 3);
}

#[tokio::test]
async fn batched_methods_gather_calls_and_take_state() {
    let shared = Arc::new(inventory());
    let server = Server::builder("inventory", "1")
        .tools(Inventory::tools_from(shared.clone()))
        .state(Currency("EUR"))
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let results = join_all(
        ["fig", "kiwi", "melon"]
            .iter()
            .map(|item| client.call_tool("prices", json!({"item": item}))),
    )
    .await;
    let texts: Vec<String> = results
        .iter()
        .map(|result| text(result.as_ref().unwrap()).to_owned())
        .collect();
    assert_eq!(texts, ["3 EUR", "4 EUR", "5 EUR"]);
    assert_eq!(shared.batches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn option_expressions_read_self() {
    let server = Server::builder("inventory", "1")
        .tools(inventory().tools())
        .state(Currency("EUR"))
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let fast = client.call_tool("slow", json!({"ms": 1})).await.unwrap();
    assert_eq!(text(&fast), "done");
    // `timeout = self.settings.timeout` (200 ms) stops a call that takes 10 s.
    let slow = client
        .call_tool("slow", json!({"ms": 10_000}))
        .await
        .unwrap();
    assert_eq!(slow.is_error, Some(true), "{slow:?}");
    assert!(text(&slow).contains("timed out"), "{slow:?}");
}

#[tokio::test]
async fn each_value_has_its_own_tools_and_caches() {
    let first = Arc::new(inventory());
    let second = Arc::new(inventory());
    second.stock.lock().unwrap().insert("apple".to_owned(), 42);
    let server_one = Server::builder("one", "1")
        .tools(Inventory::tools_from(first.clone()))
        .state(Currency("EUR"))
        .build()
        .unwrap();
    let server_two = Server::builder("two", "1")
        .tools(Inventory::tools_from(second.clone()))
        .state(Currency("USD"))
        .build()
        .unwrap();
    let (one, two) = (
        server_one.connect_in_memory().modern(),
        server_two.connect_in_memory().modern(),
    );
    for _ in 0..2 {
        let a = one
            .call_tool("stock", json!({"item": "apple"}))
            .await
            .unwrap();
        let b = two
            .call_tool("stock", json!({"item": "apple"}))
            .await
            .unwrap();
        assert_eq!((text(&a), text(&b)), ("3", "42"));
    }
    assert_eq!(first.queries.load(Ordering::SeqCst), 1);
    assert_eq!(second.queries.load(Ordering::SeqCst), 1);
}

/// A free function next to the methods keeps working unchanged.
#[tool]
async fn free(a: i64) -> i64 {
    a * 2
}

#[tokio::test]
async fn free_functions_and_methods_serve_together() {
    let server = Server::builder("mixed", "1")
        .tool(free::tool())
        .tools(inventory().tools())
        .state(Currency("EUR"))
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    let doubled = client.call_tool("free", json!({"a": 21})).await.unwrap();
    assert_eq!(text(&doubled), "42");
    let stock = client
        .call_tool("stock", json!({"item": "apple"}))
        .await
        .unwrap();
    assert_eq!(text(&stock), "3");
}
