//! stdin and stdout as non-blocking, readiness-driven streams.
//!
//! tokio's own `stdin()` reads on a blocking thread and hands each chunk over, which costs a
//! second thread wake-up per message. On Linux and Android, when stdin/stdout are pipes or
//! stream sockets (how MCP clients start servers), they are driven by the reactor instead, so a
//! request wakes exactly one thread. Terminals and files (which epoll cannot watch), and other
//! platforms, use tokio's stdio.
//!
//! The open file descriptions behind fds 0 and 1 are shared with the client that started us and
//! with any child process a tool spawns, so their flags are never touched: `O_NONBLOCK` there
//! would hand `EAGAIN` to programs expecting blocking I/O, and would outlive a crash. Instead, a
//! pipe is reopened through `/proc/self/fd` (a new description of the same pipe, non-blocking
//! and ours alone), and a socket is read and written with `MSG_DONTWAIT`, which makes only that
//! call non-blocking. The fast path is Linux's because of that reopening: on macOS and the
//! BSDs, opening `/dev/fd/N` duplicates the descriptor instead, sharing its flags again.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::server::{Error, Server, ServerBuilder};

/// The read half of stdio.
#[derive(Debug)]
pub struct StdinReader(Half<tokio::io::Stdin>);

/// The write half of stdio.
#[derive(Debug)]
pub struct StdoutWriter(Half<tokio::io::Stdout>);

#[derive(Debug)]
enum Half<Fallback> {
    /// A pipe or stream socket driven by the reactor.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Reactor(tokio::io::unix::AsyncFd<reactor::Fd>),
    /// tokio's stdio: blocking I/O on a thread of its own.
    Fallback(Fallback),
}

/// Opens this process's stdin and stdout for serving.
///
/// # Errors
/// None today: what the reactor cannot drive is served by tokio's stdio instead.
pub fn stdio() -> io::Result<(StdinReader, StdoutWriter)> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let (reader, writer) = (
        reactor::register(reactor::Stream::Stdin).map(Half::Reactor),
        reactor::register(reactor::Stream::Stdout).map(Half::Reactor),
    );
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let (reader, writer) = (None, None);
    Ok((
        StdinReader(reader.unwrap_or_else(|| Half::Fallback(tokio::io::stdin()))),
        StdoutWriter(writer.unwrap_or_else(|| Half::Fallback(tokio::io::stdout()))),
    ))
}

impl ServerBuilder {
    /// Builds the server and serves it on this process's stdin and stdout until stdin closes,
    /// or Ctrl-C or SIGTERM (see [`Server::serve_stdio`]).
    ///
    /// # Errors
    /// A build error, or an I/O error of the transport.
    pub async fn serve_stdio(self) -> Result<(), Error> {
        self.build()?.serve_stdio().await
    }
}

impl Server {
    /// Serves this process's stdin and stdout (stdout carries only protocol messages; log to
    /// stderr) until stdin closes, or Ctrl-C or SIGTERM: then the calls already received are
    /// answered (within [`ServerBuilder::shutdown_timeout`]) and it returns.
    ///
    /// # Errors
    /// When stdio cannot be set up or writing fails.
    pub async fn serve_stdio(&self) -> Result<(), Error> {
        self.serve_stdio_with_shutdown(super::shutdown_signal())
            .await
    }

