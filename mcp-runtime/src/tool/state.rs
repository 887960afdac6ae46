//! The values every call of a server shares.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Values shared by every call: connection pools, clients, configuration. Created once.
///
/// Tools reach them through [`State<T>`](crate::State) arguments; register them with
/// [`ServerBuilder::state`](crate::ServerBuilder::state).
#[derive(Clone)]
pub struct SharedState(Arc<StateMap>);

struct StateMap {
    /// Identifies this set of values; a changed copy gets a new one (never reused).
    id: u64,
    values: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    /// The result stores of the server's cached tools, by `ToolCache` id. Kept as `Any`, so
    /// that the state (which every layer reads) does not depend on the cache layer.
    caches: HashMap<u64, Arc<dyn Any + Send + Sync>>,
}

impl StateMap {
    fn new() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        StateMap {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            values: HashMap::new(),
            caches: HashMap::new(),
        }
    }
}

impl Clone for StateMap {
    /// A copy about to change: it is a different set of values.
    fn clone(&self) -> Self {
        StateMap {
            values: self.values.clone(),
            caches: self.caches.clone(),
            ..StateMap::new()
        }
    }
}

impl Default for SharedState {
    /// No values. Every empty set is the same one until a value is added, so calls made
    /// without a server (`Tool::call_json`, say) still share batches.
    fn default() -> Self {
        static EMPTY: OnceLock<Arc<StateMap>> = OnceLock::new();
        SharedState(EMPTY.get_or_init(|| Arc::new(StateMap::new())).clone())
    }
}

impl SharedState {
    /// Adds a value, replacing any earlier value of the same type.
    pub fn insert<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        Arc::make_mut(&mut self.0)
            .values
            .insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The value of type `T`, if one was added.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.0
            .values
            .get(&TypeId::of::<T>())
            .and_then(|value| value.downcast_ref())
    }

    /// Makes this set of values the server's own: a server built without state would
    /// otherwise share the one empty set (and its id, which caches key on) with every other.
    pub(crate) fn make_distinct(&mut self) {
        Arc::make_mut(&mut self.0);
    }

    /// Identifies this set of values: clones share it, separately built (or changed) sets
    /// never do, even after the first is gone.
    pub(crate) fn id(&self) -> u64 {
        self.0.id
    }

    pub(crate) fn contains(&self, type_id: TypeId) -> bool {
        self.0.values.contains_key(&type_id)
    }

    /// The store a cached tool keeps this server's results in.
    pub(crate) fn cache_store<S: Any + Send + Sync>(&self, cache: u64) -> Option<Arc<S>> {
        self.0.caches.get(&cache)?.clone().downcast().ok()
    }

    pub(crate) fn insert_cache_store<S: Any + Send + Sync>(&mut self, cache: u64, store: Arc<S>) {
        Arc::make_mut(&mut self.0).caches.insert(cache, store);
    }
}

impl std::fmt::Debug for SharedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedState")
            .field("values", &self.0.values.len())
            .finish()
    }
}
