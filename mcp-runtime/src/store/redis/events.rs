//! [`RedisEventStore`]: the SSE events of legacy sessions in Redis, so that a client whose
//! stream broke may resume it (`GET` with `Last-Event-ID`) on any instance.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::Redis;
use crate::transport::http::{EventId, EventStore, MemoryEventStore, StoredEvent};

/// Keeps SSE events in memory (for resumes on this instance, and while Redis is down) and in
/// Redis (for resumes on the others).
///
/// Each stream is a Redis Stream, `{prefix}:{server}:{<session>}:ev:<stream>`, whose entry
/// ids are the events' sequence numbers (`<seq>-0`), trimmed to the newest
/// `max_events_per_stream` and expiring `ttl` after its last event. The `{<session>}` hash tag
/// ties it to its session (only that session's id finds it) and to one Redis Cluster slot. A
/// stream whose call ended gets a last entry, `<seq>-1 end`, so that a client following it
/// from another instance is told it is over.
///
/// [`append`](EventStore::append) never waits for Redis: it keeps the event in memory and hands
/// it to a writer task through a bounded channel (`queue` events). When the channel is full
/// (Redis slower than the events come), the event is kept in memory only and a warning is
/// logged: a resume on this instance still gets it, one on another instance misses it.
/// While Redis is down, resumes on this instance work from memory; on another instance the
/// stream is unknown and the resume gets 404, as the protocol says for an unknown stream.
///
/// A server built with [`ServerBuilder::redis`](crate::ServerBuilder::redis) and served over
/// HTTP uses one by default (unless [`HttpConfig::event_store`] names another).
///
/// [`HttpConfig::event_store`]: crate::transport::http::HttpConfig::event_store
pub struct RedisEventStore {
    memory: MemoryEventStore,
    redis: Redis,
    /// `{prefix}:{server}:`
    base: Arc<str>,
    ttl_ms: u64,
    max_events_per_stream: usize,
    queue: usize,
    /// Made with the writer task, on the first event (a runtime is running by then).
    writer: OnceLock<mpsc::Sender<Write>>,
    /// Whether a full queue was already reported (once until it drains).
    overflowing: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for RedisEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisEventStore")
            .field("base", &self.base)
            .field("ttl_ms", &self.ttl_ms)
            .field("max_events_per_stream", &self.max_events_per_stream)
            .finish_non_exhaustive()
    }
}

enum Write {
    Event(StoredEvent),
    End { session: Arc<str>, last: EventId },
}

impl Write {
    fn session(&self) -> &Arc<str> {
        match self {
            Write::Event(event) => &event.session,
            Write::End { session, .. } => session,
        }
    }
}

/// How often a follower on another instance looks for new events.
const POLL: Duration = Duration::from_millis(20);
/// Events handed to Redis in one pipeline, at most.
const BATCH: usize = 256;

impl RedisEventStore {
    /// Events of the server named `server` (the key namespace) in `redis`: 10 minutes' expiry,
    /// 256 events per stream, a queue of 8,192 events; in memory, a [`MemoryEventStore`]'s
    /// defaults.
    pub fn new(redis: Redis, server: &str) -> RedisEventStore {
        RedisEventStore {
            memory: MemoryEventStore::default(),
            base: format!("{}:{server}:", redis.inner.prefix).into(),
            redis,
            ttl_ms: 10 * 60 * 1000,
            max_events_per_stream: 256,
            queue: 8192,
            writer: OnceLock::new(),
            overflowing: Default::default(),
        }
    }

    /// How long a stream is kept in Redis after its last event (10 minutes by default).
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> RedisEventStore {
        self.ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        self
    }

    /// Events kept per stream in Redis, the newest (256 by default).
    #[must_use]
    pub fn max_events_per_stream(mut self, events: usize) -> RedisEventStore {
        self.max_events_per_stream = events.max(1);
        self
    }

