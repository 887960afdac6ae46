//! The `metrics` handles of each tool and method, registered once with the recorder installed
//! and reused by every request (registering builds a labelled key: an allocation or two that a
//! call should not pay each time).

use std::sync::{Arc, OnceLock};

use metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata};

use super::names;

static METADATA: Metadata<'static> =
    Metadata::new("mcp_runtime::request", Level::INFO, Some(module_path!()));

/// Whether a `metrics` recorder is installed (globally, or for this thread).
///
/// The facade's stand-in until one is, `NoopRecorder`, is zero-sized; recorders keep state (an
/// exporter's registry), so a zero-sized recorder counts as none.
#[inline]
pub(crate) fn recorder_installed() -> bool {
    metrics::with_recorder(|recorder| std::mem::size_of_val(recorder) != 0)
}

/// The handles of one method, or of one tool's calls.
pub(crate) struct Handles {
    labels: Vec<Label>,
    pub requests: Counter,
    pub tool_errors: Counter,
    pub timeout_errors: Counter,
    pub cancelled: Counter,
    pub timeouts: Counter,
    pub cache_hits: Counter,
    pub cache_misses: Counter,
    pub batch_size: Histogram,
    pub in_flight: Gauge,
    pub duration: Histogram,
}

impl Handles {
    fn register(method: &'static str, tool: Option<&str>) -> Handles {
        let mut labels = vec![Label::new("mcp.method.name", method)];
        if let Some(tool) = tool {
            labels.push(Label::new("gen_ai.tool.name", tool.to_owned()));
        }
        metrics::with_recorder(|recorder| {
            let key = |name: &'static str, extra: Option<(&'static str, &'static str)>| {
                let mut labels = labels.clone();
                labels.extend(extra.map(|(k, v)| Label::new(k, v)));
                Key::from_parts(name, labels)
            };
            let error = |kind| {
                recorder
                    .register_counter(&key(names::ERRORS, Some(("error.type", kind))), &METADATA)
            };
            Handles {
                requests: recorder.register_counter(&key(names::REQUESTS, None), &METADATA),
                tool_errors: error("tool_error"),
                timeout_errors: error("timeout"),
                cancelled: error("cancelled"),
                timeouts: recorder.register_counter(&key(names::TIMEOUTS, None), &METADATA),
                cache_hits: recorder.register_counter(&key(names::CACHE_HITS, None), &METADATA),
                cache_misses: recorder.register_counter(&key(names::CACHE_MISSES, None), &METADATA),
                batch_size: recorder.register_histogram(&key(names::BATCH_SIZE, None), &METADATA),
                in_flight: recorder.register_gauge(&key(names::IN_FLIGHT, None), &METADATA),
                duration: recorder.register_histogram(&key(names::DURATION, None), &METADATA),
                labels: labels.clone(),
            }
        })
    }

    /// Counts a JSON-RPC error (rare: registered on the spot, under its code).
    pub(crate) fn jsonrpc_error(&self, code: i32) {
        let mut labels = self.labels.clone();
        labels.push(Label::new("error.type", code.to_string()));
        let key = Key::from_parts(names::ERRORS, labels);
        metrics::with_recorder(|recorder| recorder.register_counter(&key, &METADATA)).increment(1);
    }
}

/// The methods whose requests are counted apart; any other counts as `other` (a client must
/// not be able to make up labels).
const METHODS: [&str; 15] = [
    "tools/call",
    "tools/list",
    "initialize",
    "ping",
    "server/discover",
    "logging/setLevel",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "other",
];

/// `method` as one of [`METHODS`].
fn known_method(method: &str) -> (usize, &'static str) {
    let index = METHODS[..METHODS.len() - 1]
        .iter()
        .position(|m| *m == method)
        .unwrap_or(METHODS.len() - 1);
    (index, METHODS[index])
}

/// The handles of each method, and of each tool of one snapshot of the tools, registered at
/// their first request (kept with the snapshot, so servers in one process, each with a recorder
/// of its own in tests, do not share them).
pub(crate) struct ToolHandles {
    tools: Box<[OnceLock<Arc<Handles>>]>,
    methods: [OnceLock<Arc<Handles>>; METHODS.len()],
}

impl ToolHandles {
    pub(crate) fn new(tools: usize) -> Self {
        ToolHandles {
            tools: (0..tools).map(|_| OnceLock::new()).collect(),
            methods: Default::default(),
        }
    }

    /// The handles of the tool at `index`, named `name`.
    pub(crate) fn tool(&self, index: usize, name: &str) -> Arc<Handles> {
        self.tools[index]
            .get_or_init(|| Arc::new(Handles::register("tools/call", Some(name))))
            .clone()
    }

    /// The handles of `method`.
    pub(crate) fn method(&self, method: &str) -> Arc<Handles> {
        let (index, method) = known_method(method);
        self.methods[index]
            .get_or_init(|| Arc::new(Handles::register(method, None)))
            .clone()
    }
}
