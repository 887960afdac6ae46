use mcp_toolkit::{tool, RequestContext, State};
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Clone)]
pub struct Index {
    pub prefix: &'static str,
}

#[derive(Serialize, JsonSchema)]
pub struct Hits {
    /// The matching documents.
    pub hits: Vec<String>,
}

/// Ignored: `description` wins over the doc comment.
#[tool(
    name = "search_docs",
    title = "Search the docs",
    description = "Searches the docs.",
    read_only,
    destructive = false,
    idempotent = true,
    open_world = false,
)]
pub async fn search(
    /// What to look for.
    query: String,
    /// How many hits to return at most.
    #[serde(default = "default_limit")]
    limit: u32,
    /// Only search documents of this kind.
    r#type: Option<String>,
    /// Include archived documents.
    #[serde(default)]
    archived: bool,
    State(index): State<Index>,
    ctx: RequestContext,
) -> Hits {
    ctx.info("searching");
    let kind = r#type.unwrap_or_default();
    Hits {
        hits: vec![format!(
            "{}{query}{kind} (limit {limit}, archived {archived})",
            index.prefix
        )],
    }
}

fn default_limit() -> u32 {
    10
}

fn main() {
    let tool = search::tool();
    let def = tool.def();
    assert_eq!(tool.name(), "search_docs");
    assert_eq!(def.title.as_deref(), Some("Search the docs"));
    assert_eq!(def.description.as_deref(), Some("Searches the docs."));
    assert_eq!(def.annotations.read_only_hint, Some(true));
    assert_eq!(def.annotations.destructive_hint, Some(false));
    assert_eq!(def.annotations.idempotent_hint, Some(true));
    assert_eq!(def.annotations.open_world_hint, Some(false));

    let properties = &def.input_schema["properties"];
    assert_eq!(properties["query"]["description"], "What to look for.");
    assert!(properties.get("type").is_some(), "r#type is the property `type`");
    assert!(properties.get("ctx").is_none());
    assert!(properties.get("index").is_none());
    let required = def.input_schema["required"].as_array().unwrap();
    assert_eq!(required.len(), 1, "only `query` is required: {required:?}");
    assert_eq!(required[0], "query");

    assert!(def.output_schema.is_some());
    assert_eq!(def.state_requirements.len(), 1);
}
