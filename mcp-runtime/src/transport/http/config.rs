//! The settings of the HTTP transport, with safe defaults.

use std::sync::Arc;
use std::time::Duration;

use super::event_store::{EventStore, MemoryEventStore};

/// How the Streamable HTTP endpoint is served: its path, the names it answers to, and its
/// limits. Every default is safe for a server on a developer's machine.
///
/// ```
/// use std::time::Duration;
/// use mcp_runtime::transport::http::HttpConfig;
///
/// let config = HttpConfig::default()
///     .path("/api/mcp")
///     .allowed_hosts(["mcp.example.com"])
///     .allowed_origins(["https://app.example.com"])
///     .max_body_bytes(1 << 20)
///     .session_idle_timeout(Duration::from_secs(600));
/// ```
#[derive(Clone)]
#[must_use]
pub struct HttpConfig {
    pub(crate) path: Option<String>,
    pub(crate) allowed_hosts: Option<Vec<String>>,
    pub(crate) allowed_origins: Option<Vec<String>>,
    pub(crate) max_body_bytes: usize,
    pub(crate) header_read_timeout: Duration,
    pub(crate) body_read_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) max_sessions: usize,
    pub(crate) session_idle_timeout: Duration,
    pub(crate) max_calls_per_session: usize,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) keep_alive_interval: Duration,
    /// `None`: the server's default (see [`HttpConfig::event_store`]).
    pub(crate) event_store: Option<Arc<dyn EventStore>>,
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("path", &self.path)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_origins", &self.allowed_origins)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_connections", &self.max_connections)
            .field("max_sessions", &self.max_sessions)
            .finish_non_exhaustive()
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            path: Some("/mcp".to_owned()),
            allowed_hosts: Some(Vec::new()),
            allowed_origins: Some(Vec::new()),
            max_body_bytes: 4 * 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
            max_sessions: 10_000,
            session_idle_timeout: Duration::from_secs(30 * 60),
            max_calls_per_session: 256,
            shutdown_timeout: Duration::from_secs(10),
            keep_alive_interval: Duration::from_secs(15),
            event_store: None,
        }
    }
}

impl HttpConfig {
    /// The endpoint's path (`/mcp` by default). Requests to other paths get 404.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Answers on every path: for a service mounted under a router that picked the path.
    pub fn any_path(mut self) -> Self {
        self.path = None;
        self
    }

    /// Host names (without port) the server answers to, besides `localhost`, `127.0.0.1` and
    /// `[::1]`. A request whose `Host` is not one of them gets 403: a DNS-rebinding page in a
    /// browser names its own host. Set the public names of a deployed server here.
    pub fn allowed_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_hosts
            .get_or_insert_with(Vec::new)
            .extend(hosts.into_iter().map(|h| h.into().to_ascii_lowercase()));
        self
    }

    /// Accepts any `Host` (behind a proxy that checks it, say).
    pub fn allow_any_host(mut self) -> Self {
        self.allowed_hosts = None;
        self
    }

    /// Origins (`scheme://host[:port]`) whose browser pages may call the server, besides pages
    /// served from loopback names. A request with another `Origin` gets 403. Requests without
    /// an `Origin` (every non-browser client) are not affected.
    pub fn allowed_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_origins.get_or_insert_with(Vec::new).extend(
            origins
                .into_iter()
                .map(|o| o.into().trim_end_matches('/').to_ascii_lowercase()),
        );
        self
    }

    /// Accepts any `Origin` (when an auth layer in front decides instead).
    pub fn allow_any_origin(mut self) -> Self {
        self.allowed_origins = None;
        self
    }

    /// The largest request body accepted (4 MiB by default); bigger ones get 413.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes.max(1024);
        self
    }

    /// How long a client may take to send a request's headers (10 s by default), and how long
    /// a kept-alive connection may sit idle before the next request.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a client may take to send a request's body (30 s by default); slower ones get
    /// 408.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Connections served at once (1,024 by default); more wait in the listen backlog.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// Legacy sessions kept at once (10,000 by default). At the cap the session idle longest
    /// is ended to make room; its client gets 404 and starts a new one, as the protocol says.
    pub fn max_sessions(mut self, sessions: usize) -> Self {
        self.max_sessions = sessions.max(1);
        self
    }

    /// How long a legacy session lives without requests (30 minutes by default).
    pub fn session_idle_timeout(mut self, timeout: Duration) -> Self {
        self.session_idle_timeout = timeout;
        self
    }

    /// Calls one legacy session may have running at once (256 by default); more wait for one to
    /// finish.
    pub fn max_calls_per_session(mut self, calls: usize) -> Self {
        self.max_calls_per_session = calls.max(1);
        self
    }

    /// On shutdown, how long calls in flight may take to finish (10 s by default).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// How often an SSE stream with nothing to say sends a comment, so that proxies and client
    /// timeouts keep it open (15 s by default).
    pub fn keep_alive_interval(mut self, interval: Duration) -> Self {
        self.keep_alive_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// Where the SSE events of legacy sessions are kept for clients that resume a broken
    /// stream. By default a bounded [`MemoryEventStore`]; for a server built with
    /// `ServerBuilder::redis` (feature `redis`), a `RedisEventStore` with its defaults, so that
    /// a stream may be resumed on any instance.
    pub fn event_store(mut self, store: impl EventStore) -> Self {
        self.event_store = Some(Arc::new(store));
        self
    }

    /// The event store to serve `server` with: the one set, else the default.
    pub(crate) fn event_store_for(
        &self,
        server: &crate::server::ServerInner,
    ) -> Arc<dyn EventStore> {
        if let Some(store) = &self.event_store {
            return store.clone();
        }
        #[cfg(feature = "redis")]
        if let Some(shared) = server.state.shared() {
            return Arc::new(crate::store::redis::RedisEventStore::new(
                shared.redis.clone(),
                &shared.server,
            ));
        }
        let _ = server;
        Arc::new(MemoryEventStore::default())
    }
}