    /// Events waiting for the writer at most (8,192 by default); see the type's docs for what
    /// happens beyond.
    #[must_use]
    pub fn queue(mut self, events: usize) -> RedisEventStore {
        self.queue = events.max(1);
        self
    }

    /// The local level: a [`MemoryEventStore`] of your own bounds.
    #[must_use]
    pub fn memory(mut self, memory: MemoryEventStore) -> RedisEventStore {
        self.memory = memory;
        self
    }

    fn stream_key(base: &str, session: &str, stream: u64) -> String {
        format!("{base}{{{session}}}:ev:{stream:016x}")
    }

    fn streams_key(base: &str, session: &str) -> String {
        format!("{base}{{{session}}}:streams")
    }

    fn send(&self, write: Write) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return; // no runtime, no writer: memory only
        };
        let writer = self.writer.get_or_init(|| {
            let (tx, rx) = mpsc::channel(self.queue);
            let writer = Writer {
                redis: self.redis.clone(),
                base: self.base.clone(),
                ttl_ms: self.ttl_ms,
                max_events: self.max_events_per_stream,
                overflowing: self.overflowing.clone(),
            };
            handle.spawn(writer.run(rx));
            tx
        });
        use std::sync::atomic::Ordering;
        if writer.try_send(write).is_err() && !self.overflowing.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                target: "mcp_toolkit::redis",
                "SSE events come faster than Redis takes them: some are kept in memory only \
                 (resumable on this instance, not on others)",
            );
        }
    }

    /// The events of `last`'s stream after it in Redis (and whether the stream is complete);
    /// `None` when Redis does not have the stream (or cannot be asked).
    async fn read_after(&self, session: &str, last: EventId) -> Option<(Vec<StoredEvent>, bool)> {
        let key = Self::stream_key(&self.base, session, last.stream);
        let mut pipe = redis::pipe();
        pipe.cmd("EXISTS")
            .arg(&key)
            .cmd("XRANGE")
            .arg(&key)
            .arg(format!("({}-0", last.seq))
            .arg("+");
        type Entries = Vec<(String, Vec<Vec<u8>>)>;
        let (exists, entries): (bool, Entries) = self.redis.pipe(&pipe).await.ok()?;
        if !exists {
            return None;
        }
        let session: Arc<str> = session.into();
        let mut events = Vec::with_capacity(entries.len());
        for (id, fields) in entries {
            let Some((seq, sub)) = id.split_once('-') else {
                continue;
            };
            let Ok(seq) = seq.parse::<u64>() else {
                continue;
            };
            if sub != "0" {
                return Some((events, true)); // the end marker
            }
            // [b"m", message]
            if let Some(message) = fields.into_iter().nth(1) {
                events.push(StoredEvent {
                    session: session.clone(),
                    id: EventId {
                        stream: last.stream,
                        seq,
                    },
                    message: Bytes::from(message),
                });
            }
        }
        Some((events, false))
    }
}

impl EventStore for RedisEventStore {
    fn append(&self, event: StoredEvent) {
        self.memory.append(event.clone());
        self.send(Write::Event(event));
    }

