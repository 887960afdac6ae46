//! Request metrics read back from a real recorder (`metrics-util`'s `DebuggingRecorder`) after
//! a known sequence of calls.

use std::collections::HashMap;
use std::time::Duration;

use mcp_toolkit::observe::names;
use mcp_toolkit::{tool, Server};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use serde_json::json;

/// Add two numbers.
#[tool]
async fn add(a: i64, b: i64) -> i64 {
    a + b
}

/// Always fails.
#[tool]
async fn refuse() -> Result<String, String> {
    Err("not today".into())
}

/// Never finishes within its timeout.
#[tool(timeout = "50ms")]
async fn stall() -> String {
    tokio::time::sleep(Duration::from_secs(60)).await;
    "late".into()
}

/// Doubles `k`, cached.
#[tool(cache_ttl = 300)]
async fn cached_double(k: i64) -> i64 {
    k * 2
}

/// Squares numbers, three at a time.
#[tool(batch(max_size = 3, window = "10s"))]
async fn square(ns: Vec<u64>) -> Vec<u64> {
    ns.iter().map(|n| n * n).collect()
}

/// `(name, labels)` → value, labels as `key=value` sorted.
type Snapshot = HashMap<(String, Vec<String>), DebugValue>;

fn snapshot(recorder: &metrics_util::debugging::Snapshotter) -> Snapshot {
    recorder
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let mut labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            labels.sort();
            ((key.name().to_owned(), labels), value)
        })
        .collect()
}

fn get<'a>(snapshot: &'a Snapshot, name: &str, labels: &[&str]) -> Option<&'a DebugValue> {
    let mut labels: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
    labels.sort();
    snapshot.get(&(name.to_owned(), labels))
}

fn counter(snapshot: &Snapshot, name: &str, labels: &[&str]) -> u64 {
    match get(snapshot, name, labels) {
        Some(DebugValue::Counter(n)) => *n,
        other => panic!("{name} {labels:?}: {other:?} in {snapshot:#?}"),
    }
}

fn histogram(snapshot: &Snapshot, name: &str, labels: &[&str]) -> Vec<f64> {
    match get(snapshot, name, labels) {
        Some(DebugValue::Histogram(values)) => values.iter().map(|v| v.0).collect(),
        other => panic!("{name} {labels:?}: {other:?} in {snapshot:#?}"),
    }
}

const CALL: &str = "mcp.method.name=tools/call";

