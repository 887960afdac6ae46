//! The resources and prompts of a server: checked and listed when it is built, and again (as a
//! new snapshot, copy-on-write) each time one is added or removed while it serves.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use arc_swap::{ArcSwap, Guard};

use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::BuildError;
use crate::prompt::Prompt;
use crate::resource::{Resource, ResourceKind};
use crate::tool::{SharedState, StateRequirement};

/// What `build` makes of the registered resources and prompts.
pub(super) struct Surface {
    pub resources: Vec<Resource>,
    pub resource_entries: Vec<Box<RawValue>>,
    pub template_entries: Vec<Box<RawValue>>,
    pub prompts: Vec<Prompt>,
    pub prompt_index: HashMap<Arc<str>, usize>,
    pub prompt_entries: Vec<Box<RawValue>>,
}

impl Surface {
    pub fn build(
        resources: Vec<Resource>,
        prompts: Vec<Prompt>,
        state: &SharedState,
    ) -> Result<Surface, BuildError> {
        let (mut fixed, mut templates) = (Vec::new(), Vec::new());
        let (mut resource_entries, mut template_entries) = (Vec::new(), Vec::new());
        let mut uris = HashSet::new();
        for resource in resources {
            if !uris.insert(resource.uri().to_owned()) {
                return Err(BuildError::DuplicateResource(resource.uri().to_owned()));
            }
            if let Some(type_name) = missing_state(&resource.state_requirements, state) {
                return Err(BuildError::ResourceMissingState {
                    uri: resource.uri().to_owned(),
                    type_name,
                });
            }
            match &*resource.kind {
                ResourceKind::Fixed(def) => {
                    check_completers(&resource.completers, def.uri.as_str(), &[])?;
                    resource_entries.push(entry(def));
                    fixed.push(resource);
                }
                ResourceKind::Template { def, template } => {
                    let variables: Vec<&str> = template.variables().collect();
                    check_completers(&resource.completers, &def.uri_template, &variables)?;
                    template_entries.push(entry(def));
                    templates.push(resource);
                }
            }
        }
        fixed.extend(templates);
        let mut prompt_index = HashMap::new();
        let mut prompt_entries = Vec::new();
        for (position, prompt) in prompts.iter().enumerate() {
            let def = prompt.def();
            if prompt_index.insert(def.name.clone(), position).is_some() {
                return Err(BuildError::DuplicatePrompt(def.name.to_string()));
            }
            if let Some(type_name) = missing_state(&prompt.state_requirements, state) {
                return Err(BuildError::PromptMissingState {
                    prompt: def.name.to_string(),
                    type_name,
                });
            }
            let arguments: Vec<&str> = def.arguments.iter().map(|a| a.name.as_str()).collect();
            check_completers(&prompt.completers, &def.name, &arguments)?;
            prompt_entries.push(entry(def));
        }
        Ok(Surface {
            resources: fixed,
            resource_entries,
            template_entries,
            prompts,
            prompt_index,
            prompt_entries,
        })
    }

    /// The resources and prompts, in the order `build` takes them.
    fn lists(&self) -> (Vec<Resource>, Vec<Prompt>) {
        (self.resources.clone(), self.prompts.clone())
    }

    /// The server's capabilities: tools and logging always, the rest when the server has them
    /// (every list may change while serving).
    pub fn capabilities(&self) -> Value {
        let mut capabilities = json!({"tools": {"listChanged": true}, "logging": {}});
        if !self.resources.is_empty() {
            capabilities["resources"] = json!({"subscribe": true, "listChanged": true});
        }
        if !self.prompts.is_empty() {
            capabilities["prompts"] = json!({"listChanged": true});
        }
        let completes = self.prompts.iter().any(|p| !p.completers.is_empty())
            || self.resources.iter().any(|r| !r.completers.is_empty());
        if completes || !self.prompts.is_empty() {
            capabilities["completions"] = json!({});
        }
        capabilities
    }
}

/// The first state type of `requirements` that `state` does not hold.
fn missing_state(requirements: &[StateRequirement], state: &SharedState) -> Option<&'static str> {
    requirements
        .iter()
        .find(|r| !state.contains(r.type_id))
        .map(|r| r.type_name)
}

fn check_completers<T>(
    completers: &[(String, T)],
    owner: &str,
    names: &[&str],
) -> Result<(), BuildError> {
    match completers
        .iter()
        .find(|(name, _)| !names.contains(&name.as_str()))
    {
        Some((argument, _)) => Err(BuildError::UnknownCompletionArgument {
            owner: owner.to_owned(),
            argument: argument.clone(),
        }),
        None => Ok(()),
    }
}

/// A definition serialized once, for the list methods.
fn entry<T: serde::Serialize>(def: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(def).expect("a definition serializes")
}

/// The current [`Surface`] of a server.
pub(super) struct SurfaceCatalog {
    current: ArcSwap<Surface>,
    /// Serializes changes, so that two concurrent ones cannot both start from the same
    /// snapshot and lose one of them.
    changes: Mutex<()>,
}

impl SurfaceCatalog {
    pub fn new(surface: Surface) -> Self {
        SurfaceCatalog {
            current: ArcSwap::from_pointee(surface),
            changes: Mutex::new(()),
        }
    }

    /// The current snapshot, for one message.
    pub fn load(&self) -> Guard<Arc<Surface>> {
        self.current.load()
    }

    /// Publishes the snapshot `change` makes of the current lists; `Ok(false)` when it made no
    /// change (nothing is published then).
    pub fn change(
        &self,
        state: &SharedState,
        change: impl FnOnce(&mut Vec<Resource>, &mut Vec<Prompt>) -> bool,
    ) -> Result<bool, BuildError> {
        let _changing = self.changes.lock().unwrap_or_else(|e| e.into_inner());
        let (mut resources, mut prompts) = self.current.load().lists();
        if !change(&mut resources, &mut prompts) {
            return Ok(false);
        }
        let surface = Surface::build(resources, prompts, state)?;
        self.current.store(Arc::new(surface));
        Ok(true)
    }
}
