//! JSON-RPC batches, which MCP allows only in protocol version `2025-03-26`: an array of
//! messages whose responses go back together as one array, once every request in it has been
//! answered (notifications and cancelled calls add nothing; a batch with no response to give
//! gets none at all).

use std::collections::HashMap;

use serde_json::value::RawValue;

use crate::protocol::jsonrpc::{ErrorObject, PARSE_ERROR};

/// Identifies one batch array among those still being answered.
pub(crate) type BatchId = u64;

/// The batches of one connection still waiting for some of their responses.
#[derive(Default)]
pub(crate) struct RpcBatches {
    next: BatchId,
    open: HashMap<BatchId, OpenBatch>,
}

struct OpenBatch {
    /// The responses so far, comma-separated.
    responses: Vec<u8>,
    /// Calls of this batch still running.
    running: usize,
    /// Every message of the array has been dispatched.
    sealed: bool,
}

/// The messages of a batch array, or the error to answer it with.
pub(crate) fn split(line: &[u8]) -> Result<Vec<&RawValue>, ErrorObject> {
    let messages: Vec<&RawValue> = serde_json::from_slice(line).map_err(|err| {
        ErrorObject::new(
            PARSE_ERROR,
            format!("Parse error: invalid batch array: {err}"),
        )
    })?;
    if messages.is_empty() {
        return Err(ErrorObject::invalid_request(
            "Invalid Request: an empty batch",
        ));
    }
    Ok(messages)
}

impl RpcBatches {
    /// Starts collecting the responses of a new batch.
    pub(crate) fn open(&mut self) -> BatchId {
        let id = self.next;
        self.next += 1;
        self.open.insert(
            id,
            OpenBatch {
                responses: Vec::new(),
                running: 0,
                sealed: false,
            },
        );
        id
    }

    /// Adds the response lines in `written` (possibly none) to `batch`.
    pub(crate) fn respond(&mut self, batch: BatchId, written: &[u8]) {
        let Some(open) = self.open.get_mut(&batch) else {
            return;
        };
        for response in written.split(|&b| b == b'\n').filter(|r| !r.is_empty()) {
            if !open.responses.is_empty() {
                open.responses.push(b',');
            }
            open.responses.extend_from_slice(response);
        }
    }

    /// A call of `batch` is running: the batch waits for it.
    pub(crate) fn call_started(&mut self, batch: BatchId) {
        if let Some(open) = self.open.get_mut(&batch) {
            open.running += 1;
        }
    }

    /// A call of `batch` ended, its response (if any) already given to [`respond`](Self::respond).
    pub(crate) fn call_ended(&mut self, batch: BatchId, out: &mut Vec<u8>) {
        if let Some(open) = self.open.get_mut(&batch) {
            open.running -= 1;
        }
        self.complete(batch, out);
    }

    /// Every message of `batch` has been dispatched.
    pub(crate) fn seal(&mut self, batch: BatchId, out: &mut Vec<u8>) {
        if let Some(open) = self.open.get_mut(&batch) {
            open.sealed = true;
        }
        self.complete(batch, out);
    }

    /// Input ended and the calls still running were abandoned: every open batch goes out with
    /// the responses it has.
    pub(crate) fn abandon_running_calls(&mut self, out: &mut Vec<u8>) {
        let ids: Vec<BatchId> = self.open.keys().copied().collect();
        for batch in ids {
            if let Some(open) = self.open.get_mut(&batch) {
                open.running = 0;
                open.sealed = true;
            }
            self.complete(batch, out);
        }
    }

    /// Writes the batch's response array to `out` once nothing more can join it.
    fn complete(&mut self, batch: BatchId, out: &mut Vec<u8>) {
        let done = self
            .open
            .get(&batch)
            .is_some_and(|open| open.sealed && open.running == 0);
        if !done {
            return;
        }
        let open = self.open.remove(&batch).expect("just found");
        if !open.responses.is_empty() {
            out.push(b'[');
            out.extend_from_slice(&open.responses);
            out.extend_from_slice(b"]\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_go_out_together_once_every_call_ended() {
        let mut batches = RpcBatches::default();
        let mut out = Vec::new();
        let batch = batches.open();
        batches.respond(batch, b"{\"id\":1}\n");
        batches.call_started(batch);
        batches.respond(batch, b"");
        batches.seal(batch, &mut out);
        assert!(out.is_empty(), "a call is still running");
        batches.respond(batch, b"{\"id\":2}\n");
        batches.call_ended(batch, &mut out);
        assert_eq!(out, b"[{\"id\":1},{\"id\":2}]\n");
    }

    #[test]
    fn abandoned_calls_leave_the_responses_already_collected() {
        let mut batches = RpcBatches::default();
        let mut out = Vec::new();
        let batch = batches.open();
        batches.call_started(batch);
        batches.respond(batch, b"{\"id\":2}\n");
        batches.seal(batch, &mut out);
        let silent = batches.open();
        batches.call_started(silent);
        batches.seal(silent, &mut out);
        assert!(out.is_empty());
        batches.abandon_running_calls(&mut out);
        assert_eq!(out, b"[{\"id\":2}]\n");
        assert!(batches.open.is_empty());
    }

    #[test]
    fn a_batch_of_notifications_gets_no_response() {
        let mut batches = RpcBatches::default();
        let mut out = Vec::new();
        let batch = batches.open();
        batches.respond(batch, b"");
        batches.seal(batch, &mut out);
        assert!(out.is_empty());
        assert!(batches.open.is_empty());
    }

    #[test]
    fn empty_and_malformed_arrays_are_errors() {
        assert_eq!(split(b"[]").unwrap_err().code, -32600);
        assert_eq!(split(b"[{\"a\":1},").unwrap_err().code, -32700);
        assert_eq!(split(b"[1, {\"a\":1}]").unwrap().len(), 2);
    }
}