    /// Serves stdin and stdout until stdin closes or `shutdown` completes.
    ///
    /// # Errors
    /// When stdio cannot be set up or writing fails.
    pub async fn serve_stdio_with_shutdown(
        &self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        let (reader, writer) = stdio()?;
        let shutdown = Some(Box::pin(shutdown) as _);
        Ok(self
            .serve_transport(crate::observe::Transport::Stdio, reader, writer, shutdown)
            .await?)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod reactor {
    use std::fs::{File, OpenOptions};
    use std::io::{self, Read, Write};
    use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
    use std::os::unix::fs::OpenOptionsExt;

    use tokio::io::unix::AsyncFd;

    /// Which standard stream.
    #[derive(Clone, Copy)]
    pub(super) enum Stream {
        Stdin,
        Stdout,
    }

    /// What the reactor drives for one standard stream.
    #[derive(Debug)]
    pub(super) enum Fd {
        /// A description of the pipe opened for us alone, in non-blocking mode.
        Pipe(File),
        /// The standard descriptor itself, borrowed: each call asks for non-blocking I/O.
        Socket(BorrowedFd<'static>),
    }

    /// The stream registered with the reactor, or `None` to use tokio's blocking stdio.
    pub(super) fn register(stream: Stream) -> Option<AsyncFd<Fd>> {
        let fd = Fd::open(stream)?;
        // SAFETY: a pipe's descriptor is the `File` the `AsyncFd` owns; a socket's is fd 0 or 1,
        // which nothing closes while the process runs.
        match unsafe { AsyncFd::register(fd) } {
            Ok(fd) => Some(fd),
            Err(err) => {
                tracing::debug!("stdio cannot use the reactor ({err}); using blocking stdio");
                None
            }
        }
    }

    impl Fd {
        /// `None` when the stream is not a pipe or stream socket (a short read must mean
        /// "drained", see `poll_read`), or a pipe cannot be reopened.
        fn open(stream: Stream) -> Option<Self> {
            let raw = match stream {
                Stream::Stdin => libc::STDIN_FILENO,
                Stream::Stdout => libc::STDOUT_FILENO,
            };
            // SAFETY: fds 0 and 1 are never closed while the process runs (neither std nor this
            // crate closes them); if one is not open, `fstat` below fails.
            let fd = unsafe { BorrowedFd::borrow_raw(raw) };
            let kind = fstat(fd)?.st_mode & libc::S_IFMT;
            if kind == libc::S_IFSOCK {
                return (socket_type(fd) == Some(libc::SOCK_STREAM)).then_some(Fd::Socket(fd));
            }
            if kind != libc::S_IFIFO {
                return None;
            }
            // Opening the pipe through /proc makes a new open file description, whose flags
            // are ours to set (unlike `dup`, which shares them). `OpenOptions` adds O_CLOEXEC,
            // so children a tool spawns never inherit it.
            let mut options = OpenOptions::new();
            match stream {
                Stream::Stdin => options.read(true),
                Stream::Stdout => options.write(true),
            };
            match options
                .custom_flags(libc::O_NONBLOCK)
                .open(format!("/proc/self/fd/{raw}"))
            {
                Ok(file) => Some(Fd::Pipe(file)),
                Err(err) => {
                    tracing::debug!("cannot reopen fd {raw} ({err}); using blocking stdio");
                    None
                }
            }
        }

        /// One non-blocking read.
        pub(super) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
            match self {
                Fd::Pipe(file) => (&*file).read(buf),
                Fd::Socket(fd) => {
                    // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
                    let n = unsafe {
                        libc::recv(
                            fd.as_raw_fd(),
                            buf.as_mut_ptr().cast(),
                            buf.len(),
                            libc::MSG_DONTWAIT,
                        )
                    };
                    usize::try_from(n).map_err(|_| io::Error::last_os_error())
                }
            }
        }

        /// One non-blocking write.
        pub(super) fn write(&self, data: &[u8]) -> io::Result<usize> {
            match self {
                Fd::Pipe(file) => (&*file).write(data),
                Fd::Socket(fd) => {
                    // SAFETY: `data` is valid for reads of `data.len()` bytes.
                    let n = unsafe {
                        libc::send(
                            fd.as_raw_fd(),
                            data.as_ptr().cast(),
                            data.len(),
                            // No SIGPIPE when the client has gone: the write fails instead.
                            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                        )
                    };
                    usize::try_from(n).map_err(|_| io::Error::last_os_error())
                }
            }
        }
    }

    impl AsRawFd for Fd {
        fn as_raw_fd(&self) -> RawFd {
            match self {
                Fd::Pipe(file) => file.as_raw_fd(),
                Fd::Socket(fd) => fd.as_raw_fd(),
            }
        }
    }

    fn socket_type(fd: BorrowedFd<'_>) -> Option<libc::c_int> {
        let mut kind: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `kind` and `len` are valid out-pointers of the sizes given.
        let status = unsafe {
            libc::getsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_TYPE,
                std::ptr::addr_of_mut!(kind).cast(),
                &mut len,
            )
        };
        (status == 0).then_some(kind)
    }

    fn fstat(fd: BorrowedFd<'_>) -> Option<libc::stat> {
        let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `stat` is a valid out-pointer; it is read only when fstat succeeded.
        (unsafe { libc::fstat(fd.as_raw_fd(), stat.as_mut_ptr()) } == 0)
            .then(|| unsafe { stat.assume_init() })
    }
}

impl AsyncRead for StdinReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.0 {
            Half::Fallback(stdin) => Pin::new(stdin).poll_read(cx, buf),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Half::Reactor(fd) => loop {
                let mut guard = std::task::ready!(fd.poll_read_ready(cx))?;
                let unfilled = buf.initialize_unfilled();
                let wanted = unfilled.len();
                match guard.try_io(|fd| fd.get_ref().read(unfilled)) {
                    Ok(Ok(n)) => {
                        // A short read drained the pipe: forget the readiness now rather than
                        // learn it from one more read failing with `WouldBlock` (as tokio's
                        // own streams do; new data raises a fresh event).
                        if n > 0 && n < wanted {
                            guard.clear_ready();
                        }
                        buf.advance(n);
                        return Poll::Ready(Ok(()));
                    }
                    Ok(Err(err)) => return Poll::Ready(Err(err)),
                    Err(_would_block) => continue,
                }
            },
        }
    }
}

impl AsyncWrite for StdoutWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.0 {
            Half::Fallback(stdout) => Pin::new(stdout).poll_write(cx, data),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Half::Reactor(fd) => loop {
                let mut guard = std::task::ready!(fd.poll_write_ready(cx))?;
                match guard.try_io(|fd| fd.get_ref().write(data)) {
                    Ok(Ok(n)) => {
                        // A short write filled the pipe (see the read side).
                        if n > 0 && n < data.len() {
                            guard.clear_ready();
                        }
                        return Poll::Ready(Ok(n));
                    }
                    Ok(Err(err)) => return Poll::Ready(Err(err)),
                    Err(_would_block) => continue,
                }
            },
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.0 {
            Half::Fallback(stdout) => Pin::new(stdout).poll_flush(cx),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Half::Reactor(_) => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.0 {
            Half::Fallback(stdout) => Pin::new(stdout).poll_shutdown(cx),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Half::Reactor(_) => Poll::Ready(Ok(())),
        }
    }
}
