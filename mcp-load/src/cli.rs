//! The command line: a target (stdio command or HTTP URL), the era, what to call, the load shape.
//!
//! Parsed by clap, then turned into a checked [`Plan`] so the rest of the program never meets a
//! contradiction (a rate of zero, a run bounded in neither count nor time).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `mcp-load`: drive one MCP server with a fixed load and report what it did.
#[derive(Parser, Debug)]
#[command(
    name = "mcp-load",
    version,
    about = "A load tester for MCP servers (stdio or Streamable HTTP, both protocol eras)",
    after_help = "Examples:\n  mcp-load stdio -n 10000 -c 16 --tool add --args '{\"a\":1,\"b\":2}' -- ./my_server --flag\n  mcp-load http --duration 10s --rate 2000 --tool echo --args '{\"text\":\"hi\"}' http://127.0.0.1:3000/mcp"
)]
pub struct Cli {
    /// Where the server is.
    #[command(subcommand)]
    pub target: TargetCmd,
}

/// The two kinds of target.
#[derive(Subcommand, Debug)]
pub enum TargetCmd {
    /// Start a server process and talk to it over its stdin and stdout.
    Stdio {
        /// The load and what to call.
        #[command(flatten)]
        load: LoadArgs,
        /// The server command and its arguments (after `--`).
        #[arg(last = true, required = true, num_args = 1..)]
        command: Vec<String>,
    },
    /// Call a Streamable HTTP endpoint (plain `http://` only).
    Http {
        /// The load and what to call.
        #[command(flatten)]
        load: LoadArgs,
        /// The endpoint, e.g. `http://127.0.0.1:3000/mcp`.
        url: String,
        /// A local server process to measure (CPU time per call, peak memory).
        #[arg(long)]
        pid: Option<u32>,
        /// A header every request carries, `Name: value` (e.g. `Authorization: Bearer TOKEN`);
        /// may be repeated.
        #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
        headers: Vec<String>,
    },
}

/// The protocol era the load speaks.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EraArg {
    /// `2026-07-28`: stateless, `_meta` (and HTTP headers) on every request.
    Modern,
    /// `2025-11-25`: an `initialize` handshake first (and an `Mcp-Session-Id` over HTTP).
    Legacy,
}

/// Everything but the target.
#[derive(Args, Debug)]
pub struct LoadArgs {
    /// Protocol era.
    #[arg(long, value_enum, default_value_t = EraArg::Modern)]
    pub era: EraArg,
    /// The tool to call.
    #[arg(
        long,
        required_unless_present = "scenario",
        conflicts_with = "scenario"
    )]
    pub tool: Option<String>,
    /// The tool's arguments, a JSON object.
    #[arg(long, default_value = "{}", conflicts_with = "scenario")]
    pub args: String,
    /// A scenario file: a weighted mix of tools and arguments (see the README).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Measured calls (default 1000 when no --duration is given).
    #[arg(short = 'n', long = "calls")]
    pub calls: Option<u64>,
    /// Calls in flight at once: the closed loop's concurrency, or the open loop's cap
    /// (default 1, or 256 with --rate). Over HTTP, one connection per call in flight.
    #[arg(short = 'c', long)]
    pub concurrency: Option<usize>,
    /// How long to load (e.g. `10s`, `500ms`, `2m`); bounds a `-n` run too (default 10m).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Open loop: start calls at this fixed rate (calls/s) whether or not earlier ones have
    /// finished; latency counts from each call's scheduled start, so queueing shows.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Calls made first and left out of the figures.
    #[arg(long, default_value_t = 0)]
    pub warmup: u64,
    /// A call without a reply after this long counts as a timeout.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub timeout: Duration,
    /// Print one JSON object (for scripts and CI) instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Run the same load against a second server too, interleaved, and print the ratio of
    /// their figures: a command (stdio; split at spaces, no quoting) or a URL (http).
    #[arg(long, value_name = "TARGET")]
    pub compare: Option<String>,
    /// With --compare: rounds the load is cut into, alternating which server goes first.
    #[arg(long, default_value_t = 10, requires = "compare")]
    pub rounds: u32,
    /// Also write a self-contained HTML page with latency-over-time and distribution charts.
    #[arg(long, value_name = "FILE.html", conflicts_with = "compare")]
    pub report: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// A duration such as `250ms`, `10s`, `2m`, `1h` or a bare number of seconds (`1.5`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 500ms, 10s, 2m)"))?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1e3,
        "us" | "µs" => number / 1e6,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        other => return Err(format!("unknown duration unit {other:?} (ms, s, m, h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|err| format!("{text:?}: {err}"))
}

/// How calls are started.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    /// `in_flight` calls at a time; each finished call starts the next.
    Closed {
        /// Calls in flight.
        in_flight: usize,
    },
    /// A call every `1 / rate` seconds, at most `cap` in flight (later ones wait their turn,
    /// their latency counting from when they were due).
    Open {
        /// Calls per second.
        rate: f64,
        /// Calls in flight at most.
        cap: usize,
    },
}

