//! A server process over its stdin and stdout: one JSON-RPC message per line.
//!
//! Every call in flight shares the pipe. A call appends its line to one outgoing buffer that a
//! writer task flushes (many calls, one write), and waits for its reply on a oneshot channel
//! kept under its id; a reader task reads replies in large chunks and hands each to the call
//! with that id. A reply naming an id with no call in flight is counted as a stray (the wrong
//! id), one naming a call that already timed out as late.
//!
//! Timeouts are found by a sweeper task that looks over the calls in flight a few times per
//! timeout, rather than by a timer per call: registering and clearing a timer cost more than
//! the rest of a call's bookkeeping. A call thus times out up to a tenth of the timeout late.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::{oneshot, Notify};

use super::outcome;
use crate::era::{self, Era};
use crate::reply::{classify, excerpt, Message, ReplyId};
use crate::stats::{ErrorKind, Outcome, Stats};

/// How much of the server's stderr is kept, to explain an early exit.
const STDERR_TAIL: usize = 2048;

/// The pipe to one server process.
pub struct StdioPipe {
    /// Taken by `close`.
    child: RefCell<Option<Child>>,
    pid: u32,
    /// Lines not yet written.
    outgoing: RefCell<Vec<u8>>,
    wake_writer: Notify,
    /// The calls in flight, by id, with when each times out.
    pending: RefCell<HashMap<u64, (oneshot::Sender<Outcome>, Instant)>>,
    /// Calls that timed out, so their late replies are not taken for strays.
    timed_out: RefCell<HashSet<u64>>,
    /// What came outside any call since the last drain.
    strays: RefCell<Stats>,
    /// Why no more calls can be made, once the process is gone.
    failure: RefCell<Option<String>>,
    stderr_tail: Rc<RefCell<Vec<u8>>>,
}

