//! Notifications the server sends unprompted (legacy era): `notifications/resources/updated` for
//! the resources a client subscribed to. Each stdio connection and each HTTP session has a
//! [`Listener`]; `Server::notify_resource_updated` leaves a note with every listener subscribed
//! to the URI, and the connection (or the session's `GET` stream) sends it. Lists that change
//! while serving (`Server::add_tool` ...) set a bit on every listener that asked for that list:
//! however many changes happen before the client reads, it gets one notification per list.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::Waker;

use futures_util::task::AtomicWaker;
use serde_json::{json, Value};

use crate::protocol::jsonrpc::write_notification;
use crate::sync::lock;

/// The `_meta` key that tags a notification with its `subscriptions/listen` request.
pub(crate) const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

/// URIs a listener may have waiting; an update of one already waiting is not queued twice, so
/// this bounds the queue whatever the server sends.
const MAX_WAITING: usize = 1024;

/// Resource URIs one listener may subscribe to.
pub(crate) const MAX_SUBSCRIPTIONS: usize = 1024;

/// A list whose changes clients may be told of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListKind {
    Tools,
    Prompts,
    Resources,
}

impl ListKind {
    pub(crate) const ALL: [ListKind; 3] = [ListKind::Tools, ListKind::Prompts, ListKind::Resources];

    fn bit(self) -> u8 {
        match self {
            ListKind::Tools => 1,
            ListKind::Prompts => 2,
            ListKind::Resources => 4,
        }
    }

    fn method(self) -> &'static str {
        match self {
            ListKind::Tools => "notifications/tools/list_changed",
            ListKind::Prompts => "notifications/prompts/list_changed",
            ListKind::Resources => "notifications/resources/list_changed",
        }
    }
}

/// Every listener of one server.
#[derive(Default)]
pub(crate) struct Listeners(Mutex<Vec<Weak<Listener>>>);

impl Listeners {
    /// A listener for a new connection or session (dropped with it).
    pub(crate) fn register(&self) -> Arc<Listener> {
        let listener = Arc::new(Listener::default());
        let mut all = lock(&self.0);
        all.retain(|l| l.strong_count() > 0);
        all.push(Arc::downgrade(&listener));
        listener
    }

    /// Tells every listener subscribed to `uri` that the resource changed.
    pub(crate) fn resource_updated(&self, uri: &str) {
        let all: Vec<Arc<Listener>> = lock(&self.0).iter().filter_map(Weak::upgrade).collect();
        for listener in all {
            if lock(&listener.subscriptions).contains(uri) {
                listener.updated(uri);
            }
        }
    }

    /// Tells every listener that asked for `kind` that the list changed.
    pub(crate) fn list_changed(&self, kind: ListKind) {
        let all: Vec<Arc<Listener>> = lock(&self.0).iter().filter_map(Weak::upgrade).collect();
        for listener in all {
            if listener.wanted.load(Ordering::Acquire) & kind.bit() != 0 {
                listener.changed.fetch_or(kind.bit(), Ordering::AcqRel);
                listener.pending.store(true, Ordering::Release);
                listener.waker.wake();
            }
        }
    }
}

/// One client's unprompted notifications: its subscriptions and what waits to be sent.
#[derive(Default)]
pub(crate) struct Listener {
    subscriptions: Mutex<HashSet<String>>,
    /// Updated URIs not yet sent, oldest first (each at most once).
    waiting: Mutex<VecDeque<String>>,
    /// The lists (bits of [`ListKind`]) whose changes this client is told of.
    wanted: AtomicU8,
    /// The lists that changed since the client was last told: a bit each, so changes coalesce
    /// and take no memory however many there are.
    changed: AtomicU8,
    pending: AtomicBool,
    waker: AtomicWaker,
}

impl Listener {
    /// Subscribes to a URI; `false` when the listener is at its cap.
    pub(crate) fn subscribe(&self, uri: &str) -> bool {
        let mut subscriptions = lock(&self.subscriptions);
        if subscriptions.len() >= MAX_SUBSCRIPTIONS && !subscriptions.contains(uri) {
            return false;
        }
        subscriptions.insert(uri.to_owned());
        true
    }

