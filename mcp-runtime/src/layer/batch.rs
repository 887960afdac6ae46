//! Request coalescing (the DataLoader pattern): concurrent calls that each want one key are
//! gathered for a short window (or until a batch is full) and served by ONE call of a function
//! over all their keys; each caller gets its own result.
//!
//! Results are matched to keys by the function's return type:
//! - `Vec<V>`: by position, so it must return exactly one value per key, in order (otherwise
//!   every caller of that batch gets an error saying so);
//! - `HashMap<K, V>`: by key; a key missing from the map gets a "no result" error;
//! - `Result<either, E: Display>`: an `Err` reaches every caller of the batch.
//!
//! Keys repeated within a batch are passed as they came (the function may see duplicates).
//!
//! Calls are only batched with calls that share their [`SharedState`] (that is, calls to the
//! same server; calls made without a server share the empty state), so the function always
//! sees its callers' state, even when several servers in one process (parallel tests, say)
//! serve the same tool.

use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::hash::{BuildHasher, Hash};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::tool::{SharedState, ToolCall};

/// One caller's result: its value, or the error message of its batch.
pub type BatchResult<V> = Result<V, Arc<str>>;

type RunBatch<K, V> = dyn Fn(Vec<K>, SharedState) -> Pin<Box<dyn Future<Output = Vec<BatchResult<V>>> + Send>>
    + Send
    + Sync;

/// What a batch function returns, and how its results are handed back key by key.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a `batch` tool over keys of type `{K}`",
    note = "return `Vec<V>` (one value per key, in order), `HashMap<K, V>`, or a `Result` of either with `E: Display`"
)]
pub trait BatchOutput<K> {
    /// The result for one key.
    type Value;

    /// One result per key of `keys`, in order.
    fn distribute(self, keys: &[K]) -> Vec<BatchResult<Self::Value>>;
}

impl<K, V> BatchOutput<K> for Vec<V> {
    type Value = V;

    fn distribute(self, keys: &[K]) -> Vec<BatchResult<V>> {
        if self.len() != keys.len() {
            let message: Arc<str> = format!(
                "the batch function returned {} results for {} keys",
                self.len(),
                keys.len()
            )
            .into();
            return keys.iter().map(|_| Err(message.clone())).collect();
        }
        self.into_iter().map(Ok).collect()
    }
}

impl<K: Eq + Hash, V: Clone, S: BuildHasher> BatchOutput<K> for HashMap<K, V, S> {
    type Value = V;

    fn distribute(self, keys: &[K]) -> Vec<BatchResult<V>> {
        keys.iter()
            .map(|key| {
                self.get(key)
                    .cloned()
                    .ok_or_else(|| Arc::from("no result for this key"))
            })
            .collect()
    }
}

impl<K, O: BatchOutput<K>, E: Display> BatchOutput<K> for Result<O, E> {
    type Value = O::Value;

    fn distribute(self, keys: &[K]) -> Vec<BatchResult<O::Value>> {
        match self {
            Ok(output) => output.distribute(keys),
            Err(err) => {
                let message: Arc<str> = err.to_string().into();
                keys.iter().map(|_| Err(message.clone())).collect()
            }
        }
    }
}

/// Coalesces single-key loads into batch calls.
///
/// ```
/// use std::time::Duration;
/// use mcp_runtime::layer::batch::Batcher;
/// use mcp_runtime::SharedState;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let squares = Batcher::new(100, Duration::from_millis(2), |keys: Vec<u64>, _state| async move {
///     keys.iter().map(|k| k * k).collect::<Vec<_>>()
/// });
/// let state = SharedState::default();
/// let (a, b) = tokio::join!(squares.load(3, &state), squares.load(4, &state));
/// assert_eq!((a.unwrap(), b.unwrap()), (9, 16));
/// assert_eq!(squares.invocations(), 1);
/// # }
/// ```
pub struct Batcher<K, V> {
    inner: Arc<Inner<K, V>>,
}

