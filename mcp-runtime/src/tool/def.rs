//! What a client sees of a tool: its name, description, schemas and hints.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::schema::JsonObject;
use super::StateRequirement;
use crate::protocol::messages::ToolAnnotations;

/// What a client sees of a tool in `tools/list`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ToolDef {
    /// Unique name: 1–128 characters of `A-Z a-z 0-9 _ - .`.
    pub name: Arc<str>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the tool does, for the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON Schema of the arguments; its root is an object.
    pub input_schema: JsonObject,
    /// JSON Schema of `structuredContent`, when the tool returns structured results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<JsonObject>,
    /// Behaviour hints.
    #[serde(skip_serializing_if = "ToolAnnotations::is_empty")]
    pub annotations: ToolAnnotations,
    /// Shared state the tool needs; checked when the server is built.
    #[serde(skip)]
    pub state_requirements: Vec<StateRequirement>,
    /// Client capabilities the tool cannot work without (`sampling`, `elicitation`, `roots`):
    /// a call from a client that did not declare them is refused with `-32021`.
    #[serde(skip)]
    pub required_client_capabilities: Vec<String>,
}

impl ToolDef {
    /// A definition with a name and input schema and nothing else.
    ///
    /// ```
    /// use mcp_runtime::ToolDef;
    /// let def = ToolDef::new("ping", serde_json::Map::new()).with_description("Answers pong.");
    /// assert_eq!(&*def.name, "ping");
    /// ```
    pub fn new(name: impl Into<Arc<str>>, input_schema: JsonObject) -> Self {
        let mut input_schema = input_schema;
        input_schema
            .entry("type")
            .or_insert_with(|| Value::from("object"));
        ToolDef {
            name: name.into(),
            title: None,
            description: None,
            input_schema,
            output_schema: None,
            annotations: ToolAnnotations::default(),
            state_requirements: Vec::new(),
            required_client_capabilities: Vec::new(),
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

    /// Sets the output schema.
    pub fn with_output_schema(mut self, schema: Option<JsonObject>) -> Self {
        self.output_schema = schema;
        self
    }

    /// Sets the behaviour hints.
    pub fn with_annotations(mut self, annotations: ToolAnnotations) -> Self {
        self.annotations = annotations;
        self
    }

    /// Declares a client capability the tool cannot work without (`"sampling"`,
    /// `"elicitation"`, `"roots"`): calls from clients that did not declare it are refused with
    /// a `MissingRequiredClientCapability` error (`-32021`) naming it.
    pub fn requires_client_capability(mut self, capability: impl Into<String>) -> Self {
        self.required_client_capabilities.push(capability.into());
        self
    }

    /// Declares shared state the tool needs.
    pub fn with_state_requirement(mut self, requirement: StateRequirement) -> Self {
        self.state_requirements.push(requirement);
        self
    }
}

/// Whether `name` is a valid tool name: 1–128 characters of `A-Z a-z 0-9 _ - .`.
pub fn is_valid_tool_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}
