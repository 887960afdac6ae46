//! The body of every response of the endpoint: nothing, one JSON message, or an SSE stream.

use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt};
use http_body::{Body, Frame, SizeHint};

use super::sse::SseCall;

/// A response body of the Streamable HTTP endpoint.
pub struct HttpBody {
    kind: Kind,
}

enum Kind {
    Full(Option<Bytes>),
    /// A call streaming its notifications, then its reply; dropping it cancels the call.
    Call(Box<SseCall>),
    /// Events from elsewhere (a legacy call's stream, a resumed stream).
    Events(BoxStream<'static, Bytes>),
}

impl HttpBody {
    pub(crate) fn empty() -> Self {
        HttpBody {
            kind: Kind::Full(None),
        }
    }

    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        HttpBody {
            kind: Kind::Full((!bytes.is_empty()).then_some(bytes)),
        }
    }

    pub(crate) fn call(call: SseCall) -> Self {
        HttpBody {
            kind: Kind::Call(Box::new(call)),
        }
    }

    pub(crate) fn events(events: BoxStream<'static, Bytes>) -> Self {
        HttpBody {
            kind: Kind::Events(events),
        }
    }
}

impl fmt::Debug for HttpBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Full(_) => "full",
            Kind::Call(_) => "call stream",
            Kind::Events(_) => "event stream",
        };
        f.debug_tuple("HttpBody").field(&kind).finish()
    }
}

impl Body for HttpBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let next = match &mut self.kind {
            Kind::Full(bytes) => Poll::Ready(bytes.take()),
            Kind::Call(call) => call.poll_next(cx),
            Kind::Events(events) => events.poll_next_unpin(cx),
        };
        next.map(|bytes| bytes.map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.kind, Kind::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(None) => SizeHint::with_exact(0),
            Kind::Full(Some(bytes)) => SizeHint::with_exact(bytes.len() as u64),
            _ => SizeHint::default(),
        }
    }
}
