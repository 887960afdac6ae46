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
//! [`ServerBuilder::cache_max_bytes`]: crate::ServerBuilder::cache_max_bytes

pub(crate) mod key;
mod store;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

pub(crate) use key::{canonical_key, push_key_part};
pub(crate) use store::Store;
pub use store::{KeyParts, ToolCache, DEFAULT_STANDALONE_BYTES};

use crate::protocol::content::CallToolResult;
use crate::tool::{BoxError, ToolCall, ToolFuture};

/// The `_meta` key a client uses to steer the cache for one call.
pub const CACHE_META_KEY: &str = "mcp-toolkit/cache";

/// How one call uses the cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CacheControl {
    /// Serve a fresh cached result when there is one; store a new successful result.
    #[default]
    Default,
    /// Neither read nor write the cache.
    Bypass,
    /// Run the tool and store its successful result, replacing any cached one.
    Refresh,
}

impl CacheControl {
    /// Parses the value of [`CACHE_META_KEY`].
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "default" => Some(CacheControl::Default),
            "bypass" => Some(CacheControl::Bypass),
            "refresh" => Some(CacheControl::Refresh),
            _ => None,
        }
    }
}

/// Hit and miss counts of a cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Calls answered from the cache.
    pub hits: u64,
    /// Calls that ran the tool to fill the cache (one per single-flight group).
    pub misses: u64,
}

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
enum NotStored {
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
            if control == CacheControl::Refresh {
                let result = S::clone(&inner).oneshot(call).await.map_err(Into::into)?;
                if !result.is_error() {
                    counters.misses.fetch_add(1, Ordering::Relaxed);
                    store.insert(key, cache.entry(result.clone())).await;
                }
                return Ok(result);
            }
            if let Some(entry) = store.get(&key).await {
                if entry.expires > Instant::now() {
                    counters.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok((*entry.result).clone());
                }
                store.invalidate(&key).await;
            }
            let ran = AtomicBool::new(false);
            let filled = store
                .try_get_with(key, async {
                    ran.store(true, Ordering::Relaxed);
                    match S::clone(&inner).oneshot(call).await {
                        Ok(result) if result.is_error() => Err(NotStored::Failed(result)),
                        Ok(result) => Ok(cache.entry(result)),
                        Err(err) => Err(NotStored::Error(err.into())),
                    }
                })
                .await;
            let counter = if ran.load(Ordering::Relaxed) {
                &counters.misses
            } else {
                &counters.hits
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

/// The call's key: its canonical arguments, then what keyed extractors add.
fn cache_key(cache: &ToolCache, call: &ToolCall) -> Option<Arc<str>> {
    let mut key = canonical_key(call.arguments())?;
    if let Some(parts) = cache.inner.key_parts {
        if !parts(call, &mut key) {
            return None;
        }
    }
    Some(key.into())
}
