//! Dispatch of the methods beside tools: resources, prompts and completions (both eras).

use std::collections::HashMap;
use std::sync::Arc;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::dispatch::{
    optional_params, required_params, Action, Dispatcher, PendingRequest, Reply,
};
use super::notify::{ListKind, MAX_SUBSCRIPTIONS, SUBSCRIPTION_ID};
use crate::completion::{CompleteResult, CompletionRequest};
use crate::context::input::InputRound;
use crate::context::{CacheControl, RequestContext};
use crate::prompt::PromptGet;
use crate::protocol::jsonrpc::{
    ErrorObject, RequestId, INTERNAL_ERROR, INVALID_PARAMS, METHOD_NOT_FOUND,
};
use crate::protocol::messages::{ListParams, LogLevel, RequestMeta};
use crate::protocol::version::Era;
use crate::resource::{ResourceKind, ResourceRead};
use crate::tool::BoxError;

/// Notifications a `subscriptions/listen` stream may have queued for a slow client.
const MAX_LISTEN_BACKLOG: usize = 32;

/// Legacy revisions answer an unknown resource with this code; `2026-07-28` with -32602.
const RESOURCE_NOT_FOUND: i32 = -32002;

#[derive(Deserialize)]
struct ReadParams<'a> {
    uri: String,
    #[serde(rename = "_meta", default, borrow)]
    meta: Option<RequestMeta<'a>>,
    #[serde(rename = "inputResponses", default, borrow)]
    input_responses: Option<&'a RawValue>,
    #[serde(rename = "requestState", default, borrow)]
    request_state: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
struct GetPromptParams<'a> {
    name: String,
    #[serde(default)]
    arguments: Option<HashMap<String, String>>,
    #[serde(rename = "_meta", default, borrow)]
    meta: Option<RequestMeta<'a>>,
    #[serde(rename = "inputResponses", default, borrow)]
    input_responses: Option<&'a RawValue>,
    #[serde(rename = "requestState", default, borrow)]
    request_state: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
struct CompleteParams<'a> {
    #[serde(rename = "ref")]
    reference: Reference,
    argument: CompleteArgument,
    #[serde(default)]
    context: Option<CompleteContext>,
    #[serde(rename = "_meta", default, borrow)]
    meta: Option<RequestMeta<'a>>,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum Reference {
    #[serde(rename = "ref/prompt")]
    Prompt { name: String },
    #[serde(rename = "ref/resource")]
    Resource { uri: String },
}

#[derive(Deserialize)]
struct CompleteArgument {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct CompleteContext {
    #[serde(default)]
    arguments: HashMap<String, String>,
}

/// One page of a list result: `{"<key>": [...], "nextCursor"?, "ttlMs"?, "cacheScope"?}`.
struct Page<'a> {
    key: &'static str,
    entries: &'a [Box<RawValue>],
    next_cursor: Option<String>,
    ttl_ms: Option<u64>,
}

impl Serialize for Page<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(self.key, self.entries)?;
        if let Some(cursor) = &self.next_cursor {
            map.serialize_entry("nextCursor", cursor)?;
        }
        if let Some(ttl) = self.ttl_ms {
            map.serialize_entry("ttlMs", &ttl)?;
            map.serialize_entry("cacheScope", "public")?;
        }
        map.end()
    }
}