#[tokio::test]
async fn a_known_sequence_of_calls_is_counted_per_tool() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    // This test's runtime is single-threaded: the server's task sees the recorder too.
    let _local = metrics::set_default_local_recorder(&recorder);

    let server = Server::builder("metered", "1")
        .tool(add::tool())
        .tool(refuse::tool())
        .tool(stall::tool())
        .tool(cached_double::tool())
        .tool(square::tool())
        .build()
        .unwrap();
    let client = server.connect_in_memory().modern();
    for (a, b) in [(1, 2), (3, 4)] {
        let sum = client.call_tool("add", json!({"a": a, "b": b})).await;
        assert_eq!(
            sum.unwrap().content[0].as_text(),
            Some(&*(a + b).to_string())
        );
    }
    assert!(client
        .call_tool("refuse", json!({}))
        .await
        .unwrap()
        .is_error());
    assert!(client
        .call_tool("stall", json!({}))
        .await
        .unwrap()
        .is_error());
    for _ in 0..3 {
        client
            .call_tool("cached_double", json!({"k": 4}))
            .await
            .unwrap();
    }
    let (a, b, c) = tokio::join!(
        client.call_tool("square", json!({"n": 2})),
        client.call_tool("square", json!({"n": 3})),
        client.call_tool("square", json!({"n": 4})),
    );
    assert_eq!(a.unwrap().content[0].as_text(), Some("4"));
    assert_eq!((b.is_ok(), c.is_ok()), (true, true));
    let unknown = client
        .call_tool("no_such_tool", json!({}))
        .await
        .unwrap_err();
    assert_eq!(unknown.code, -32602);
    client.list_tools().await.unwrap();

    let got = snapshot(&snapshotter);
    let tool = |name: &str| format!("gen_ai.tool.name={name}");
    let add = [CALL, &tool("add")];
    assert_eq!(counter(&got, names::REQUESTS, &add), 2);
    let durations = histogram(&got, names::DURATION, &add);
    assert_eq!(durations.len(), 2);
    assert!(
        durations.iter().all(|s| (0.0..10.0).contains(s)),
        "{durations:?}"
    );
    assert_eq!(
        counter(
            &got,
            names::ERRORS,
            &[&add[..], &["error.type=tool_error"]].concat()
        ),
        0
    );

    let refuse = [CALL, &tool("refuse")];
    assert_eq!(counter(&got, names::REQUESTS, &refuse), 1);
    assert_eq!(
        counter(
            &got,
            names::ERRORS,
            &[&refuse[..], &["error.type=tool_error"]].concat()
        ),
        1
    );

    let stall = [CALL, &tool("stall")];
    assert_eq!(counter(&got, names::TIMEOUTS, &stall), 1);
    assert_eq!(
        counter(
            &got,
            names::ERRORS,
            &[&stall[..], &["error.type=timeout"]].concat()
        ),
        1
    );
    assert_eq!(
        counter(
            &got,
            names::ERRORS,
            &[&stall[..], &["error.type=tool_error"]].concat()
        ),
        0
    );
    let seconds = histogram(&got, names::DURATION, &stall);
    assert!(seconds[0] >= 0.05, "timed out after 50 ms: {seconds:?}");

    let cached = [CALL, &tool("cached_double")];
    assert_eq!(counter(&got, names::CACHE_MISSES, &cached), 1);
    assert_eq!(counter(&got, names::CACHE_HITS, &cached), 2);
    assert_eq!(counter(&got, names::REQUESTS, &cached), 3);

    let square = [CALL, &tool("square")];
    assert_eq!(histogram(&got, names::BATCH_SIZE, &square), [3.0, 3.0, 3.0]);
    assert_eq!(counter(&got, names::REQUESTS, &square), 3);

    // Every call ended: nothing is in flight.
    for labels in [&add, &refuse, &stall, &cached, &square] {
        match get(&got, names::IN_FLIGHT, labels) {
            Some(DebugValue::Gauge(value)) => assert_eq!(value.0, 0.0, "{labels:?}"),
            other => panic!("{labels:?}: {other:?}"),
        }
    }

    // A JSON-RPC error is counted under its code, on the method (no tool was found).
    assert_eq!(
        counter(&got, names::ERRORS, &[CALL, "error.type=-32602"]),
        1
    );
    assert_eq!(counter(&got, names::REQUESTS, &[CALL]), 1);
    assert_eq!(
        counter(&got, names::REQUESTS, &["mcp.method.name=tools/list"]),
        1
    );
}

/// Runs until cancelled.
#[tool]
async fn hang() -> String {
    tokio::time::sleep(Duration::from_secs(600)).await;
    "late".into()
}

#[tokio::test]
async fn a_running_call_is_in_flight_until_cancelled() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    let server = Server::builder("metered", "1")
        .tool(hang::tool())
        .build()
        .unwrap();
    let client = std::sync::Arc::new(server.connect_in_memory().modern());
    let id = client.next_id();
    let caller = client.clone();
    let call = tokio::spawn(async move {
        caller
            .request_with_id(id, "tools/call", json!({"name": "hang"}))
            .await
    });
    let hang = [CALL, "gen_ai.tool.name=hang"];
    // Reading a gauge resets it (the debugging recorder's snapshots drain): read it once.
    let in_flight = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let got = snapshot(&snapshotter);
            if let Some(DebugValue::Gauge(value)) = get(&got, names::IN_FLIGHT, &hang) {
                return value.0;
            }
        }
    })
    .await
    .expect("the call starts");
    assert_eq!(in_flight, 1.0);

    client
        .notify("notifications/cancelled", json!({"requestId": id}))
        .await;
    let cancelled = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let got = snapshot(&snapshotter);
            if let Some(DebugValue::Counter(n)) = get(
                &got,
                names::ERRORS,
                &[&hang[..], &["error.type=cancelled"]].concat(),
            ) {
                if *n > 0 {
                    // The gauge went back down by the one call the first read drained.
                    assert_eq!(
                        get(&got, names::IN_FLIGHT, &hang),
                        Some(&DebugValue::Gauge((-1.0).into()))
                    );
                    return *n;
                }
            }
        }
    })
    .await
    .expect("the cancellation is counted");
    assert_eq!(cancelled, 1);
    call.abort();
}
