//! Resources: data a client reads by URI, either fixed (`test://static-text`) or from a URI
//! template whose variables become the read's parameters (`test://template/{id}/data`).
//!
//! ```
//! use mcp_runtime::resource::{ReadResourceResult, Resource, ResourceRead};
//!
//! // A fixed text resource.
//! let readme = Resource::text("docs://readme", "readme", "text/markdown", "# Hello");
//!
//! // A template: `{id}` comes with each read.
//! let user = Resource::template("users://{id}/profile", "user-profile", |read: ResourceRead| async move {
//!     let id = read.variable("id").unwrap_or_default().to_owned();
//!     Ok::<_, std::convert::Infallible>(ReadResourceResult::text(read.uri(), "application/json", format!(r#"{{"id":"{id}"}}"#)))
//! })
//! .unwrap();
//! ```

mod layers;
mod output;
mod template;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};

pub use layers::DEFAULT_RESOURCE_CACHE_BYTES;
pub use output::IntoResourceResult;
pub use template::{TemplateError, UriTemplate};

use crate::completion::Completer;
use crate::context::RequestContext;
use crate::protocol::content::{Annotations, ResourceContents};
use crate::tool::{BoxError, SharedState, StateRequirement};

/// What `resources/list` shows of a fixed resource.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResourceDef {
    /// Its URI.
    pub uri: String,
    /// A programmatic name.
    pub name: String,
    /// A display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What it holds, for the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its MIME type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Its size in bytes, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Hints for the client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
}

impl ResourceDef {
    /// A definition with a URI and a name.
    pub fn new(uri: impl Into<String>, name: impl Into<String>) -> Self {
        ResourceDef {
            uri: uri.into(),
            name: name.into(),
            title: None,
            description: None,
            mime_type: None,
            size: None,
            annotations: None,
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

    /// Sets the MIME type.
    pub fn with_mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }
}

/// What `resources/templates/list` shows of a resource template.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResourceTemplateDef {
    /// The RFC 6570 template, e.g. `users://{id}/profile`.
    pub uri_template: String,
    /// A programmatic name.
    pub name: String,
    /// A display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What its resources hold, for the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The MIME type of its resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Hints for the client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
}

/// One read of a resource: its URI, the template's variables, the request context and the
/// shared state. The request type of every resource service.
#[derive(Debug)]
pub struct ResourceRead {
    uri: String,
    variables: Vec<(String, String)>,
    context: RequestContext,
    state: SharedState,
}

impl ResourceRead {
    /// A read of `uri` outside any server (for tests): a detached context, no shared state.
    pub fn new(uri: impl Into<String>) -> Self {
        ResourceRead::from_parts(
            uri.into(),
            Vec::new(),
            RequestContext::detached(),
            SharedState::default(),
        )
    }

    pub(crate) fn from_parts(
        uri: String,
        variables: Vec<(String, String)>,
        context: RequestContext,
        state: SharedState,
    ) -> Self {
        ResourceRead {
            uri,
            variables,
            context,
            state,
        }
    }

    /// The URI being read.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The value of a template variable (decoded), when the resource is a template.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
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

/// The answer to `resources/read`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ReadResourceResult {
    /// The contents (one item for most resources).
    pub contents: Vec<ResourceContents>,
    /// Extra metadata.
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    pub meta: Option<Map<String, Value>>,
}

impl ReadResourceResult {
    /// Contents from the given items.
    pub fn new(contents: Vec<ResourceContents>) -> Self {
        ReadResourceResult {
            contents,
            meta: None,
        }
    }

    /// One text item.
    pub fn text(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        ReadResourceResult::new(vec![ResourceContents::Text {
            uri: uri.into(),
            mime_type: Some(mime_type.into()),
            text: text.into(),
        }])
    }

    /// One binary item (`blob` is base64).
    pub fn blob(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        blob: impl Into<String>,
    ) -> Self {
        ReadResourceResult::new(vec![ResourceContents::Blob {
            uri: uri.into(),
            mime_type: Some(mime_type.into()),
            blob: blob.into(),
        }])
    }
}

/// The future of a resource service.
pub type ResourceFuture =
    Pin<Box<dyn Future<Output = Result<ReadResourceResult, BoxError>> + Send>>;

/// A resource as a type-erased tower service (cheap to clone).
pub type ResourceService = BoxCloneSyncService<ResourceRead, ReadResourceResult, BoxError>;

/// A fixed resource or a template, with the service that reads it.
#[derive(Clone)]
pub struct Resource {
    pub(crate) kind: Arc<ResourceKind>,
    service: ResourceService,
    pub(crate) completers: Vec<(String, Completer)>,
    /// Shared state its `#[resource]` function takes, checked when the server is built.
    pub(crate) state_requirements: Vec<StateRequirement>,
}

pub(crate) enum ResourceKind {
    Fixed(ResourceDef),
    Template {
        def: ResourceTemplateDef,
        template: UriTemplate,
    },
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("Resource");
        match &*self.kind {
            ResourceKind::Fixed(def) => debug.field("uri", &def.uri),
            ResourceKind::Template { def, .. } => debug.field("uri_template", &def.uri_template),
        };
        debug.finish_non_exhaustive()
    }
}

