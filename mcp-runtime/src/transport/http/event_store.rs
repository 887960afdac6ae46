//! Where the SSE events of legacy sessions are kept, so that a client whose stream broke can
//! resume it with `Last-Event-ID` (protocol `2025-03-26` to `2025-11-25`; the stateless era has
//! no resumption).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

/// The id of an SSE event: the stream it was sent on and its place in that stream,
/// written `{stream:016x}-{seq}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventId {
    /// The stream: random, so ids of different servers sharing a store never collide.
    pub stream: u64,
    /// 1 for the stream's first event.
    pub seq: u64,
}

impl EventId {
    /// Reads an id as written in a `Last-Event-ID` header.
    pub fn parse(text: &str) -> Option<EventId> {
        let (stream, seq) = text.trim().split_once('-')?;
        if stream.len() != 16 {
            return None;
        }
        Some(EventId {
            stream: u64::from_str_radix(stream, 16).ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}-{}", self.stream, self.seq)
    }
}

/// One event as kept: the session it belongs to (only that session may replay it), its id and
/// its JSON-RPC message.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    /// The `Mcp-Session-Id` of the stream's session.
    pub session: Arc<str>,
    /// The event's id.
    pub id: EventId,
    /// One JSON-RPC message, without a trailing newline.
    pub message: Bytes,
}

/// The future of [`EventStore::replay_after`].
pub type ReplayFuture<'a> = Pin<Box<dyn Future<Output = Option<Vec<StoredEvent>>> + Send + 'a>>;

/// Keeps SSE events for resumption. Implement it over a shared store (the Redis backend does)
/// so that a client may resume on another instance; [`MemoryEventStore`] is the default.
///
/// `append` is called on the hot path of a streaming call and must not block: a remote store
/// hands the event to a writer of its own.
pub trait EventStore: Send + Sync + 'static {
    /// Keeps an event that was just sent.
    fn append(&self, event: StoredEvent);

    /// The events of `last`'s stream sent after it, if that stream is known and belongs to
    /// `session`. Events the store already let go of are skipped.
    fn replay_after<'a>(&'a self, session: &'a str, last: EventId) -> ReplayFuture<'a>;

    /// Forgets a stream whose call ended and whose client read everything.
    fn end_stream(&self, stream: u64);

    /// Forgets every stream of a session that ended.
    fn end_session(&self, session: &str);

    /// The call of `last`'s stream ended, `last` being its final event (its reply): a store
    /// shared by instances marks the stream complete, so that clients following it from
    /// another instance are told it is over. Nothing by default.
    fn finish_stream(&self, session: &str, last: EventId) {
        let _ = (session, last);
    }

    /// For a stream this instance does not run (its call runs on another instance sharing the
    /// store): waits up to `wait` for events after `last`. `Some` with the events (none when
    /// `wait` passed quietly); `None` once the stream is complete or unknown. By default
    /// (a store of one instance) every stream is complete.
    fn wait_after<'a>(
        &'a self,
        session: &'a str,
        last: EventId,
        wait: Duration,
    ) -> ReplayFuture<'a> {
        let _ = (session, last, wait);
        Box::pin(std::future::ready(None))
    }
}

/// Keeps events in memory, bounded: at most `max_events_per_stream` per stream (the oldest go
/// first) and `max_bytes` in all (whole streams go, oldest first).
#[derive(Debug)]
pub struct MemoryEventStore {
    max_bytes: usize,
    max_events_per_stream: usize,
    inner: Mutex<Streams>,
}

#[derive(Debug, Default)]
struct Streams {
    streams: HashMap<u64, Stream>,
    /// Streams by age, oldest first (ids of ended streams are skipped when met).
    order: VecDeque<u64>,
    bytes: usize,
}

#[derive(Debug)]
struct Stream {
    session: Arc<str>,
    events: VecDeque<(u64, Bytes)>,
    bytes: usize,
}

/// Bookkeeping counted per kept event, besides its message.
const EVENT_OVERHEAD: usize = 64;

impl Default for MemoryEventStore {
    /// 16 MiB, 256 events per stream.
    fn default() -> Self {
        MemoryEventStore::new(16 * 1024 * 1024, 256)
    }
}

impl MemoryEventStore {
    /// A store within `max_bytes`, keeping at most `max_events_per_stream` events per stream.
    pub fn new(max_bytes: usize, max_events_per_stream: usize) -> Self {
        MemoryEventStore {
            max_bytes,
            max_events_per_stream: max_events_per_stream.max(1),
            inner: Mutex::default(),
        }
    }

    /// Bytes kept now (messages plus bookkeeping).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Streams> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Streams {
    fn remove(&mut self, stream: u64) {
        if let Some(removed) = self.streams.remove(&stream) {
            self.bytes -= removed.bytes;
        }
    }
}

