//! `examples/sqlite_pool` as a separate process: tools sharing one connection pool through
//! `State`, with the database on disk surviving a restart of the server.

use std::process::Stdio;
use std::time::Duration;

use mcp_toolkit::Client;
use serde_json::json;
use tokio::process::{Child, Command};

fn spawn(db: &std::path::Path) -> (Child, Client) {
    let exe = std::env::current_exe().unwrap();
    let examples = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples");
    let mut child = Command::new(examples.join("sqlite_pool"))
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run `cargo build --examples` first");
    let client = Client::new(child.stdout.take().unwrap(), child.stdin.take().unwrap());
    (child, client)
}

#[tokio::test]
async fn tools_share_the_pool_and_the_data_outlives_the_process() {
    let db = std::env::temp_dir().join(format!("mcp-library-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);

    let (mut child, client) = spawn(&db);
    let client = client.modern();
    // Concurrent calls borrow different pooled connections.
    let added = futures_util::future::join_all((0..8).map(|n| {
        client.call_tool(
            "add_book",
            json!({"title": format!("Volume {n}"), "author": "Le Guin"}),
        )
    }))
    .await;
    assert!(added
        .iter()
        .all(|r| r.as_ref().is_ok_and(|r| !r.is_error())));
    let shelf = client
        .call_tool("books_by", json!({"author": "Le Guin"}))
        .await
        .unwrap();
    let books = &shelf.structured_content.as_ref().unwrap()["books"];
    assert_eq!(books.as_array().unwrap().len(), 8);
    let missing = client
        .call_tool("title_of", json!({"id": 999}))
        .await
        .unwrap();
    assert!(missing.is_error());
    client.close().await;
    tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .unwrap()
        .unwrap();

    // A new process, the same file.
    let (_child, client) = spawn(&db);
    let client = client.modern();
    let title = client
        .call_tool("title_of", json!({"id": 1}))
        .await
        .unwrap();
    assert!(title.content[0].as_text().unwrap().starts_with("Volume "));
    drop(client);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
