//! Where cached results live: one store per tool per server, each within a byte budget.
//!
//! A [`ToolCache`] is the tool's cache as its code sees it (settings, counters, invalidation).
//! Its entries live in stores: each server the tool is registered with makes one when it is
//! built and keeps it with the server's shared state, so servers in one process (tenants with
//! their own databases, parallel tests) never see each other's results; calls made outside
//! any server use a store of the cache's own.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::key::canonical_key;
use crate::protocol::content::CallToolResult;
use crate::tool::call::ToolCall;
use crate::tool::state::SharedState;

/// Hit and miss counts of a cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Calls answered from the cache, either level.
    pub hits: u64,
    /// Of the hits, those answered from level 2 (Redis, shared by the instances of a server
    /// built with `ServerBuilder::redis`): another instance, or this one
    /// before its level 1 dropped the entry, ran the tool.
    pub l2_hits: u64,
    /// Calls that ran the tool to fill the cache (one per single-flight group).
    pub misses: u64,
}

/// The byte budget of a cache used outside any server, unless the cache sets its own.
pub const DEFAULT_STANDALONE_BYTES: u64 = 64 * 1024 * 1024;

/// What an entry costs beyond its key and result: moka's bookkeeping and ours, roughly.
const ENTRY_OVERHEAD: u64 = 160;

pub(crate) type Store = moka::future::Cache<Arc<str>, Entry, foldhash::fast::RandomState>;

/// One server's results of one cached tool: its level 1 (in this process) and, on a server
/// with Redis, its binding to level 2.
pub(crate) struct ServerStore {
    pub local: Store,
    #[cfg(feature = "redis")]
    pub shared: Option<super::shared::Level2>,
}

impl ServerStore {
    fn local_only(local: Store) -> ServerStore {
        ServerStore {
            local,
            #[cfg(feature = "redis")]
            shared: None,
        }
    }
}

#[derive(Clone)]
pub(crate) struct Entry {
    pub result: Arc<CallToolResult>,
    /// Checked on every read against tokio's clock, so paused time in tests expires entries.
    pub expires: Instant,
    /// The result's size as JSON, what it weighs against the budget.
    pub bytes: u64,
}

/// Adds what an extractor's value contributes to a call's cache key; `false` when the value
/// cannot be taken from this call (then the call is not cached at all).
pub type KeyParts = fn(&ToolCall, &mut String) -> bool;

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
/// let cached = tool.with_cache(cache.clone());
/// // Later, when the data changed (in every server the tool serves, and in every instance
/// // sharing its Redis):
/// # let _ = async {
/// cache.invalidate_all().await;
/// # };
/// ```
#[derive(Clone)]
pub struct ToolCache {
    pub(super) inner: Arc<CacheInner>,
}

pub(super) struct CacheInner {
    id: u64,
    pub(super) settings: Settings,
    pub(super) hits: AtomicU64,
    pub(super) l2_hits: AtomicU64,
    pub(super) misses: AtomicU64,
    /// For calls made outside any server.
    standalone: OnceLock<Arc<ServerStore>>,
    /// The stores of the servers this cache serves in.
    servers: Mutex<Vec<Weak<ServerStore>>>,
}

/// What a cache is configured with.
#[derive(Clone)]
pub(super) struct Settings {
    pub ttl: Duration,
    capacity: u64,
    max_bytes: Option<u64>,
    pub key_parts: Option<KeyParts>,
    /// The lease of the cross-instance lock, when misses take one.
    pub lock: Option<Duration>,
    /// Level 1 only, even on a server with Redis.
    pub instance_local: bool,
}

impl std::fmt::Debug for ToolCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolCache")
            .field("ttl", &self.inner.settings.ttl)
            .field("capacity", &self.inner.settings.capacity)
            .field("max_bytes", &self.inner.settings.max_bytes)
            .field("lock", &self.inner.settings.lock)
            .field("instance_local", &self.inner.settings.instance_local)
            .field("stats", &self.stats())
            .finish()
    }
}

