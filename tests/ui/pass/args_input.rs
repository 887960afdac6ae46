use mcp_toolkit::{tool, Args, RequestContext, State};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
struct Search {
    /// What to look for.
    query: String,
    /// How many hits to return at most.
    limit: Option<u32>,
}

#[derive(Clone)]
struct Prefix(&'static str);

/// Search with the whole input as one type.
#[tool(read_only)]
async fn search(
    Args(search): Args<Search>,
    State(prefix): State<Prefix>,
    _ctx: RequestContext,
) -> String {
    format!("{}{} (limit {:?})", prefix.0, search.query, search.limit)
}

fn main() {
    let tool = search::tool();
    let def = tool.def();
    assert_eq!(tool.name(), "search");
    assert_eq!(
        def.description.as_deref(),
        Some("Search with the whole input as one type.")
    );
    assert_eq!(
        def.input_schema["properties"]["query"]["description"],
        "What to look for."
    );
    // A `String` result is structured output, `{"result": "..."}`.
    let output = def.output_schema.as_ref().expect("an output schema");
    assert_eq!(output["properties"]["result"]["type"], "string");
}
