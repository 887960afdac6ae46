//! stdin and stdout as non-blocking, readiness-driven streams.
//!
//! tokio's own `stdin()` reads on a blocking thread and hands each chunk over, which costs a
//! second thread wake-up per message. When stdin/stdout are pipes or sockets (how MCP clients
//! start servers) they are switched to non-blocking mode and driven by the reactor instead, so a
//! request wakes exactly one thread. For terminals and files (which epoll cannot watch, or which
//! may be shared with other processes) tokio's stdio is used.

use std::fs::File;
use std::io::{self, Read, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The read half of stdio.
#[derive(Debug)]
pub struct StdinReader(Half<tokio::io::Stdin>);

/// The write half of stdio.
#[derive(Debug)]
pub struct StdoutWriter(Half<tokio::io::Stdout>);

#[derive(Debug)]
enum Half<Fallback> {
    Reactor(AsyncFd<NonBlockingFd>),
    Fallback(Fallback),
}

/// Opens this process's stdin and stdout for serving.
///
/// # Errors
/// Only when the reactor cannot register a descriptor it should be able to.
pub fn stdio() -> io::Result<(StdinReader, StdoutWriter)> {
    let reader = match register(libc::STDIN_FILENO)? {
        Some(fd) => Half::Reactor(fd),
        None => Half::Fallback(tokio::io::stdin()),
    };
    let writer = match register(libc::STDOUT_FILENO)? {
        Some(fd) => Half::Reactor(fd),
        None => Half::Fallback(tokio::io::stdout()),
    };
    Ok((StdinReader(reader), StdoutWriter(writer)))
}

/// The descriptor registered with the reactor, or `None` to use tokio's blocking stdio.
fn register(fd: RawFd) -> io::Result<Option<AsyncFd<NonBlockingFd>>> {
    let Some(fd) = NonBlockingFd::new(fd)? else {
        return Ok(None);
    };
    // SAFETY: stdin and stdout stay open for the life of the process, so the descriptor
    // outlives its registration.
    match unsafe { AsyncFd::register(fd) } {
        Ok(fd) => Ok(Some(fd)),
        Err(err) => {
            let (fd, err) = err.into_parts();
            drop(fd); // restores blocking mode
            tracing::debug!("stdio cannot use the reactor ({err}); using blocking stdio");
            Ok(None)
        }
    }
}

/// A standard descriptor in non-blocking mode; its original flags come back on drop.
#[derive(Debug)]
struct NonBlockingFd {
    file: ManuallyDrop<File>,
    original_flags: libc::c_int,
}

impl NonBlockingFd {
    /// `None` when the descriptor should not be made non-blocking: not a pipe or stream socket
    /// (a short read must mean "drained", see `poll_read`), or the same file as stderr
    /// (non-blocking mode would leak into log writes).
    fn new(fd: RawFd) -> io::Result<Option<Self>> {
        let (Some(stat), Some(stderr)) = (fstat(fd), fstat(libc::STDERR_FILENO)) else {
            return Ok(None);
        };
        let kind = stat.st_mode & libc::S_IFMT;
        let shared_with_stderr = stat.st_dev == stderr.st_dev && stat.st_ino == stderr.st_ino;
        let pipe_or_stream = kind == libc::S_IFIFO
            || (kind == libc::S_IFSOCK && socket_type(fd) == Some(libc::SOCK_STREAM));
        if !pipe_or_stream || shared_with_stderr {
            return Ok(None);
        }
        // SAFETY: fcntl on a descriptor we just fstat'ed; no memory is involved.
        let original_flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if original_flags < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: as above.
        if unsafe { libc::fcntl(fd, libc::F_SETFL, original_flags | libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the descriptor is open for the life of the process; `ManuallyDrop` keeps this
        // `File` from closing it.
        let file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
        Ok(Some(NonBlockingFd {
            file,
            original_flags,
        }))
    }
}

fn socket_type(fd: RawFd) -> Option<libc::c_int> {
    let mut kind: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `kind` and `len` are valid out-pointers of the sizes given.
    let status = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            std::ptr::addr_of_mut!(kind).cast(),
            &mut len,
        )
    };
    (status == 0).then_some(kind)
}

fn fstat(fd: RawFd) -> Option<libc::stat> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `stat` is a valid out-pointer; it is read only when fstat succeeded.
    (unsafe { libc::fstat(fd, stat.as_mut_ptr()) } == 0).then(|| unsafe { stat.assume_init() })
}

impl AsRawFd for NonBlockingFd {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl Drop for NonBlockingFd {
    fn drop(&mut self) {
        // SAFETY: restores the flags read in `new` on the same descriptor.
        unsafe { libc::fcntl(self.file.as_raw_fd(), libc::F_SETFL, self.original_flags) };
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
            Half::Reactor(fd) => loop {
                let mut guard = ready!(fd.poll_read_ready(cx))?;
                let unfilled = buf.initialize_unfilled();
                let wanted = unfilled.len();
                match guard.try_io(|fd| (&*fd.get_ref().file).read(unfilled)) {
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
            Half::Reactor(fd) => loop {
                let mut guard = ready!(fd.poll_write_ready(cx))?;
                match guard.try_io(|fd| (&*fd.get_ref().file).write(data)) {
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
            Half::Reactor(_) => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.0 {
            Half::Fallback(stdout) => Pin::new(stdout).poll_shutdown(cx),
            Half::Reactor(_) => Poll::Ready(Ok(())),
        }
    }
}
