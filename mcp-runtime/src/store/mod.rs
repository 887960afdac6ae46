//! What several instances of a server share: behind the `redis` feature, one Redis or Redis
//! Cluster holding a level-2 cache under every `cache_ttl` tool, the budgets of `rate_limit`
//! tools, and (over Streamable HTTP) legacy sessions and their SSE events.
//!
//! Redis is never a single point of failure: every operation has a short timeout, and while
//! Redis is away each instance goes on alone (level-1 cache, local or closed rate limits, its
//! own sessions), checking now and then whether it is back.

#[cfg(feature = "redis")]
pub mod redis;

/// What a server built with [`ServerBuilder::redis`](crate::ServerBuilder::redis) keeps in its
/// shared state: the Redis, and the server's name that namespaces its keys.
#[cfg(feature = "redis")]
#[derive(Clone)]
pub(crate) struct Shared {
    pub redis: redis::Redis,
    pub server: std::sync::Arc<str>,
}

#[cfg(feature = "redis")]
impl crate::SharedState {
    /// The Redis this server shares with its other instances, if any.
    pub(crate) fn shared(&self) -> Option<&Shared> {
        self.get::<Shared>()
    }
}
