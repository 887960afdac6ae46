//! Legacy HTTP sessions in Redis, so that any instance can continue a session another one
//! opened (a load balancer without affinity).
//!
//! One key per session, `{prefix}:{server}:{<id>}:session`, holds what dispatch needs to go on
//! (the negotiated version, the client's capabilities, the log level) and expires when the
//! session has been idle as long as `session_idle_timeout`. The `{<id>}` hash tag puts a
//! session's key and its event streams in one Redis Cluster slot.
//!
//! Ending a session everywhere: the instance that takes the `DELETE` deletes the key and
//! broadcasts `session-end <id>`; the others end their copy. A lost broadcast is caught by the
//! next refresh of the key's expiry (it finds the key gone).

use std::sync::Arc;
use std::time::Duration;

use super::Redis;
use crate::protocol::messages::LogLevel;
use crate::protocol::version::LEGACY_VERSIONS;

/// What another instance needs to continue a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SessionRecord {
    pub version: &'static str,
    pub capabilities: Option<Arc<str>>,
    pub log_level: Option<LogLevel>,
}

/// The record as stored (JSON).
#[derive(serde::Serialize, serde::Deserialize)]
struct Wire<'a> {
    #[serde(rename = "v")]
    version: &'a str,
    /// The capabilities' JSON, as a string: kept byte for byte (escaped inside, so not
    /// borrowed when read).
    #[serde(rename = "c", default, borrow, skip_serializing_if = "Option::is_none")]
    capabilities: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    log_level: Option<&'a str>,
}

impl SessionRecord {
    fn encode(&self) -> String {
        let wire = Wire {
            version: self.version,
            capabilities: self.capabilities.as_deref().map(std::borrow::Cow::Borrowed),
            log_level: self.log_level.map(LogLevel::as_str),
        };
        serde_json::to_string(&wire).expect("strings serialize")
    }

    /// `None` for what this build cannot continue (a version it does not speak).
    fn decode(bytes: &[u8]) -> Option<SessionRecord> {
        let wire: Wire<'_> = serde_json::from_slice(bytes).ok()?;
        let version = *LEGACY_VERSIONS.iter().find(|v| **v == wire.version)?;
        Some(SessionRecord {
            version,
            capabilities: wire.capabilities.map(|c| Arc::from(&*c)),
            log_level: wire.log_level.and_then(LogLevel::parse),
        })
    }
}

/// The broadcast that ends a session on every instance.
const END_PREFIX: &[u8] = b"session-end ";
/// The broadcast that carries a client's answer to the instance whose call asked:
/// `session-answer <id> <message>`.
const ANSWER_PREFIX: &[u8] = b"session-answer ";
/// The broadcast that gives a session's copies a new log level: `session-level <id> <level>`.
const LEVEL_PREFIX: &[u8] = b"session-level ";

/// The sessions of one server in Redis.
pub(crate) struct SharedSessions {
    redis: Redis,
    /// `{prefix}:{server}:`
    base: String,
    /// The key's expiry: the idle timeout plus the refresh period (a session used now and
    /// then is refreshed at most once per period, so its key must outlive the idle timeout by
    /// that much).
    ttl_ms: u64,
    refresh_every: Duration,
}

