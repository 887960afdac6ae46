//! Several instances, one Redis (or Redis Cluster).
//!
//! ```no_run
//! use mcp_runtime::store::redis::Redis;
//! use mcp_runtime::Server;
//!
//! let redis = Redis::new("redis://127.0.0.1:6379")?.prefix("weather");
//! let server = Server::builder("weather", "1.0.0")
//!     .redis(redis)
//!     // .tool(forecast::tool()) ...
//!     .build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What a server configured with [`ServerBuilder::redis`](crate::ServerBuilder::redis) shares:
//! - **cached results** (`cache_ttl` tools): Redis is the level-2 cache under each instance's
//!   own moka cache; a level-2 hit fills level 1; `invalidate`/`invalidate_all` reach every
//!   instance;
//! - **rate budgets** (`rate_limit` tools): counted across instances;
//! - over Streamable HTTP, **legacy sessions and their SSE events**, so any instance can serve
//!   a session's requests and its `Last-Event-ID` reconnects.
//!
//! Connections are made on first use, so a server starts while Redis is down. Every operation
//! is bounded by [`Redis::timeout`]; after a failure the instance stops asking Redis (calls
//! cost nothing extra) and probes it every [`Redis::retry_every`], logging once when Redis goes
//! away and once when it is back.
//!
//! Keys start with the [`Redis::prefix`] (`mcp` by default) and the server's name; keys that
//! one script touches share a hash slot (a `{...}` hash tag), so Redis Cluster works alike.

mod conn;
#[cfg(feature = "http")]
mod events;
mod health;
mod pubsub;
pub(crate) mod rate;
#[cfg(feature = "http")]
pub(crate) mod sessions;

#[cfg(feature = "http")]
pub use events::RedisEventStore;

use std::sync::Arc;
use std::time::Duration;

pub use redis::RedisError;

pub(crate) use conn::Unavailable;
pub(crate) use pubsub::Subscriber;

use conn::Connection;
use health::Health;
use pubsub::Subscribers;

/// What a rate-limited tool does while Redis is unavailable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RateLimitFallback {
    /// Each instance counts the limit on its own (the budget is then per instance: with N
    /// instances, up to N times the rate), going on from its own recent calls.
    #[default]
    Local,
    /// Calls are refused at once, so the limit is never exceeded: a tool call is answered with
    /// an `isError` result saying Redis is unavailable and to try again later (a tool-execution
    /// failure the model can read, as for a timeout); a resource read or prompt get, which have
    /// no such result, with a JSON-RPC internal error saying the same.
    FailClosed,
}

/// A connection to the Redis (or Redis Cluster) that instances share; cheap to clone.
///
/// Built from a URL, `redis://[user:password@]host:port[/db]`, or
/// `redis-cluster://host:port[,host:port...]` for a cluster (one or more of its nodes).
/// Nothing connects until the first use.
#[derive(Clone)]
pub struct Redis {
    pub(crate) inner: Arc<RedisInner>,
}

pub(crate) struct RedisInner {
    pub(crate) prefix: String,
    pub(crate) timeout: Duration,
    pub(crate) rate_fallback: RateLimitFallback,
    pub(crate) conn: Connection,
    pub(crate) health: Health,
    pub(crate) subscribers: Subscribers,
    /// Random: tells this instance's own broadcasts from others'.
    pub(crate) instance: u64,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("nodes", &self.inner.conn.describe())
            .field("prefix", &self.inner.prefix)
            .field("timeout", &self.inner.timeout)
            .field("rate_fallback", &self.inner.rate_fallback)
            .finish()
    }
}

/// The default bound on each Redis operation.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(100);
/// How often an instance that lost Redis checks whether it is back.
pub const DEFAULT_RETRY_EVERY: Duration = Duration::from_secs(1);

impl Redis {
    /// A Redis at `url` (see the type's docs for the forms), with the default settings.
    ///
    /// # Errors
    /// When the URL cannot be read. Redis itself is not contacted yet.
    pub fn new(url: &str) -> Result<Redis, RedisError> {
        Ok(Redis::from_connection(Connection::parse(
            url,
            DEFAULT_TIMEOUT,
        )?))
    }

