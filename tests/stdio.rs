//! The quickstart example as a separate process, driven over its stdin/stdout.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use mcp_toolkit::Client;
use serde_json::{json, Value};
use tokio::process::{Child, Command};
use tokio::time::timeout;

/// `target/<profile>/examples/quickstart`, which `cargo test` builds with the tests.
fn quickstart() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir
        .join("examples")
        .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX))
}

/// The quickstart server with piped stdin and stdout, logging at `log_level` to `stderr`.
fn spawn_process(log_level: &str, stderr: Stdio) -> Child {
    Command::new(quickstart())
        .env("RUST_LOG", log_level)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .expect("run `cargo build --examples` first")
}

fn spawn() -> (Child, Client) {
    let mut child = spawn_process("warn", Stdio::inherit());
    let client = Client::new(child.stdout.take().unwrap(), child.stdin.take().unwrap());
    (child, client)
}

async fn exits_cleanly(mut child: Child) {
    let status = timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("exits after stdin closes")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn modern_client_lists_and_calls_tools() {
    let (child, client) = spawn();
    let client = client.modern();
    let discover = client.request("server/discover", json!({})).await.unwrap();
    assert_eq!(discover["supportedVersions"], json!(["2026-07-28"]));
    let tools = client.list_tools().await.unwrap();
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "add",
            "divide",
            "add_note",
            "list_notes",
            "countdown",
            "clear_notes"
        ]
    );
    let result = client
        .call_tool("add", json!({"a": 2, "b": 3}))
        .await
        .unwrap();
    assert_eq!(result.content[0].as_text(), Some("5"));
    let result = client
        .call_tool("divide", json!({"dividend": 1, "divisor": 0}))
        .await
        .unwrap();
    assert!(result.is_error());
    client
        .call_tool("add_note", json!({"text": "milk"}))
        .await
        .unwrap();
    let notes = client.call_tool("list_notes", json!({})).await.unwrap();
    assert_eq!(
        notes.structured_content,
        Some(json!({"notes": ["milk"], "count": 1}))
    );
    client.close().await;
    exits_cleanly(child).await;
}

#[tokio::test]
async fn legacy_client_with_progress_logging_and_cancellation() {
    let (child, client) = spawn();
    let mut incoming = client.notifications().unwrap();
    let init = client.initialize().await.unwrap();
    assert_eq!(init["protocolVersion"], "2025-11-25");
    client
        .request("logging/setLevel", json!({"level": "info"}))
        .await
        .unwrap();

    // A call that would run for about a second, cancelled once under way. Calls are answered
    // while it runs and after it is cancelled; it never is, and its progress stops.
    let slow_id = client.next_id();
    let slow = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .request_with_id(
                    slow_id,
                    "tools/call",
                    json!({"name": "countdown", "arguments": {"from": 40, "step_ms": 25}, "_meta": {"progressToken": "slow"}}),
                )
                .await
        }
    });
    let is_slow_progress = |m: &Value| m["params"]["progressToken"] == "slow";
    timeout(Duration::from_secs(5), async {
        while !is_slow_progress(&incoming.recv().await.unwrap()) {}
    })
    .await
    .expect("the slow call reports progress");
    let fast = timeout(
        Duration::from_millis(500),
        client.call_tool("add", json!({"a": 1, "b": 1})),
    )
    .await;
    assert_eq!(
        fast.expect("not held up by the slow call").unwrap().content[0].as_text(),
        Some("2")
    );
    client
        .notify(
            "notifications/cancelled",
            json!({"requestId": slow_id, "reason": "test"}),
        )
        .await;
    // Answered after the cancellation was read: what the slow call sent before it came earlier.
    let after = client
        .call_tool("add", json!({"a": 2, "b": 2}))
        .await
        .unwrap();
    assert_eq!(after.content[0].as_text(), Some("4"));
    while incoming.try_recv().is_ok() {}
    // Twice as long as the whole call would take: a call still running would have finished.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!slow.is_finished(), "a cancelled call gets no reply");
    let mut later = Vec::new();
    while let Ok(message) = incoming.try_recv() {
        later.push(message);
    }
    assert!(
        !later.iter().any(is_slow_progress),
        "the cancelled call still reports progress: {later:?}"
    );
    assert!(
        !later
            .iter()
            .any(|m| m["params"]["data"] == "countdown finished"),
        "the cancelled call ran to the end"
    );

    let progress = client
        .request("tools/call", json!({"name": "countdown", "arguments": {"from": 3, "step_ms": 1}, "_meta": {"progressToken": "tok"}}))
        .await
        .unwrap();
    assert_eq!(progress["content"][0]["text"], "counted down from 3");
    let mut seen = Vec::new();
    while let Ok(message) = incoming.try_recv() {
        seen.push(message);
    }
    let progress: Vec<&Value> = seen
        .iter()
        .filter(|m| m["params"]["progressToken"] == "tok")
        .collect();
    assert_eq!(
        progress
            .iter()
            .map(|m| m["params"]["progress"].as_f64().unwrap())
            .collect::<Vec<_>>(),
        [1.0, 2.0, 3.0]
    );
    assert!(seen
        .iter()
        .any(|m| m["method"] == "notifications/message"
            && m["params"]["data"] == "countdown finished"));
    client.close().await;
    exits_cleanly(child).await;
}

