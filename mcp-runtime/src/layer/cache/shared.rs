//! Level 2: one server's results of one cached tool, in the Redis its instances share.
//!
//! **Keys.** Every key of a tool starts with `{prefix}:cache:{server:tool}` (the part in braces
//! is the Redis Cluster hash tag: a tool's keys share one slot, so one round trip reads the
//! tool's generation and an entry together, and the lock scripts touch an entry and its lock
//! together; different tools spread over the cluster):
//! - `…:gen`: the tool's generation, bumped by `invalidate_all` (`INCR`);
//! - `…:{def}:{generation}:{arguments}`: a hash holding the results for one set of arguments,
//!   one field per value of the keyed extractors (`-` without any). `def` is a short hash of
//!   the tool's input and output schemas (a changed tool never reads old entries), `arguments`
//!   the SHA-256 of the canonical arguments, a field the SHA-256 of the extractors' parts.
//!   `invalidate(args)` deletes the one hash: every tenant's entry for those arguments, as in
//!   level 1, without scanning anything;
//! - `…:{def}:{generation}:{arguments}:{field}:lock`: the cross-instance lock of one entry.
//!
//! **Values** are `{expiry, Unix ms} {CallToolResult as JSON}`. The hash expires (`PEXPIRE`)
//! a time to live after its last write; a read past an entry's own expiry is a miss, so an
//! entry of one tenant never outlives its time to live because another tenant wrote later.
//!
//! **Generations.** Each read also reads the generation (one pipelined round trip): an
//! instance that sees a newer one than it used clears its level 1 and reads again, so once
//! `invalidate_all` returns no instance reads an old entry from level 2, even before the
//! broadcast that clears level 1 reaches it.
//!
//! **Failure.** Every operation is bounded by the Redis timeout, and while Redis is away none
//! is tried ([`Redis`]): a call then behaves as on a server without Redis.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, LazyLock, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::Script;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::store::{drop_arguments, Entry, ServerStore, Settings, Store};
use super::{NotStored, LEVEL_2, RAN};
use crate::protocol::content::CallToolResult;
use crate::store::redis::{Redis, Subscriber, Unavailable};
use crate::store::Shared;
use crate::ToolDef;

/// Writes an entry and, when the writer holds the entry's lock, releases it: one round trip,
/// and waiters never see the lock gone before the value is there.
static WRITE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if KEYS[2] and redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
return 1",
    )
});

/// Releases a lock if it is still ours (its lease may have ended and another taken it).
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0",
    )
});

/// A waiter's first pause before asking again whether the holder's result is there; it
/// doubles up to `MAX_POLL`.
const FIRST_POLL: Duration = Duration::from_millis(2);
const MAX_POLL: Duration = Duration::from_millis(50);

/// A server's binding of one cached tool to its Redis.
pub(crate) struct Level2 {
    redis: Redis,
    /// `{prefix}:cache:{server:tool}`.
    base: String,
    /// The short hash of the tool's schemas.
    def: String,
    /// `{base}:gen`.
    generation_key: String,
    /// The generation this instance reads and writes, plus one (0: not known yet).
    generation: AtomicU64,
    /// What starts this tool's broadcasts: `cache\0{server}\0{tool}\0`.
    topic: Vec<u8>,
    ttl: Duration,
    lock: Option<Duration>,
    keyed: bool,
}

/// Where one call's entry lives, in the generation it was read in.
struct Place {
    generation: u64,
    hash: String,
    field: String,
}

impl Level2 {
    /// Level 1 `local` with level 2 in `shared`'s Redis, listening to the other instances.
    pub(super) fn bind(
        local: Store,
        shared: &Shared,
        def: &ToolDef,
        settings: &Settings,
    ) -> Arc<ServerStore> {
        let redis = shared.redis.clone();
        // Braces in a server's name would end the hash tag early.
        let tag: String = format!("{}:{}", shared.server, def.name)
            .chars()
            .map(|c| if matches!(c, '{' | '}') { '_' } else { c })
            .collect();
        let base = format!("{}:cache:{{{tag}}}", redis.inner.prefix);
        let mut schemas = Sha256::new();
        schemas.update(serde_json::to_vec(&def.input_schema).unwrap_or_default());
        schemas.update(b"\0");
        if let Some(output) = &def.output_schema {
            schemas.update(serde_json::to_vec(output).unwrap_or_default());
        }
        let level2 = Level2 {
            def: hex(&schemas.finalize()[..8]),
            generation_key: format!("{base}:gen"),
            base,
            generation: AtomicU64::new(0),
            topic: format!("cache\0{}\0{}\0", shared.server, def.name).into_bytes(),
            ttl: settings.ttl,
            lock: settings.lock,
            keyed: settings.key_parts.is_some(),
            redis: redis.clone(),
        };
        let store = Arc::new(ServerStore {
            local,
            shared: Some(level2),
        });
        let listener: Weak<dyn Subscriber> = Arc::downgrade(&store) as Weak<ServerStore>;
        redis.subscribe(listener);
        store
    }