impl StdioPipe {
    /// Starts `command`, does the legacy handshake when `era` needs it, and starts the reader
    /// and writer tasks (on the current `LocalSet`).
    pub async fn spawn(
        command: &[String],
        era: Era,
        timeout: Duration,
    ) -> Result<Rc<StdioPipe>, String> {
        let (program, args) = command.split_first().ok_or("no server command")?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| format!("cannot start {program:?}: {err}"))?;
        let pid = child.id().ok_or("the server exited at once")?;
        let mut stdin = child.stdin.take().expect("piped");
        let mut stdout = child.stdout.take().expect("piped");
        let stderr_tail = Rc::new(RefCell::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            tokio::task::spawn_local(keep_tail(stderr, stderr_tail.clone()));
        }
        let mut input = Vec::with_capacity(1 << 16);
        if era == Era::Legacy {
            let handshake = handshake(&mut stdin, &mut stdout, &mut input);
            match tokio::time::timeout(timeout, handshake).await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => return Err(with_tail(err, &stderr_tail)),
                Err(_) => return Err(format!("no reply to initialize in {timeout:?}")),
            }
        }
        let pipe = Rc::new(StdioPipe {
            child: RefCell::new(Some(child)),
            pid,
            outgoing: RefCell::new(Vec::with_capacity(1 << 16)),
            wake_writer: Notify::new(),
            pending: RefCell::new(HashMap::new()),
            timed_out: RefCell::new(HashSet::new()),
            strays: RefCell::new(Stats::default()),
            failure: RefCell::new(None),
            stderr_tail,
        });
        tokio::task::spawn_local(write_lines(pipe.clone(), stdin));
        tokio::task::spawn_local(read_replies(pipe.clone(), stdout, input));
        tokio::task::spawn_local(sweep(Rc::downgrade(&pipe), timeout));
        Ok(pipe)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Why calls can no longer be made, once they cannot.
    pub fn failure(&self) -> Option<String> {
        self.failure.borrow().clone()
    }

    /// Sends one call and waits for its reply.
    pub async fn call(&self, id: u64, mut request: Vec<u8>, timeout: Duration) -> Outcome {
        if let Some(failure) = self.failure() {
            return Outcome::Error(ErrorKind::Transport, failure);
        }
        let (reply, replied) = oneshot::channel();
        let deadline = Instant::now() + timeout;
        self.pending.borrow_mut().insert(id, (reply, deadline));
        request.push(b'\n');
        self.outgoing.borrow_mut().extend_from_slice(&request);
        self.wake_writer.notify_one();
        // The reply, the sweeper's timeout, or (dropped) the pipe's failure.
        replied.await.unwrap_or_else(|_| {
            Outcome::Error(
                ErrorKind::Transport,
                self.failure().unwrap_or_else(|| "the pipe closed".into()),
            )
        })
    }

    /// Ends every call in flight whose deadline is past `now` as a timeout.
    fn expire(&self, now: Instant, timeout: Duration) {
        let mut pending = self.pending.borrow_mut();
        let expired: Vec<u64> = pending
            .iter()
            .filter(|(_, (_, deadline))| *deadline <= now)
            .map(|(&id, _)| id)
            .collect();
        for id in expired {
            if let Some((call, _)) = pending.remove(&id) {
                self.timed_out.borrow_mut().insert(id);
                let _ = call.send(Outcome::Error(
                    ErrorKind::Timeout,
                    format!("no reply to id {id} within {timeout:?}"),
                ));
            }
        }
    }

    /// Moves the strays counted since the last drain into `stats`.
    pub fn drain_strays(&self, stats: &mut Stats) {
        let strays = std::mem::take(&mut *self.strays.borrow_mut());
        for kind in ErrorKind::ALL {
            for _ in 0..strays.errors(kind) {
                let sample = strays.samples.get(&kind).cloned().unwrap_or_default();
                stats.record_stray(kind, sample);
            }
        }
        stats.late_replies += strays.late_replies;
    }

    /// Closes the server's stdin (a well-behaved server then exits), waits a second, then
    /// kills it.
    pub async fn close(self: Rc<Self>) {
        self.fail("mcp-load closed the pipe".into());
        self.wake_writer.notify_one();
        let Some(mut child) = self.child.borrow_mut().take() else {
            return;
        };
        if tokio::time::timeout(Duration::from_secs(1), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }

    /// Marks the pipe failed (the first reason stays) and fails every call in flight.
    fn fail(&self, why: String) {
        self.failure.borrow_mut().get_or_insert(why);
        // Dropping the senders ends each waiting call with the failure.
        self.pending.borrow_mut().clear();
    }

    /// Hands one line from the server to its call, or counts it as a stray.
    fn dispatch(&self, line: &[u8]) {
        match classify(line) {
            Message::Reply {
                id: ReplyId::Number(id),
                verdict,
            } => {
                let waiting = self.pending.borrow_mut().remove(&id);
                match waiting {
                    // The call may have just timed out: then nobody hears this, and that's fine.
                    Some((call, _)) => drop(call.send(outcome(verdict, line))),
                    None if self.timed_out.borrow_mut().remove(&id) => {
                        self.strays.borrow_mut().late_replies += 1;
                    }
                    None => self.stray(
                        ErrorKind::WrongId,
                        format!(
                            "a reply to id {id}, which no call had in flight: {}",
                            excerpt(line)
                        ),
                    ),
                }
            }
            Message::Reply {
                id: ReplyId::Null | ReplyId::Other,
                ..
            } => self.stray(
                ErrorKind::WrongId,
                format!("a reply to an id no call had: {}", excerpt(line)),
            ),
            Message::Unsolicited => {}
            Message::Unreadable(why) => self.stray(ErrorKind::Malformed, why),
        }
    }

    fn stray(&self, kind: ErrorKind, sample: String) {
        self.strays.borrow_mut().record_stray(kind, sample);
    }
}

