//! Multi-round-trip requests (`2026-07-28`): a request that needs the client's input ends with an
//! `input_required` result naming what it needs; the client retries it with `inputResponses`.
//!
//! The server keeps nothing between rounds: answers from earlier rounds travel in the
//! `requestState` it hands out, signed (HMAC-SHA256) so that a client cannot alter them, and
//! bound to the method and tool, prompt or resource they were given for. Servers behind one
//! load balancer share the signing key ([`ServerBuilder::request_state_key`]); by default each
//! process draws its own.
//!
//! [`ServerBuilder::request_state_key`]: crate::ServerBuilder::request_state_key

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::protocol::jsonrpc::ErrorObject;

type HmacSha256 = Hmac<Sha256>;

/// The key `requestState` is signed with.
#[derive(Clone)]
pub(crate) struct StateKey([u8; 32]);

impl std::fmt::Debug for StateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateKey(..)")
    }
}

impl StateKey {
    /// A key from the operating system's random source.
    pub(crate) fn random() -> StateKey {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source works");
        StateKey(key)
    }

    /// A key derived from shared secret bytes (servers that must accept each other's states).
    pub(crate) fn from_secret(secret: &[u8]) -> StateKey {
        let mut mac = HmacSha256::new_from_slice(b"mcp-toolkit requestState key")
            .expect("HMAC takes any key length");
        mac.update(secret);
        StateKey(mac.finalize().into_bytes().into())
    }

    fn mac(&self, scope: &str, payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(scope.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        mac
    }

    /// Signs the answers gathered so far for the request `scope` (method and target).
    pub(crate) fn seal(&self, scope: &str, answers: &Map<String, Value>) -> String {
        let payload = serde_json::to_vec(answers).expect("JSON values serialize");
        let tag = self.mac(scope, &payload).finalize().into_bytes();
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}", engine.encode(&payload), engine.encode(tag))
    }

    /// The answers a `requestState` carries, if it was signed by this key for `scope`.
    pub(crate) fn open(&self, scope: &str, state: &str) -> Result<Map<String, Value>, ErrorObject> {
        let invalid = || {
            ErrorObject::invalid_params(
                "Invalid requestState: it failed its integrity check (it was altered, or issued \
                 for another request or by a server with another key)",
            )
        };
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (payload, tag) = state.split_once('.').ok_or_else(invalid)?;
        let payload = engine.decode(payload).map_err(|_| invalid())?;
        let tag = engine.decode(tag).map_err(|_| invalid())?;
        self.mac(scope, &payload)
            .verify_slice(&tag)
            .map_err(|_| invalid())?;
        serde_json::from_slice(&payload).map_err(|_| invalid())
    }
}

/// One round of a multi-round-trip request: the answers the client gave (this round's
/// `inputResponses` and earlier rounds' from `requestState`), and what the handler asked for
/// that has no answer yet.
#[derive(Debug)]
pub(crate) struct InputRound {
    /// The method and its target (tool, prompt, URI): what a `requestState` is bound to.
    method: &'static str,
    target: Arc<str>,
    /// What is rare stays boxed: every stateless call carries a round, moved into its
    /// context, and most have no answers and ask nothing.
    answers: Option<Box<Map<String, Value>>>,
    asked: Mutex<Option<Box<Asked>>>,
}

/// What a round's handler asked for, and which answers it read: only those travel on in the
/// next state, so a client cannot grow it with answers to questions never asked.
#[derive(Debug, Default)]
struct Asked {
    requests: Map<String, Value>,
    used: Vec<String>,
}

impl InputRound {
    /// A round of `method` on `target`, with the client's `inputResponses` and the
    /// `requestState` it echoed (checked here). Allocates nothing when both are absent.
    ///
    /// # Errors
    /// A `requestState` that fails its check, or `inputResponses` that are not an object.
    pub(crate) fn new(
        method: &'static str,
        target: Arc<str>,
        key: &StateKey,
        responses: Option<&serde_json::value::RawValue>,
        state: Option<&str>,
    ) -> Result<Self, ErrorObject> {
        if state.is_none() && responses.is_none() {
            // The common case, without building (and hashing for) an empty map.
            return Ok(InputRound {
                method,
                target,
                answers: None,
                asked: Mutex::default(),
            });
        }
        let mut answers = match state {
            Some(state) => key.open(&scope(method, &target), state)?,
            None => Map::new(),
        };
        if let Some(responses) = responses {
            let given: Map<String, Value> = serde_json::from_str(responses.get())
                .map_err(|e| ErrorObject::invalid_params(format!("Invalid inputResponses: {e}")))?;
            answers.extend(given);
        }
        Ok(InputRound {
            method,
            target,
            answers: (!answers.is_empty()).then(|| Box::new(answers)),
            asked: Mutex::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Box<Asked>>> {
        self.asked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The client's answer to the input request `key`, if it gave one.
    pub(crate) fn answer(&self, key: &str) -> Option<&Value> {
        let answer = self.answers.as_ref()?.get(key)?;
        self.lock()
            .get_or_insert_with(Box::default)
            .used
            .push(key.to_owned());
        Some(answer)
    }

    /// Records an input request to send back in the `input_required` result.
    pub(crate) fn ask(&self, key: &str, method: &str, params: Value) {
        self.lock()
            .get_or_insert_with(Box::default)
            .requests
            .insert(key.to_owned(), json!({"method": method, "params": params}));
    }

    /// The `input_required` result (its state signed with `key`), when the handler asked for
    /// input it did not get.
    pub(crate) fn input_required(&self, key: &StateKey) -> Option<Value> {
        let asked = self.lock();
        let asked = asked
            .as_deref()
            .filter(|asked| !asked.requests.is_empty())?;
        let answers: Map<String, Value> = self
            .answers
            .iter()
            .flat_map(|answers| answers.iter())
            .filter(|(key, _)| asked.used.contains(key))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        Some(json!({
            "resultType": "input_required",
            "inputRequests": asked.requests,
            "requestState": key.seal(&scope(self.method, &self.target), &answers),
        }))
    }
}

/// What a `requestState` is bound to.
fn scope(method: &str, target: &str) -> String {
    format!("{method}\u{0}{target}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_open_only_unaltered_for_their_scope_and_key() {
        let key = StateKey::random();
        let answers = Map::from_iter([("name".to_owned(), json!({"action": "accept"}))]);
        let state = key.seal("tools/call:greet", &answers);
        assert_eq!(key.open("tools/call:greet", &state).unwrap(), answers);
        assert!(key.open("tools/call:other", &state).is_err());
        assert!(StateKey::random().open("tools/call:greet", &state).is_err());
        for tampered in [
            format!("{state}-TAMPERED"),
            state.replacen('e', "f", 1),
            "x".into(),
        ] {
            assert!(
                key.open("tools/call:greet", &tampered).is_err(),
                "{tampered}"
            );
        }
        let shared = StateKey::from_secret(b"secret");
        let state = shared.seal("s", &answers);
        assert!(StateKey::from_secret(b"secret").open("s", &state).is_ok());
    }
}
