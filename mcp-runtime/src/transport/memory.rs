//! An in-process connection: a [`Client`] wired to a [`Server`] through an in-memory pipe.
//!
//! The bytes are the same as over stdio, so tests and benchmarks exercise the real framing and
//! dispatch without spawning a process.

use crate::client::Client;
use crate::server::Server;

/// Buffer size of each direction of the in-memory pipe.
const PIPE_CAPACITY: usize = 256 * 1024;

impl Server {
    /// Serves one in-memory connection on a spawned task and returns its client.
    ///
    /// Must be called within a tokio runtime. The server task ends when the client is dropped
    /// or [`Client::close`]d.
    pub fn connect_in_memory(&self) -> Client {
        let (client_side, server_side) = tokio::io::duplex(PIPE_CAPACITY);
        let (server_read, server_write) = tokio::io::split(server_side);
        let server = self.clone();
        tokio::spawn(async move {
            let memory = crate::observe::Transport::Memory;
            if let Err(err) = server
                .serve_transport(memory, server_read, server_write, None)
                .await
            {
                tracing::warn!("in-memory connection failed: {err}");
            }
        });
        let (client_read, client_write) = tokio::io::split(client_side);
        Client::new(client_read, client_write)
    }
}
