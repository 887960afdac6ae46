//! Which request the code running on this thread serves, for the log-forwarding layer
//! ([`crate::logging`]).
//!
//! The runtime sets it around each poll of a request's work (and around the call that creates
//! a tool's future, and inside a blocking tool's closure), only when the layer is installed and
//! the request's client asked for log messages. Without the `log-forwarding` feature every
//! function here is empty and inlines away.

#[cfg(feature = "log-forwarding")]
pub(crate) use enabled::*;

#[cfg(not(feature = "log-forwarding"))]
pub(crate) use disabled::*;

#[cfg(feature = "log-forwarding")]
mod enabled {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicBool, Ordering};

    use crate::context::RequestContext;

    /// Set once a `ClientLogLayer` is made: until then no request is ever made current, so a
    /// process without the layer pays one relaxed load per poll.
    static INSTALLED: AtomicBool = AtomicBool::new(false);

    thread_local! {
        /// The request whose work this thread is running, if its client wants log messages.
        static CURRENT: Cell<Option<RequestContext>> = const { Cell::new(None) };
    }

    /// Marks the layer as installed (from its constructor).
    pub(crate) fn install() {
        INSTALLED.store(true, Ordering::Relaxed);
    }

    /// Runs `f` with `context` as the thread's current request, when the layer is installed
    /// and the client asked for log messages; otherwise just runs `f`.
    #[inline]
    pub(crate) fn scoped<R>(context: &RequestContext, f: impl FnOnce() -> R) -> R {
        let _restore = if INSTALLED.load(Ordering::Relaxed) && context.wants_logs() {
            Some(enter(context))
        } else {
            None
        };
        f()
    }

    /// Makes `context` current; kept out of line, off the path of requests that do not log.
    #[inline(never)]
    fn enter(context: &RequestContext) -> Restore {
        Restore(CURRENT.replace(Some(context.clone())))
    }

    /// Puts back the request that was current before a scope (also when `f` panics).
    struct Restore(Option<RequestContext>);

    impl Drop for Restore {
        fn drop(&mut self) {
            // `try_with`: a scope may end while the thread's locals are being torn down.
            let _ = CURRENT.try_with(|current| current.set(self.0.take()));
        }
    }

    /// Runs `f` with the current request taken out of the thread, so that whatever `f` does
    /// (including emitting events) cannot reach it again; puts it back afterwards.
    pub(crate) fn with_current<R>(f: impl FnOnce(Option<&RequestContext>) -> R) -> R {
        let Ok(taken) = CURRENT.try_with(Cell::take) else {
            return f(None);
        };
        let restore = Restore(taken);
        f(restore.0.as_ref())
    }

    /// The current request, carried into a closure that runs elsewhere (a blocking tool's
    /// thread).
    pub(crate) struct Carried(Option<RequestContext>);

    /// Takes the current request along (a clone of it; nothing when there is none).
    pub(crate) fn carry() -> Carried {
        if !INSTALLED.load(Ordering::Relaxed) {
            return Carried(None);
        }
        Carried(with_current(|current| current.cloned()))
    }

    impl Carried {
        /// Runs `f` with the carried request current.
        pub(crate) fn run<R>(self, f: impl FnOnce() -> R) -> R {
            match self.0 {
                Some(context) => {
                    let _restore = Restore(CURRENT.replace(Some(context)));
                    f()
                }
                None => f(),
            }
        }
    }
}

#[cfg(not(feature = "log-forwarding"))]
mod disabled {
    use crate::context::RequestContext;

    /// Runs `f` (the feature that would make a request current is off).
    #[inline(always)]
    pub(crate) fn scoped<R>(_context: &RequestContext, f: impl FnOnce() -> R) -> R {
        f()
    }

    /// Nothing to carry without the feature.
    pub(crate) struct Carried;

    #[inline(always)]
    pub(crate) fn carry() -> Carried {
        Carried
    }

    impl Carried {
        #[inline(always)]
        pub(crate) fn run<R>(self, f: impl FnOnce() -> R) -> R {
            f()
        }
    }
}
