//! `mcp-load` against `examples/bench_server`, a correct server, over stdio and Streamable HTTP
//! in both eras: every call is counted once, and every count is what the load asked for.

mod support;

use support::{bench_server, mcp_load, HttpServer, Ran};

/// Checks a run where every call should be answered correctly.
fn all_ok(ran: &Ran, calls: u64) {
    assert_eq!(
        ran.code, 0,
        "stderr: {}; report: {}",
        ran.stderr, ran.report
    );
    assert_eq!(ran.u64("calls"), calls, "{}", ran.report);
    assert_eq!(ran.u64("ok"), calls, "{}", ran.report);
    for kind in [
        "jsonrpc",
        "is_error",
        "timeout",
        "malformed",
        "wrong_id",
        "transport",
    ] {
        assert_eq!(ran.errors(kind), 0, "{kind} in {}", ran.report);
    }
    let p50 = ran.f64("/latency_us/p50");
    let (p90, p99, p999, max) = (
        ran.f64("/latency_us/p90"),
        ran.f64("/latency_us/p99"),
        ran.f64("/latency_us/p99_9"),
        ran.f64("/latency_us/max"),
    );
    assert!(0.0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= p999 && p999 <= max * 1.001);
    assert!(ran.f64("/calls_per_s") > 0.0);
}

#[test]
fn stdio_modern_with_warmup() {
    let server = bench_server();
    let server = server.to_str().unwrap();
    let ran = mcp_load(&[
        "stdio",
        "-q",
        "-n",
        "400",
        "-c",
        "8",
        "--warmup",
        "25",
        "--tool",
        "add",
        "--args",
        r#"{"a":"$id","b":1}"#,
        "--",
        server,
    ]);
    all_ok(&ran, 400);
    assert_eq!(ran.report["warmup"]["calls"], 25);
    assert_eq!(ran.report["warmup"]["ok"], 25);
    assert_eq!(ran.report["era"], "modern");
    // A local process: its CPU time and peak memory, from /proc.
    let figures = &ran.report["server"];
    assert!(figures["pid"].as_u64().unwrap() > 0);
    assert!(figures["cpu_us_per_call"].as_f64().is_some());
    assert!(figures["peak_rss_kib"].as_u64().unwrap() > 100);
    assert!(ran.report["driver_cpu_us_per_call"].as_f64().is_some());
}

#[test]
fn stdio_legacy_handshake() {
    let server = bench_server();
    let ran = mcp_load(&[
        "stdio",
        "-q",
        "--era",
        "legacy",
        "-n",
        "200",
        "-c",
        "4",
        "--tool",
        "divmod",
        "--args",
        r#"{"a":"$id","b":7}"#,
        "--",
        server.to_str().unwrap(),
    ]);
    all_ok(&ran, 200);
    assert_eq!(ran.report["era"], "legacy");
}

#[test]
fn http_both_eras() {
    let server = HttpServer::start(&bench_server());
    let url = server.url();
    let pid = server.pid().to_string();
    for era in ["modern", "legacy"] {
        let ran = mcp_load(&[
            "http",
            "-q",
            "--era",
            era,
            "-n",
            "300",
            "-c",
            "4",
            "--tool",
            "cached_square",
            "--args",
            r#"{"k":"$rand:20"}"#,
            "--pid",
            &pid,
            &url,
        ]);
        all_ok(&ran, 300);
        assert_eq!(
            ran.report["server"]["pid"].as_u64(),
            Some(u64::from(server.pid()))
        );
    }
}

#[test]
fn open_loop_starts_exactly_rate_times_duration() {
    let server = bench_server();
    // Calls are due at i / 200 s for every i with i / 200 < 1.5: exactly 300 of them.
    let ran = mcp_load(&[
        "stdio",
        "-q",
        "--rate",
        "200",
        "--duration",
        "1500ms",
        "--tool",
        "add",
        "--args",
        r#"{"a":1,"b":2}"#,
        "--",
        server.to_str().unwrap(),
    ]);
    all_ok(&ran, 300);
    assert_eq!(ran.report["shape"], "open");
    // The last call was due at 1.495 s.
    assert!(ran.f64("/elapsed_s") >= 1.49, "{}", ran.report);
}