impl Shape {
    /// Calls in flight at most.
    pub fn in_flight(self) -> usize {
        match self {
            Shape::Closed { in_flight } => in_flight,
            Shape::Open { cap, .. } => cap,
        }
    }
}

/// A checked load: how calls start, and when the run stops.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// How calls are started.
    pub shape: Shape,
    /// Measured calls at most.
    pub calls: u64,
    /// No measured call starts after this long.
    pub duration: Duration,
    /// Unmeasured calls first.
    pub warmup: u64,
    /// Per call.
    pub timeout: Duration,
}

/// The time bound of a run given only a count.
const DEFAULT_TIME_BOUND: Duration = Duration::from_secs(600);

impl LoadArgs {
    /// The load as a [`Plan`], or why the flags do not make one.
    pub fn plan(&self) -> Result<Plan, String> {
        let shape = match self.rate {
            Some(rate) if !(rate.is_finite() && rate > 0.0) => {
                return Err(format!("--rate {rate}: a positive number of calls/s"))
            }
            Some(rate) => Shape::Open {
                rate,
                cap: self.concurrency.unwrap_or(256),
            },
            None => Shape::Closed {
                in_flight: self.concurrency.unwrap_or(1),
            },
        };
        if shape.in_flight() == 0 {
            return Err("-c 0: at least one call in flight".into());
        }
        let calls = match (self.calls, self.duration) {
            (Some(0), _) => return Err("-n 0: at least one call".into()),
            (Some(n), _) => n,
            (None, Some(_)) => u64::MAX,
            (None, None) => 1000,
        };
        let duration = self.duration.unwrap_or(DEFAULT_TIME_BOUND);
        if duration.is_zero() {
            return Err("--duration 0: the run needs some time".into());
        }
        if self.rounds == 0 {
            return Err("--rounds 0: at least one round".into());
        }
        if self.timeout.is_zero() {
            return Err("--timeout 0: calls need some time".into());
        }
        Ok(Plan {
            shape,
            calls,
            duration,
            warmup: self.warmup,
            timeout: self.timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5 parsecs").is_err());
    }

    fn load(args: &[&str]) -> LoadArgs {
        let mut argv = vec!["mcp-load", "http"];
        argv.extend_from_slice(args);
        argv.push("http://127.0.0.1:1/mcp");
        match Cli::try_parse_from(argv).unwrap().target {
            TargetCmd::Http { load, .. } => load,
            TargetCmd::Stdio { .. } => unreachable!(),
        }
    }

    #[test]
    fn every_plan_is_bounded_in_count_and_time() {
        let plan = load(&["--tool", "add"]).plan().unwrap();
        assert_eq!(plan.calls, 1000);
        assert_eq!(plan.duration, DEFAULT_TIME_BOUND);
        assert_eq!(plan.shape, Shape::Closed { in_flight: 1 });

        let plan = load(&["--tool", "add", "--duration", "3s", "--rate", "100"])
            .plan()
            .unwrap();
        assert_eq!(plan.duration, Duration::from_secs(3));
        assert_eq!(
            plan.shape,
            Shape::Open {
                rate: 100.0,
                cap: 256
            }
        );

        assert!(load(&["--tool", "add", "-c", "0"]).plan().is_err());
        assert!(load(&["--tool", "add", "--rate", "0"]).plan().is_err());
        assert!(load(&["--tool", "add", "-n", "0"]).plan().is_err());
    }

    #[test]
    fn a_tool_or_a_scenario_is_required() {
        let argv = ["mcp-load", "http", "http://127.0.0.1:1/mcp"];
        assert!(Cli::try_parse_from(argv).is_err());
    }
}
