//! `mcp-load`: a load tester for any MCP server, over stdio or Streamable HTTP, in both protocol
//! eras. See the README's "Load testing" section, or `mcp-load --help`.
//!
//! Exit status: 0 when every measured call was answered correctly, 3 when some were not, 1 when
//! the run could not start (bad flags get clap's 2).

mod cli;
mod era;
mod load;
mod output;
mod procfs;
mod reply;
mod report;
mod request;
mod run;
mod scenario;
mod stats;
mod target;
mod timeline;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, TargetCmd};
use crate::era::Era;
use crate::output::Ratio;
use crate::run::Run;
use crate::scenario::Mix;
use crate::target::Spec;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (load, specs) = match cli.target {
        TargetCmd::Stdio { load, command } => {
            let mut specs = vec![Spec::Stdio(command)];
            if let Some(other) = &load.compare {
                specs.push(Spec::Stdio(
                    other.split_whitespace().map(str::to_owned).collect(),
                ));
            }
            (load, specs)
        }
        TargetCmd::Http {
            load,
            url,
            pid,
            headers,
        } => {
            let mut specs = vec![Spec::Http {
                url,
                pid,
                headers: headers.clone(),
            }];
            if let Some(other) = &load.compare {
                specs.push(Spec::Http {
                    url: other.clone(),
                    pid: None,
                    headers,
                });
            }
            (load, specs)
        }
    };
    let setup = || -> Result<Run, String> {
        let era = Era::from(load.era);
        let mix = match (&load.scenario, &load.tool) {
            (Some(path), _) => Mix::from_file(path, era)?,
            (None, Some(tool)) => Mix::single(tool, &load.args, era)?,
            (None, None) => return Err("--tool or --scenario is needed".into()),
        };
        Ok(Run {
            rounds: if specs.len() > 1 { load.rounds } else { 1 },
            specs,
            era,
            mix,
            plan: load.plan()?,
            progress_bar: !load.quiet,
            timeline: load.report.is_some(),
        })
    };
    let run = match setup() {
        Ok(run) => run,
        Err(err) => {
            eprintln!("mcp-load: {err}");
            return ExitCode::from(2);
        }
    };
    // One thread: the driver stays on one core, and shares nothing across threads per call.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("mcp-load: cannot start the runtime: {err}");
            return ExitCode::from(1);
        }
    };
    let local = tokio::task::LocalSet::new();
    match local.block_on(&runtime, run.go()) {
        Ok(mut reports) => {
            let all_ok = reports.iter().all(|(report, _)| {
                report.ok == report.calls && report.errors.values().all(|&n| n == 0)
            });
            let (report, timeline) = reports.remove(0);
            if let (Some(path), Some(timeline)) = (&load.report, timeline) {
                let written = report::html(&report, &timeline)
                    .and_then(|page| std::fs::write(path, page).map_err(|err| err.to_string()));
                if let Err(err) = written {
                    eprintln!("mcp-load: cannot write {}: {err}", path.display());
                    return ExitCode::from(1);
                }
            }
            match reports.pop() {
                None if load.json => println!("{}", report.json()),
                None => print!("{}", report.summary()),
                Some((other, _)) => {
                    let ratio = Ratio::of(&report, &other);
                    if load.json {
                        let both = serde_json::json!({"a": report, "b": other, "ratio": ratio});
                        println!("{both}");
                    } else {
                        println!("A: {}\n", report.summary());
                        println!("B: {}\n", other.summary());
                        println!("{}", ratio.line());
                    }
                }
            }
            if all_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            }
        }
        Err(err) => {
            eprintln!("mcp-load: {err}");
            ExitCode::from(1)
        }
    }
}
