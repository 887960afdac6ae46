//! Result caching: successful results are kept for a time to live, keyed by the call's
//! arguments in canonical form (key order and whitespace do not matter). A hit skips the
//! function and every layer below. Concurrent misses for one key run the function once.
//!
//! Results are kept per server (see [`ToolCache`]), within a byte budget: 256 MiB for all the
//! cached tools of a server by default ([`ServerBuilder::cache_max_bytes`]).
//!
//! A client can skip the cache for one call with `"_meta": {"mcp-toolkit/cache": "bypass"}`
//! (neither read nor write) or `"refresh"` (run, then store); code can invalidate through the
//! [`ToolCache`] handle.
//!
//! On a server built with `ServerBuilder::redis` (feature `redis`), Redis is a level 2 shared by every
//! instance: a level-1 miss reads it, a level-2 hit fills level 1, and a level-2 miss runs
//! the tool and stores the result there too, with Redis-side expiry (see the `shared` module:
//! keys, invalidation across instances, the optional cross-instance lock, and what happens
//! while Redis is away).
//!
//! [`ServerBuilder::cache_max_bytes`]: crate::ServerBuilder::cache_max_bytes

pub(crate) mod key;
#[cfg(feature = "redis")]
mod shared;
pub(crate) mod store;

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

pub(crate) use key::{canonical_key, push_key_part};
pub use store::{CacheStats, KeyParts, ToolCache, DEFAULT_STANDALONE_BYTES};

use crate::protocol::content::CallToolResult;
use crate::tool::call::ToolCall;
use crate::tool::service::{BoxError, ToolFuture};
use crate::tool::Tool;

/// The `_meta` key a client uses to steer the cache for one call.
pub const CACHE_META_KEY: &str = "mcp-toolkit/cache";

// Defined beside the request context that carries it, below the tools and the layers.
pub use crate::context::CacheControl;

impl ToolCache {
    /// The layer that serves calls from this cache.
    pub fn layer(&self) -> CacheLayer {
        CacheLayer {
            cache: self.clone(),
        }
    }
}

/// The layer of a [`ToolCache`].
#[derive(Clone, Debug)]
pub struct CacheLayer {
    cache: ToolCache,
}

impl<S> Layer<S> for CacheLayer {
    type Service = Cache<S>;

    fn layer(&self, inner: S) -> Cache<S> {
        Cache {
            inner: Arc::new(inner),
            cache: self.cache.clone(),
        }
    }
}

/// The service of [`CacheLayer`].
#[derive(Clone, Debug)]
pub struct Cache<S> {
    /// Shared so a hit costs no clone of the inner service; misses clone it.
    inner: Arc<S>,
    cache: ToolCache,
}

/// Why a call's result did not go into the cache.
pub(super) enum NotStored {
    /// The tool answered with `isError`: returned, never cached.
    Failed(CallToolResult),
    /// The service itself failed.
    Error(BoxError),
}

impl<S> Service<ToolCall> for Cache<S>
where
    S: Service<ToolCall, Response = CallToolResult> + Clone + Send + Sync + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
{
    type Response = CallToolResult;
    type Error = BoxError;
    type Future = ToolFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Hits never reach the inner service; misses wait for its readiness in their future.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: ToolCall) -> Self::Future {
        let inner = self.inner.clone();
        let cache = self.cache.clone();
        Box::pin(async move {
            let control = call.context().cache_control();
            let key = match control {
                CacheControl::Bypass => None,
                _ => cache_key(&cache, &call),
            };
            let Some(key) = key else {
                // Bypassed, or not arguments we can key (the tool reports the problem): the
                // call runs as if there were no cache.
                return S::clone(&inner).oneshot(call).await.map_err(Into::into);
            };
            let store = cache.store_for(call.state());
            let counters = &cache.inner;
            // For the request's span and metrics, which see the answer, not this layer.
            let context = call.context().clone();
            if control == CacheControl::Refresh {
                let result = S::clone(&inner).oneshot(call).await.map_err(Into::into)?;
                if !result.is_error() {
                    counters.misses.fetch_add(1, Ordering::Relaxed);
                    context.observed().cache(false);
                    let entry = cache.entry(result.clone());
                    #[cfg(feature = "redis")]
                    if let Some(shared) = &store.shared {
                        shared.refresh(&key, &entry).await;
                    }
                    store.local.insert(key, entry).await;
                }
                return Ok(result);
            }
            if let Some(entry) = store.local.get(&key).await {
                if entry.expires > Instant::now() {
                    counters.hits.fetch_add(1, Ordering::Relaxed);
                    context.observed().cache(true);
                    return Ok((*entry.result).clone());
                }
                store.local.invalidate(&key).await;
            }
            // Stays `JOINED` when another call of this instance filled the entry meanwhile.
            let outcome = AtomicU8::new(JOINED);
            let run = async {
                outcome.store(RAN, Ordering::Relaxed);
                match S::clone(&inner).oneshot(call).await {
                    Ok(result) if result.is_error() => Err(NotStored::Failed(result)),
                    Ok(result) => Ok(cache.entry(result)),
                    Err(err) => Err(NotStored::Error(err.into())),
                }
            };
            // Inside the single flight: one level-2 read per key and instance.
            #[cfg(feature = "redis")]
            let run = async {
                match &store.shared {
                    Some(shared) => shared.fill(&store.local, &key, &outcome, run).await,
                    None => run.await,
                }
            };
            let filled = store.local.try_get_with(key.clone(), run).await;
            let ran = outcome.load(Ordering::Relaxed) == RAN;
            context.observed().cache(!ran);
            let counter = match outcome.load(Ordering::Relaxed) {
                RAN => &counters.misses,
                LEVEL_2 => {
                    counters.l2_hits.fetch_add(1, Ordering::Relaxed);
                    &counters.hits
                }
                _ => &counters.hits,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            match filled {
                Ok(entry) => Ok((*entry.result).clone()),
                Err(not_stored) => match &*not_stored {
                    NotStored::Failed(result) => Ok(result.clone()),
                    NotStored::Error(err) => Err(err.to_string().into()),
                },
            }
        })
    }
}

/// How a call that missed level 1 was answered: by a call of this instance that filled the
/// entry meanwhile, from level 2, or by running the tool.
const JOINED: u8 = 0;
const LEVEL_2: u8 = 1;
const RAN: u8 = 2;

/// The call's key: its canonical arguments, then what keyed extractors add.
fn cache_key(cache: &ToolCache, call: &ToolCall) -> Option<Arc<str>> {
    let mut key = canonical_key(call.arguments())?;
    if let Some(parts) = cache.inner.settings.key_parts {
        if !parts(call, &mut key) {
            return None;
        }
    }
    Some(key.into())
}

impl Tool {
    /// Caches successful results for `ttl`, keeping at most `capacity` argument sets per
    /// server, within the server's byte budget.
    /// (`#[tool(cache_ttl = 300, cache_capacity = 10_000)]`)
    pub fn cached(self, ttl: Duration, capacity: u64) -> Self {
        self.with_cache(ToolCache::new(ttl, capacity))
    }

    /// Caches successful results in `cache` (configured with a byte budget or keyed
    /// extractors, say). Each server the tool is registered with keeps its own results.
    pub fn with_cache(self, cache: ToolCache) -> Self {
        let mut tool = self.layer(cache.layer());
        tool.cache = Some(cache);
        tool
    }

    /// The tool's result cache, when it has one: invalidate entries, read hit counts.
    pub fn cache(&self) -> Option<&ToolCache> {
        self.cache.as_ref()
    }
}
