//! Prompts: message templates a client shows its user (`prompts/list`, `prompts/get`), with
//! named string arguments.
//!
//! ```
//! use mcp_runtime::prompt::{GetPromptResult, Prompt, PromptArgument, PromptDef, PromptGet};
//!
//! let review = Prompt::from_fn(
//!     PromptDef::new("code_review")
//!         .with_description("Review a piece of code.")
//!         .with_argument(PromptArgument::required("code").with_description("The code")),
//!     |get: PromptGet| async move {
//!         let code = get.argument("code").unwrap_or_default();
//!         Ok::<_, std::convert::Infallible>(GetPromptResult::user_text(format!("Review this:\n{code}")))
//!     },
//! );
//! ```

mod output;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

pub use output::IntoPromptResult;

use crate::completion::Completer;
use crate::context::RequestContext;
use crate::protocol::content::Content;
use crate::tool::{BoxError, SharedState, StateRequirement};

/// What `prompts/list` shows of a prompt.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct PromptDef {
    /// Its name (unique in the server).
    pub name: Arc<str>,
    /// A display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What it is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its arguments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<PromptArgument>,
}

impl PromptDef {
    /// A prompt with a name and nothing else.
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        PromptDef {
            name: name.into(),
            title: None,
            description: None,
            arguments: Vec::new(),
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the display title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Adds an argument.
    pub fn with_argument(mut self, argument: PromptArgument) -> Self {
        self.arguments.push(argument);
        self
    }
}

/// One argument of a prompt (values are strings).
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct PromptArgument {
    /// Its name.
    pub name: String,
    /// A display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether `prompts/get` must carry it.
    pub required: bool,
}

impl PromptArgument {
    /// An argument `prompts/get` must carry.
    pub fn required(name: impl Into<String>) -> Self {
        PromptArgument {
            name: name.into(),
            title: None,
            description: None,
            required: true,
        }
    }

    /// An argument that may be left out.
    pub fn optional(name: impl Into<String>) -> Self {
        PromptArgument {
            required: false,
            ..PromptArgument::required(name)
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// One `prompts/get`: the prompt's arguments, the request context and the shared state. The
/// request type of every prompt service.
#[derive(Debug)]
pub struct PromptGet {
    name: Arc<str>,
    arguments: HashMap<String, String>,
    context: RequestContext,
    state: SharedState,
}

impl PromptGet {
    /// A get of prompt `name` with `arguments`, outside any server (for tests).
    pub fn new(name: impl Into<Arc<str>>, arguments: HashMap<String, String>) -> Self {
        PromptGet::from_parts(
            name.into(),
            arguments,
            RequestContext::detached(),
            SharedState::default(),
        )
    }

    pub(crate) fn from_parts(
        name: Arc<str>,
        arguments: HashMap<String, String>,
        context: RequestContext,
        state: SharedState,
    ) -> Self {
        PromptGet {
            name,
            arguments,
            context,
            state,
        }
    }

    /// The prompt's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// An argument's value, when given.
    pub fn argument(&self, name: &str) -> Option<&str> {
        self.arguments.get(name).map(String::as_str)
    }

    /// Every argument given.
    pub fn arguments(&self) -> &HashMap<String, String> {
        &self.arguments
    }

    /// The request context.
    pub fn context(&self) -> &RequestContext {
        &self.context
    }

    /// The shared state.
    pub fn state(&self) -> &SharedState {
        &self.state
    }
}

/// Who a prompt message is from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The user.
    User,
    /// The assistant.
    Assistant,
}

/// One message of a prompt: a role and one content block (text, image, audio, resource).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PromptMessage {
    /// Who says it.
    pub role: Role,
    /// What is said.
    pub content: Content,
}

impl PromptMessage {
    /// A message from the user.
    pub fn user(content: Content) -> Self {
        PromptMessage {
            role: Role::User,
            content,
        }
    }

    /// A message from the assistant.
    pub fn assistant(content: Content) -> Self {
        PromptMessage {
            role: Role::Assistant,
            content,
        }
    }
}

/// The answer to `prompts/get`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct GetPromptResult {
    /// A description of this rendering of the prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The messages.
    pub messages: Vec<PromptMessage>,
}

impl GetPromptResult {
    /// The given messages.
    pub fn new(messages: Vec<PromptMessage>) -> Self {
        GetPromptResult {
            description: None,
            messages,
        }
    }

    /// One user message of text.
    pub fn user_text(text: impl Into<String>) -> Self {
        GetPromptResult::new(vec![PromptMessage::user(Content::text(text))])
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// The future of a prompt service.
pub type PromptFuture = Pin<Box<dyn Future<Output = Result<GetPromptResult, BoxError>> + Send>>;

/// A prompt as a type-erased tower service (cheap to clone).
pub type PromptService = BoxCloneSyncService<PromptGet, GetPromptResult, BoxError>;

/// A prompt: its definition and the service that renders it.
#[derive(Clone)]
pub struct Prompt {
    def: Arc<PromptDef>,
    service: PromptService,
    pub(crate) completers: Vec<(String, Completer)>,
    /// Shared state its `#[prompt]` function takes, checked when the server is built.
    pub(crate) state_requirements: Vec<StateRequirement>,
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prompt")
            .field("def", &self.def)
            .finish_non_exhaustive()
    }
}

impl Prompt {
    /// A prompt rendered by any tower service over [`PromptGet`]s.
    pub fn new<S>(def: PromptDef, service: S) -> Self
    where
        S: Service<PromptGet, Response = GetPromptResult> + Clone + Send + Sync + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        Prompt {
            def: Arc::new(def),
            service: BoxCloneSyncService::new(service.map_err(Into::into)),
            completers: Vec::new(),
            state_requirements: Vec::new(),
        }
    }

    /// A prompt rendered by an async function.
    pub fn from_fn<F, Fut, E>(def: PromptDef, f: F) -> Self
    where
        F: Fn(PromptGet) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<GetPromptResult, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        Prompt::new(def, tower::service_fn(f))
    }

    /// Offers completions for one of its arguments (`completion/complete` with a
    /// `ref/prompt` naming this prompt).
    pub fn with_completion(mut self, argument: impl Into<String>, completer: Completer) -> Self {
        self.completers.push((argument.into(), completer));
        self
    }

    /// Wraps the prompt's service in a tower layer.
    pub fn layer<L>(self, layer: L) -> Self
    where
        L: tower::Layer<PromptService>,
        L::Service: Service<PromptGet, Response = GetPromptResult> + Clone + Send + Sync + 'static,
        <L::Service as Service<PromptGet>>::Error: Into<BoxError>,
        <L::Service as Service<PromptGet>>::Future: Send + 'static,
    {
        let service = layer.layer(self.service);
        Prompt {
            service: BoxCloneSyncService::new(service.map_err(Into::into)),
            ..self
        }
    }

    /// The prompt's name.
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// The prompt's definition.
    pub fn def(&self) -> &PromptDef {
        &self.def
    }

    /// The prompt's service (a cheap clone).
    pub fn service(&self) -> PromptService {
        self.service.clone()
    }

    /// Renders the prompt outside any server.
    ///
    /// # Errors
    /// The service's error.
    pub async fn get(&self, get: PromptGet) -> Result<GetPromptResult, BoxError> {
        self.service.clone().oneshot(get).await
    }
}