impl ToolCache {
    /// A cache keeping results for `ttl`, at most `capacity` of them per server. Its byte
    /// budget is its server's share ([`ServerBuilder::cache_max_bytes`]) unless set with
    /// [`ToolCache::with_max_bytes`].
    ///
    /// [`ServerBuilder::cache_max_bytes`]: crate::ServerBuilder::cache_max_bytes
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        Self::from_settings(Settings {
            ttl,
            capacity: capacity.max(1),
            max_bytes: None,
            key_parts: None,
            lock: None,
            instance_local: false,
        })
    }

    fn from_settings(settings: Settings) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        ToolCache {
            inner: Arc::new(CacheInner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                settings,
                hits: AtomicU64::new(0),
                l2_hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                standalone: OnceLock::new(),
                servers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A new, empty cache with changed settings.
    fn reconfigured(&self, change: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = self.inner.settings.clone();
        change(&mut settings);
        Self::from_settings(settings)
    }

    /// The same settings with a byte budget of its own (per server): results, keys and
    /// bookkeeping together stay within `bytes`. (`#[tool(cache_max_bytes = ...)]`)
    ///
    /// Configure before use: this makes a new, empty cache.
    #[must_use]
    pub fn with_max_bytes(self, bytes: u64) -> Self {
        self.reconfigured(|s| s.max_bytes = Some(bytes))
    }

    /// The same settings, with calls also keyed by what `parts` adds: the values of extracted
    /// arguments (a tenant, a user) that change a tool's results. What `#[tool]` uses for
    /// `#[extract]`ed arguments, which must implement [`CacheKey`](crate::CacheKey).
    ///
    /// Configure before use: this makes a new, empty cache.
    #[must_use]
    pub fn keyed_by(self, parts: KeyParts) -> Self {
        self.reconfigured(|s| s.key_parts = Some(parts))
    }

    /// On a server with Redis, concurrent misses for one key across instances run the tool
    /// once: the first takes a lock in Redis for at most `lease`, runs the tool and stores the
    /// result; the others wait for that result (polling Redis with a short backoff). If the
    /// holder fails, or dies, or the lease ends first, the waiters run the tool themselves, so
    /// a miss waits at most `lease` longer than without the lock. Choose a lease a little
    /// longer than the tool usually takes. Without Redis (or with it away) this changes
    /// nothing. (`#[tool(cache_ttl = 300, cache_lock = "5s")]`)
    ///
    /// Configure before use: this makes a new, empty cache.
    #[must_use]
    pub fn shared_lock(self, lease: Duration) -> Self {
        self.reconfigured(|s| s.lock = Some(lease).filter(|lease| !lease.is_zero()))
    }

    /// Keeps this cache per instance even on a server with Redis: no level 2, no
    /// cross-instance invalidation. For results that only make sense in this process, or too
    /// small to be worth a round trip. (`#[tool(instance_local)]`)
    ///
    /// Configure before use: this makes a new, empty cache.
    #[must_use]
    pub fn instance_local(self) -> Self {
        self.reconfigured(|s| s.instance_local = true)
    }

    /// The byte budget set with [`ToolCache::with_max_bytes`], if any.
    pub fn max_bytes(&self) -> Option<u64> {
        self.inner.settings.max_bytes
    }

    /// Hit and miss counts so far, over every server.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.inner.hits.load(Ordering::Relaxed),
            l2_hits: self.inner.l2_hits.load(Ordering::Relaxed),
            misses: self.inner.misses.load(Ordering::Relaxed),
        }
    }

    /// Drops every entry, in every server. On a server with Redis, also in every instance:
    /// level 2 moves to a new generation (old entries are never read again and expire), and the
    /// other instances are told to clear their level 1. When this returns, no instance's
    /// level-2 read finds an old entry; their level 1 clears a moment later (as fast as Redis
    /// pub/sub delivers). While Redis is away, only this instance's entries go.
    pub async fn invalidate_all(&self) {
        for store in self.stores() {
            #[cfg(feature = "redis")]
            if let Some(shared) = &store.shared {
                shared.invalidate_all(&store.local).await;
                continue;
            }
            store.local.invalidate_all();
        }
    }

    /// Drops the entries for these arguments, in every server (for every value of the keyed
    /// extractors, when there are some). On a server with Redis, also in level 2 (for every
    /// extractor value too: they share one Redis hash) and in the other instances' level 1.
    pub async fn invalidate(&self, arguments: &Value) {
        let raw = serde_json::value::to_raw_value(arguments).ok();
        let Some(key) = canonical_key(raw.as_deref()) else {
            return;
        };
        let keyed = self.inner.settings.key_parts.is_some();
        for store in self.stores() {
            drop_arguments(&store.local, &key, keyed).await;
            #[cfg(feature = "redis")]
            if let Some(shared) = &store.shared {
                shared.invalidate(&key).await;
            }
        }
    }

    /// Every store with entries of this cache.
    fn stores(&self) -> Vec<Arc<ServerStore>> {
        let mut servers = self.inner.servers.lock().unwrap_or_else(|e| e.into_inner());
        servers.retain(|store| store.strong_count() > 0);
        let mut stores: Vec<Arc<ServerStore>> = servers.iter().filter_map(Weak::upgrade).collect();
        stores.extend(self.inner.standalone.get().cloned());
        stores
    }

    pub(crate) fn id(&self) -> u64 {
        self.inner.id
    }

    /// A store for one server, holding at most `budget` bytes (or the cache's own budget) in
    /// level 1; bound to the server's Redis as level 2 when it has one (and the cache is not
    /// instance-local). `def` is the tool's definition: its schemas key level 2.
    #[cfg_attr(not(feature = "redis"), allow(unused_variables))]
    pub(crate) fn new_store(
        &self,
        budget: u64,
        def: &crate::ToolDef,
        state: &SharedState,
    ) -> Arc<ServerStore> {
        let local = self.build_store(self.inner.settings.max_bytes.unwrap_or(budget));
        #[cfg(feature = "redis")]
        let store = match state.shared() {
            Some(shared) if !self.inner.settings.instance_local => {
                super::shared::Level2::bind(local, shared, def, &self.inner.settings)
            }
            _ => Arc::new(ServerStore::local_only(local)),
        };
        #[cfg(not(feature = "redis"))]
        let store = Arc::new(ServerStore::local_only(local));
        let mut servers = self.inner.servers.lock().unwrap_or_else(|e| e.into_inner());
        servers.retain(|store| store.strong_count() > 0);
        servers.push(Arc::downgrade(&store));
        store
    }

    /// The store that serves calls with this shared state.
    pub(super) fn store_for(&self, state: &SharedState) -> Arc<ServerStore> {
        match state.cache_store::<ServerStore>(self.inner.id) {
            Some(store) => store,
            None => self
                .inner
                .standalone
                .get_or_init(|| {
                    let budget = self
                        .inner
                        .settings
                        .max_bytes
                        .unwrap_or(DEFAULT_STANDALONE_BYTES);
                    Arc::new(ServerStore::local_only(self.build_store(budget)))
                })
                .clone(),
        }
    }

    fn build_store(&self, budget: u64) -> Store {
        // Every entry weighs at least its share of the budget under the entry count, so both
        // bounds hold: at most `capacity` entries, at most `budget` bytes.
        let settings = &self.inner.settings;
        let least = (budget / settings.capacity).max(1);
        let builder = moka::future::Cache::builder()
            .max_capacity(budget)
            .weigher(move |key: &Arc<str>, entry: &Entry| {
                let bytes = key.len() as u64 + entry.bytes + ENTRY_OVERHEAD;
                u32::try_from(bytes.max(least)).unwrap_or(u32::MAX)
            })
            // A backstop so expired entries also leave memory; reads check `Entry::expires`.
            .time_to_live(settings.ttl);
        let builder = if settings.key_parts.is_some() {
            // `invalidate(args)` then drops the entries of every extractor value.
            builder.support_invalidation_closures()
        } else {
            builder
        };
        // moka hashes a key several times per miss, and rehashes its table as entries churn:
        // SipHash took a third of a miss's time. foldhash is seeded at random too.
        builder.build_with_hasher(foldhash::fast::RandomState::default())
    }

    pub(super) fn entry(&self, result: CallToolResult) -> Entry {
        Entry {
            bytes: json_size(&result),
            result: Arc::new(result),
            expires: Instant::now() + self.inner.settings.ttl,
        }
    }
}

/// Drops the level-1 entries for these canonical arguments: for a keyed cache, those of every
/// extractor value (keys that continue with a NUL and the parts).
pub(super) async fn drop_arguments(local: &Store, key: &str, keyed: bool) {
    if !keyed {
        local.invalidate(key).await;
        return;
    }
    let prefix: Arc<str> = format!("{key}\0").into();
    let exact: Arc<str> = key.into();
    let _ = local.invalidate_entries_if(move |entry_key, _| {
        entry_key.starts_with(&*prefix) || *entry_key == exact
    });
}

/// How many bytes `result` takes as JSON, counted without writing it anywhere.
fn json_size(result: &CallToolResult) -> u64 {
    struct Count(u64);
    impl io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0 += bytes.len() as u64;
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, result);
    count.0
}