impl Resource {
    /// A fixed resource read by any tower service over [`ResourceRead`]s.
    pub fn new<S>(def: ResourceDef, service: S) -> Self
    where
        S: Service<ResourceRead, Response = ReadResourceResult> + Clone + Send + Sync + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        Resource {
            kind: Arc::new(ResourceKind::Fixed(def)),
            service: boxed(service),
            completers: Vec::new(),
            state_requirements: Vec::new(),
        }
    }

    /// A fixed resource read by an async function.
    pub fn from_fn<F, Fut, E>(def: ResourceDef, f: F) -> Self
    where
        F: Fn(ResourceRead) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<ReadResourceResult, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        Resource::new(def, tower::service_fn(f))
    }

    /// A fixed text resource whose contents never change.
    pub fn text(
        uri: impl Into<String>,
        name: impl Into<String>,
        mime_type: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        let (uri, mime_type, text) = (uri.into(), mime_type.into(), text.into());
        let def = ResourceDef::new(uri.clone(), name).with_mime_type(mime_type.clone());
        let result = ReadResourceResult::text(uri, mime_type, text);
        Resource::from_fn(def, move |_: ResourceRead| {
            let result = result.clone();
            async move { Ok::<_, std::convert::Infallible>(result) }
        })
    }

    /// A resource template: reads of any URI that matches `uri_template` go to `f`, which finds
    /// the variables' values with [`ResourceRead::variable`].
    ///
    /// # Errors
    /// The template does not parse.
    pub fn template<F, Fut, E>(
        uri_template: &str,
        name: impl Into<String>,
        f: F,
    ) -> Result<Self, TemplateError>
    where
        F: Fn(ResourceRead) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<ReadResourceResult, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let template = UriTemplate::parse(uri_template)?;
        let def = ResourceTemplateDef {
            uri_template: uri_template.to_owned(),
            name: name.into(),
            title: None,
            description: None,
            mime_type: None,
            annotations: None,
        };
        Ok(Resource {
            kind: Arc::new(ResourceKind::Template { def, template }),
            service: boxed(tower::service_fn(f)),
            completers: Vec::new(),
            state_requirements: Vec::new(),
        })
    }

    /// Sets the description (of the resource, or of the template's resources).
    pub fn with_description(self, description: impl Into<String>) -> Self {
        let description = description.into();
        self.map_def(
            |def| def.description = Some(description.clone()),
            |def| def.description = Some(description.clone()),
        )
    }

    /// Sets the display title (of the resource, or of the template).
    pub fn with_title(self, title: impl Into<String>) -> Self {
        let title = title.into();
        self.map_def(
            |def| def.title = Some(title.clone()),
            |def| def.title = Some(title.clone()),
        )
    }

    /// Sets the MIME type listed for the resource (or the template's resources).
    pub fn with_mime_type(self, mime_type: impl Into<String>) -> Self {
        let mime_type = mime_type.into();
        self.map_def(
            |def| def.mime_type = Some(mime_type.clone()),
            |def| def.mime_type = Some(mime_type.clone()),
        )
    }

    /// Offers completions for a template variable (`completion/complete` with a
    /// `ref/resource` naming this template).
    pub fn with_completion(mut self, variable: impl Into<String>, completer: Completer) -> Self {
        self.completers.push((variable.into(), completer));
        self
    }

    fn map_def(
        mut self,
        fixed: impl FnOnce(&mut ResourceDef),
        template: impl FnOnce(&mut ResourceTemplateDef),
    ) -> Self {
        let mut kind = Arc::try_unwrap(self.kind).unwrap_or_else(|shared| shared.duplicate());
        match &mut kind {
            ResourceKind::Fixed(def) => fixed(def),
            ResourceKind::Template { def, .. } => template(def),
        }
        self.kind = Arc::new(kind);
        self
    }

    /// The fixed URI, or the template's pattern.
    pub fn uri(&self) -> &str {
        match &*self.kind {
            ResourceKind::Fixed(def) => &def.uri,
            ResourceKind::Template { def, .. } => &def.uri_template,
        }
    }

    /// The variables of `uri` when this resource serves it (`Some(vec![])` for a fixed one).
    pub(crate) fn serves(&self, uri: &str) -> Option<Vec<(String, String)>> {
        match &*self.kind {
            ResourceKind::Fixed(def) => (def.uri == uri).then(Vec::new),
            ResourceKind::Template { template, .. } => template.matches(uri),
        }
    }

    /// The resource's service (a cheap clone).
    pub fn service(&self) -> ResourceService {
        self.service.clone()
    }

    /// Wraps the resource's service in a tower layer (a timeout, a cache of your own ...).
    pub fn layer<L>(self, layer: L) -> Self
    where
        L: tower::Layer<ResourceService>,
        L::Service:
            Service<ResourceRead, Response = ReadResourceResult> + Clone + Send + Sync + 'static,
        <L::Service as Service<ResourceRead>>::Error: Into<BoxError>,
        <L::Service as Service<ResourceRead>>::Future: Send + 'static,
    {
        let service = layer.layer(self.service);
        Resource {
            service: BoxCloneSyncService::new(service.map_err(Into::into)),
            ..self
        }
    }

    /// Reads the resource outside any server.
    ///
    /// # Errors
    /// The service's error.
    pub async fn read(&self, read: ResourceRead) -> Result<ReadResourceResult, BoxError> {
        self.service.clone().oneshot(read).await
    }
}

/// Erases a service's type.
fn boxed<S>(service: S) -> ResourceService
where
    S: Service<ResourceRead, Response = ReadResourceResult> + Clone + Send + Sync + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    BoxCloneSyncService::new(service.map_err(Into::into))
}

impl ResourceKind {
    fn duplicate(&self) -> ResourceKind {
        match self {
            ResourceKind::Fixed(def) => ResourceKind::Fixed(def.clone()),
            ResourceKind::Template { def, template } => ResourceKind::Template {
                def: def.clone(),
                template: template.clone(),
            },
        }
    }
}
