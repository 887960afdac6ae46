//! Serving the endpoint on a TCP listener with hyper: HTTP/1.1 and HTTP/2 (cleartext), a cap on
//! connections, slow-client timeouts, and graceful shutdown.

use std::future::Future;
use std::io;
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::Semaphore;

use super::config::HttpConfig;
use crate::server::{Error, Server, ServerBuilder};
use crate::transport::shutdown_signal;

impl ServerBuilder {
    /// Builds the server and serves it over Streamable HTTP at `http://{addr}/mcp` until
    /// Ctrl-C or SIGTERM (see [`Server::serve_http`]).
    ///
    /// # Errors
    /// A build error, or when the address cannot be bound.
    pub async fn serve_http(self, addr: impl ToSocketAddrs) -> Result<(), Error> {
        self.build()?.serve_http(addr).await
    }
}

impl Server {
    /// Serves the server over Streamable HTTP at `http://{addr}/mcp` with the default
    /// [`HttpConfig`], until Ctrl-C or SIGTERM; then lets calls in flight finish (10 s at most)
    /// and returns.
    ///
    /// Bind a loopback address (`127.0.0.1:PORT`) unless the server is meant to be reached from
    /// elsewhere; for a deployed server, list its public names with
    /// [`HttpConfig::allowed_hosts`] and use [`Server::serve_http_with`].
    ///
    /// Run it on tokio's multi-thread runtime (`#[tokio::main]`): unlike a stdio server, which
    /// serves one client, an HTTP server serves many connections at once, and spreads them over
    /// every core.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn serve_http(&self, addr: impl ToSocketAddrs) -> Result<(), Error> {
        let listener = TcpListener::bind(addr).await?;
        self.serve_http_with(listener, HttpConfig::default(), shutdown_signal())
            .await
    }

    /// Serves the server over Streamable HTTP on `listener` until `shutdown` completes; then
    /// stops accepting, lets calls in flight finish (bounded by
    /// [`HttpConfig::shutdown_timeout`]) and returns.
    ///
    /// ```no_run
    /// # async fn run(server: mcp_runtime::Server) -> Result<(), mcp_runtime::Error> {
    /// use mcp_runtime::transport::{http::HttpConfig, shutdown_signal};
    ///
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// eprintln!("serving http://{}/mcp", listener.local_addr()?);
    /// server.serve_http_with(listener, HttpConfig::default(), shutdown_signal()).await
    /// # }
    /// ```
    ///
    /// # Errors
    /// When accepting connections fails for good.
    pub async fn serve_http_with(
        &self,
        listener: TcpListener,
        config: HttpConfig,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), Error> {
        let service = self.http_service(config);
        let endpoint = service.endpoint();
        let config = &endpoint.config;
        let connections = Arc::new(Semaphore::new(config.max_connections));
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(config.header_read_timeout)
            // Bounds the request head (431 beyond it); bodies stream through it in pieces.
            .max_buf_size(MAX_HEAD_BYTES);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(256)
            .keep_alive_interval(Some(config.keep_alive_interval));
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            // At the cap, stop accepting: new connections wait in the listen backlog.
            let permit = tokio::select! {
                permit = connections.clone().acquire_owned() => permit.expect("never closed"),
                () = &mut shutdown => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        if accept_error_is_fatal(&err) {
                            return Err(err.into());
                        }
                        tracing::warn!("accepting a connection failed: {err}");
                        // Out of file descriptors, say: give other connections time to end.
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let connection = builder
                .serve_connection_with_upgrades(
                    TokioIo::new(stream),
                    TowerToHyperService::new(service.clone()),
                )
                .into_owned();
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(err) = connection.await {
                    tracing::debug!(%peer, "connection ended: {err}");
                }
                drop(permit);
            });
        }
        drop(listener);
        tracing::info!("shutting down: waiting for calls in flight");
        endpoint.closing.cancel();
        let deadline = config.shutdown_timeout;
        if tokio::time::timeout(deadline, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                "calls were still running {deadline:?} after shutdown began; abandoning them"
            );
        }
        endpoint.sessions.clear();
        Ok(())
    }
}

/// The largest request head (request line and headers) accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Errors of `accept` that concern the listener rather than one connection.
fn accept_error_is_fatal(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::NotConnected
    ) || err.raw_os_error() == Some(9) // EBADF
}