    /// The nodes of a Redis Cluster (any of them; the rest are discovered).
    ///
    /// # Errors
    /// When a URL cannot be read.
    pub fn cluster<I, S>(nodes: I) -> Result<Redis, RedisError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let nodes: Vec<String> = nodes.into_iter().map(|n| n.as_ref().to_owned()).collect();
        Ok(Redis::from_connection(Connection::cluster(
            &nodes,
            DEFAULT_TIMEOUT,
        )?))
    }

    fn from_connection(conn: Connection) -> Redis {
        Redis {
            inner: Arc::new(RedisInner {
                prefix: "mcp".to_owned(),
                timeout: DEFAULT_TIMEOUT,
                rate_fallback: RateLimitFallback::default(),
                conn,
                health: Health::new(DEFAULT_RETRY_EVERY),
                subscribers: Subscribers::default(),
                instance: crate::sync::random_u64(),
            }),
        }
    }

    /// Changes a setting before the handle is shared (it is copied when already shared).
    fn with(mut self, change: impl FnOnce(&mut RedisInner)) -> Redis {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => change(inner),
            None => {
                let old = &self.inner;
                let mut inner = RedisInner {
                    prefix: old.prefix.clone(),
                    timeout: old.timeout,
                    rate_fallback: old.rate_fallback,
                    conn: old.conn.fresh(),
                    health: Health::new(old.health.retry_every()),
                    subscribers: Subscribers::default(),
                    instance: old.instance,
                };
                change(&mut inner);
                self.inner = Arc::new(inner);
            }
        }
        self
    }

    /// Starts every key with `prefix` (`mcp` by default): applications sharing one Redis, or
    /// tenants of one application, keep apart by prefix.
    #[must_use]
    pub fn prefix(self, prefix: impl Into<String>) -> Redis {
        let prefix = prefix.into();
        self.with(|inner| inner.prefix = prefix)
    }

    /// Bounds every Redis operation (100 ms by default): a call never waits longer than this
    /// for Redis before going on without it.
    #[must_use]
    pub fn timeout(self, timeout: Duration) -> Redis {
        self.with(|inner| {
            inner.timeout = timeout;
            inner.conn.set_timeout(timeout);
        })
    }

    /// How often an instance that lost Redis tries it again (1 s by default); between tries,
    /// calls do not touch Redis at all.
    #[must_use]
    pub fn retry_every(self, every: Duration) -> Redis {
        self.with(|inner| inner.health = Health::new(every))
    }

    /// What rate-limited tools do while Redis is unavailable ([`RateLimitFallback::Local`] by
    /// default).
    #[must_use]
    pub fn rate_limit_fallback(self, fallback: RateLimitFallback) -> Redis {
        self.with(|inner| inner.rate_fallback = fallback)
    }

    /// The key prefix.
    pub fn key_prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// Whether the last operation reached Redis (true until the first one fails).
    pub fn is_available(&self) -> bool {
        !self.inner.health.is_down()
    }

    /// Asks Redis now (a `PING`, within the timeout; while Redis is away, only when a probe is
    /// due): for readiness checks.
    pub async fn ping(&self) -> bool {
        self.query::<String>(&redis::cmd("PING")).await.is_ok()
    }

    /// Runs one command, bounded by the timeout. `Err` when Redis is away (or was, and the next
    /// probe is not due yet), when the command timed out, or when it failed.
    pub(crate) async fn query<T: redis::FromRedisValue>(
        &self,
        cmd: &redis::Cmd,
    ) -> Result<T, Unavailable> {
        self.run(|mut conn| async move { cmd.query_async(&mut conn).await })
            .await
    }

    /// Runs a script (by its SHA, loading it when Redis does not know it), bounded by the
    /// timeout.
    pub(crate) async fn invoke<T: redis::FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, Unavailable> {
        self.run(|mut conn| async move { invocation.invoke_async(&mut conn).await })
            .await
    }

    /// Runs a pipeline, bounded by the timeout.
    pub(crate) async fn pipe<T: redis::FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> Result<T, Unavailable> {
        self.run(|mut conn| async move { pipe.query_async(&mut conn).await })
            .await
    }

    async fn run<'a, T, F, Fut>(&'a self, op: F) -> Result<T, Unavailable>
    where
        F: FnOnce(conn::Handle) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>> + 'a,
    {
        let inner = &*self.inner;
        if !inner.health.may_try() {
            return Err(Unavailable);
        }
        let outcome = tokio::time::timeout(inner.timeout, async {
            let handle = inner.conn.handle(inner.timeout).await?;
            op(handle).await
        })
        .await;
        match outcome {
            Ok(Ok(value)) => {
                if inner.health.succeeded() {
                    // What was broadcast meanwhile was missed: subscribers start over.
                    inner.subscribers.recovered();
                }
                if inner.subscribers.wants_subscription() {
                    let redis = self.clone();
                    tokio::spawn(async move { redis.ensure_subscribed().await });
                }
                Ok(value)
            }
            Ok(Err(err)) if !is_outage(&err) => {
                // Redis answered: it is there, the command was wrong (a bug of ours, or data
                // another program wrote under our prefix).
                tracing::warn!(target: "mcp_toolkit::redis", error = %err, "Redis command failed");
                Err(Unavailable)
            }
            Ok(Err(err)) => {
                self.outage(&err.to_string());
                Err(Unavailable)
            }
            Err(_elapsed) => {
                self.outage(&format!("no answer within {:?}", inner.timeout));
                Err(Unavailable)
            }
        }
    }

    /// Redis is away (or too slow): stop asking until the next probe, and connect anew then.
    fn outage(&self, why: &str) {
        self.inner.health.failed(why);
        self.inner.conn.reset();
    }
}

/// Errors that mean Redis is unreachable (rather than a command Redis refused).
fn is_outage(err: &RedisError) -> bool {
    err.is_io_error()
        || err.is_timeout()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || err.is_unrecoverable_error()
        || matches!(
            err.kind(),
            redis::ErrorKind::Server(redis::ServerErrorKind::BusyLoading)
                | redis::ErrorKind::Server(redis::ServerErrorKind::TryAgain)
                | redis::ErrorKind::Server(redis::ServerErrorKind::ClusterDown)
                | redis::ErrorKind::Server(redis::ServerErrorKind::MasterDown)
                | redis::ErrorKind::ClusterConnectionNotFound
        )
}