#[test]
fn a_duration_bounds_a_closed_loop() {
    let server = HttpServer::start(&bench_server());
    let ran = mcp_load(&[
        "http",
        "-q",
        "--duration",
        "700ms",
        "-c",
        "2",
        "--tool",
        "slow_add",
        "--args",
        r#"{"a":1,"b":2}"#,
        &server.url(),
    ]);
    let calls = ran.u64("calls");
    // Two at a time, each at least the tool's 1 ms sleep.
    assert!((2..=1400).contains(&calls), "{}", ran.report);
    all_ok(&ran, calls);
    let elapsed = ran.f64("/elapsed_s");
    assert!((0.7..5.0).contains(&elapsed), "{}", ran.report);
}

#[test]
fn scenario_mixes_tools_by_weight() {
    let dir = std::env::temp_dir().join(format!("mcp-load-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mix.json");
    std::fs::write(
        &file,
        r#"{"calls": [
            {"tool": "cached_square", "args": {"k": "$rand:100"}, "weight": 9},
            {"tool": "nope", "weight": 1}
        ]}"#,
    )
    .unwrap();
    let server = bench_server();
    let ran = mcp_load(&[
        "stdio",
        "-q",
        "-n",
        "1000",
        "-c",
        "4",
        "--scenario",
        file.to_str().unwrap(),
        "--",
        server.to_str().unwrap(),
    ]);
    std::fs::remove_dir_all(&dir).unwrap();
    // The unknown tool is a JSON-RPC error (-32602): about a tenth of the calls.
    let rpc = ran.errors("jsonrpc");
    assert_eq!(ran.u64("ok") + rpc, 1000, "{}", ran.report);
    assert!((60..140).contains(&rpc), "{}", ran.report);
    assert_eq!(ran.report["jsonrpc_error_codes"]["-32602"], rpc);
    assert_eq!(
        ran.report["tools"],
        serde_json::json!(["cached_square", "nope"])
    );
    assert_eq!(ran.code, 3);
}

#[test]
fn bad_flags_are_refused() {
    let ran = mcp_load(&["stdio", "--tool", "add", "-c", "0", "--", "true"]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stderr.contains("-c 0"), "{}", ran.stderr);
    let ran = mcp_load(&["stdio", "--tool", "add", "--args", "[1]", "--", "true"]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let ran = mcp_load(&["http", "--tool", "add", "https://example.com/mcp"]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(ran.stderr.contains("http://"), "{}", ran.stderr);
}

#[test]
fn report_writes_a_self_contained_page() {
    let dir = std::env::temp_dir().join(format!("mcp-load-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    let server = bench_server();
    let ran = mcp_load(&[
        "stdio",
        "-q",
        "-n",
        "300",
        "-c",
        "2",
        "--tool",
        "echo",
        "--args",
        r#"{"text":"hi"}"#,
        "--report",
        page.to_str().unwrap(),
        "--",
        server.to_str().unwrap(),
    ]);
    all_ok(&ran, 300);
    let html = std::fs::read_to_string(&page).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Two charts, inline; nothing fetched.
    assert_eq!(html.matches("<svg").count(), 2, "{html}");
    assert!(html.contains("Latency over time") && html.contains("Latency distribution"));
    assert!(!html.contains("<script") && !html.contains("src=\"http"));
    // The figures, as --json has them.
    assert!(html.contains("\"ok\": 300"), "{html}");
}

#[test]
fn headers_reach_a_server_behind_a_bearer_token() {
    let server = HttpServer::start_with(
        &support::example("mcp-toolkit", "http_auth"),
        &[],
        &[("MCP_TOKEN", "t0k3n")],
    );
    let url = server.url();
    let ran = mcp_load(&[
        "http",
        "-q",
        "-n",
        "50",
        "-c",
        "2",
        "-H",
        "Authorization: Bearer t0k3n",
        "--tool",
        "add",
        "--args",
        r#"{"a":1,"b":2}"#,
        &url,
    ]);
    all_ok(&ran, 50);
    // Without the token: every call is refused with 401, a transport error.
    let ran = mcp_load(&[
        "http",
        "-q",
        "-n",
        "20",
        "--tool",
        "add",
        "--args",
        r#"{"a":1,"b":2}"#,
        &url,
    ]);
    assert_eq!(ran.errors("transport"), 20, "{}", ran.report);
    assert!(ran.report["error_samples"]["transport"]
        .as_str()
        .unwrap()
        .contains("401"));
}
