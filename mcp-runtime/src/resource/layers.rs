//! The performance layers for reads, as tools have them: a timeout (`Resource::timeout`,
//! `Prompt::timeout`) and a result cache (`Resource::cached`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use tower::ServiceExt;

use super::{ReadResourceResult, Resource, ResourceRead};
use crate::context::RequestContext;
use crate::layer::rate_limit::{Kind, RateLimitLayer};
use crate::layer::Human;
use crate::prompt::{Prompt, PromptGet};
use crate::protocol::jsonrpc::{ErrorObject, INTERNAL_ERROR};
use crate::tool::BoxError;

/// Runs `work` for at most `limit`; past it the work is dropped, the request's context
/// cancelled (so work it handed its token to stops too), and the request answered with an error.
pub(crate) async fn within<T>(
    limit: Duration,
    context: RequestContext,
    what: impl FnOnce() -> String,
    work: impl Future<Output = Result<T, BoxError>>,
) -> Result<T, BoxError> {
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result,
        Err(_) => {
            context.cancel();
            let message = format!("{} timed out after {}", what(), Human(limit));
            Err(Box::new(ErrorObject::new(INTERNAL_ERROR, message)))
        }
    }
}

/// What a cached resource's results take in memory at most, by default.
pub const DEFAULT_RESOURCE_CACHE_BYTES: u64 = 64 * 1024 * 1024;

impl Resource {
    /// Bounds every read to `duration`: a read still running then is dropped and answered with
    /// an error saying it timed out. (`#[resource("...", timeout = "5s")]`)
    pub fn timeout(self, duration: Duration) -> Self {
        self.layer(tower::layer::layer_fn(
            move |inner: super::ResourceService| {
                tower::service_fn(move |read: ResourceRead| {
                    let context = read.context().clone();
                    let uri = read.uri().to_owned();
                    let call = inner.clone().oneshot(read);
                    within(duration, context, move || format!("Reading {uri}"), call)
                })
            },
        ))
    }

    /// Caches successful reads for `ttl`, by URI, within
    /// [`DEFAULT_RESOURCE_CACHE_BYTES`] (results weighed by their JSON size). Servers never
    /// see each other's entries: the key includes the server's shared state.
    /// (`#[resource("...", cache_ttl = 60)]`)
    pub fn cached(self, ttl: Duration) -> Self {
        let cache: Cache<(u64, String), Arc<ReadResourceResult>> = Cache::builder()
            .time_to_live(ttl)
            .max_capacity(DEFAULT_RESOURCE_CACHE_BYTES)
            .weigher(
                |(_, uri): &(u64, String), result: &Arc<ReadResourceResult>| {
                    let bytes = serde_json::to_vec(&**result).map_or(0, |json| json.len());
                    u32::try_from(uri.len() + bytes + 64).unwrap_or(u32::MAX)
                },
            )
            .build();
        self.layer(tower::layer::layer_fn(
            move |inner: super::ResourceService| {
                let cache = cache.clone();
                tower::service_fn(move |read: ResourceRead| {
                    let (cache, inner) = (cache.clone(), inner.clone());
                    async move {
                        let key = (read.state().id(), read.uri().to_owned());
                        if let Some(hit) = cache.get(&key).await {
                            return Ok::<_, BoxError>((*hit).clone());
                        }
                        let result = inner.oneshot(read).await?;
                        cache.insert(key, Arc::new(result.clone())).await;
                        Ok(result)
                    }
                })
            },
        ))
    }
}

impl Resource {
    /// Lets at most `calls` reads start in any window of `period` (for every connection
    /// together, and on a server sharing a Redis, every instance: one budget per resource or
    /// template); more wait their turn in arrival order.
    /// (`#[resource("...", rate_limit = "10/s")]`)
    pub fn rate_limit(self, calls: u32, period: Duration) -> Self {
        let limiter = RateLimitLayer::new(calls, period).limiter();
        let name: Arc<str> = self.uri().into();
        self.layer(tower::layer::layer_fn(
            move |inner: super::ResourceService| {
                let (limiter, name) = (limiter.clone(), name.clone());
                tower::service_fn(move |read: ResourceRead| {
                    let (limiter, name, inner) = (limiter.clone(), name.clone(), inner.clone());
                    async move {
                        limiter.turn(read.state(), Kind::Resource, &name).await?;
                        inner.oneshot(read).await
                    }
                })
            },
        ))
    }

    /// Reads at most `limit` at once (for every connection together); more wait for a slot,
    /// bounded by the resource's timeout when it has one. (`#[resource("...", concurrency = 4)]`)
    pub fn concurrency_limit(self, limit: usize) -> Self {
        self.layer(tower::limit::ConcurrencyLimitLayer::new(limit.max(1)))
    }
}

impl Prompt {
    /// Lets at most `calls` gets start in any window of `period` (on a server sharing a
    /// Redis, across every instance); more wait their turn. (`#[prompt(rate_limit = "10/s")]`)
    pub fn rate_limit(self, calls: u32, period: Duration) -> Self {
        let limiter = RateLimitLayer::new(calls, period).limiter();
        self.layer(tower::layer::layer_fn(
            move |inner: crate::prompt::PromptService| {
                let limiter = limiter.clone();
                tower::service_fn(move |get: PromptGet| {
                    let (limiter, inner) = (limiter.clone(), inner.clone());
                    async move {
                        limiter.turn(get.state(), Kind::Prompt, get.name()).await?;
                        inner.oneshot(get).await
                    }
                })
            },
        ))
    }

    /// Renders at most `limit` at once; more wait for a slot. (`#[prompt(concurrency = 4)]`)
    pub fn concurrency_limit(self, limit: usize) -> Self {
        self.layer(tower::limit::ConcurrencyLimitLayer::new(limit.max(1)))
    }

    /// Bounds every `prompts/get` to `duration`: one still running then is dropped and
    /// answered with an error saying it timed out. (`#[prompt(timeout = "5s")]`)
    pub fn timeout(self, duration: Duration) -> Self {
        self.layer(tower::layer::layer_fn(
            move |inner: crate::prompt::PromptService| {
                tower::service_fn(move |get: PromptGet| {
                    let context = get.context().clone();
                    let name = get.name().to_owned();
                    let call = inner.clone().oneshot(get);
                    within(
                        duration,
                        context,
                        move || format!("Getting prompt `{name}`"),
                        call,
                    )
                })
            },
        ))
    }
}
