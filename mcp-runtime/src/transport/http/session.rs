//! Sessions of the legacy era: minted by `initialize`, named by `Mcp-Session-Id`, ended by
//! `DELETE`, by idleness, or to make room under the cap.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

use super::event_store::EventStore;
use crate::protocol::jsonrpc::RequestId;
use crate::server::exchange::Session;
use crate::server::notify::Listener;
use crate::sync::lock;

/// One legacy session.
pub(crate) struct LegacySession {
    pub id: Arc<str>,
    /// What `initialize` and `logging/setLevel` set.
    pub dispatch: Mutex<Session>,
    /// Running calls by request id, for `notifications/cancelled`.
    calls: Mutex<HashMap<RequestId, (u64, CancellationToken)>>,
    /// Tells registrations of one id apart.
    generations: std::sync::atomic::AtomicU64,
    /// Calls that may run at once.
    pub slots: Arc<Semaphore>,
    /// The session's subscriptions and the notifications that wait for its `GET` stream.
    pub listener: Arc<Listener>,
    /// A `GET` stream is open (there is at most one).
    pub standalone_open: std::sync::atomic::AtomicBool,
    /// Cancelled when the session ends: its calls stop.
    pub ended: CancellationToken,
    /// Streams whose call is still running, for clients that resume them; and streams of
    /// cancelled calls, which stay open quietly (see [`LegacySession::cancel_stream`]).
    live: Mutex<HashMap<u64, Arc<LiveStream>>>,
    /// The cancelled streams kept in `live`, oldest first.
    cancelled_streams: Mutex<std::collections::VecDeque<u64>>,
    last_seen: Mutex<Instant>,
    /// Ended on this instance only, while it lives on elsewhere (sessions shared in Redis).
    ended_here: std::sync::atomic::AtomicBool,
    /// When its expiry in Redis was last pushed back (milliseconds since the table's epoch).
    #[cfg(feature = "redis")]
    pub(super) refreshed_ms: std::sync::atomic::AtomicU64,
    /// Whether Redis holds it (not when it was opened while Redis was away: it is stored at
    /// its next refresh then).
    #[cfg(feature = "redis")]
    pub(super) stored: std::sync::atomic::AtomicBool,
}

/// A streaming call still running (or cancelled): resumed streams wait here for its next
/// events.
#[derive(Default)]
pub(crate) struct LiveStream {
    pub changed: Notify,
}

/// Streams of cancelled calls kept open (quiet) per session; beyond it the oldest end.
const MAX_CANCELLED_STREAMS: usize = 64;

/// A call registered under its request id in its session, for `notifications/cancelled`;
/// unregistered when dropped, however the call ended (answered, cancelled, its client gone).
pub(crate) struct RegisteredCall {
    session: Arc<LegacySession>,
    id: RequestId,
    generation: u64,
    /// Cancelled by `notifications/cancelled` or by the end of the session.
    pub cancelled: CancellationToken,
}

impl Drop for RegisteredCall {
    fn drop(&mut self) {
        let mut calls = lock(&self.session.calls);
        // A cancelled call's id may already name a newer call: leave that one alone.
        if calls
            .get(&self.id)
            .is_some_and(|(g, _)| *g == self.generation)
        {
            calls.remove(&self.id);
        }
    }
}

impl LegacySession {
    /// Registers a running call under its id; `None` when the id is already running.
    pub fn start_call(self: &Arc<Self>, id: &RequestId) -> Option<RegisteredCall> {
        let mut calls = lock(&self.calls);
        if calls.contains_key(id) {
            return None;
        }
        let generation = self
            .generations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let token = self.ended.child_token();
        calls.insert(id.clone(), (generation, token.clone()));
        Some(RegisteredCall {
            session: self.clone(),
            id: id.clone(),
            generation,
            cancelled: token,
        })
    }

    /// Cancels the running call with this id (a `notifications/cancelled`).
    pub fn cancel_call(&self, id: &RequestId) {
        match lock(&self.calls).remove(id) {
            Some((_, token)) => token.cancel(),
            None => tracing::debug!(%id, "cancellation for a request that is not running"),
        }
    }

    pub fn open_stream(&self, stream: u64) -> Arc<LiveStream> {
        let live = Arc::new(LiveStream::default());
        lock(&self.live).insert(stream, live.clone());
        live
    }

    pub fn close_stream(&self, stream: u64) {
        if let Some(live) = lock(&self.live).remove(&stream) {
            live.changed.notify_waiters();
        }
    }