    /// Fills a level-1 miss (inside its single flight): from level 2 when it has the entry,
    /// else by `run`, whose result goes to level 2 too.
    pub(super) async fn fill(
        &self,
        local: &Store,
        key: &str,
        outcome: &AtomicU8,
        run: impl Future<Output = Result<Entry, NotStored>>,
    ) -> Result<Entry, NotStored> {
        let Ok(mut place) = self.place(key).await else {
            return run.await;
        };
        match self.read(local, key, &mut place).await {
            Ok(Some(entry)) => {
                outcome.store(LEVEL_2, Ordering::Relaxed);
                return Ok(entry);
            }
            Ok(None) => {}
            // Redis is away: level 1 only, and no write to try.
            Err(Unavailable) => return run.await,
        }
        let mut held = None;
        if let Some(lease) = self.lock {
            let lock = self.lock_key(&place);
            let token = crate::sync::random_u64().to_string();
            let taken: Result<Option<String>, _> = self
                .redis
                .query(
                    redis::cmd("SET")
                        .arg(&lock)
                        .arg(&token)
                        .arg("NX")
                        .arg("PX")
                        .arg(millis(lease)),
                )
                .await;
            match taken {
                Ok(Some(_)) => {
                    held = Some(Held {
                        redis: self.redis.clone(),
                        key: lock,
                        token,
                        armed: true,
                    });
                }
                Ok(None) => {
                    if let Some(entry) = self.wait(&place, &lock, lease).await {
                        outcome.store(LEVEL_2, Ordering::Relaxed);
                        return Ok(entry);
                    }
                }
                Err(Unavailable) => return run.await,
            }
        }
        let filled = run.await;
        outcome.store(RAN, Ordering::Relaxed);
        match &filled {
            Ok(entry) => self.write(&place, entry, held.as_mut()).await,
            Err(_) => {
                if let Some(held) = held.as_mut() {
                    held.release().await;
                }
            }
        }
        filled
    }

    /// Stores a result a client asked to refresh.
    pub(super) async fn refresh(&self, key: &str, entry: &Entry) {
        if let Ok(place) = self.place(key).await {
            self.write(&place, entry, None).await;
        }
    }

    /// Deletes the entries for these canonical arguments (every extractor value's), and tells
    /// the other instances to drop them from their level 1.
    pub(super) async fn invalidate(&self, arguments: &str) {
        let Ok(place) = self.place(arguments).await else {
            return;
        };
        let _: Result<i64, _> = self.redis.query(redis::cmd("DEL").arg(&place.hash)).await;
        let mut body = self.topic.clone();
        body.push(b'K');
        body.extend_from_slice(arguments.as_bytes());
        self.redis.broadcast(&body).await;
    }

    /// Moves level 2 to a new generation, clears `local`, and tells the other instances.
    pub(super) async fn invalidate_all(&self, local: &Store) {
        let bumped: Result<u64, _> = self
            .redis
            .query(redis::cmd("INCR").arg(&self.generation_key))
            .await;
        if let Ok(generation) = bumped {
            self.generation.store(generation + 1, Ordering::Relaxed);
        }
        // After the new generation is known: a fill racing with this cannot bring back an
        // old entry.
        local.invalidate_all();
        if let Ok(generation) = bumped {
            let mut body = self.topic.clone();
            body.push(b'A');
            body.extend_from_slice(generation.to_string().as_bytes());
            self.redis.broadcast(&body).await;
        }
    }

    /// Where the entry for `key` (canonical arguments, then the extractors' parts) lives, in
    /// the generation this instance knows (asking Redis the first time).
    async fn place(&self, key: &str) -> Result<Place, Unavailable> {
        let generation = match self.generation.load(Ordering::Relaxed) {
            0 => {
                let read: Option<u64> = self
                    .redis
                    .query(redis::cmd("GET").arg(&self.generation_key))
                    .await?;
                let generation = read.unwrap_or(0);
                self.generation.store(generation + 1, Ordering::Relaxed);
                generation
            }
            known => known - 1,
        };
        // Canonical JSON never holds a NUL: what follows the first is the extractors' parts.
        let (arguments, parts) = key.split_at(key.find('\0').unwrap_or(key.len()));
        let field = if parts.is_empty() {
            "-".to_owned()
        } else {
            hex(&Sha256::digest(parts.as_bytes()))
        };
        Ok(Place {
            generation,
            hash: self.hash_key(generation, arguments),
            field,
        })
    }

    fn hash_key(&self, generation: u64, arguments: &str) -> String {
        let digest = Sha256::digest(arguments.as_bytes());
        format!("{}:{}:{generation}:{}", self.base, self.def, hex(&digest))
    }

    fn lock_key(&self, place: &Place) -> String {
        format!("{}:{}:lock", place.hash, place.field)
    }

