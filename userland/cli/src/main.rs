//! The `ipcsim` command line: run, check and explore scenario files.
//!
//! Exit statuses follow the contract: 0 all well, 1 an expectation failed or
//! something unexpected happened (or, for `explore`, a failing schedule was
//! found), 2 bad input (unreadable or invalid file, bad command line).

#![forbid(unsafe_code)]

mod explore;

use std::cell::RefCell;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::rc::Rc;

use clap::{Parser, Subcommand, ValueEnum};
use ipcsim_kernel::{Event, Kernel};
use ipcsim_scenario::{json, mermaid, text, RunOptions};

#[derive(Parser)]
#[command(
    name = "ipcsim",
    version,
    about = "A deterministic microkernel IPC simulator: run, check and explore scenarios"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum TraceFormat {
    /// A readable timeline, then the report.
    Text,
    /// JSON Lines: one object per kernel event, then one report object.
    Json,
    /// No timeline; the report only.
    None,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run one scenario: print its trace and closing report.
    Run {
        /// The scenario file.
        file: String,
        /// Seed for the scheduler (overrides `config seed`): it may then preempt at any system call.
        #[arg(long)]
        seed: Option<u64>,
        /// What to print on stdout.
        #[arg(long, value_enum, default_value = "text")]
        trace: TraceFormat,
        /// Write a Mermaid sequence diagram of the run to PATH.
        #[arg(long, value_name = "PATH")]
        mermaid: Option<String>,
        /// Write Chrome Trace Event JSON (for Perfetto or chrome://tracing) to PATH.
        #[arg(long, value_name = "PATH")]
        chrome: Option<String>,
        /// Print neither trace nor report: only diagnostics and the exit status.
        #[arg(long)]
        quiet: bool,
    },
    /// Parse and check files without running them.
    Check {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Run a scenario under many seeded schedules; stop at the first failing one.
    Explore(explore::ExploreArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.cmd {
        Cmd::Run {
            file,
            seed,
            trace,
            mermaid,
            chrome,
            quiet,
        } => run(&file, seed, trace, mermaid, chrome, quiet),
        Cmd::Check { files } => check(&files),
        Cmd::Explore(args) => explore::explore(&args),
    };
    ExitCode::from(code)
}

/// Reads and checks a file; on failure prints the diagnostics and returns None.
pub(crate) fn load(file: &str) -> Option<(String, ipcsim_scenario::ast::Scenario)> {
    let src = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{file}: cannot read: {e}");
            return None;
        }
    };
    match ipcsim_scenario::load(&src) {
        Ok(sc) => Some((src, sc)),
        Err(d) => {
            eprint!("{}", d.render(file, &src));
            let n = d.0.len();
            eprintln!(
                "{file}: {n} error{} found; nothing was run",
                if n == 1 { "" } else { "s" }
            );
            None
        }
    }
}

fn check(files: &[String]) -> u8 {
    let mut bad = false;
    for f in files {
        if load(f).is_some() {
            println!("{f}: ok");
        } else {
            bad = true;
        }
    }
    if bad {
        2
    } else {
        0
    }
}

fn run(
    file: &str,
    seed: Option<u64>,
    trace: TraceFormat,
    mermaid_path: Option<String>,
    chrome_path: Option<String>,
    quiet: bool,
) -> u8 {
    let Some((_, sc)) = load(file) else { return 2 };
    let show_trace = !quiet && trace != TraceFormat::None;
    let record = show_trace || mermaid_path.is_some() || chrome_path.is_some();
    let out = Rc::new(RefCell::new(BufWriter::new(std::io::stdout())));
    let mer = Rc::new(RefCell::new(mermaid::Mermaid::default()));
    let chr = Rc::new(RefCell::new(ipcsim_scenario::chrome::Chrome::default()));
    let sink: Option<ipcsim_scenario::run::Sink> = if record {
        let (out, mer, chr) = (out.clone(), mer.clone(), chr.clone());
        let (want_mer, want_chr) = (mermaid_path.is_some(), chrome_path.is_some());
        let mut line = String::new();
        Some(Box::new(move |k: &Kernel, evs: &[Event]| {
            let mut w = out.borrow_mut();
            for e in evs {
                if show_trace {
                    line.clear();
                    match trace {
                        TraceFormat::Json => json::event_json(k, e, &mut line),
                        _ => text::event_line(k, e, &mut line),
                    }
                    let _ = writeln!(w, "{line}");
                }
                if want_mer {
                    mer.borrow_mut().event(k, e);
                }
                if want_chr {
                    chr.borrow_mut().event(k, e);
                }
            }
        }))
    } else {
        None
    };
    let opts = RunOptions {
        seed,
        record,
        steps_max: None,
    };
    let (outcome, rt) = ipcsim_scenario::run(sc, file, &opts, sink);
    let k = rt.kernel();
    let mut w = out.borrow_mut();
    if !quiet {
        match trace {
            TraceFormat::Json => {
                let _ = writeln!(w, "{}", json::report_json(&outcome, &k));
            }
            _ => {
                if show_trace {
                    let _ = writeln!(w);
                }
                let _ = write!(w, "{}", text::report_text(&outcome, &k));
            }
        }
    }
    let _ = w.flush();
    if let Some(p) = mermaid_path {
        if let Err(e) = std::fs::write(&p, mer.borrow().render(&k)) {
            eprintln!("{p}: cannot write: {e}");
            return 2;
        }
    }
    if let Some(p) = chrome_path {
        if let Err(e) = std::fs::write(&p, chr.borrow_mut().render(&k)) {
            eprintln!("{p}: cannot write: {e}");
            return 2;
        }
    }
    outcome.exit_code() as u8
}