    /// A cancelled call sends no reply, so its stream never completes. Ending it would make a
    /// client resume it (the protocol says a stream that ends without its reply was broken),
    /// and refusing that resume with 404 would tell the client its session is gone. So it
    /// stays open, quiet but for keep-alives, until the client closes it or the session ends
    /// (or, past a few dozen, to make room for newer ones).
    pub fn cancel_stream(&self, stream: u64) {
        let mut cancelled = lock(&self.cancelled_streams);
        cancelled.push_back(stream);
        if cancelled.len() > MAX_CANCELLED_STREAMS {
            if let Some(oldest) = cancelled.pop_front() {
                self.close_stream(oldest);
            }
        }
    }

    pub fn live_stream(&self, stream: u64) -> Option<Arc<LiveStream>> {
        lock(&self.live).get(&stream).cloned()
    }

    /// Whether the session ended here only, living on in Redis for the other instances.
    pub fn ended_here(&self) -> bool {
        self.ended_here.load(std::sync::atomic::Ordering::Acquire)
    }

    fn idle_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(*lock(&self.last_seen))
    }
}

/// Every session of one endpoint.
pub(crate) struct Sessions {
    map: Mutex<HashMap<Arc<str>, Arc<LegacySession>>>,
    max: usize,
    pub(super) idle_timeout: Duration,
    max_calls: usize,
    pub(super) events: Arc<dyn EventStore>,
    /// The sessions in Redis, shared with the server's other instances.
    #[cfg(feature = "redis")]
    pub(super) shared: Option<crate::store::redis::sessions::SharedSessions>,
    #[cfg(feature = "redis")]
    pub(super) epoch: Instant,
}

/// Why a session ended here.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    /// It is gone for good (`DELETE`, or every copy expired): its events go too.
    Everywhere,
    /// Only this instance's copy ends (idle here, the cap, shutdown); with sessions shared in
    /// Redis, another instance (or this one, later) may continue it.
    Here,
}

impl Sessions {
    pub fn new(
        max: usize,
        idle_timeout: Duration,
        max_calls: usize,
        events: Arc<dyn EventStore>,
    ) -> Self {
        Sessions {
            map: Mutex::default(),
            max,
            idle_timeout,
            max_calls,
            events,
            #[cfg(feature = "redis")]
            shared: None,
            #[cfg(feature = "redis")]
            epoch: Instant::now(),
        }
    }

    /// Whether sessions are shared with other instances.
    pub(super) fn is_shared(&self) -> bool {
        #[cfg(feature = "redis")]
        return self.shared.is_some();
        #[cfg(not(feature = "redis"))]
        false
    }

    /// The live session with this id (and marks it used).
    pub fn get(&self, id: &str) -> Option<Arc<LegacySession>> {
        let now = Instant::now();
        let mut map = lock(&self.map);
        let session = map.get(id)?.clone();
        if session.idle_for(now) > self.idle_timeout {
            map.remove(id);
            drop(map);
            self.ended(&session, "it was idle too long", End::Here);
            return None;
        }
        *lock(&session.last_seen) = now;
        Some(session)
    }

    /// Keeps a session that `initialize` just opened, ending others if the cap is reached.
    pub fn insert(&self, dispatch: Session, listener: Arc<Listener>) -> Arc<LegacySession> {
        self.insert_as(new_session_id().into(), dispatch, listener)
    }

    /// Keeps a session under `id` (a new one, or one continued from another instance); when
    /// one with that id is here already (continued twice at once), that one.
    pub(super) fn insert_as(
        &self,
        id: Arc<str>,
        mut dispatch: Session,
        listener: Arc<Listener>,
    ) -> Arc<LegacySession> {
        let now = Instant::now();
        if let Some(there) = lock(&self.map).get(&id) {
            return there.clone();
        }
        dispatch.set_listener(listener.clone());
        let session = Arc::new(LegacySession {
            id,
            dispatch: Mutex::new(dispatch),
            listener,
            standalone_open: Default::default(),
            calls: Mutex::default(),
            generations: Default::default(),
            slots: Arc::new(Semaphore::new(self.max_calls)),
            ended: CancellationToken::new(),
            live: Mutex::default(),
            cancelled_streams: Mutex::default(),
            last_seen: Mutex::new(now),
            ended_here: Default::default(),
            #[cfg(feature = "redis")]
            refreshed_ms: self.now_ms().into(),
            #[cfg(feature = "redis")]
            stored: Default::default(),
        });
        let mut ended = Vec::new();
        {
            let mut map = lock(&self.map);
            if map.len() >= self.max {
                let idle_timeout = self.idle_timeout;
                map.retain(|_, s| {
                    let keep = s.idle_for(now) <= idle_timeout;
                    if !keep {
                        ended.push(s.clone());
                    }
                    keep
                });
            }
            if map.len() >= self.max {
                let oldest = map
                    .values()
                    .max_by_key(|s| s.idle_for(now))
                    .map(|s| s.id.clone());
                if let Some(removed) = oldest.and_then(|id| map.remove(&id)) {
                    ended.push(removed);
                }
            }
            if let Some(there) = map.get(&session.id) {
                return there.clone();
            }
            map.insert(session.id.clone(), session.clone());
        }
        for old in ended {
            self.ended(&old, "the session cap was reached", End::Here);
        }
        session
    }