    /// The entry, if level 2 has a live one. Reads the generation alongside: when another
    /// instance moved on, level 1 is cleared and the read made again in the new generation.
    async fn read(
        &self,
        local: &Store,
        key: &str,
        place: &mut Place,
    ) -> Result<Option<Entry>, Unavailable> {
        for _ in 0..2 {
            let (current, value): (Option<u64>, Option<Vec<u8>>) = self
                .redis
                .pipe(
                    redis::pipe()
                        .cmd("GET")
                        .arg(&self.generation_key)
                        .cmd("HGET")
                        .arg(&place.hash)
                        .arg(&place.field),
                )
                .await?;
            let current = current.unwrap_or(0);
            if current == place.generation {
                return Ok(value.and_then(|value| self.decode(&value)));
            }
            self.generation.store(current + 1, Ordering::Relaxed);
            local.invalidate_all();
            *place = self.place(key).await?;
        }
        Ok(None)
    }

    /// Waits for the lock holder's result: until it is there, the lock is gone (the holder
    /// failed) or the lease is over. `None`: run the tool.
    async fn wait(&self, place: &Place, lock: &str, lease: Duration) -> Option<Entry> {
        let deadline = Instant::now() + lease;
        let mut pause = FIRST_POLL;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(MAX_POLL);
            let (value, locked): (Option<Vec<u8>>, bool) = self
                .redis
                .pipe(
                    redis::pipe()
                        .cmd("HGET")
                        .arg(&place.hash)
                        .arg(&place.field)
                        .cmd("EXISTS")
                        .arg(lock),
                )
                .await
                .ok()?;
            if let Some(entry) = value.and_then(|value| self.decode(&value)) {
                return Some(entry);
            }
            if !locked {
                return None;
            }
        }
    }

    /// Stores `entry` (releasing the lock when `held`). Best effort: a failed write only costs
    /// the other instances a miss.
    async fn write(&self, place: &Place, entry: &Entry, held: Option<&mut Held>) {
        let Ok(json) = serde_json::to_vec(&*entry.result) else {
            return;
        };
        let remaining = entry.expires.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return;
        }
        let expires = unix_ms() + millis(remaining);
        let mut value = format!("{expires} ").into_bytes();
        value.extend_from_slice(&json);
        let mut invocation = WRITE.key(&place.hash);
        invocation
            .arg(&place.field)
            .arg(value)
            .arg(millis(remaining));
        if let Some(held) = &held {
            invocation.key(&held.key).arg(&held.token);
        }
        if self.redis.invoke::<i64>(&invocation).await.is_ok() {
            if let Some(held) = held {
                held.armed = false;
            }
        } else if let Some(held) = held {
            held.release().await;
        }
    }

    /// An entry from a level-2 value; `None` when it expired (or is not ours to read).
    fn decode(&self, value: &[u8]) -> Option<Entry> {
        let space = value.iter().position(|&b| b == b' ')?;
        let expires: u64 = std::str::from_utf8(&value[..space]).ok()?.parse().ok()?;
        let remaining = Duration::from_millis(expires.checked_sub(unix_ms())?);
        if remaining.is_zero() {
            return None;
        }
        let json = &value[space + 1..];
        let result: CallToolResult = serde_json::from_slice(json).ok()?;
        Some(Entry {
            result: Arc::new(result),
            // Clocks of instances differ a little: never longer than the time to live.
            expires: Instant::now() + remaining.min(self.ttl),
            bytes: json.len() as u64,
        })
    }
}

impl Subscriber for ServerStore {
    fn message(&self, body: &[u8]) {
        let Some(shared) = &self.shared else { return };
        let Some(rest) = body.strip_prefix(&shared.topic[..]) else {
            return;
        };
        match rest.split_first() {
            Some((b'A', generation)) => {
                let generation = std::str::from_utf8(generation)
                    .ok()
                    .and_then(|g| g.parse::<u64>().ok());
                if let Some(generation) = generation {
                    shared
                        .generation
                        .fetch_max(generation + 1, Ordering::Relaxed);
                }
                self.local.invalidate_all();
            }
            Some((b'K', arguments)) => {
                let Ok(arguments) = std::str::from_utf8(arguments) else {
                    return;
                };
                // Called on the subscription's reader task, which must not wait: moka's
                // removal is async.
                let (local, arguments, keyed) =
                    (self.local.clone(), arguments.to_owned(), shared.keyed);
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move { drop_arguments(&local, &arguments, keyed).await });
                }
            }
            _ => {}
        }
    }

    fn missed(&self) {
        // An invalidation may have gone by unheard: start over.
        if let Some(shared) = &self.shared {
            shared.generation.store(0, Ordering::Relaxed);
        }
        self.local.invalidate_all();
    }
}

/// A lock this instance holds. Released when the result is written; dropped unreleased (the
/// call was cancelled mid-run), it is released in the background so waiters need not sit out
/// the lease.
struct Held {
    redis: Redis,
    key: String,
    token: String,
    armed: bool,
}

impl Held {
    async fn release(&mut self) {
        self.armed = false;
        let _: Result<i64, _> = self
            .redis
            .invoke(RELEASE.key(&self.key).arg(&self.token))
            .await;
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut held = Held {
            redis: self.redis.clone(),
            key: std::mem::take(&mut self.key),
            token: std::mem::take(&mut self.token),
            armed: false,
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { held.release().await });
        }
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::hex;

    #[test]
    fn hex_is_lowercase_and_two_digits_a_byte() {
        assert_eq!(hex(&[0, 0xab, 7]), "00ab07");
    }
}