impl Dispatcher<'_> {
    /// Answers a list method with one page of `entries` (paged by the server's page size).
    pub(super) fn list_page(
        &mut self,
        id: &RequestId,
        era: Era,
        cursor: Option<&str>,
        key: &'static str,
        entries: &[Box<RawValue>],
    ) -> Reply<()> {
        let start = match cursor {
            None => 0,
            Some(cursor) => decode_cursor(key, cursor)
                .filter(|&start| start <= entries.len())
                .ok_or_else(|| ErrorObject::invalid_params(format!("Invalid cursor: {cursor}")))?,
        };
        let end = self
            .server
            .page_size
            .map_or(entries.len(), |size| (start + size).min(entries.len()));
        let page = Page {
            key,
            entries: &entries[start..end],
            next_cursor: (end < entries.len()).then(|| encode_cursor(key, end)),
            ttl_ms: era.is_modern().then_some(self.server.list_ttl_ms),
        };
        self.write(id, era, &page);
        Ok(())
    }

    /// `resources/list`, `resources/templates/list`, `resources/read`, `prompts/list`,
    /// `prompts/get`, `completion/complete`; `None` for any other method.
    pub(super) fn primitive(
        &mut self,
        id: &RequestId,
        method: &str,
        params: Option<&RawValue>,
    ) -> Option<Reply<Action>> {
        let server = self.server;
        // A method of a capability the server does not declare is one it does not have.
        let declared = |capability: &str| server.capabilities.get(capability).is_some();
        let family = method.split('/').next().unwrap_or_default();
        let capability = match family {
            "resources" => "resources",
            // Every server has a tool list that may change, so every server can be listened to.
            "subscriptions" => "tools",
            "prompts" => "prompts",
            "completion" => "completions",
            _ => return None,
        };
        if !declared(capability) {
            return None;
        }
        let reply = match method {
            "resources/list" | "resources/templates/list" | "prompts/list" => {
                let surface = server.surface.load();
                let (key, entries) = match method {
                    "resources/list" => ("resources", &surface.resource_entries),
                    "resources/templates/list" => ("resourceTemplates", &surface.template_entries),
                    _ => ("prompts", &surface.prompt_entries),
                };
                self.list(id, params, key, entries)
            }
            "resources/read" => self.read_resource(id, params),
            "prompts/get" => self.get_prompt(id, params),
            "resources/subscribe" | "resources/unsubscribe" => {
                self.subscription(id, method, params)
            }
            "subscriptions/listen" => self.listen(id, params),
            "completion/complete" => self.complete(id, params),
            _ => return None,
        };
        Some(reply)
    }

    fn list(
        &mut self,
        id: &RequestId,
        params: Option<&RawValue>,
        key: &'static str,
        entries: &[Box<RawValue>],
    ) -> Reply<Action> {
        let params: ListParams<'_> = optional_params(params)?;
        let era = self.era(params.meta.as_ref())?;
        self.list_page(id, era, params.cursor.as_deref(), key, entries)?;
        Ok(Action::Done)
    }

    fn read_resource(&mut self, id: &RequestId, params: Option<&RawValue>) -> Reply<Action> {
        let params: ReadParams<'_> = required_params(params)?;
        self.check_mirrored_name(&params.uri)?;
        let era = self.era(params.meta.as_ref())?;
        let surface = self.server.surface.load();
        let found = surface
            .resources
            .iter()
            .find_map(|r| r.serves(&params.uri).map(|vars| (r, vars)));
        let Some((resource, variables)) = found else {
            let code = if era.is_modern() {
                INVALID_PARAMS
            } else {
                RESOURCE_NOT_FOUND
            };
            return Err(
                ErrorObject::new(code, format!("Resource not found: {}", params.uri))
                    .with_data(json!({ "uri": params.uri })),
            );
        };
        let round = self.input_round(
            era,
            "resources/read",
            || Arc::from(params.uri.as_str()),
            params.input_responses,
            params.request_state.as_deref(),
        )?;
        let context = self.request_context(id, era, params.meta.as_ref(), round);
        let read = ResourceRead::from_parts(
            params.uri.clone(),
            variables,
            context.clone(),
            self.server.state.clone(),
        );
        let service = resource.service();
        let uri = params.uri;
        let future = Box::pin(async move {
            let result = service
                .oneshot(read)
                .await
                .map_err(|err| handler_error(err, || format!("Reading resource {uri} failed")))
                .map_err(|error| not_found_for(error, era, &uri))?;
            let mut value = to_object(&result)?;
            if era.is_modern() {
                // Reads are not cached by clients unless a resource says otherwise.
                value.insert("ttlMs".into(), 0.into());
                value.insert("cacheScope".into(), "private".into());
            }
            Ok(Value::Object(value))
        });
        Ok(self.pending(id, era, context, future))
    }

    /// `resources/subscribe` and `resources/unsubscribe`: legacy only (`2026-07-28` streams
    /// changes on `subscriptions/listen` instead).
    fn subscription(
        &mut self,
        id: &RequestId,
        method: &str,
        params: Option<&RawValue>,
    ) -> Reply<Action> {
        let params: ReadParams<'_> = required_params(params)?;
        if params
            .meta
            .as_ref()
            .is_some_and(|m| m.protocol_version.is_some())
        {
            return Err(ErrorObject::new(
                METHOD_NOT_FOUND,
                format!("Method not found: {method} belongs to the initialize-based protocol"),
            ));
        }
        let era = self.era(params.meta.as_ref())?;
        let Some(listener) = self.session.listener() else {
            return Err(ErrorObject::new(
                INTERNAL_ERROR,
                "Internal error: this connection cannot hold subscriptions",
            ));
        };
        if method == "resources/unsubscribe" {
            listener.unsubscribe(&params.uri);
        } else {
            if !self
                .server
                .surface
                .load()
                .resources
                .iter()
                .any(|r| r.serves(&params.uri).is_some())
            {
                return Err(ErrorObject::new(
                    RESOURCE_NOT_FOUND,
                    format!("Resource not found: {}", params.uri),
                )
                .with_data(json!({ "uri": params.uri })));
            }
            if !listener.subscribe(&params.uri) {
                return Err(ErrorObject::invalid_params(format!(
                    "Too many subscriptions: the limit is {MAX_SUBSCRIPTIONS} per session"
                )));
            }
        }
        self.write(id, era, &json!({}));
        Ok(Action::Done)
    }

    /// `subscriptions/listen` (`2026-07-28`): a stream that stays open, acknowledged first,
    /// carrying `notifications/resources/updated` for the URIs asked for, each tagged with the
    /// subscription's id, and the list-changed notifications the filter asked for
    /// (`toolsListChanged`, `promptsListChanged`, `resourcesListChanged`; each list may change
    /// while serving). Lists the server does not have are not acknowledged.
    fn listen(&mut self, id: &RequestId, params: Option<&RawValue>) -> Reply<Action> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct Filter {
            #[serde(default)]
            resource_subscriptions: Vec<String>,
            #[serde(default)]
            tools_list_changed: bool,
            #[serde(default)]
            prompts_list_changed: bool,
            #[serde(default)]
            resources_list_changed: bool,
        }
        #[derive(Deserialize, Default)]
        struct ListenParams<'a> {
            #[serde(default)]
            notifications: Filter,
            #[serde(rename = "_meta", default, borrow)]
            meta: Option<RequestMeta<'a>>,
        }
        let params: ListenParams<'_> = optional_params(params)?;
        let era = self.era(params.meta.as_ref())?;
        if !era.is_modern() {
            return Err(ErrorObject::new(
                METHOD_NOT_FOUND,
                "Method not found: subscriptions/listen belongs to 2026-07-28 (use resources/subscribe)",
            ));
        }
        // The lists the client asked to hear of, among those the server has (and so may
        // change): only those are acknowledged.
        let has = |capability: &str| self.server.capabilities.get(capability).is_some();
        let filter = &params.notifications;
        let lists: Vec<(ListKind, &str)> = [
            (
                filter.tools_list_changed,
                ListKind::Tools,
                "toolsListChanged",
                true,
            ),
            (
                filter.prompts_list_changed,
                ListKind::Prompts,
                "promptsListChanged",
                has("prompts"),
            ),
            (
                filter.resources_list_changed,
                ListKind::Resources,
                "resourcesListChanged",
                has("resources"),
            ),
        ]
        .into_iter()
        .filter(|&(asked, _, _, offered)| asked && offered)
        .map(|(_, kind, key, _)| (kind, key))
        .collect();
        let uris = params.notifications.resource_subscriptions;
        if uris.len() > MAX_SUBSCRIPTIONS {
            return Err(ErrorObject::invalid_params(format!(
                "Too many resource subscriptions: the limit is {MAX_SUBSCRIPTIONS}"
            )));
        }
        let listener = self.server.listeners.register();
        for uri in &uris {
            listener.subscribe(uri);
        }
        for &(kind, _) in &lists {
            listener.want_list_changes(kind);
        }
        let context = self.request_context(id, era, params.meta.as_ref(), None);
        let subscription = serde_json::to_value(id).unwrap_or(Value::Null);
        let mut ack = Vec::new();
        let mut filter = serde_json::Map::new();
        for &(_, key) in &lists {
            filter.insert(key.into(), json!(true));
        }
        if !uris.is_empty() {
            filter.insert("resourceSubscriptions".into(), json!(uris));
        }
        crate::protocol::jsonrpc::write_notification(
            &mut ack,
            "notifications/subscriptions/acknowledged",
            &json!({"_meta": {SUBSCRIPTION_ID: subscription}, "notifications": filter}),
        );
        context.leave_line(ack);
        let stream = context.clone();
        let closing = context.closing();
        let future = Box::pin(async move {
            let ended = async {
                match closing {
                    Some(closing) => closing.cancelled_owned().await,
                    None => std::future::pending().await,
                }
            };
            let forward = async {
                loop {
                    listener.updated_wait().await;
                    // A client that does not read leaves its notifications waiting in the
                    // listener (one per URI), not here.
                    while stream.lines_waiting() >= MAX_LISTEN_BACKLOG {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                    let mut lines = Vec::new();
                    listener.collect_for(&mut lines, Some(&subscription));
                    for line in lines.split_inclusive(|&b| b == b'\n') {
                        stream.leave_line(line.to_vec());
                    }
                }
            };
            tokio::select! {
                () = forward => unreachable!("forwarding never ends"),
                // The server ends the subscription: it answers the request (graceful closure).
                () = ended => Ok(json!({ "_meta": { SUBSCRIPTION_ID: subscription } })),
            }
        });
        Ok(self.pending(id, era, context, future))
    }

    fn get_prompt(&mut self, id: &RequestId, params: Option<&RawValue>) -> Reply<Action> {
        let params: GetPromptParams<'_> = required_params(params)?;
        self.check_mirrored_name(&params.name)?;
        let era = self.era(params.meta.as_ref())?;
        let surface = self.server.surface.load();
        let Some(&index) = surface.prompt_index.get(params.name.as_str()) else {
            return Err(ErrorObject::invalid_params(format!(
                "Unknown prompt: {}",
                params.name
            )));
        };
        let prompt = &surface.prompts[index];
        let arguments = params.arguments.unwrap_or_default();
        if let Some(missing) = prompt
            .def()
            .arguments
            .iter()
            .find(|a| a.required && !arguments.contains_key(&a.name))
        {
            return Err(ErrorObject::invalid_params(format!(
                "Missing required argument `{}` of prompt `{}`",
                missing.name, params.name
            )));
        }
        let round = self.input_round(
            era,
            "prompts/get",
            || prompt.def().name.clone(),
            params.input_responses,
            params.request_state.as_deref(),
        )?;
        let context = self.request_context(id, era, params.meta.as_ref(), round);
        let get = PromptGet::from_parts(
            prompt.def().name.clone(),
            arguments,
            context.clone(),
            self.server.state.clone(),
        );
        let service = prompt.service();
        let name = params.name;
        let future = Box::pin(async move {
            let result = service
                .oneshot(get)
                .await
                .map_err(|err| handler_error(err, || format!("Getting prompt `{name}` failed")))?;
            Ok(Value::Object(to_object(&result)?))
        });
        Ok(self.pending(id, era, context, future))
    }

    fn complete(&mut self, id: &RequestId, params: Option<&RawValue>) -> Reply<Action> {
        let params: CompleteParams<'_> = required_params(params)?;
        let era = self.era(params.meta.as_ref())?;
        let surface = self.server.surface.load();
        let completers = match &params.reference {
            Reference::Prompt { name } => {
                let Some(&index) = surface.prompt_index.get(name.as_str()) else {
                    return Err(ErrorObject::invalid_params(format!(
                        "Unknown prompt: {name}"
                    )));
                };
                &surface.prompts[index].completers
            }
            Reference::Resource { uri } => {
                let template = surface.resources.iter().find(|r| {
                    matches!(&*r.kind, ResourceKind::Template { def, .. } if def.uri_template == *uri)
                });
                match template {
                    Some(resource) => &resource.completers,
                    None => {
                        return Err(ErrorObject::invalid_params(format!(
                            "Unknown resource template: {uri}"
                        )))
                    }
                }
            }
        };
        let completer = completers
            .iter()
            .find(|(name, _)| *name == params.argument.name)
            .map(|(_, completer)| completer.clone());
        let context = self.request_context(id, era, params.meta.as_ref(), None);
        let request = CompletionRequest::new(
            params.argument.name,
            params.argument.value,
            params.context.map(|c| c.arguments).unwrap_or_default(),
            self.server.state.clone(),
        );
        let future = Box::pin(async move {
            let result = match completer {
                Some(completer) => CompleteResult::new(completer(request).await),
                None => CompleteResult::empty(),
            };
            Ok(Value::Object(to_object(&result)?))
        });
        Ok(self.pending(id, era, context, future))
    }

    /// Checks `Mcp-Name` against the body's name or URI (modern HTTP).
    fn check_mirrored_name(&self, body: &str) -> Reply<()> {
        match self.mirrored {
            Some(mirrored) => Self::check_mirrored("Mcp-Name", mirrored.name.as_deref(), body),
            None => Ok(()),
        }
    }

    /// The context of a request the server answers by running a handler.
    fn request_context(
        &self,
        id: &RequestId,
        era: Era,
        meta: Option<&RequestMeta<'_>>,
        round: Option<InputRound>,
    ) -> RequestContext {
        let log_level = match era {
            Era::Modern => meta
                .and_then(|m| m.log_level.as_deref())
                .and_then(LogLevel::parse),
            Era::Legacy(_) => self.session.log_level(),
        };
        RequestContext::new(
            id.clone(),
            era,
            meta.and_then(|m| m.progress_token).map(ToOwned::to_owned),
            log_level,
            self.outbox.clone(),
            CacheControl::Default,
            self.client_link(era, meta, round),
        )
    }

    fn pending(
        &self,
        id: &RequestId,
        era: Era,
        context: RequestContext,
        future: super::dispatch::ReplyFuture,
    ) -> Action {
        Action::Request(PendingRequest {
            id: id.clone(),
            era,
            context,
            future,
            observed: crate::observe::Observed::default(),
        })
    }
}

