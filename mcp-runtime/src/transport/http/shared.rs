//! Legacy sessions shared with the server's other instances through Redis (feature `redis`,
//! a server built with `ServerBuilder::redis`): a session opened here is stored in Redis, and
//! a request naming a session this instance does not hold continues it from there.
//!
//! What moves: the negotiated version, the client's capabilities and the log level
//! (`logging/setLevel` is written through), and the client's answers to requests a call sent
//! it (sampling, elicitation, roots): posted to any instance, an answer is handed through Redis
//! to the instance whose call waits for it. What does not: resource subscriptions and the `GET`
//! stream (per instance; see the README's "Deploying several instances").

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::session::{End, LegacySession, Sessions};
use crate::server::exchange::Session;
use crate::server::ServerInner;
use crate::store::redis::sessions::{answer_of, ended_by, level_of, SessionRecord, SharedSessions};
use crate::store::redis::Subscriber;
use crate::sync::lock;

impl Sessions {
    /// Shares the sessions through the server's Redis, when it has one.
    pub(super) fn shared_by(mut self, server: &ServerInner) -> Arc<Sessions> {
        if let Some(shared) = server.state.shared() {
            self.shared = Some(SharedSessions::new(shared, self.idle_timeout));
        }
        let sessions = Arc::new(self);
        if let Some(shared) = &sessions.shared {
            let subscriber: Arc<dyn Subscriber> = sessions.clone();
            shared.redis().subscribe(Arc::downgrade(&subscriber));
        }
        sessions
    }

    /// The session with this id: held here, or continued from Redis.
    pub(super) async fn find(
        self: &Arc<Self>,
        id: &str,
        server: &ServerInner,
    ) -> Option<Arc<LegacySession>> {
        if let Some(session) = self.get(id) {
            self.refresh(&session);
            return Some(session);
        }
        let shared = self.shared.as_ref()?;
        // Ids are 32 hex digits: anything else is not worth a round trip.
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let record = shared.load(id).await?;
        tracing::debug!(session = id, "continuing a session another instance opened");
        let dispatch = Session::resumed(record.version, record.capabilities, record.log_level);
        let session = self.insert_as(id.into(), dispatch, server.listeners.register());
        session.stored.store(true, Ordering::Relaxed);
        Some(session)
    }

    /// Stores a session that `initialize` just opened (bounded by the Redis timeout, before
    /// the client learns its id: its next request may go to another instance).
    pub(super) async fn store_new(&self, session: &LegacySession) {
        let Some(shared) = &self.shared else {
            return;
        };
        let record = record_of(session);
        if shared.save(&session.id, &record, false).await {
            session.stored.store(true, Ordering::Relaxed);
        }
    }

    /// Writes a session's changed log level through (after `logging/setLevel`), to Redis and
    /// to the instances holding the session.
    pub(super) async fn store_changed(&self, session: &LegacySession) {
        let Some(shared) = &self.shared else {
            return;
        };
        if session.stored.load(Ordering::Relaxed) {
            shared.save_level(&session.id, &record_of(session)).await;
        }
    }

    /// A message with no `"method"` may be the client's answer to a request a call sent it:
    /// handed to the call waiting for it, here or (through Redis) on the instance it runs on.
    /// `true` when the message was such an answer (it needs no reply but 202).
    pub(super) async fn take_answer(&self, session: &LegacySession, message: &[u8]) -> bool {
        let Some(shared) = &self.shared else {
            return false;
        };
        // Requests and notifications name their method: this spares them the parse.
        if memchr::memmem::find(message, b"\"method\"").is_some() {
            return false;
        }
        let delivered = lock(&session.dispatch).deliver_answer(message);
        match delivered {
            None => false,
            Some(true) => true,
            Some(false) => {
                shared.route_answer(&session.id, message).await;
                true
            }
        }
    }

    /// Ends a session everywhere (a `DELETE`): here, in Redis, and on every instance holding
    /// it. `false` when neither this instance nor Redis knew it.
    pub(super) async fn delete_everywhere(&self, id: &str) -> bool {
        let here = self.remove(id);
        let Some(shared) = &self.shared else {
            return here;
        };
        let in_redis = shared.delete(id).await == Some(true);
        if in_redis && !here {
            self.events.end_session(id);
        }
        here || in_redis
    }

    /// Pushes the session's expiry in Redis back, at most once per refresh period, off the
    /// request's path, and catches up with its log level. A session Redis lost (expired, or
    /// deleted by an instance whose broadcast did not arrive) ends here too; one opened while
    /// Redis was away is stored now.
    fn refresh(self: &Arc<Self>, session: &Arc<LegacySession>) {
        let Some(shared) = &self.shared else {
            return;
        };
        let now = self.now_ms();
        let last = session.refreshed_ms.load(Ordering::Relaxed);
        let period = u64::try_from(shared.refresh_every().as_millis()).unwrap_or(u64::MAX);
        if now.saturating_sub(last) < period
            || session
                .refreshed_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let sessions = Arc::downgrade(self);
        let session = session.clone();
        tokio::spawn(async move {
            let Some(sessions) = sessions.upgrade() else {
                return;
            };
            let Some(shared) = &sessions.shared else {
                return;
            };
            if !session.stored.load(Ordering::Relaxed) {
                sessions.store_new(&session).await;
                return;
            }
            match shared.touch(&session.id).await {
                None => {} // Redis away: the session goes on here
                Some(None) => {
                    sessions.end(
                        &session.id,
                        "it expired in Redis or was ended on another instance",
                        End::Here,
                    );
                }
                Some(Some(record)) => lock(&session.dispatch).set_log_level(record.log_level),
            }
        });
    }
}

fn record_of(session: &LegacySession) -> SessionRecord {
    let dispatch = lock(&session.dispatch);
    SessionRecord {
        version: dispatch.legacy_version().unwrap_or_default(),
        capabilities: dispatch.client_capabilities().cloned(),
        log_level: dispatch.log_level(),
    }
}

impl Subscriber for Sessions {
    fn message(&self, body: &[u8]) {
        if let Some(id) = ended_by(body) {
            self.end(id, "the client ended it on another instance", End::Here);
        } else if let Some((id, message)) = answer_of(body) {
            if let Some(session) = self.held(id) {
                let delivered = lock(&session.dispatch).deliver_answer(message);
                if delivered == Some(true) {
                    tracing::debug!(
                        session = id,
                        "took a client's answer posted to another instance"
                    );
                }
            }
        } else if let Some((id, level)) = level_of(body) {
            if let Some(session) = self.held(id) {
                lock(&session.dispatch).set_log_level(level);
            }
        }
    }

    fn missed(&self) {
        // An end may have been missed: every session checks Redis at its next use.
        for session in self.all() {
            session.refreshed_ms.store(0, Ordering::Relaxed);
        }
    }
}