impl EventStore for MemoryEventStore {
    fn append(&self, event: StoredEvent) {
        let size = event.message.len() + EVENT_OVERHEAD;
        let mut inner = self.lock();
        let inner = &mut *inner;
        let stream = match inner.streams.entry(event.id.stream) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                inner.order.push_back(event.id.stream);
                entry.insert(Stream {
                    session: event.session,
                    events: VecDeque::new(),
                    bytes: 0,
                })
            }
        };
        stream.events.push_back((event.id.seq, event.message));
        stream.bytes += size;
        inner.bytes += size;
        if stream.events.len() > self.max_events_per_stream {
            if let Some((_, dropped)) = stream.events.pop_front() {
                stream.bytes -= dropped.len() + EVENT_OVERHEAD;
                inner.bytes -= dropped.len() + EVENT_OVERHEAD;
            }
        }
        while inner.bytes > self.max_bytes {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            inner.remove(oldest);
        }
        if inner.order.len() > 2 * inner.streams.len() + 64 {
            // Ended streams leave their ids behind; sweep them now and then.
            let streams = &inner.streams;
            inner.order.retain(|id| streams.contains_key(id));
        }
    }

    fn replay_after<'a>(&'a self, session: &'a str, last: EventId) -> ReplayFuture<'a> {
        let inner = self.lock();
        let events = inner
            .streams
            .get(&last.stream)
            .filter(|stream| &*stream.session == session)
            .map(|stream| {
                stream
                    .events
                    .iter()
                    .filter(|(seq, _)| *seq > last.seq)
                    .map(|(seq, message)| StoredEvent {
                        session: stream.session.clone(),
                        id: EventId {
                            stream: last.stream,
                            seq: *seq,
                        },
                        message: message.clone(),
                    })
                    .collect()
            });
        Box::pin(std::future::ready(events))
    }

    fn end_stream(&self, stream: u64) {
        self.lock().remove(stream);
    }

    fn end_session(&self, session: &str) {
        let mut inner = self.lock();
        let ended: Vec<u64> = inner
            .streams
            .iter()
            .filter(|(_, s)| &*s.session == session)
            .map(|(id, _)| *id)
            .collect();
        for stream in ended {
            inner.remove(stream);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(session: &str, stream: u64, seq: u64, message: &str) -> StoredEvent {
        StoredEvent {
            session: session.into(),
            id: EventId { stream, seq },
            message: Bytes::copy_from_slice(message.as_bytes()),
        }
    }

    fn replay(store: &MemoryEventStore, session: &str, stream: u64, seq: u64) -> Option<Vec<u64>> {
        let future = store.replay_after(session, EventId { stream, seq });
        let events = futures_util::FutureExt::now_or_never(future).unwrap()?;
        Some(events.iter().map(|e| e.id.seq).collect())
    }

    #[test]
    fn ids_round_trip() {
        let id = EventId {
            stream: 0xdead_beef,
            seq: 42,
        };
        assert_eq!(id.to_string(), "00000000deadbeef-42");
        assert_eq!(EventId::parse(&id.to_string()), Some(id));
        for bad in [
            "",
            "1-2",
            "00000000deadbeef",
            "00000000deadbeef-x",
            "zzzzzzzzzzzzzzzz-1",
        ] {
            assert_eq!(EventId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn replays_what_followed_within_the_same_session_only() {
        let store = MemoryEventStore::default();
        for seq in 1..=3 {
            store.append(event("s1", 7, seq, "{}"));
        }
        assert_eq!(replay(&store, "s1", 7, 1), Some(vec![2, 3]));
        assert_eq!(replay(&store, "s1", 7, 3), Some(vec![]));
        assert_eq!(replay(&store, "s2", 7, 1), None);
        assert_eq!(replay(&store, "s1", 8, 1), None);
        store.end_session("s1");
        assert_eq!(replay(&store, "s1", 7, 1), None);
        assert_eq!(store.bytes(), 0);
    }

    #[test]
    fn memory_stays_within_its_bounds() {
        let store = MemoryEventStore::new(10 * (100 + EVENT_OVERHEAD), 4);
        let message = "x".repeat(100);
        for seq in 1..=10 {
            store.append(event("s", 1, seq, &message));
        }
        // Only the newest four of the stream are kept.
        assert_eq!(replay(&store, "s", 1, 0), Some(vec![7, 8, 9, 10]));
        for stream in 2..=5 {
            for seq in 1..=4 {
                store.append(event("s", stream, seq, &message));
            }
        }
        assert!(store.bytes() <= 10 * (100 + EVENT_OVERHEAD));
        // The oldest streams made room for the newest.
        assert_eq!(replay(&store, "s", 1, 0), None);
        assert_eq!(replay(&store, "s", 5, 0), Some(vec![1, 2, 3, 4]));
        store.end_stream(5);
        assert_eq!(replay(&store, "s", 5, 0), None);
    }
}
