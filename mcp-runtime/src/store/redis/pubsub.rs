//! Broadcasts between instances (cache invalidations, session ends) over one Redis pub/sub
//! channel, `{prefix}:broadcast`, on a connection of its own.
//!
//! A message is `{sender:016x} {body}`; an instance skips its own. Pub/sub delivers at most
//! once: when the subscription connection drops, messages sent meanwhile are lost, so every
//! subscriber is told it [`missed`](Subscriber::missed) some and starts over (a level-1 cache
//! clears itself).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};

use redis::{PushInfo, PushKind, Value};

use super::{Redis, RedisInner};

/// What hears broadcasts.
pub(crate) trait Subscriber: Send + Sync {
    /// A body another instance broadcast.
    fn message(&self, body: &[u8]);
    /// Broadcasts may have been lost (the subscription dropped, or Redis was away).
    fn missed(&self);
}

/// The subscription's state.
const IDLE: u8 = 0;
const SUBSCRIBING: u8 = 1;
const SUBSCRIBED: u8 = 2;

#[derive(Default)]
pub(crate) struct Subscribers {
    list: Mutex<Vec<Weak<dyn Subscriber>>>,
    state: AtomicU8,
    /// No new attempt before this (after a failed one), so a Redis that takes commands but
    /// refuses subscriptions (RESP2 only, say) does not get one attempt per call.
    next_attempt: Mutex<Option<std::time::Instant>>,
    /// A failed subscription was logged (once: it is a setup problem, not an outage).
    warned: std::sync::atomic::AtomicBool,
    /// The subscription connection, kept alive while subscribed.
    connection: Mutex<Option<super::conn::Handle>>,
}

impl Subscribers {
    fn each(&self, mut f: impl FnMut(&dyn Subscriber)) {
        let live: Vec<Arc<dyn Subscriber>> = {
            let mut list = crate::sync::lock(&self.list);
            list.retain(|s| s.strong_count() > 0);
            list.iter().filter_map(Weak::upgrade).collect()
        };
        for subscriber in live {
            f(&*subscriber);
        }
    }

    /// Whether a subscription should be made: someone listens, and none is up or on its way.
    pub(crate) fn wants_subscription(&self) -> bool {
        self.state.load(Ordering::Acquire) == IDLE
            && !crate::sync::lock(&self.list).is_empty()
            && crate::sync::lock(&self.next_attempt)
                .is_none_or(|at| std::time::Instant::now() >= at)
    }

    /// Redis came back: tell everyone they may have missed broadcasts.
    pub(crate) fn recovered(&self) {
        self.each(|s| s.missed());
    }

    /// The subscription connection dropped.
    fn lost(&self) {
        crate::sync::lock(&self.connection).take();
        self.state.store(IDLE, Ordering::Release);
        self.each(|s| s.missed());
    }
}

/// Receives the subscription connection's pushes (called on redis-rs' reader task: no
/// blocking).
#[derive(Clone)]
pub(crate) struct PushSink {
    owner: Weak<RedisInner>,
}

impl redis::aio::AsyncPushSender for PushSink {
    fn send(&self, info: PushInfo) -> Result<(), redis::aio::SendError> {
        let Some(inner) = self.owner.upgrade() else {
            return Err(redis::aio::SendError);
        };
        match info.kind {
            PushKind::Message | PushKind::SMessage => {
                // [channel, payload]
                if let Some(Value::BulkString(payload)) = info.data.get(1) {
                    deliver(&inner, payload);
                }
            }
            PushKind::Disconnection => inner.subscribers.lost(),
            _ => {}
        }
        Ok(())
    }
}

fn deliver(inner: &RedisInner, payload: &[u8]) {
    let Some((sender, body)) = split_message(payload) else {
        return;
    };
    if sender == inner.instance {
        return;
    }
    inner.subscribers.each(|s| s.message(body));
}

fn split_message(payload: &[u8]) -> Option<(u64, &[u8])> {
    let sender = payload.get(..16)?;
    let sender = u64::from_str_radix(std::str::from_utf8(sender).ok()?, 16).ok()?;
    let body = payload.get(17..)?;
    Some((sender, body))
}

impl Redis {
    fn channel(&self) -> String {
        format!("{}:broadcast", self.inner.prefix)
    }

    /// Hears broadcasts while `subscriber` lives.
    pub(crate) fn subscribe(&self, subscriber: Weak<dyn Subscriber>) {
        crate::sync::lock(&self.inner.subscribers.list).push(subscriber);
    }

    /// Sends `body` to every other instance (best effort; see the module docs).
    pub(crate) async fn broadcast(&self, body: &[u8]) {
        let mut payload = format!("{:016x} ", self.inner.instance).into_bytes();
        payload.extend_from_slice(body);
        let _: Result<i64, _> = self
            .query(redis::cmd("PUBLISH").arg(self.channel()).arg(payload))
            .await;
    }

    /// Subscribes to the broadcast channel unless subscribed (or subscribing) already.
    pub(crate) async fn ensure_subscribed(&self) {
        let subscribers = &self.inner.subscribers;
        if subscribers.state.load(Ordering::Acquire) != IDLE
            || crate::sync::lock(&subscribers.list).is_empty()
            || subscribers
                .state
                .compare_exchange(IDLE, SUBSCRIBING, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return;
        }
        let sink = PushSink {
            owner: Arc::downgrade(&self.inner),
        };
        let timeout = self.inner.timeout;
        let subscribed = tokio::time::timeout(timeout * 2, async {
            let mut handle = self.inner.conn.connect(timeout, Some(sink)).await?;
            handle.subscribe(&self.channel()).await?;
            Ok::<_, redis::RedisError>(handle)
        })
        .await;
        match subscribed {
            Ok(Ok(handle)) => {
                *crate::sync::lock(&subscribers.connection) = Some(handle);
                subscribers.state.store(SUBSCRIBED, Ordering::Release);
                subscribers.warned.store(false, Ordering::Relaxed);
                // Whatever was broadcast before now went unheard (a level-1 cache filled in
                // the moment before could be stale already): subscribers start over.
                subscribers.each(|s| s.missed());
            }
            failed => {
                let retry = self.inner.health.retry_every();
                *crate::sync::lock(&subscribers.next_attempt) =
                    Some(std::time::Instant::now() + retry);
                if let (Ok(Err(err)), false) =
                    (failed, subscribers.warned.swap(true, Ordering::Relaxed))
                {
                    tracing::warn!(
                        target: "mcp_toolkit::redis",
                        error = %err,
                        "cannot subscribe to broadcasts (instances' level-1 caches then learn \
                         of invalidations only by expiry); retrying every {retry:?}",
                    );
                }
                subscribers.state.store(IDLE, Ordering::Release);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_message;

    #[test]
    fn messages_carry_their_sender() {
        let payload = b"00000000000000ff drop tool x";
        assert_eq!(split_message(payload), Some((255, &b"drop tool x"[..])));
        assert_eq!(split_message(b"short"), None);
        assert_eq!(split_message(b"zzzzzzzzzzzzzzzz body"), None);
    }
}
