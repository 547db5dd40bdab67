//! The `ipcsim` command line: run, check, explore and compare scenario
//! files, and grade the guide's exercises. The binary (`main.rs`) is [`main_with`] over the process's
//! arguments; the fuzz target for argument vectors calls it too.
//!
//! Exit statuses follow the contract: 0 all well, 1 an expectation failed or
//! something unexpected happened (or, for `explore`, a failing schedule was
//! found), 2 bad input (unreadable or invalid file, bad command line).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod chart;
mod compare;
mod dfs;
mod exercise;
mod explore;
mod faults;
mod html;

use std::cell::RefCell;
use std::io::{BufWriter, Write};
use std::rc::Rc;

use clap::{Parser, Subcommand, ValueEnum};
use ipcsim_scenario::cli::{self, Views};

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
    Run(RunArgs),
    /// Parse and check files without running them.
    Check {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Run a scenario under many seeded schedules; stop at the first failing one.
    Explore(explore::ExploreArgs),
    /// Run the same request/reply exchange over endpoint, mailbox, message queue,
    /// pipe and polled shared memory at several sizes; tabulate latency, CPU and copies.
    Compare(compare::CompareArgs),
    /// The guide's predict-then-check exercises: list, show, check a prediction, answer.
    Exercise(exercise::ExerciseArgs),
}

/// The flags of `ipcsim run`.
#[derive(clap::Args)]
struct RunArgs {
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
    /// Write the classroom view to PATH: one self-contained HTML page to step through the run.
    #[arg(long, value_name = "PATH")]
    html: Option<String>,
    /// Print neither trace nor report: only diagnostics and the exit status.
    #[arg(long)]
    quiet: bool,
    /// Stop after this many process steps (at least 1) and report a possible livelock.
    #[arg(long, default_value_t = ipcsim_scenario::cli::STEPS_MAX_DEFAULT, value_parser = clap::value_parser!(u64).range(1..))]
    max_steps: u64,
    /// How the seeded scheduler chooses (with --seed or `config seed`).
    #[command(flatten)]
    strategy: explore::StrategyArgs,
    /// Replay an exact schedule, as `ipcsim explore` prints it (v1:HASH:CHOICES).
    #[arg(long, value_name = "STR")]
    schedule: Option<String>,
    /// Faults to inject (need --seed, --schedule or `config seed`: the fault is a scheduler choice).
    #[command(flatten)]
    faults: explore::FaultArgs,
}

/// Runs the command line `args` (the program's name first) and returns its
/// exit status: 0, 1 or 2 as the contract says (`--help` and `--version`: 0).
pub fn main_with<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.cmd {
        Cmd::Run(args) => run(&args),
        Cmd::Check { files } => check(&files),
        Cmd::Explore(args) => explore::explore(&args),
        Cmd::Compare(args) => compare::compare(&args),
        Cmd::Exercise(args) => exercise::exercise(&args),
    }
}

/// Reads and checks a file; on failure prints the diagnostics and returns None.
pub(crate) fn load(file: &str) -> Option<(String, ipcsim_scenario::ast::Scenario)> {
    let src = read(file)?;
    match ipcsim_scenario::load(&src) {
        Ok(sc) => Some((src, sc)),
        Err(d) => {
            eprint!("{}", d.report(file, &src));
            None
        }
    }
}

/// Reads a scenario file's text; on failure prints why (with a position for
/// text that is not UTF-8 or a file over the size limit) and returns None.
pub(crate) fn read(file: &str) -> Option<String> {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{file}: cannot read: {e}");
            return None;
        }
    };
    match ipcsim_scenario::source::decode(&bytes) {
        Ok(s) => Some(s.to_string()),
        Err(d) => {
            let shown = String::from_utf8_lossy(&bytes[..d.span.start.min(bytes.len())]);
            eprint!("{}", ipcsim_scenario::Diagnostics(vec![d]).report(file, &shown));
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

fn run(args: &RunArgs) -> u8 {
    let file = args.file.as_str();
    let Some(src) = read(file) else {
        return 2;
    };
    let schedule = match args
        .schedule
        .as_deref()
        .map(|s| ipcsim_scenario::schedule::decode_full(&src, s))
    {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            eprintln!("{file}: --schedule: {e}");
            return 2;
        }
    };
    let loss_seed = schedule.as_ref().and_then(|s| s.loss_seed);
    let replay = schedule.map(|s| s.choices);
    let faults = args.faults.kernel();
    if faults.any() && args.seed.is_none() && replay.is_none() {
        let seeded = ipcsim_scenario::load(&src).is_ok_and(|sc| sc.config.seed.is_some());
        if !seeded {
            eprintln!(
                "{file}: fault flags (--kill-random, --delay, --partition-random, --drop-random, --reorder-random) draw their step from the schedule: give --seed N or --schedule STR"
            );
            return 2;
        }
    }
    let views = Views {
        faults,
        replay,
        loss_seed,
        trace: match args.trace {
            TraceFormat::Text => cli::TraceFormat::Text,
            TraceFormat::Json => cli::TraceFormat::Json,
            TraceFormat::None => cli::TraceFormat::None,
        },
        quiet: args.quiet,
        mermaid: args.mermaid.is_some(),
        chrome: args.chrome.is_some(),
        steps_max: Some(args.max_steps),
        strategy: args.strategy.kernel(),
    };
    let out: Rc<RefCell<dyn Write>> = Rc::new(RefCell::new(BufWriter::new(std::io::stdout())));
    let produced = cli::run_file(file, &src, args.seed, &views, out);
    if produced.exit == 2 {
        eprint!("{}", produced.diagnostics);
        return 2;
    }
    let html = match &args.html {
        None => None,
        Some(_) => match html::page(file, &src, args.seed, &views) {
            Ok(page) => Some(page),
            Err(d) => {
                eprint!("{d}");
                return 2;
            }
        },
    };
    for (path, text) in [
        (args.mermaid.clone(), produced.mermaid),
        (args.chrome.clone(), produced.chrome),
        (args.html.clone(), html),
    ] {
        if let (Some(p), Some(t)) = (path, text) {
            if p == "-" {
                // `-` is stdout, after the report (use with --quiet for the diagram alone).
                print!("{t}");
                continue;
            }
            if let Err(e) = std::fs::write(&p, t) {
                eprintln!("{p}: cannot write: {e}");
                return 2;
            }
        }
    }
    produced.exit as u8
}
