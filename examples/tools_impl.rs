//! Tools as methods: a notebook server whose tools share its struct through `&self`.
//!
//! ```text
//! cargo run --example tools_impl
//! NOTEBOOK_MAX_NOTE=200 NOTEBOOK_RATE=5/s cargo run --example tools_impl
//! ```
//!
//! `#[tools]` on the impl block serves every `#[tool]` method; the struct holds what the tools
//! share (here the notes and the settings read from the environment at start-up; in a real
//! server, pools and clients), and options written as code read it (`rate_limit =
//! self.settings.rate.as_str()`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Duration;

use mcp_toolkit::{tools, Server};
use schemars::JsonSchema;
use serde::Serialize;

/// A note in the notebook.
#[derive(Clone, Serialize, JsonSchema)]
struct Note {
    id: u64,
    text: String,
}

/// The notes a search found.
#[derive(Serialize, JsonSchema)]
struct Found {
    notes: Vec<Note>,
}

/// Settings, read once at start-up.
struct Settings {
    /// The longest note accepted, in characters.
    max_note: usize,
    /// How fast notes may be written, as in `"5/s"`.
    rate: String,
}

impl Settings {
    fn from_env() -> Self {
        Settings {
            max_note: std::env::var("NOTEBOOK_MAX_NOTE")
                .ok()
                .and_then(|max| max.parse().ok())
                .unwrap_or(1000),
            rate: std::env::var("NOTEBOOK_RATE").unwrap_or_else(|_| "100/s".into()),
        }
    }
}

struct Notebook {
    notes: RwLock<Vec<Note>>,
    next_id: AtomicU64,
    settings: Settings,
}

#[tools]
impl Notebook {
    /// Writes a note; returns its id.
    #[tool(rate_limit = self.settings.rate.as_str(), timeout = Duration::from_secs(10))]
    async fn write_note(
        &self,
        /// The note's text.
        text: String,
    ) -> Result<u64, String> {
        let max = self.settings.max_note;
        if text.chars().count() > max {
            return Err(format!("a note holds at most {max} characters"));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        self.notes.write().unwrap().push(Note { id, text });
        Ok(id)
    }

    /// Finds the notes containing a word (case-insensitive).
    #[tool(read_only)]
    async fn search_notes(
        &self,
        /// The word to look for.
        word: String,
    ) -> Found {
        let word = word.to_lowercase();
        let notes = self.notes.read().unwrap();
        Found {
            notes: notes
                .iter()
                .filter(|note| note.text.to_lowercase().contains(&word))
                .cloned()
                .collect(),
        }
    }

    /// How many notes the notebook holds.
    #[tool(read_only)]
    async fn count_notes(&self) -> usize {
        self.notes.read().unwrap().len()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let notebook = Notebook {
        notes: RwLock::new(Vec::new()),
        next_id: AtomicU64::new(0),
        settings: Settings::from_env(),
    };
    Server::builder("notebook", "1.0.0")
        .tools(notebook.tools())
        .build()?
        .serve_stdio()
        .await?;
    Ok(())
}
