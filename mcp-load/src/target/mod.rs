//! The server under load: a child process over stdio, or a Streamable HTTP endpoint.
//!
//! A [`Target`] is opened once (the process started, the legacy handshake done) and hands out
//! [`Client`]s, one per call in flight: over stdio they share the one pipe (calls told apart by
//! id), over HTTP each holds its own keep-alive connection (one call in flight on each, as real
//! clients do).

mod http;
mod stdio;

use std::rc::Rc;
use std::time::Duration;

use crate::era::Era;
use crate::reply::{excerpt, Verdict};
use crate::stats::{ErrorKind, Outcome, Stats};

pub use self::http::{HttpConn, HttpEndpoint};
pub use self::stdio::StdioPipe;

/// Where the server is.
#[derive(Clone, Debug)]
pub enum Spec {
    /// A command to start, with its arguments.
    Stdio(Vec<String>),
    /// A `http://` URL, and optionally the local process behind it.
    Http {
        /// The endpoint.
        url: String,
        /// The server's process, for CPU and memory figures.
        pid: Option<u32>,
        /// Headers every request carries, as `Name: value`.
        headers: Vec<String>,
    },
}

/// An open target.
pub enum Target {
    /// A child process.
    Stdio(Rc<StdioPipe>),
    /// An HTTP endpoint.
    Http(Rc<HttpEndpoint>),
}

impl Target {
    /// Starts or reaches the server, and does the legacy handshake when `era` needs one.
    /// Must run inside a `LocalSet` (the stdio pipe's reader and writer are local tasks).
    pub async fn open(spec: &Spec, era: Era, timeout: Duration) -> Result<Target, String> {
        match spec {
            Spec::Stdio(command) => Ok(Target::Stdio(
                StdioPipe::spawn(command, era, timeout).await?,
            )),
            Spec::Http { url, pid, headers } => Ok(Target::Http(
                HttpEndpoint::open(url, *pid, headers, era, timeout).await?,
            )),
        }
    }

    /// A client for one call in flight at a time.
    pub fn client(&self) -> Client {
        match self {
            Target::Stdio(pipe) => Client::Stdio(pipe.clone()),
            Target::Http(endpoint) => Client::Http(HttpConn::new(endpoint.clone())),
        }
    }

    /// The server's process, when it is known to run here.
    pub fn pid(&self) -> Option<u32> {
        match self {
            Target::Stdio(pipe) => Some(pipe.pid()),
            Target::Http(endpoint) => endpoint.pid(),
        }
    }

    /// Moves what came outside any call since the last time (stray replies, late replies)
    /// into `stats`.
    pub fn drain_strays(&self, stats: &mut Stats) {
        if let Target::Stdio(pipe) = self {
            pipe.drain_strays(stats);
        }
    }

    /// Ends the session or the process, politely first.
    pub async fn close(self) {
        match self {
            Target::Stdio(pipe) => pipe.close().await,
            Target::Http(endpoint) => endpoint.close().await,
        }
    }
}

/// Makes calls on a target, one at a time.
pub enum Client {
    /// Over the shared pipe.
    Stdio(Rc<StdioPipe>),
    /// Over its own connection.
    Http(HttpConn),
}

impl Client {
    /// Sends `request` (a `tools/call` of `tool` with the numeric `id`) and waits at most
    /// `timeout` for its reply.
    pub async fn call(
        &mut self,
        id: u64,
        request: Vec<u8>,
        tool: &str,
        timeout: Duration,
    ) -> Outcome {
        match self {
            Client::Stdio(pipe) => pipe.call(id, request, timeout).await,
            Client::Http(conn) => conn.call(id, request, tool, timeout).await,
        }
    }
}

impl Client {
    /// Why the target can take no more calls, once it cannot.
    pub fn failure(&self) -> Option<String> {
        match self {
            Client::Stdio(pipe) => pipe.failure(),
            Client::Http(_) => None,
        }
    }
}

/// The outcome a reply's verdict means; `message` is the reply, for samples.
fn outcome(verdict: Verdict, message: &[u8]) -> Outcome {
    match verdict {
        Verdict::Ok => Outcome::Ok,
        Verdict::RpcError(code) => Outcome::RpcError(code),
        Verdict::ToolError => Outcome::Error(
            ErrorKind::IsError,
            format!("isError: true: {}", excerpt(message)),
        ),
        Verdict::Malformed(why) => Outcome::Error(ErrorKind::Malformed, why),
    }
}