    fn replay_after<'a>(
        &'a self,
        session: &'a str,
        last: EventId,
    ) -> crate::transport::http::ReplayFuture<'a> {
        Box::pin(async move {
            // This instance's own streams are read from memory: no round trip per event.
            if let Some(events) = self.memory.replay_after(session, last).await {
                return Some(events);
            }
            self.read_after(session, last)
                .await
                .map(|(events, _)| events)
        })
    }

    fn end_stream(&self, stream: u64) {
        // Redis lets the stream expire: a client on another instance may still be reading it.
        self.memory.end_stream(stream);
    }

    fn end_session(&self, session: &str) {
        self.memory.end_session(session);
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let redis = self.redis.clone();
        let streams = Self::streams_key(&self.base, session);
        let base = self.base.clone();
        let session = session.to_owned();
        handle.spawn(async move {
            let Ok(ids) = redis
                .query::<Vec<String>>(redis::cmd("SMEMBERS").arg(&streams))
                .await
            else {
                return; // the streams expire by themselves
            };
            let mut del = redis::cmd("DEL");
            del.arg(&streams);
            for id in ids {
                if let Ok(stream) = u64::from_str_radix(&id, 16) {
                    del.arg(Self::stream_key(&base, &session, stream));
                }
            }
            let _: Result<i64, _> = redis.query(&del).await;
        });
    }

    fn finish_stream(&self, session: &str, last: EventId) {
        self.send(Write::End {
            session: session.into(),
            last,
        });
    }

    fn wait_after<'a>(
        &'a self,
        session: &'a str,
        last: EventId,
        wait: Duration,
    ) -> crate::transport::http::ReplayFuture<'a> {
        Box::pin(async move {
            if self.memory.replay_after(session, last).await.is_some() {
                return None; // ours, and no longer running here: complete
            }
            let deadline = tokio::time::Instant::now() + wait;
            loop {
                match self.read_after(session, last).await {
                    Some((events, _)) if !events.is_empty() => return Some(events),
                    Some((_, true)) => return None,
                    // Redis lost it (expired, deleted with its session).
                    None if self.redis.is_available() => return None,
                    // Redis away or quiet: ask again until `wait` passed.
                    _ => {}
                }
                if tokio::time::Instant::now() + POLL >= deadline {
                    return Some(Vec::new());
                }
                tokio::time::sleep(POLL).await;
            }
        })
    }
}

/// Writes events to Redis, in order, one pipeline per batch and session.
struct Writer {
    redis: Redis,
    base: Arc<str>,
    ttl_ms: u64,
    max_events: usize,
    overflowing: Arc<std::sync::atomic::AtomicBool>,
}

impl Writer {
    async fn run(self, mut rx: mpsc::Receiver<Write>) {
        let mut batch = Vec::with_capacity(BATCH);
        while rx.recv_many(&mut batch, BATCH).await > 0 {
            self.overflowing
                .store(false, std::sync::atomic::Ordering::Relaxed);
            // One pipeline per run of one session's writes: their keys share a slot, so the
            // pipeline goes to one node of a cluster.
            let mut start = 0;
            while start < batch.len() {
                let session = batch[start].session().clone();
                let end = batch[start..]
                    .iter()
                    .position(|w| *w.session() != session)
                    .map_or(batch.len(), |n| start + n);
                self.write(&session, &batch[start..end]).await;
                start = end;
            }
            batch.clear();
        }
    }

    async fn write(&self, session: &str, writes: &[Write]) {
        let mut pipe = redis::pipe();
        let streams = RedisEventStore::streams_key(&self.base, session);
        let mut touched: Vec<u64> = Vec::new();
        for write in writes {
            let (stream, id, field, value): (u64, String, &str, &[u8]) = match write {
                Write::Event(event) => (
                    event.id.stream,
                    format!("{}-0", event.id.seq),
                    "m",
                    &event.message,
                ),
                Write::End { last, .. } => (last.stream, format!("{}-1", last.seq), "end", b"1"),
            };
            let key = RedisEventStore::stream_key(&self.base, session, stream);
            pipe.cmd("XADD")
                .arg(&key)
                .arg("MAXLEN")
                .arg("~")
                .arg(self.max_events)
                .arg(id)
                .arg(field)
                .arg(value)
                .ignore();
            if !touched.contains(&stream) {
                touched.push(stream);
            }
        }
        for stream in touched {
            let key = RedisEventStore::stream_key(&self.base, session, stream);
            pipe.cmd("PEXPIRE").arg(key).arg(self.ttl_ms).ignore();
            pipe.cmd("SADD")
                .arg(&streams)
                .arg(format!("{stream:016x}"))
                .ignore();
        }
        pipe.cmd("PEXPIRE").arg(&streams).arg(self.ttl_ms).ignore();
        // Failures are the outage bookkeeping's to log; the events stay in memory.
        let _: Result<(), _> = self.redis.pipe(&pipe).await;
    }
}
