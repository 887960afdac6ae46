use mcp_toolkit::{tool, RequestContext as Ctx, State};

#[derive(Clone)]
struct Pool;

type Db = State<Pool>;

/// Look a user up.
#[tool]
async fn lookup(db: Db, ctx: Ctx, id: u64) -> String {
    let _ = (db, ctx);
    id.to_string()
}

fn main() {}
