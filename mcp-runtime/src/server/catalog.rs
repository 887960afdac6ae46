//! The tools a server serves, as one immutable snapshot that is replaced whole when a tool is
//! added or removed while serving.
//!
//! Readers (every `tools/call` and `tools/list`) take a snapshot and keep using it for the
//! message, so a change never shows them half a list. Writers are rare: they build a new
//! snapshot from the current one (copy-on-write) under a mutex and publish it. The stdio hot
//! path does not even take the snapshot per message: it compares [`ToolCatalog::generation`]
//! (one atomic load) with the snapshot it holds and reloads only when they differ.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use serde_json::value::RawValue;

use super::param_headers::{self, HeaderParam};
use super::{BuildError, Fnv};
use crate::observe::ToolHandles;
use crate::sync::lock;
use crate::tool::{is_valid_tool_name, SharedState, Tool};

/// One snapshot of the registered tools, in listing order.
pub(crate) struct Tools {
    /// Which change made this snapshot (0: the one `build` made).
    pub generation: u64,
    pub list: Vec<Tool>,
    pub index: HashMap<Arc<str>, usize, BuildHasherDefault<Fnv>>,
    /// Each tool's `tools/list` entry, serialized once.
    pub entries: Vec<Box<RawValue>>,
    /// Each tool's `x-mcp-header` parameters (2026-07-28 HTTP mirrors them into headers).
    pub header_params: Vec<Vec<HeaderParam>>,
    /// Each tool's metrics handles, registered at its first call with a recorder installed.
    pub handles: ToolHandles,
}

impl Tools {
    /// Checks `list` (valid, distinct names; registered state) and indexes it.
    pub(crate) fn build(
        list: Vec<Tool>,
        state: &SharedState,
        generation: u64,
    ) -> Result<Tools, BuildError> {
        let mut index =
            HashMap::with_capacity_and_hasher(list.len(), BuildHasherDefault::default());
        let mut entries = Vec::with_capacity(list.len());
        let mut header_params = Vec::with_capacity(list.len());
        for (position, tool) in list.iter().enumerate() {
            let def = tool.def();
            if !is_valid_tool_name(&def.name) {
                return Err(BuildError::InvalidToolName(def.name.to_string()));
            }
            if index.insert(def.name.clone(), position).is_some() {
                return Err(BuildError::DuplicateTool(def.name.to_string()));
            }
            if let Some(missing) = def
                .state_requirements
                .iter()
                .find(|r| !state.contains(r.type_id))
            {
                return Err(BuildError::MissingState {
                    tool: def.name.to_string(),
                    type_name: missing.type_name,
                });
            }
            entries
                .push(serde_json::value::to_raw_value(def).expect("a tool definition serializes"));
            header_params.push(param_headers::header_params(&def.input_schema));
        }
        Ok(Tools {
            generation,
            handles: ToolHandles::new(list.len()),
            list,
            index,
            entries,
            header_params,
        })
    }
}

/// The current [`Tools`] snapshot of a server.
pub(crate) struct ToolCatalog {
    current: ArcSwap<Tools>,
    /// The generation of `current`, readable without touching the snapshot's reference count.
    generation: AtomicU64,
    /// Serializes changes, so that two concurrent ones cannot both start from the same
    /// snapshot and lose one of them.
    changes: Mutex<()>,
}

impl ToolCatalog {
    pub(crate) fn new(tools: Tools) -> Self {
        ToolCatalog {
            generation: AtomicU64::new(tools.generation),
            current: ArcSwap::from_pointee(tools),
            changes: Mutex::new(()),
        }
    }

    /// The current snapshot.
    pub(crate) fn load(&self) -> Arc<Tools> {
        self.current.load_full()
    }

    /// The generation of the current snapshot: when it differs from a snapshot's own, that
    /// snapshot is stale.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Publishes the snapshot `change` makes of the current list; `Ok(false)` when it made no
    /// change (nothing is published then).
    pub(crate) fn change(
        &self,
        state: &SharedState,
        change: impl FnOnce(&mut Vec<Tool>) -> bool,
    ) -> Result<bool, BuildError> {
        let _changing = lock(&self.changes);
        let current = self.current.load();
        let mut list = current.list.clone();
        if !change(&mut list) {
            return Ok(false);
        }
        let tools = Tools::build(list, state, current.generation + 1)?;
        let generation = tools.generation;
        self.current.store(Arc::new(tools));
        // After the store: whoever sees the new generation finds (at least) its snapshot.
        self.generation.store(generation, Ordering::Release);
        Ok(true)
    }
}
