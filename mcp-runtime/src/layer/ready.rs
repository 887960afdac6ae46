//! Calling a long-lived service without stranding a reservation.
//!
//! `poll_ready` may reserve something (a concurrency permit, a place in a semaphore's queue)
//! that only the next `call` on the same service value consumes. A connection or layer that
//! keeps one copy of a service, finds it not ready, and then runs the call on a clone leaves
//! that reservation queued with nobody to take it: the next freed permit goes to it, and calls
//! hang. Here a service that is not ready goes with the call instead (it polls its own
//! readiness again, so its place in the queue is used), and a fresh clone stays behind.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;
use tower::util::Oneshot;
use tower::{Service, ServiceExt};

use crate::tool::ToolCall;

pin_project! {
    /// The future of [`call_or_queue`].
    pub struct ReadyCall<S: Service<ToolCall>> {
        #[pin]
        state: State<S>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S: Service<ToolCall>> {
        // The service was ready: the call is running.
        Now { #[pin] future: S::Future },
        // The service was not ready: it waits for readiness inside the call's own future.
        Queued { #[pin] oneshot: Oneshot<S, ToolCall> },
    }
}

impl<S: Service<ToolCall>> ReadyCall<S> {
    /// The call's own future when the service was ready at once (no extra layer to poll
    /// through), or `self` when the call waits for the service.
    pub fn into_started(self) -> Result<S::Future, Self> {
        match self.state {
            State::Now { future } => Ok(future),
            state => Err(ReadyCall { state }),
        }
    }
}

impl<S: Service<ToolCall>> Future for ReadyCall<S> {
    type Output = Result<S::Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Now { future } => future.poll(cx),
            StateProj::Queued { oneshot } => oneshot.poll(cx),
        }
    }
}

/// Calls `service` now if it is ready; otherwise moves it, with whatever its `poll_ready`
/// reserved, into the returned future and leaves a clone in its place.
///
/// `cx` is the caller's context when it has one; without one (inside `Service::call`) a no-op
/// waker is fine, because a service that is not ready is polled again, with the real waker,
/// as soon as the returned future is.
///
/// Use it in a layer of your own that keeps its inner service and answers `poll_ready` itself:
///
/// ```
/// use mcp_runtime::layer::ready::{call_or_queue, ReadyCall};
/// use mcp_runtime::ToolCall;
/// use tower::Service;
///
/// #[derive(Clone)]
/// struct AlwaysReady<S>(S);
///
/// impl<S: Service<ToolCall> + Clone> Service<ToolCall> for AlwaysReady<S> {
///     type Response = S::Response;
///     type Error = S::Error;
///     type Future = ReadyCall<S>;
///
///     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), S::Error>> {
///         std::task::Poll::Ready(Ok(()))
///     }
///
///     fn call(&mut self, call: ToolCall) -> ReadyCall<S> {
///         call_or_queue(&mut self.0, call, None)
///     }
/// }
/// ```
pub fn call_or_queue<S>(
    service: &mut S,
    call: ToolCall,
    cx: Option<&mut Context<'_>>,
) -> ReadyCall<S>
where
    S: Service<ToolCall> + Clone,
{
    let mut noop = Context::from_waker(Waker::noop());
    match service.poll_ready(cx.unwrap_or(&mut noop)) {
        Poll::Ready(Ok(())) => ReadyCall {
            state: State::Now {
                future: service.call(call),
            },
        },
        // Not ready (or failed, which `Oneshot` reports again): the call takes this copy.
        _ => {
            let fresh = service.clone();
            ReadyCall {
                state: State::Queued {
                    oneshot: std::mem::replace(service, fresh).oneshot(call),
                },
            }
        }
    }
}