impl SharedSessions {
    pub(crate) fn new(shared: &crate::store::Shared, idle_timeout: Duration) -> SharedSessions {
        let refresh_every = (idle_timeout / 8).clamp(Duration::from_millis(50), MAX_REFRESH);
        let ttl = idle_timeout + refresh_every;
        SharedSessions {
            redis: shared.redis.clone(),
            base: format!("{}:{}:", shared.redis.inner.prefix, shared.server),
            ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1),
            refresh_every,
        }
    }

    pub(crate) fn redis(&self) -> &Redis {
        &self.redis
    }

    /// How often a session in use has its expiry pushed back (at most).
    pub(crate) fn refresh_every(&self) -> Duration {
        self.refresh_every
    }

    fn key(&self, id: &str) -> String {
        format!("{}{{{id}}}:session", self.base)
    }

    /// Stores a session: a new one (`only_existing: false`: not over one that is there), or
    /// its changed record (`true`: a session deleted meanwhile is not brought back). `false`
    /// when Redis could not be asked or did not take it.
    pub(crate) async fn save(&self, id: &str, record: &SessionRecord, only_existing: bool) -> bool {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(id))
            .arg(record.encode())
            .arg("PX")
            .arg(self.ttl_ms)
            .arg(if only_existing { "XX" } else { "NX" });
        matches!(self.redis.query::<Option<String>>(&cmd).await, Ok(Some(_)))
    }

    /// The stored session (its expiry pushed back), if it lives and this build can continue
    /// it; `None` too when Redis cannot be asked.
    pub(crate) async fn load(&self, id: &str) -> Option<SessionRecord> {
        self.touch(id).await?
    }

    /// Pushes the session's expiry back and reads its record (a `logging/setLevel` elsewhere
    /// whose broadcast was missed is caught up with here): `Some(None)` when the session is
    /// gone from Redis (expired, or deleted by an instance whose broadcast was missed); `None`
    /// when Redis could not be asked.
    pub(crate) async fn touch(&self, id: &str) -> Option<Option<SessionRecord>> {
        let mut cmd = redis::cmd("GETEX");
        cmd.arg(self.key(id)).arg("PX").arg(self.ttl_ms);
        let stored = self.redis.query::<Option<Vec<u8>>>(&cmd).await.ok()?;
        Some(stored.and_then(|stored| SessionRecord::decode(&stored)))
    }

    /// Writes a changed log level through and tells the instances holding the session.
    pub(crate) async fn save_level(&self, id: &str, record: &SessionRecord) {
        if !self.save(id, record, true).await {
            return;
        }
        let level = record.log_level.map_or("", LogLevel::as_str);
        let body = [LEVEL_PREFIX, id.as_bytes(), b" ", level.as_bytes()].concat();
        self.redis.broadcast(&body).await;
    }

    /// Hands a client's answer to the other instances: the one whose call waits for it takes it.
    pub(crate) async fn route_answer(&self, id: &str, message: &[u8]) {
        let body = [ANSWER_PREFIX, id.as_bytes(), b" ", message].concat();
        self.redis.broadcast(&body).await;
    }

    /// Deletes the session and tells every instance to end its copy. `Some(true)` when Redis
    /// held it; `None` when Redis could not be asked.
    pub(crate) async fn delete(&self, id: &str) -> Option<bool> {
        let deleted = self
            .redis
            .query::<i64>(redis::cmd("DEL").arg(self.key(id)))
            .await
            .ok()?;
        let mut body = END_PREFIX.to_vec();
        body.extend_from_slice(id.as_bytes());
        self.redis.broadcast(&body).await;
        Some(deleted > 0)
    }
}

/// The longest time between two refreshes of a session in use.
const MAX_REFRESH: Duration = Duration::from_secs(5);

/// The session a broadcast ends, if it is one of ours.
pub(crate) fn ended_by(body: &[u8]) -> Option<&str> {
    std::str::from_utf8(body.strip_prefix(END_PREFIX)?).ok()
}

/// The session and the client's answer a broadcast carries, if it is one of ours.
pub(crate) fn answer_of(body: &[u8]) -> Option<(&str, &[u8])> {
    let rest = body.strip_prefix(ANSWER_PREFIX)?;
    let space = rest.iter().position(|&b| b == b' ')?;
    Some((
        std::str::from_utf8(&rest[..space]).ok()?,
        &rest[space + 1..],
    ))
}

/// The session and log level a broadcast changes, if it is one of ours (`None` inside:
/// no level).
pub(crate) fn level_of(body: &[u8]) -> Option<(&str, Option<LogLevel>)> {
    let rest = std::str::from_utf8(body.strip_prefix(LEVEL_PREFIX)?).ok()?;
    let (id, level) = rest.split_once(' ')?;
    Some((id, LogLevel::parse(level)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_unknown_versions_are_refused() {
        let record = SessionRecord {
            version: "2025-06-18",
            capabilities: Some(r#"{"sampling":{}}"#.into()),
            log_level: Some(LogLevel::Info),
        };
        assert_eq!(
            SessionRecord::decode(record.encode().as_bytes()),
            Some(record)
        );
        let bare = SessionRecord {
            version: "2025-11-25",
            capabilities: None,
            log_level: None,
        };
        assert_eq!(SessionRecord::decode(bare.encode().as_bytes()), Some(bare));
        assert_eq!(SessionRecord::decode(br#"{"v":"1999-01-01"}"#), None);
        assert_eq!(SessionRecord::decode(b"not json"), None);
        assert_eq!(ended_by(b"session-end abc"), Some("abc"));
        assert_eq!(ended_by(b"cache-drop abc"), None);
        assert_eq!(
            level_of(b"session-level abc debug"),
            Some(("abc", Some(LogLevel::Debug)))
        );
        assert_eq!(level_of(b"session-level abc "), Some(("abc", None)));
        assert_eq!(level_of(b"session-end abc"), None);
        assert_eq!(
            answer_of(br#"session-answer abc {"id":1}"#),
            Some(("abc", &br#"{"id":1}"#[..]))
        );
        assert_eq!(answer_of(b"session-end abc"), None);
    }
}
