//! A server that misbehaves on purpose, the same way every time, so `mcp-load`'s tests can
//! check that each kind of failure is reported exactly. It answers every `tools/call` by its
//! numeric request id:
//!
//! | `id % 10` | answer |
//! | --- | --- |
//! | 3 | a correct result, but under the id `id + 1000000` (the wrong id) |
//! | 5 | none: the call is dropped |
//! | 7 | a JSON-RPC error `-32603` |
//! | 8 | a result with `isError: true` |
//! | 9 | a result without `content` (malformed) |
//! | else | a correct result |
//!
//! So of any ten consecutive ids, five are answered correctly. `initialize` is answered (for the
//! legacy era), notifications are not. Over stdio by default; `--http ADDR` serves a bare
//! HTTP/1.1 endpoint (any path, JSON replies, a thread per connection) instead, where a dropped
//! call is simply never answered. `--exit-after N` exits after answering `N` calls (stdio).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

/// What the server answers to one message, if anything.
fn answer(message: &[u8]) -> Option<Vec<u8>> {
    let request: serde_json::Value = serde_json::from_slice(message).ok()?;
    let id = request.get("id")?;
    let reply = match request["method"].as_str()? {
        "initialize" => serde_json::json!({
            "jsonrpc": "2.0",
            "id": id,
            "result": {
                "protocolVersion": request["params"]["protocolVersion"],
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "misbehaving_server", "version": "1"}
            }
        }),
        "tools/call" => {
            let n = id.as_u64()?;
            let text = serde_json::json!([{"type": "text", "text": n.to_string()}]);
            match n % 10 {
                3 => {
                    serde_json::json!({"jsonrpc": "2.0", "id": n + 1_000_000, "result": {"content": text}})
                }
                5 => return None,
                7 => {
                    serde_json::json!({"jsonrpc": "2.0", "id": n, "error": {"code": -32603, "message": "on purpose"}})
                }
                8 => {
                    serde_json::json!({"jsonrpc": "2.0", "id": n, "result": {"content": text, "isError": true}})
                }
                9 => {
                    serde_json::json!({"jsonrpc": "2.0", "id": n, "result": {"text": n.to_string()}})
                }
                _ => serde_json::json!({"jsonrpc": "2.0", "id": n, "result": {"content": text}}),
            }
        }
        _ => {
            serde_json::json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no such method"}})
        }
    };
    Some(reply.to_string().into_bytes())
}

fn serve_stdio(exit_after: Option<u64>) -> std::io::Result<()> {
    let mut output = std::io::stdout().lock();
    let mut answered = 0;
    for line in std::io::stdin().lock().split(b'\n') {
        if let Some(mut reply) = answer(&line?) {
            reply.push(b'\n');
            output.write_all(&reply)?;
            output.flush()?;
            answered += 1;
            if exit_after.is_some_and(|limit| answered >= limit) {
                std::process::exit(0);
            }
        }
    }
    Ok(())
}

/// One connection: requests with a `Content-Length` body, in turn.
fn serve_connection(stream: TcpStream) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let (status, reply) = match answer(&body) {
            Some(reply) => ("200 OK", reply),
            // A notification (accepted), or a dropped call: left unanswered until the client
            // gives up and closes the connection.
            None if body.windows(4).any(|w| w == b"\"id\"") => {
                let mut rest = Vec::new();
                let _ = reader.read_to_end(&mut rest);
                return Ok(());
            }
            None => ("202 Accepted", Vec::new()),
        };
        write!(
            writer,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nMcp-Session-Id: s1\r\nContent-Length: {}\r\n\r\n",
            reply.len()
        )?;
        writer.write_all(&reply)?;
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => serve_stdio(None),
        ["--exit-after", n] => serve_stdio(n.parse().ok()),
        ["--http", addr] => {
            let listener = TcpListener::bind(addr)?;
            for stream in listener.incoming() {
                let stream = stream?;
                std::thread::spawn(move || serve_connection(stream));
            }
            Ok(())
        }
        _ => {
            eprintln!("usage: misbehaving_server [--http ADDR | --exit-after N]");
            std::process::exit(2);
        }
    }
}
