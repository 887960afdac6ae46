//! [`ToolService`]: every tool behind one cheap-to-clone service type.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

use super::call::ToolCall;
use crate::protocol::content::CallToolResult;

/// The error type of tool services. Errors become `isError: true` results, never protocol
/// errors, so the model can see what went wrong.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The future of a tool service (what a [`ToolService`] returns).
pub type ToolFuture = Pin<Box<dyn Future<Output = Result<CallToolResult, BoxError>> + Send>>;

/// A tool as a type-erased tower service (cheap to clone).
///
/// A `#[tool]` function without layers is called directly; anything else is boxed once.
#[derive(Clone)]
pub struct ToolService(ServiceKind);

#[derive(Clone)]
enum ServiceKind {
    /// A generated handler: its future is already boxed, so it is not boxed again.
    Handler(fn(ToolCall) -> ToolFuture),
    /// A generated handler holding data (a `#[tools]` method's `self`): likewise.
    Shared(Arc<SharedHandler>),
    Boxed(BoxCloneSyncService<ToolCall, CallToolResult, BoxError>),
}

impl ToolService {
    /// Erases the type of `service`.
    pub fn new<S>(service: S) -> Self
    where
        S: Service<ToolCall, Response = CallToolResult> + Clone + Send + Sync + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        ToolService(ServiceKind::Boxed(BoxCloneSyncService::new(
            service.map_err(Into::into),
        )))
    }

    pub(crate) fn from_handler(handler: fn(ToolCall) -> ToolFuture) -> Self {
        ToolService(ServiceKind::Handler(handler))
    }

    pub(crate) fn from_shared_handler(
        handler: impl Fn(ToolCall) -> ToolFuture + Send + Sync + 'static,
    ) -> Self {
        ToolService(ServiceKind::Shared(Arc::new(handler)))
    }
}

type SharedHandler = dyn Fn(ToolCall) -> ToolFuture + Send + Sync;

impl Service<ToolCall> for ToolService {
    type Response = CallToolResult;
    type Error = BoxError;
    type Future = ToolFuture;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), BoxError>> {
        match &mut self.0 {
            ServiceKind::Handler(_) | ServiceKind::Shared(_) => std::task::Poll::Ready(Ok(())),
            ServiceKind::Boxed(service) => service.poll_ready(cx),
        }
    }

    fn call(&mut self, call: ToolCall) -> ToolFuture {
        match &mut self.0 {
            ServiceKind::Handler(handler) => handler(call),
            ServiceKind::Shared(handler) => handler(call),
            ServiceKind::Boxed(service) => service.call(call),
        }
    }
}

impl std::fmt::Debug for ToolService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ToolService")
    }
}
