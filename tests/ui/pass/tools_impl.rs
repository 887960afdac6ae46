//! `#[tools]` with every option form, `crate = "..."` and options from code.
use std::sync::Arc;
use std::time::Duration;

use mcp_toolkit::{tool, tools, RequestContext, State};

const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct Pool;

struct Config {
    concurrency: usize,
}

struct Service {
    config: Config,
}

#[tools(crate = "mcp_toolkit")]
impl Service {
    /// Everything at once.
    #[tool(
        read_only,
        cache_ttl = TIMEOUT,
        timeout = TIMEOUT,
        concurrency = self.config.concurrency,
        rate_limit = "10/s",
        layer = tower::limit::ConcurrencyLimitLayer::new(4),
    )]
    async fn everything(&self, id: u64, State(_pool): State<Pool>, ctx: RequestContext) -> u64 {
        let _ = ctx;
        id
    }

    /// Batched.
    #[tool(batch, timeout = "1s")]
    async fn squares(self: Arc<Self>, ns: Vec<u64>) -> Vec<u64> {
        ns.iter().map(|n| n * n).collect()
    }

    /// Blocking, without self.
    #[mcp_toolkit::tool]
    fn blocking(a: u64) -> u64 {
        a
    }
}

/// Through the runtime crate directly.
#[tool(crate = "mcp_runtime", rate_limit = (5, Duration::from_secs(1)))]
async fn direct(a: i64) -> i64 {
    a
}

fn main() {
    let tools = Service {
        config: Config { concurrency: 2 },
    }
    .tools();
    assert_eq!(tools.len(), 3);
    let _ = direct::tool();
}
