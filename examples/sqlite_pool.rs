//! A connection pool created once and shared by every call: SQLite through `deadpool-sqlite`
//! (rusqlite connections, queries run on tokio's blocking threads so they never stall the
//! server), handed to the tools as `State<Library>`.
//!
//! ```text
//! cargo run --example sqlite_pool -- /tmp/library.db
//! ```
//!
//! Any pool works the same way (`sqlx::PgPool`, `deadpool-postgres`, a `reqwest::Client`):
//! build it in `main`, register it with `.state(...)`, take it as `State<T>`.

use deadpool_sqlite::rusqlite::{self, params, OptionalExtension};
use deadpool_sqlite::{Config, Pool, Runtime};
use mcp_toolkit::{tool, Server, State};
use schemars::JsonSchema;
use serde::Serialize;

/// The library's database: a pool of SQLite connections. Cloning shares the pool.
#[derive(Clone)]
struct Library {
    pool: Pool,
}

/// A book in the library.
#[derive(Serialize, JsonSchema)]
struct Book {
    id: i64,
    title: String,
    author: String,
}

/// The books an author wrote.
#[derive(Serialize, JsonSchema)]
struct Shelf {
    books: Vec<Book>,
}

impl Library {
    /// Runs `query` on a pooled connection, on a blocking thread.
    async fn with<T, F>(&self, query: F) -> Result<T, String>
    where
        F: FnOnce(&mut rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let connection = self.pool.get().await.map_err(|e| e.to_string())?;
        connection
            .interact(query)
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }
}

/// Add a book to the library; returns its id.
#[tool(destructive = false)]
async fn add_book(library: State<Library>, title: String, author: String) -> Result<i64, String> {
    library
        .with(move |db| {
            db.execute(
                "INSERT INTO books (title, author) VALUES (?1, ?2)",
                params![title, author],
            )?;
            Ok(db.last_insert_rowid())
        })
        .await
}

/// The books by an author, oldest first. Results are cached for ten seconds.
#[tool(read_only, cache_ttl = 10)]
async fn books_by(library: State<Library>, author: String) -> Result<Shelf, String> {
    let books = library
        .with(move |db| {
            let mut query = db.prepare_cached(
                "SELECT id, title, author FROM books WHERE author = ?1 ORDER BY id",
            )?;
            let rows = query.query_map([author], |row| {
                Ok(Book {
                    id: row.get(0)?,
                    title: row.get(1)?,
                    author: row.get(2)?,
                })
            })?;
            rows.collect()
        })
        .await?;
    Ok(Shelf { books })
}

/// The title of the book with this id.
#[tool(read_only)]
async fn title_of(library: State<Library>, id: i64) -> Result<String, String> {
    library
        .with(move |db| {
            db.query_row("SELECT title FROM books WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .optional()
        })
        .await?
        .ok_or_else(|| format!("no book has the id {id}"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "library.db".to_owned());
    // Created once, before serving: every call borrows a connection from it.
    let pool = Config::new(path).create_pool(Runtime::Tokio1)?;
    let library = Library { pool };
    library
        .with(|db| {
            db.execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE IF NOT EXISTS books (
                     id INTEGER PRIMARY KEY, title TEXT NOT NULL, author TEXT NOT NULL)",
            )
        })
        .await?;

    Server::builder("library", env!("CARGO_PKG_VERSION"))
        .tools([add_book::tool(), books_by::tool(), title_of::tool()])
        .state(library)
        .serve_stdio()
        .await?;
    Ok(())
}