    /// From now on, tells this client when `kind` changes.
    pub(crate) fn want_list_changes(&self, kind: ListKind) {
        self.wanted.fetch_or(kind.bit(), Ordering::AcqRel);
    }

    pub(crate) fn unsubscribe(&self, uri: &str) {
        lock(&self.subscriptions).remove(uri);
    }

    fn updated(&self, uri: &str) {
        let mut waiting = lock(&self.waiting);
        if waiting.iter().any(|w| w == uri) {
            return;
        }
        if waiting.len() >= MAX_WAITING {
            waiting.pop_front();
        }
        waiting.push_back(uri.to_owned());
        drop(waiting);
        self.pending.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Registers the task that sends this listener's notifications.
    pub(crate) fn register(&self, waker: &Waker) {
        self.waker.register(waker);
    }

    /// Writes what waits (one line each); `false` when nothing did.
    pub(crate) fn collect(&self, out: &mut Vec<u8>) -> bool {
        self.collect_for(out, None)
    }

    /// Like [`Listener::collect`], tagging each notification with the subscription it belongs
    /// to (`2026-07-28` `subscriptions/listen` streams).
    pub(crate) fn collect_for(&self, out: &mut Vec<u8>, subscription: Option<&Value>) -> bool {
        if !self.pending.swap(false, Ordering::Acquire) {
            return false;
        }
        let changed = self.changed.swap(0, Ordering::AcqRel);
        let params = |mut params: Value| {
            if let Some(id) = subscription {
                params["_meta"] = json!({ SUBSCRIPTION_ID: id });
            }
            params
        };
        for kind in ListKind::ALL {
            if changed & kind.bit() != 0 {
                write_notification(out, kind.method(), &params(json!({})));
            }
        }
        let waiting = std::mem::take(&mut *lock(&self.waiting));
        for uri in &waiting {
            write_notification(
                out,
                "notifications/resources/updated",
                &params(json!({ "uri": uri })),
            );
        }
        changed != 0 || !waiting.is_empty()
    }

    /// Completes when an update waits (or at once if one already does).
    pub(crate) async fn updated_wait(&self) {
        std::future::poll_fn(|cx| {
            self.waker.register(cx.waker());
            if self.pending.load(Ordering::Acquire) {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_subscribers_hear_and_repeated_updates_wait_once() {
        let listeners = Listeners::default();
        let (a, b) = (listeners.register(), listeners.register());
        assert!(a.subscribe("x://1"));
        for _ in 0..3 {
            listeners.resource_updated("x://1");
        }
        listeners.resource_updated("x://2");
        let (mut out_a, mut out_b) = (Vec::new(), Vec::new());
        assert!(a.collect(&mut out_a));
        assert!(!b.collect(&mut out_b));
        let text = String::from_utf8(out_a).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains(r#""uri":"x://1""#));
        a.unsubscribe("x://1");
        listeners.resource_updated("x://1");
        assert!(!a.collect(&mut Vec::new()));
        drop(b);
        assert_eq!(lock(&listeners.0).len(), 2);
        listeners.register();
        assert_eq!(lock(&listeners.0).len(), 2, "dropped listeners are swept");
    }

    #[test]
    fn list_changes_reach_who_asked_once_per_list() {
        let listeners = Listeners::default();
        let (a, b) = (listeners.register(), listeners.register());
        a.want_list_changes(ListKind::Tools);
        a.want_list_changes(ListKind::Prompts);
        for _ in 0..5 {
            listeners.list_changed(ListKind::Tools);
        }
        listeners.list_changed(ListKind::Resources);
        assert!(!b.collect(&mut Vec::new()), "b asked for nothing");
        let mut out = Vec::new();
        assert!(a.collect_for(&mut out, Some(&json!(7))));
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains("notifications/tools/list_changed"), "{text}");
        assert!(
            text.contains(r#""io.modelcontextprotocol/subscriptionId":7"#),
            "{text}"
        );
        assert!(!a.collect(&mut Vec::new()), "nothing left once collected");
    }
}
