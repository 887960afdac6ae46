//! Result caching: successful results are kept for a time to live, keyed by the call's
//! arguments in canonical form (key order and whitespace do not matter). A hit skips the
//! function and every layer below. Concurrent misses for one key run the function once.
//!
//! A client can skip the cache for one call with `"_meta": {"mcp-toolkit/cache": "bypass"}`
//! (neither read nor write) or `"refresh"` (run, then store); code can invalidate through the
//! [`ToolCache`] handle.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use serde_json::value::RawValue;
use serde_json::Value;
use tokio::time::Instant;
use tower::{Layer, Service, ServiceExt};

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

/// A tool's cache: its layer, and a handle to invalidate entries and read counters.
///
/// ```
/// use std::time::Duration;
/// use mcp_runtime::layer::cache::ToolCache;
///
/// let cache = ToolCache::new(Duration::from_secs(300), 10_000);
/// # let tool = mcp_runtime::Tool::from_fn(mcp_runtime::ToolDef::new("t", Default::default()), |_: mcp_runtime::ToolCall| async {
/// #     Ok::<_, std::convert::Infallible>(mcp_runtime::CallToolResult::text("ok"))
/// # });
/// let cached = tool.layer(cache.layer());
/// // Later, when the data changed:
/// cache.invalidate_all();
/// ```
#[derive(Clone)]
pub struct ToolCache {
    inner: Arc<CacheInner>,
}

struct CacheInner {
    entries: moka::future::Cache<Arc<str>, Entry, foldhash::fast::RandomState>,
    ttl: Duration,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Clone)]
struct Entry {
    result: Arc<CallToolResult>,
    /// Checked on every read against tokio's clock, so paused time in tests expires entries.
    expires: Instant,
}

impl std::fmt::Debug for ToolCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolCache")
            .field("ttl", &self.inner.ttl)
            .field("stats", &self.stats())
            .finish()
    }
}

impl ToolCache {
    /// A cache keeping results for `ttl`, holding at most `capacity` entries.
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        let entries = moka::future::Cache::builder()
            .max_capacity(capacity)
            // A backstop so expired entries also leave memory; reads check `Entry::expires`.
            .time_to_live(ttl)
            // moka hashes a key several times per miss, and rehashes its table as entries
            // churn: SipHash took a third of a miss's time. foldhash is seeded at random too.
            .build_with_hasher(foldhash::fast::RandomState::default());
        ToolCache {
            inner: Arc::new(CacheInner {
                entries,
                ttl,
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
            }),
        }
    }

    /// The layer that serves calls from this cache.
    pub fn layer(&self) -> CacheLayer {
        CacheLayer {
            cache: self.clone(),
        }
    }

    /// Hit and miss counts so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.inner.hits.load(Ordering::Relaxed),
            misses: self.inner.misses.load(Ordering::Relaxed),
        }
    }

    /// Drops every entry.
    pub fn invalidate_all(&self) {
        self.inner.entries.invalidate_all();
    }

    /// Drops the entry for these arguments.
    pub async fn invalidate(&self, arguments: &Value) {
        let raw = serde_json::value::to_raw_value(arguments).ok();
        if let Some(key) = canonical_key(raw.as_deref()) {
            self.inner.entries.invalidate(&key).await;
        }
    }

    async fn fresh(&self, key: &Arc<str>) -> Option<Arc<CallToolResult>> {
        let entry = self.inner.entries.get(key).await?;
        if entry.expires > Instant::now() {
            return Some(entry.result);
        }
        self.inner.entries.invalidate(key).await;
        None
    }

    fn entry(&self, result: CallToolResult) -> Entry {
        Entry {
            result: Arc::new(result),
            expires: Instant::now() + self.inner.ttl,
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
            if control == CacheControl::Bypass {
                return S::clone(&inner).oneshot(call).await.map_err(Into::into);
            }
            let Some(key) = canonical_key(call.arguments()) else {
                // Not arguments we can key: let the tool report the problem; never cache it.
                return S::clone(&inner).oneshot(call).await.map_err(Into::into);
            };
            if control == CacheControl::Refresh {
                let result = S::clone(&inner).oneshot(call).await.map_err(Into::into)?;
                if !result.is_error() {
                    cache.inner.misses.fetch_add(1, Ordering::Relaxed);
                    cache
                        .inner
                        .entries
                        .insert(key, cache.entry(result.clone()))
                        .await;
                }
                return Ok(result);
            }
            if let Some(result) = cache.fresh(&key).await {
                cache.inner.hits.fetch_add(1, Ordering::Relaxed);
                return Ok((*result).clone());
            }
            let ran = AtomicBool::new(false);
            let filled = cache
                .inner
                .entries
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
                &cache.inner.misses
            } else {
                &cache.inner.hits
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

/// The arguments as compact JSON with object keys sorted at every level; absent and `null`
/// arguments key like `{}`. Scalars keep their exact text (so `1` and `1.0` are different keys:
/// a needless miss at worst, never a wrong hit). `None` when the arguments are not JSON.
pub(crate) fn canonical_key(arguments: Option<&RawValue>) -> Option<Arc<str>> {
    let mut key = String::with_capacity(64);
    match arguments.map(RawValue::get) {
        None | Some("null") => key.push_str("{}"),
        Some(raw) => write_canonical(&mut key, raw).ok()?,
    }
    Some(key.into())
}

fn write_canonical(out: &mut String, raw: &str) -> serde_json::Result<()> {
    match raw.as_bytes().first() {
        Some(b'{') => {
            let map: BTreeMap<Cow<'_, str>, &RawValue> = serde_json::from_str(raw)?;
            out.push('{');
            for (i, (name, value)) in map.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{}:", Value::String(name.into_owned()));
                write_canonical(out, value.get())?;
            }
            out.push('}');
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(raw)?;
            out.push('[');
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item.get())?;
            }
            out.push(']');
        }
        _ => out.push_str(raw.trim()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(raw: &str) -> Option<Arc<str>> {
        canonical_key(Some(&RawValue::from_string(raw.to_owned()).unwrap()))
    }

    #[test]
    fn keys_ignore_order_and_whitespace() {
        let a = key(r#"{"b": 1, "a": {"y": [1, {"q": 2, "p": 1}], "x": null}}"#);
        let b = key(r#"{"a":{"x":null,"y":[ 1 ,{"p":1,"q":2}]},"b":1}"#);
        assert_eq!(a, b);
        assert_eq!(
            a.as_deref(),
            Some(r#"{"a":{"x":null,"y":[1,{"p":1,"q":2}]},"b":1}"#)
        );
        assert_ne!(key(r#"{"a":1}"#), key(r#"{"a":"1"}"#));
        assert_eq!(canonical_key(None), key("{}"));
        assert_eq!(key("null"), key("{}"));
        let from_value = serde_json::value::to_raw_value(&json!({"b": [true], "a": "x"})).unwrap();
        assert_eq!(
            canonical_key(Some(&from_value)),
            key(r#"{ "a": "x", "b": [ true ] }"#)
        );
    }
}