impl<K, V> Clone for Batcher<K, V> {
    fn clone(&self) -> Self {
        Batcher {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<K, V> {
    pending: Mutex<Batches<K, V>>,
    max_size: usize,
    window: Duration,
    run: Box<RunBatch<K, V>>,
    invocations: AtomicU64,
}

/// The batches being gathered, one per shared state.
struct Batches<K, V> {
    /// Keyed by [`SharedState::id`], which is never reused.
    by_state: HashMap<u64, Pending<K, V>>,
    /// Numbers each batch, so a window timer only flushes its own.
    next_generation: u64,
}

struct Pending<K, V> {
    keys: Vec<K>,
    /// Each caller's channel: its result, and the size of the batch that produced it.
    waiters: Vec<oneshot::Sender<(BatchResult<V>, usize)>>,
    /// The callers' shared state, handed to the function.
    state: SharedState,
    generation: u64,
}

impl<K: Clone + Send + 'static, V: Send + 'static> Batcher<K, V> {
    /// A batcher calling `f` with at most `max_size` keys, gathered for at most `window` after
    /// the first one arrives.
    pub fn new<F, Fut, O>(max_size: usize, window: Duration, f: F) -> Self
    where
        F: Fn(Vec<K>, SharedState) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = O> + Send + 'static,
        O: BatchOutput<K, Value = V>,
    {
        let run = move |keys: Vec<K>,
                        state: SharedState|
              -> Pin<Box<dyn Future<Output = Vec<BatchResult<V>>> + Send>> {
            let keys_for_results = keys.clone();
            let output = f(keys, state);
            Box::pin(async move { output.await.distribute(&keys_for_results) })
        };
        Batcher {
            inner: Arc::new(Inner {
                pending: Mutex::new(Batches {
                    by_state: HashMap::new(),
                    next_generation: 0,
                }),
                max_size: max_size.max(1),
                window,
                run: Box::new(run),
                invocations: AtomicU64::new(0),
            }),
        }
    }

    /// Loads one key: waits for its batch to run and returns this key's result.
    ///
    /// Must be called within a tokio runtime (batches run on spawned tasks, so a caller that
    /// gives up does not take its batch down with it).
    pub async fn load(&self, key: K, state: &SharedState) -> BatchResult<V> {
        self.load_sized(key, state).await.0
    }

    /// Loads one key for `call` (with the call's state), and notes the size of the batch it
    /// ran in for the request's span and metrics.
    pub async fn load_for(&self, key: K, call: &ToolCall) -> BatchResult<V> {
        let (result, size) = self.load_sized(key, call.state()).await;
        if size > 0 {
            call.context().observed().batch(size);
        }
        result
    }

    /// Loads one key: its result, and the size of its batch (0 when the batch failed).
    async fn load_sized(&self, key: K, state: &SharedState) -> (BatchResult<V>, usize) {
        let (sender, receiver) = oneshot::channel();
        let state_id = state.id();
        let (full, generation) = {
            let mut batches = self.inner.pending.lock().unwrap_or_else(|e| e.into_inner());
            let Batches {
                by_state,
                next_generation,
            } = &mut *batches;
            let pending = by_state.entry(state_id).or_insert_with(|| {
                let generation = *next_generation;
                *next_generation += 1;
                let batcher = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(batcher.inner.window).await;
                    batcher.flush(state_id, generation);
                });
                Pending {
                    keys: Vec::new(),
                    waiters: Vec::new(),
                    state: state.clone(),
                    generation,
                }
            });
            pending.keys.push(key);
            pending.waiters.push(sender);
            (
                pending.keys.len() >= self.inner.max_size,
                pending.generation,
            )
        };
        if full {
            // This batch only: on a multi-thread runtime another caller may have flushed it
            // already and started the next.
            self.flush(state_id, generation);
        }
        receiver
            .await
            .unwrap_or_else(|_| (Err(Arc::from("the batch function panicked")), 0))
    }

    /// How many times the batch function has been called.
    pub fn invocations(&self) -> u64 {
        self.inner.invocations.load(Ordering::Relaxed)
    }

    /// Runs the batch pending for a state if it is still batch `generation`.
    fn flush(&self, state_id: u64, generation: u64) {
        let Pending {
            keys,
            waiters,
            state,
            ..
        } = {
            let mut batches = self.inner.pending.lock().unwrap_or_else(|e| e.into_inner());
            match batches.by_state.get(&state_id) {
                Some(pending) if pending.generation == generation => {}
                _ => return,
            }
            batches.by_state.remove(&state_id).expect("just found")
        };
        self.inner.invocations.fetch_add(1, Ordering::Relaxed);
        let batch = (self.inner.run)(keys, state);
        let size = waiters.len();
        tokio::spawn(async move {
            for (waiter, result) in waiters.into_iter().zip(batch.await) {
                let _ = waiter.send((result, size));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::future::join_all;

    #[tokio::test]
    async fn concurrent_loads_share_one_call_and_get_their_own_values() {
        let batcher = Batcher::new(
            1000,
            Duration::from_millis(5),
            |keys: Vec<u32>, _| async move {
                keys.into_iter()
                    .map(|k| format!("user {k}"))
                    .collect::<Vec<_>>()
            },
        );
        let state = SharedState::default();
        let results = join_all((0..50).map(|k| batcher.load(k, &state))).await;
        assert_eq!(batcher.invocations(), 1);
        for (k, result) in results.into_iter().enumerate() {
            assert_eq!(result.unwrap(), format!("user {k}"));
        }
    }

    #[tokio::test]
    async fn calls_with_different_states_are_batched_apart() {
        let batcher = Batcher::new(
            1000,
            Duration::from_millis(5),
            |keys: Vec<u32>, state: SharedState| async move {
                let name = state.get::<&'static str>().copied().unwrap_or("none");
                keys.into_iter()
                    .map(|k| format!("{name} {k}"))
                    .collect::<Vec<_>>()
            },
        );
        let (mut a, mut b) = (SharedState::default(), SharedState::default());
        a.insert("a");
        b.insert("b");
        let results =
            join_all((0..20).map(|k| batcher.load(k, if k % 2 == 0 { &a } else { &b }))).await;
        assert_eq!(batcher.invocations(), 2);
        for (k, result) in results.into_iter().enumerate() {
            let name = if k % 2 == 0 { "a" } else { "b" };
            assert_eq!(result.unwrap(), format!("{name} {k}"));
        }

        // Empty states made separately (calls without a server) are one and the same.
        let empty: Vec<SharedState> = (0..10).map(|_| SharedState::default()).collect();
        join_all(
            empty
                .iter()
                .enumerate()
                .map(|(k, s)| batcher.load(k as u32, s)),
        )
        .await;
        assert_eq!(batcher.invocations(), 3);
    }

    #[tokio::test]
    async fn batches_are_capped_at_max_size() {
        let batcher = Batcher::new(
            16,
            Duration::from_secs(60),
            |keys: Vec<u32>, _| async move { keys },
        );
        let state = SharedState::default();
        let results = join_all((0..64).map(|k| batcher.load(k, &state))).await;
        assert_eq!(
            batcher.invocations(),
            4,
            "full batches flush without waiting for the window"
        );
        assert!(results
            .into_iter()
            .enumerate()
            .all(|(k, r)| r.unwrap() == k as u32));
    }

    #[tokio::test]
    async fn errors_reach_every_caller_and_maps_match_by_key() {
        let failing = Batcher::new(10, Duration::from_millis(1), |_: Vec<u8>, _| async {
            Err::<Vec<u8>, _>("db down")
        });
        let state = SharedState::default();
        let (a, b) = tokio::join!(failing.load(1, &state), failing.load(2, &state));
        assert_eq!(
            (a.unwrap_err().as_ref(), b.unwrap_err().as_ref()),
            ("db down", "db down")
        );

        let by_key = Batcher::new(
            10,
            Duration::from_millis(1),
            |keys: Vec<u8>, _| async move {
                keys.into_iter()
                    .filter(|k| k % 2 == 0)
                    .map(|k| (k, k * 10))
                    .collect::<HashMap<_, _>>()
            },
        );
        let (even, odd) = tokio::join!(by_key.load(2, &state), by_key.load(3, &state));
        assert_eq!(even.unwrap(), 20);
        assert_eq!(odd.unwrap_err().as_ref(), "no result for this key");

        let short = Batcher::new(10, Duration::from_millis(1), |_: Vec<u8>, _| async {
            vec![1_u8]
        });
        let (a, _) = tokio::join!(short.load(1, &state), short.load(2, &state));
        assert_eq!(
            a.unwrap_err().as_ref(),
            "the batch function returned 1 results for 2 keys"
        );
    }
}