    /// Ends a session (a `DELETE`); `false` when there was none here.
    pub fn remove(&self, id: &str) -> bool {
        self.end(id, "the client ended it", End::Everywhere)
    }

    /// Ends the session with this id, if it is here; `false` when it was not.
    pub(super) fn end(&self, id: &str, why: &str, end: End) -> bool {
        let removed = lock(&self.map).remove(id);
        match removed {
            Some(session) => {
                self.ended(&session, why, end);
                true
            }
            None => false,
        }
    }

    /// Ends every session (shutdown); shared ones live on in Redis, for the other instances.
    pub fn clear(&self) {
        let all: Vec<_> = lock(&self.map).drain().map(|(_, s)| s).collect();
        for session in all {
            self.ended(&session, "the server is shutting down", End::Here);
        }
    }

    /// The session with this id, if held here (not marking it used).
    #[cfg(feature = "redis")]
    pub(super) fn held(&self, id: &str) -> Option<Arc<LegacySession>> {
        lock(&self.map).get(id).cloned()
    }

    /// Every session here (for the Redis bookkeeping).
    #[cfg(feature = "redis")]
    pub(super) fn all(&self) -> Vec<Arc<LegacySession>> {
        lock(&self.map).values().cloned().collect()
    }

    #[cfg(feature = "redis")]
    pub(super) fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        lock(&self.map).len()
    }

    fn ended(&self, session: &LegacySession, why: &str, end: End) {
        tracing::debug!(session = %session.id, "session ended: {why}");
        if end == End::Here && self.is_shared() {
            session
                .ended_here
                .store(true, std::sync::atomic::Ordering::Release);
        }
        session.ended.cancel();
        // A shared session ended only here keeps its events: the client may resume elsewhere
        // (the memory level lets go of them under its budget, Redis when they expire).
        if end == End::Everywhere || !self.is_shared() {
            self.events.end_session(&session.id);
        }
        let live: Vec<_> = lock(&session.live).drain().map(|(_, l)| l).collect();
        for stream in live {
            stream.changed.notify_waiters();
        }
    }
}

/// 128 random bits from the operating system, as 32 hex digits (visible ASCII, as the
/// protocol requires of a session id).
fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    let mut id = String::with_capacity(32);
    for byte in bytes {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

/// A random stream id (for event ids unique across servers sharing an event store).
pub(crate) fn new_stream_id() -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::http::MemoryEventStore;

    fn sessions(max: usize, idle: Duration) -> Sessions {
        Sessions::new(max, idle, 4, Arc::new(MemoryEventStore::default()))
    }

    #[test]
    fn ids_are_random_hex() {
        let (a, b) = (new_session_id(), new_session_id());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn the_cap_ends_the_session_idle_longest() {
        let sessions = sessions(2, Duration::from_secs(60));
        let first = sessions.insert(Session::default(), Arc::default());
        std::thread::sleep(Duration::from_millis(5));
        let second = sessions.insert(Session::default(), Arc::default());
        std::thread::sleep(Duration::from_millis(5));
        assert!(sessions.get(&first.id).is_some()); // `first` is now the most recently used
        let third = sessions.insert(Session::default(), Arc::default());
        assert_eq!(sessions.len(), 2);
        assert!(sessions.get(&second.id).is_none());
        assert!(second.ended.is_cancelled());
        assert!(sessions.get(&first.id).is_some() && sessions.get(&third.id).is_some());
    }

    #[test]
    fn idle_sessions_expire_and_deleted_ones_are_gone() {
        let sessions = sessions(10, Duration::from_millis(1));
        let session = sessions.insert(Session::default(), Arc::default());
        std::thread::sleep(Duration::from_millis(20));
        assert!(sessions.get(&session.id).is_none());
        assert!(session.ended.is_cancelled());

        let sessions = self::sessions(10, Duration::from_secs(60));
        let session = sessions.insert(Session::default(), Arc::default());
        let id = RequestId::Number(1);
        let call = session.start_call(&id).unwrap();
        assert!(session.start_call(&id).is_none());
        // Cancelled, its id may be used again while the old call winds down.
        session.cancel_call(&id);
        assert!(call.cancelled.is_cancelled());
        let newer = session.start_call(&id).unwrap();
        drop(call);
        assert!(
            session.start_call(&id).is_none(),
            "the old call unregistered the newer one"
        );
        drop(newer);
        let call = session.start_call(&id).unwrap();
        assert!(sessions.remove(&session.id));
        assert!(!sessions.remove(&session.id));
        assert!(
            call.cancelled.is_cancelled(),
            "ending a session stops its calls"
        );
    }
}