#[tokio::test]
async fn bad_input_gets_errors_and_the_server_keeps_serving() {
    let (child, client) = spawn();
    let mut incoming = client.notifications().unwrap();
    client.send_raw("this is not json").await;
    client
        .send_raw(r#"{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"add"}}"#)
        .await;
    let parse_error = timeout(Duration::from_secs(5), incoming.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(parse_error["error"]["code"], -32700);
    let not_initialized = timeout(Duration::from_secs(5), incoming.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            not_initialized["id"].clone(),
            not_initialized["error"]["code"].clone()
        ),
        (json!("x"), json!(-32602))
    );
    let client = client.modern();
    let result = client
        .call_tool("add", json!({"a": 40, "b": 2}))
        .await
        .unwrap();
    assert_eq!(result.content[0].as_text(), Some("42"));
    client.close().await;
    exits_cleanly(child).await;
}

#[tokio::test]
async fn calls_running_at_end_of_input_still_get_their_replies() {
    let (child, client) = spawn();
    let client = client.modern();
    let call = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .call_tool("countdown", json!({"from": 3, "step_ms": 50}))
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    client.close().await;
    let result = timeout(Duration::from_secs(5), call)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(result.content[0].as_text(), Some("counted down from 3"));
    exits_cleanly(child).await;
}

#[tokio::test]
async fn a_client_that_vanishes_mid_call_does_not_hang_or_crash_the_server() {
    use tokio::io::AsyncWriteExt;
    let mut child = spawn_process("off", Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    let request = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"countdown","arguments":{"from":3,"step_ms":50},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;
    stdin
        .write_all(format!("{request}\n").as_bytes())
        .await
        .unwrap();
    // The client goes away: both pipes close while the call runs.
    drop(stdin);
    drop(child.stdout.take());
    let output = timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .expect("exits")
        .unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}

#[tokio::test]
async fn a_burst_larger_than_the_pipe_is_answered_in_full() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut child = spawn_process("off", Stdio::inherit());
    let calls = 3_000_usize;
    // About 600 KiB of requests in one write: the server answers while the client still
    // writes, and its replies fill the pipe before the client reads them.
    let burst: String = (0..calls)
        .map(|i| {
            format!(
                r#"{{"jsonrpc":"2.0","id":{i},"method":"tools/call","params":{{"name":"add","arguments":{{"a":{i},"b":1}},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}}}}}}}}"#
            ) + "\n"
        })
        .collect();
    let mut stdin = child.stdin.take().unwrap();
    let writer = tokio::spawn(async move {
        stdin.write_all(burst.as_bytes()).await.unwrap();
        stdin
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut answered = vec![false; calls];
    for _ in 0..calls {
        let line = timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("replies keep coming")
            .unwrap()
            .expect("the server is still writing");
        let reply: Value = serde_json::from_str(&line).unwrap();
        let id = reply["id"].as_u64().unwrap() as usize;
        assert!(!answered[id], "{id} answered twice");
        answered[id] = true;
        assert_eq!(
            reply["result"]["content"][0]["text"],
            (id + 1).to_string(),
            "{reply}"
        );
    }
    drop(writer.await.unwrap());
    exits_cleanly(child).await;
}

/// The server on pipes or a socket the test made itself, keeping duplicates of the server's ends:
/// the same open file descriptions as its stdin and stdout, which a client (or a child process
/// a tool spawns) shares with it. Their flags must not change while it runs, nor after it exits.
#[cfg(target_os = "linux")]
mod shared_descriptions {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::net::UnixStream;

    use tokio::net::unix::pipe;

    use super::*;

    fn pipe() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors; O_CLOEXEC keeps them out of the
        // processes other tests spawn meanwhile (which would hold the pipe open).
        let status = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
        assert_eq!(status, 0, "{}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are owned by nothing else.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    /// Whether the open file description behind `fd` is in non-blocking mode.
    fn nonblocking(fd: &OwnedFd) -> bool {
        // SAFETY: F_GETFL on an open descriptor; no memory is involved.
        let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
        assert!(flags >= 0, "{}", std::io::Error::last_os_error());
        flags & libc::O_NONBLOCK != 0
    }

    fn spawn_on(stdin: OwnedFd, stdout: OwnedFd) -> Child {
        Command::new(quickstart())
            .env("RUST_LOG", "warn")
            .stdin(stdin)
            .stdout(stdout)
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("run `cargo build --examples` first")
    }

    /// For each of the server's descriptors other than 0, 1 and 2 on the same file as its `fd`:
    /// whether it is non-blocking (`/proc/<pid>/fdinfo` has a description's flags in octal).
    fn other_descriptions(pid: u32, fd: u32) -> Vec<bool> {
        let file = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).unwrap();
        let mut found = Vec::new();
        for entry in std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap() {
            let entry = entry.unwrap();
            let n: u32 = entry.file_name().to_str().unwrap().parse().unwrap();
            if n <= 2 || std::fs::read_link(entry.path()).ok().as_ref() != Some(&file) {
                continue;
            }
            let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{n}")).unwrap();
            let flags = info
                .lines()
                .find_map(|line| line.strip_prefix("flags:"))
                .map(|flags| i32::from_str_radix(flags.trim(), 8).unwrap())
                .unwrap();
            found.push(flags & libc::O_NONBLOCK != 0);
        }
        found
    }

    /// The descriptors the server watches with epoll (the `tfd:` lines of an epoll fd's fdinfo).
    fn epoll_targets(pid: u32) -> Vec<u32> {
        let mut targets = Vec::new();
        for entry in std::fs::read_dir(format!("/proc/{pid}/fdinfo")).unwrap() {
            let info = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
            for line in info.lines() {
                if let Some(rest) = line.strip_prefix("tfd:") {
                    targets.push(rest.split_whitespace().next().unwrap().parse().unwrap());
                }
            }
        }
        targets
    }

    #[tokio::test]
    async fn pipes_as_stdio_stay_blocking_for_the_client_and_for_children() {
        let (server_in, client_out) = pipe();
        let (client_in, server_out) = pipe();
        let shared = [
            server_in.try_clone().unwrap(),
            server_out.try_clone().unwrap(),
        ];
        let child = spawn_on(server_in, server_out);
        let client = Client::new(
            pipe::Receiver::from_owned_fd(client_in).unwrap(),
            pipe::Sender::from_owned_fd(client_out).unwrap(),
        )
        .modern();
        let result = client
            .call_tool("add", json!({"a": 2, "b": 3}))
            .await
            .unwrap();
        assert_eq!(result.content[0].as_text(), Some("5"));

        let pid = child.id().unwrap();
        for (fd, shared) in [0, 1].into_iter().zip(&shared) {
            assert!(
                !nonblocking(shared),
                "fd {fd}: the description shared with the client became non-blocking"
            );
            // Still driven by the reactor: through a non-blocking description of its own.
            assert_eq!(other_descriptions(pid, fd), [true], "fd {fd}");
        }
        client.close().await;
        exits_cleanly(child).await;
        for (fd, shared) in [0, 1].into_iter().zip(&shared) {
            assert!(!nonblocking(shared), "fd {fd} after exit");
        }
    }

    #[tokio::test]
    async fn a_socket_as_stdio_keeps_its_flags_even_when_the_server_is_killed() {
        // One socket as both stdin and stdout, as inetd-style launchers do.
        let (server, client_end) = UnixStream::pair().unwrap();
        let shared = OwnedFd::from(server.try_clone().unwrap());
        let mut child = spawn_on(OwnedFd::from(server.try_clone().unwrap()), server.into());
        client_end.set_nonblocking(true).unwrap();
        let (reader, writer) = tokio::net::UnixStream::from_std(client_end)
            .unwrap()
            .into_split();
        let client = Client::new(reader, writer).modern();
        let result = client
            .call_tool("add", json!({"a": 2, "b": 3}))
            .await
            .unwrap();
        assert_eq!(result.content[0].as_text(), Some("5"));

        let watched = epoll_targets(child.id().unwrap());
        assert!(
            watched.contains(&0) && watched.contains(&1),
            "stdio is driven by the reactor: {watched:?}"
        );
        assert!(
            !nonblocking(&shared),
            "the socket shared with the client became non-blocking"
        );
        // No exit path has anything to restore: a killed server leaves the flags as they were.
        child.kill().await.unwrap();
        assert!(!nonblocking(&shared), "after the server was killed");
    }
}

/// Run by a person in a terminal, the quickstart says what it is and how to connect a client;
/// started by a client (stdin a pipe), it says nothing of the sort.
#[tokio::test]
async fn the_quickstart_greets_a_person_at_a_terminal_but_not_a_client() {
    // `script` runs the server on a pseudo-terminal; with its own input at EOF, the server
    // sees end of input and exits once it has printed the hint.
    let output = timeout(
        Duration::from_secs(20),
        Command::new("script")
            .args(["-qec", &quickstart().display().to_string(), "/dev/null"])
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .expect("the quickstart exits at end of input")
    .expect("`script` (util-linux) runs");
    let terminal = String::from_utf8_lossy(&output.stdout);
    assert!(
        terminal.contains("npx @modelcontextprotocol/inspector") && terminal.contains("mcpServers"),
        "{terminal}"
    );

    let mut child = spawn_process("warn", Stdio::piped());
    drop(child.stdin.take());
    let output = timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("inspector"), "{stderr}");
}