/// `initialize`, its reply, then `notifications/initialized`.
async fn handshake(
    stdin: &mut ChildStdin,
    stdout: &mut ChildStdout,
    input: &mut Vec<u8>,
) -> Result<(), String> {
    let write_err = |err: std::io::Error| format!("cannot write to the server: {err}");
    let mut request = era::initialize_request().into_bytes();
    request.push(b'\n');
    stdin.write_all(&request).await.map_err(write_err)?;
    loop {
        let line_end = loop {
            if let Some(at) = memchr::memchr(b'\n', input) {
                break at;
            }
            let mut chunk = [0_u8; 8192];
            let n = stdout
                .read(&mut chunk)
                .await
                .map_err(|err| format!("cannot read from the server: {err}"))?;
            if n == 0 {
                return Err("the server closed its output before answering initialize".into());
            }
            input.extend_from_slice(&chunk[..n]);
        };
        let line: Vec<u8> = input.drain(..=line_end).collect();
        let line = &line[..line.len() - 1];
        // Notifications (a log line, say) may come first.
        if matches!(classify(line), Message::Unsolicited) {
            continue;
        }
        era::negotiated_version(line)?;
        break;
    }
    let initialized = format!("{}\n", era::INITIALIZED);
    stdin
        .write_all(initialized.as_bytes())
        .await
        .map_err(write_err)
}

/// Times calls out, ten times per timeout, for as long as the pipe lives.
async fn sweep(pipe: Weak<StdioPipe>, timeout: Duration) {
    let mut interval = tokio::time::interval((timeout / 10).max(Duration::from_millis(1)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(pipe) = pipe.upgrade() else { return };
        if pipe.failure().is_some() {
            return;
        }
        pipe.expire(Instant::now(), timeout);
    }
}

/// Writes queued lines, as many at once as have queued.
async fn write_lines(pipe: Rc<StdioPipe>, mut stdin: ChildStdin) {
    let mut batch = Vec::with_capacity(1 << 16);
    loop {
        pipe.wake_writer.notified().await;
        if pipe.failure().is_some() {
            break;
        }
        std::mem::swap(&mut batch, &mut *pipe.outgoing.borrow_mut());
        if batch.is_empty() {
            continue;
        }
        if let Err(err) = stdin.write_all(&batch).await {
            pipe.fail(with_tail(
                format!("cannot write to the server: {err}"),
                &pipe.stderr_tail,
            ));
            break;
        }
        batch.clear();
    }
    // Dropping stdin tells the server its input ended.
}

/// Reads replies until the server closes its output.
async fn read_replies(pipe: Rc<StdioPipe>, mut stdout: ChildStdout, mut input: Vec<u8>) {
    let mut filled = input.len();
    input.resize(filled.max(1 << 16), 0);
    loop {
        let mut start = 0;
        while let Some(len) = memchr::memchr(b'\n', &input[start..filled]) {
            pipe.dispatch(&input[start..start + len]);
            start += len + 1;
        }
        input.copy_within(start..filled, 0);
        filled -= start;
        if filled == input.len() {
            input.resize(2 * input.len(), 0);
        }
        match stdout.read(&mut input[filled..]).await {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    let status = pipe
        .child
        .borrow_mut()
        .as_mut()
        .and_then(|child| child.try_wait().ok().flatten());
    let why = match status {
        Some(status) => format!("the server exited ({status})"),
        None => "the server closed its output".to_owned(),
    };
    pipe.fail(with_tail(why, &pipe.stderr_tail));
}

/// Keeps the last [`STDERR_TAIL`] bytes of the server's stderr.
async fn keep_tail(mut stderr: impl AsyncRead + Unpin, tail: Rc<RefCell<Vec<u8>>>) {
    let mut chunk = [0_u8; 4096];
    while let Ok(n) = stderr.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        let mut tail = tail.borrow_mut();
        tail.extend_from_slice(&chunk[..n]);
        let excess = tail.len().saturating_sub(STDERR_TAIL);
        tail.drain(..excess);
    }
}

/// `why`, followed by the end of the server's stderr when it wrote any.
fn with_tail(why: String, tail: &RefCell<Vec<u8>>) -> String {
    let tail = tail.borrow();
    let text = String::from_utf8_lossy(&tail);
    let text = text.trim();
    if text.is_empty() {
        why
    } else {
        format!("{why}; its stderr ends with:\n{text}")
    }
}