/// A handler's error as a JSON-RPC error: an [`ErrorObject`] it returned is sent as it is;
/// anything else is an internal error saying what failed.
fn handler_error(err: BoxError, what: impl FnOnce() -> String) -> ErrorObject {
    match err.downcast::<ErrorObject>() {
        Ok(error) => *error,
        Err(err) => ErrorObject::new(INTERNAL_ERROR, format!("{}: {err}", what())),
    }
}

/// `2026-07-28` retired `-32002` (resource not found) for `-32602` with `data.uri`
/// (SEP-2164): a handler's `-32002` is sent in the form of the request's era.
fn not_found_for(error: ErrorObject, era: Era, uri: &str) -> ErrorObject {
    if error.code != RESOURCE_NOT_FOUND || !era.is_modern() {
        return error;
    }
    let data = match error.data {
        Some(Value::Object(mut data)) => {
            data.entry("uri").or_insert_with(|| Value::from(uri));
            Value::Object(data)
        }
        _ => json!({ "uri": uri }),
    };
    ErrorObject::new(INVALID_PARAMS, error.message).with_data(data)
}

fn to_object<T: Serialize>(value: &T) -> Result<serde_json::Map<String, Value>, ErrorObject> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ErrorObject::new(
            INTERNAL_ERROR,
            "Internal error: a result did not serialize to an object",
        )),
    }
}

fn encode_cursor(key: &str, offset: usize) -> String {
    format!("{key}:{offset}")
}

fn decode_cursor(key: &str, cursor: &str) -> Option<usize> {
    cursor.strip_prefix(key)?.strip_prefix(':')?.parse().ok()
}
