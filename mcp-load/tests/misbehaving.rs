//! `mcp-load` against `examples/misbehaving_server`, which answers by request id: of every ten
//! ids, one under the wrong id, one not at all, one with a JSON-RPC error, one with `isError`,
//! one malformed, and five correctly. Each kind must be reported exactly.

mod support;

use support::{mcp_load, misbehaving_server, HttpServer, Ran};

fn counts(ran: &Ran) -> [u64; 7] {
    [
        ran.u64("ok"),
        ran.errors("wrong_id"),
        ran.errors("timeout"),
        ran.errors("jsonrpc"),
        ran.errors("is_error"),
        ran.errors("malformed"),
        ran.errors("transport"),
    ]
}

#[test]
fn stdio_reports_each_kind_exactly() {
    let server = misbehaving_server();
    // A warm-up of 10 calls: the measured ids are 11..=110, ten of each residue.
    let ran = mcp_load(&[
        "stdio",
        "-q",
        "-n",
        "100",
        "-c",
        "5",
        "--warmup",
        "10",
        "--timeout",
        "300ms",
        "--tool",
        "t",
        "--",
        server.to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    // Over stdio a reply under the wrong id is a stray (wrong_id), and the call it should
    // have answered times out: 10 dropped + 10 answered elsewhere.
    // [ok, wrong_id, timeout, jsonrpc, is_error, malformed, transport]
    assert_eq!(counts(&ran), [50, 10, 20, 10, 10, 10, 0], "{}", ran.report);
    assert_eq!(ran.u64("calls"), 100);
    assert_eq!(ran.report["jsonrpc_error_codes"]["-32603"], 10);
    assert_eq!(ran.report["warmup"]["calls"], 10);
    let samples = &ran.report["error_samples"];
    assert!(samples["wrong_id"]
        .as_str()
        .unwrap()
        .contains("no call had in flight"));
    assert!(samples["malformed"]
        .as_str()
        .unwrap()
        .contains("without content"));
    // The latency figures are the correct answers' only: none waited for a timeout.
    assert!(ran.f64("/latency_us/max") < 300_000.0, "{}", ran.report);
}

#[test]
fn stdio_legacy_reports_the_same() {
    let server = misbehaving_server();
    let ran = mcp_load(&[
        "stdio",
        "-q",
        "--era",
        "legacy",
        "-n",
        "50",
        "-c",
        "5",
        "--timeout",
        "300ms",
        "--tool",
        "t",
        "--",
        server.to_str().unwrap(),
    ]);
    assert_eq!(counts(&ran), [25, 5, 10, 5, 5, 5, 0], "{}", ran.report);
}

#[test]
fn http_reports_each_kind_exactly() {
    let server = HttpServer::start(&misbehaving_server());
    for era in ["modern", "legacy"] {
        let ran = mcp_load(&[
            "http",
            "-q",
            "--era",
            era,
            "-n",
            "100",
            "-c",
            "5",
            "--timeout",
            "300ms",
            "--tool",
            "t",
            &server.url(),
        ]);
        assert_eq!(ran.code, 3, "{}", ran.stderr);
        // Over HTTP the reply under the wrong id is that call's own outcome.
        assert_eq!(
            counts(&ran),
            [50, 10, 10, 10, 10, 10, 0],
            "{era}: {}",
            ran.report
        );
        assert!(ran.report["error_samples"]["wrong_id"]
            .as_str()
            .unwrap()
            .contains("names another"));
    }
}

#[test]
fn a_server_that_exits_stops_the_run() {
    let server = misbehaving_server();
    let ran = mcp_load(&[
        "stdio",
        "-q",
        "-n",
        "1000",
        "-c",
        "2",
        "--timeout",
        "300ms",
        "--tool",
        "t",
        "--",
        server.to_str().unwrap(),
        "--exit-after",
        "20",
    ]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let why = ran.report["stopped_early"].as_str().unwrap_or_default();
    assert!(why.contains("exited"), "{}", ran.report);
    assert!(ran.errors("transport") >= 1, "{}", ran.report);
    assert!(ran.u64("calls") < 100, "{}", ran.report);
}

#[test]
fn compare_runs_both_with_the_same_load_and_counts_each_exactly() {
    let good = support::bench_server();
    let bad = misbehaving_server();
    let ran = mcp_load(&[
        "stdio",
        "-q",
        "-n",
        "200",
        "-c",
        "4",
        "--rounds",
        "4",
        "--timeout",
        "300ms",
        "--tool",
        "add",
        "--args",
        r#"{"a":"$id","b":1}"#,
        "--compare",
        bad.to_str().unwrap(),
        "--",
        good.to_str().unwrap(),
    ]);
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let (a, b) = (&ran.report["a"], &ran.report["b"]);
    assert_eq!(
        (a["calls"].as_u64(), a["ok"].as_u64()),
        (Some(200), Some(200)),
        "{a}"
    );
    // B's ids run 1..=200 over the four rounds: ten of each residue per hundred.
    assert_eq!(
        (b["calls"].as_u64(), b["ok"].as_u64()),
        (Some(200), Some(100)),
        "{b}"
    );
    assert_eq!(b["errors"]["wrong_id"], 20);
    assert_eq!(b["errors"]["timeout"], 40);
    assert_eq!(b["errors"]["malformed"], 20);
    let ratio = ran.report["ratio"]["calls_per_s"].as_f64().unwrap();
    let expected = b["calls_per_s"].as_f64().unwrap() / a["calls_per_s"].as_f64().unwrap();
    assert!((ratio - expected).abs() < 1e-9 * expected, "{}", ran.report);
}
