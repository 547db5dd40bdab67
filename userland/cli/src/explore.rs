//! `ipcsim explore`: runs one scenario under many schedules, in parallel,
//! and reports the first failing one with the commands that replay it.
//!
//! Each run is single-threaded and deterministic. With `random` and `pct`,
//! threads only share the counter of the next seed (claimed a chunk at a
//! time) and the smallest failure found so far; once a failure is known,
//! workers finish the seeds below it and skip the rest, so the seed reported
//! is the smallest failing one in the range whatever the thread timing. With
//! `dfs`, schedules are enumerated in batches whose results are read back in a
//! fixed order (see `dfs.rs`). Either way the command's output is
//! deterministic.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use clap::{Args, ValueEnum};
use ipcsim_scenario::{Outcome, RunOptions};

/// Strategies for choosing schedules.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug, Default)]
pub enum Strategy {
    /// Uniform choice among equals at each system call boundary (seed S replays with `run --seed S`).
    #[default]
    Random,
    /// Probabilistic concurrency testing: random priorities, depth-1 change points.
    Pct,
    /// Bounded-exhaustive search: every schedule with at most --preemptions non-default choices.
    Dfs,
}

/// The scheduling strategy flags shared by `run` and `explore`.
#[derive(Args, Debug, Clone, Copy)]
pub struct StrategyArgs {
    /// How schedules are chosen from the seed.
    #[arg(long, value_enum, default_value = "random")]
    pub strategy: Strategy,
    /// PCT: the bug depth d to aim at (d - 1 priority change points), at least 1.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    pub depth: u32,
    /// PCT: the number of steps over which change points are drawn (about a run's length), at least 1.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub pct_steps: u64,
}

impl StrategyArgs {
    /// The kernel's strategy.
    pub fn kernel(&self) -> ipcsim_kernel::Strategy {
        match self.strategy {
            Strategy::Pct => ipcsim_kernel::Strategy::Pct {
                depth: self.depth.max(1),
                steps: self.pct_steps.max(1),
            },
            _ => ipcsim_kernel::Strategy::Random,
        }
    }

    /// The flags that replay this strategy with `ipcsim run`.
    fn replay_flags(&self) -> String {
        match self.strategy {
            Strategy::Pct => format!(
                " --strategy pct --depth {} --pct-steps {}",
                self.depth.max(1),
                self.pct_steps.max(1)
            ),
            _ => String::new(),
        }
    }
}

pub use crate::faults::FaultArgs;

/// Arguments of `explore`.
#[derive(Args, Debug)]
pub struct ExploreArgs {
    /// The scenario file.
    pub file: String,
    /// How many schedules to run.
    #[arg(long, default_value_t = 1000)]
    pub runs: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// How schedules are chosen.
    #[command(flatten)]
    pub strategy: StrategyArgs,
    /// First seed.
    #[arg(long, default_value_t = 0)]
    pub seed_start: u64,
    /// Steps (process activations) after which a run counts as a possible livelock (at least 1).
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_steps: u64,
    /// dfs: the most non-default scheduler choices (preemptions, out-of-order picks) per schedule.
    #[arg(long, default_value_t = 2)]
    pub preemptions: u32,
    /// Faults to inject into every run.
    #[command(flatten)]
    pub faults: FaultArgs,
}

/// Why a run failed: the lines to print, and whether it hit the step limit
/// (its replay then needs the same `--max-steps`: `run`'s default is higher).
#[derive(Clone, Debug)]
pub(crate) struct Why {
    pub lines: Vec<String>,
    pub step_limit: bool,
}

impl Why {
    /// `--max-steps N` for the replay of a run that hit the step limit.
    pub(crate) fn steps_flag(&self, max_steps: u64) -> String {
        if self.step_limit {
            format!(" --max-steps {max_steps}")
        } else {
            String::new()
        }
    }
}

/// Prints a failure: its title and reasons, the `ipcsim run` arguments that
/// replay it (`replay`, then the fault and step flags), and, given the run's
/// choices, the shrunk schedule that still fails.
/// A failing run, as explore and dfs print it.
pub(crate) struct Failed<'a> {
    pub title: &'a str,
    pub why: &'a Why,
    /// The `ipcsim run` arguments that replay it.
    pub replay: &'a str,
    /// Its scheduler choices, to shrink (random and dfs runs).
    pub choices: Option<Vec<u32>>,
    /// The seed its losses were drawn from.
    pub loss_seed: Option<u64>,
}

pub(crate) fn print_failure(args: &ExploreArgs, src: &str, f: Failed<'_>) {
    let Failed {
        title,
        why,
        replay,
        choices,
        loss_seed,
    } = f;
    // A schedule names the loss stream only where losses are drawn.
    let lossy = ipcsim_scenario::load(src).is_ok_and(|sc| sc.links.iter().any(|l| l.loss > 0));
    let loss_seed = loss_seed.filter(|_| lossy);
    println!("{title}");
    for w in &why.lines {
        println!("  {w}");
    }
    let flags = format!("{}{}", args.faults.replay_flags(), why.steps_flag(args.max_steps));
    println!("replay: ipcsim run {} {replay}{flags}", args.file);
    if let Some(choices) = choices {
        let shrunk = shrink(
            src,
            &args.file,
            choices,
            args.max_steps,
            (args.faults.kernel(), loss_seed),
        );
        let n = shrunk.choices.iter().filter(|c| **c != 0).count();
        let how = match (shrunk.reproduced, shrunk.minimal) {
            (false, _) => " (replaying the choices did not fail the same way: kept as found)",
            (true, true) => ", failing the same way",
            (true, false) => ", failing the same way (the shrinking budget ran out: not 1-minimal)",
        };
        println!(
            "shrunk to {n} non-default choice(s){how}: ipcsim run {} --schedule {}{flags}",
            args.file,
            ipcsim_scenario::schedule::encode_with_loss(src, &shrunk.choices, loss_seed)
        );
    }
}

/// What makes a failure this failure: the expectations that fail, the
/// unexpected endings, the members of each deadlock (not when it formed),
/// and the fault that struck and whom. A shrunk schedule must fail with the
/// same, or it would report another bug than the one found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Signature(Vec<String>);

pub(crate) fn signature(o: &Outcome, k: &ipcsim_kernel::Kernel) -> Signature {
    let r = &o.report;
    let name = |p: ipcsim_kernel::Pid| r.processes.get(p.index()).map_or("?", |q| q.name.as_str()).to_string();
    let mut v: Vec<String> = o
        .verdicts
        .iter()
        .filter(|v| !v.holds)
        .map(|v| format!("expect {}", v.text))
        .collect();
    v.extend(o.unexpected.iter().cloned());
    for d in &r.deadlocks {
        let mut members: Vec<String> = d.members.iter().map(|p| name(*p)).collect();
        members.sort();
        v.push(format!("deadlock: {}", members.join(", ")));
    }
    v.extend(crate::faults::struck_lines(k));
    Signature(v)
}

/// Why a run failed.
pub(crate) fn reasons(o: &Outcome) -> Why {
    let mut v: Vec<String> = o
        .verdicts
        .iter()
        .filter(|v| !v.holds)
        .map(|v| format!("expect {} failed (found: {})", v.text, v.found))
        .collect();
    v.extend(o.unexpected.iter().cloned());
    let r = &o.report;
    let name = |p: ipcsim_kernel::Pid| r.processes.get(p.index()).map_or("?", |q| q.name.as_str());
    for d in &r.deadlocks {
        let cycle: Vec<&str> = d.cycle.iter().map(|p| name(*p)).collect();
        let members: Vec<&str> = d.members.iter().map(|p| name(*p)).collect();
        if cycle.is_empty() {
            v.push(format!("deadlock at t={}: {}", d.time, members.join(", ")));
        } else {
            v.push(format!("deadlock at t={}: cycle {}", d.time, cycle.join(" -> ")));
        }
    }
    for p in &r.processes {
        if !p.daemon && matches!(p.state, ipcsim_runtime::ProcState::Blocked { .. }) {
            v.push(format!("{} is {}", p.name, p.state));
        }
    }
    Why {
        lines: v,
        step_limit: r.finish == ipcsim_kernel::Finish::StepLimit,
    }
}

/// Options for a run that replays `choices` (the default after them) and
/// records every choice it makes: shrinking and `dfs` runs.
pub(crate) fn replay_options(
    choices: Vec<u32>,
    max_steps: u64,
    faults: ipcsim_kernel::Faults,
    loss_seed: Option<u64>,
) -> RunOptions {
    RunOptions {
        loss_seed,
        seed: None,
        record: false,
        steps_max: Some(max_steps),
        strategy: ipcsim_kernel::Strategy::Random,
        replay: Some(choices),
        record_choices: true,
        faults,
        slow_paths: false,
    }
}

/// Re-runs for [`shrink`], within its budget: the scenario is parsed once,
/// and one runtime is reset for every run.
struct Tries<'a> {
    parsed: std::rc::Rc<ipcsim_scenario::ast::Scenario>,
    rt: ipcsim_runtime::Runtime,
    file: &'a str,
    max_steps: u64,
    faults: ipcsim_kernel::Faults,
    loss_seed: Option<u64>,
    runs: usize,
    spent: usize,
    /// The failure being shrunk: a try counts only if it fails the same way.
    target: Option<Signature>,
}

impl Tries<'_> {
    fn left(&self) -> bool {
        self.runs < SHRINK_RUNS && self.spent < SHRINK_CHOICES
    }

    /// Replays `tried`: its failure's signature (None if it passed) and the
    /// choices it made.
    fn run(&mut self, tried: &[u32]) -> (Option<Signature>, Vec<u32>) {
        self.runs += 1;
        let opts = replay_options(tried.to_vec(), self.max_steps, self.faults, self.loss_seed);
        let outcome = ipcsim_scenario::run_in(&mut self.rt, self.parsed.clone(), self.file, &opts, None);
        let made = self.rt.kernel().choices().to_vec();
        self.spent += made.len();
        let sig = (outcome.exit_code() != 0).then(|| signature(&outcome, &self.rt.kernel()));
        (sig, made)
    }

    /// Replays `tried`: Some(the choices it made) if it still fails the same
    /// way as the run being shrunk (None also once the budget is spent).
    fn fails(&mut self, tried: &[u32]) -> Option<Vec<u32>> {
        if !self.left() {
            return None;
        }
        let (sig, made) = self.run(tried);
        (sig.is_some() && sig == self.target).then_some(made)
    }
}

/// A shrunk schedule and what can be said of it.
pub(crate) struct Shrunk {
    pub choices: Vec<u32>,
    /// Replaying the found choices failed as the run did (else nothing was shrunk).
    pub reproduced: bool,
    /// No single remaining non-default choice can be made default with the
    /// run still failing the same way (false when the budget ran out first).
    pub minimal: bool,
}

/// What shrinking may spend: re-runs, and scheduler choices made by them in
/// all (a long run costs more, so it gets fewer tries; counted, not timed,
/// so the shrunk schedule is the same on every machine).
const SHRINK_RUNS: usize = 500;
const SHRINK_CHOICES: usize = 5_000_000;

/// Shrinks a failing run's choices: first to none at all (the plain
/// schedule), then by turning runs of non-default choices (halves, quarters,
/// ... of them) and finally each one into the default (no preemption, first
/// ready process), until no single one can be, keeping each change while the
/// run still fails *the same way* ([`Signature`]: the same expectations, the
/// same deadlock members, the same fault and victim), and keeping what the
/// shrunk run actually chose. Within `SHRINK_RUNS` re-runs and
/// `SHRINK_CHOICES` choices; a run that fails whatever the schedule (a
/// livelock, a protocol that never ends) shrinks to nothing in one run.
pub(crate) fn shrink(
    src: &str,
    file: &str,
    choices: Vec<u32>,
    max_steps: u64,
    (faults, loss_seed): (ipcsim_kernel::Faults, Option<u64>),
) -> Shrunk {
    let kept = |choices| Shrunk {
        choices,
        reproduced: false,
        minimal: false,
    };
    // The explored file parsed before; a file that cannot be is left as it is.
    let Ok(parsed) = ipcsim_scenario::load(src) else {
        return kept(choices);
    };
    let mut t = Tries {
        parsed: std::rc::Rc::new(parsed),
        rt: ipcsim_runtime::Runtime::new(ipcsim_kernel::KernelConfig::default()),
        file,
        max_steps,
        faults,
        loss_seed,
        runs: 0,
        spent: 0,
        target: None,
    };
    let (target, mut choices) = match t.run(&choices) {
        (Some(sig), made) => (sig, made),
        (None, _) => return kept(choices),
    };
    t.target = Some(target);
    let nonzero = |c: &[u32]| -> Vec<usize> { (0..c.len()).filter(|i| c[*i] != 0).collect() };
    if !nonzero(&choices).is_empty() {
        if let Some(c) = t.fails(&[]) {
            choices = c;
        }
    }
    shrink_windows(&mut t, &mut choices);
    let minimal = shrink_each(&mut t, &mut choices);
    let end = choices.iter().rposition(|c| *c != 0).map_or(0, |i| i + 1);
    choices.truncate(end);
    Shrunk {
        choices,
        reproduced: true,
        minimal,
    }
}

/// Makes runs of non-default choices default, longest first: a long
/// schedule gets short in few re-runs.
fn shrink_windows(t: &mut Tries<'_>, choices: &mut Vec<u32>) {
    let nonzero = |c: &[u32]| -> Vec<usize> { (0..c.len()).filter(|i| c[*i] != 0).collect() };
    let mut size = nonzero(choices).len() / 2;
    while size > 1 {
        let mut at = 0;
        loop {
            let positions = nonzero(choices);
            let Some(window) = positions
                .get(at..(at + size).min(positions.len()))
                .filter(|w| !w.is_empty())
            else {
                break;
            };
            let mut tried = choices.clone();
            for i in window {
                tried[*i] = 0;
            }
            match t.fails(&tried) {
                Some(c) => *choices = c,
                None => at += size,
            }
            if !t.left() {
                break;
            }
        }
        size /= 2;
    }
}

/// Makes each non-default choice default in turn, passing over them again
/// until none can be (1-minimal); false if the budget ran out first.
fn shrink_each(t: &mut Tries<'_>, choices: &mut Vec<u32>) -> bool {
    loop {
        let mut changed = false;
        let mut i = 0;
        while i < choices.len() {
            if choices[i] != 0 {
                if !t.left() {
                    return false;
                }
                let mut tried = choices.clone();
                tried[i] = 0;
                if let Some(c) = t.fails(&tried) {
                    *choices = c;
                    changed = true;
                }
            }
            i += 1;
        }
        if !changed {
            return true;
        }
    }
}

/// The smallest failing seed so far: seed, reasons, the run's scheduler choices.
type Failure = (u64, Why, Vec<u32>);

/// Seeds a worker claims at a time: the shared counter is touched once per
/// chunk, not once per run (on two cores its cache line moves less).
const SEED_CHUNK: u64 = 16;

/// Runs the exploration; returns the exit status.
pub fn explore(args: &ExploreArgs) -> u8 {
    let Some((src, _)) = crate::load(&args.file) else {
        return 2;
    };
    if args.strategy.strategy == Strategy::Dfs {
        return crate::dfs::dfs(args, &src);
    }
    let faults = args.faults.kernel();
    let strategy = args.strategy.kernel();
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let (start, end) = (args.seed_start, args.seed_start.saturating_add(args.runs));
    let next = AtomicU64::new(start);
    let done = AtomicU64::new(0);
    let best: Mutex<Option<Failure>> = Mutex::new(None);
    let tally = crate::faults::Tally::default();
    // The smallest failing seed found so far (`best`'s, read without its lock).
    let lowest = AtomicU64::new(u64::MAX);
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(args.runs);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} schedules, {per_sec}, eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let step = (args.runs / 10).max(1);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                // Each thread checks the file once and runs clones of it.
                let Ok(parsed) = ipcsim_scenario::load(&src) else {
                    return;
                };
                // Shared by every run of this thread: a run never changes its scenario.
                let parsed = std::rc::Rc::new(parsed);
                // One runtime per thread, reset for each run: its tables are allocated once.
                let mut rt = ipcsim_runtime::Runtime::new(ipcsim_kernel::KernelConfig::default());
                loop {
                    // Claims [first, first + SEED_CHUNK) below `end`; the counter never
                    // passes `end`, so it cannot wrap round to seeds already run.
                    let claim = |n: u64| (n < end).then(|| n.saturating_add(SEED_CHUNK).min(end));
                    let Ok(first) = next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, claim) else {
                        break;
                    };
                    for seed in first..first.saturating_add(SEED_CHUNK).min(end) {
                        // Seeds above a known failure need not run (a chunk's seeds rise).
                        if seed > lowest.load(Ordering::Relaxed) {
                            break;
                        }
                        let sc = parsed.clone();
                        let opts = RunOptions {
                            seed: Some(seed),
                            record: false,
                            steps_max: Some(args.max_steps),
                            strategy,
                            replay: None,
                            // Choices are recorded only for a failing seed, by running it
                            // again: a run is the same with or without recording.
                            record_choices: false,
                            faults,
                            slow_paths: false,
                            loss_seed: None,
                        };
                        let outcome = ipcsim_scenario::run_in(&mut rt, sc, &args.file, &opts, None);
                        tally.count(&rt.kernel());
                        if outcome.exit_code() != 0 {
                            let again = RunOptions {
                                record_choices: true,
                                ..opts.clone()
                            };
                            ipcsim_scenario::run_in(&mut rt, parsed.clone(), &args.file, &again, None);
                            let choices = rt.kernel().choices().to_vec();
                            let mut why = reasons(&outcome);
                            why.lines.extend(crate::faults::struck_lines(&rt.kernel()));
                            lowest.fetch_min(seed, Ordering::Relaxed);
                            if let Ok(mut b) = best.lock() {
                                if b.as_ref().is_none_or(|(s, _, _)| seed < *s) {
                                    *b = Some((seed, why, choices));
                                }
                            }
                        }
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        match &bar {
                            Some(b) => b.inc(1),
                            // Not a terminal: a plain line every tenth of the way.
                            None if n.is_multiple_of(step) => eprintln!("{n}/{} schedules", args.runs),
                            None => {}
                        }
                    }
                }
            });
        }
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let ran = done.load(Ordering::Relaxed);
    match best.into_inner().ok().flatten() {
        Some((seed, why, choices)) => {
            // How many runs finished depends on thread timing: it goes to stderr, so
            // stdout stays the same for the same range, whatever the threads did.
            eprintln!("{ran} schedule(s) run on {jobs} thread(s)");
            // PCT choices are not replay choices: only a random schedule shrinks.
            let shrinkable = (args.strategy.strategy == Strategy::Random).then_some(choices);
            let replay = format!("--seed {seed}{}", args.strategy.replay_flags());
            let failed = Failed {
                title: &format!("seed {seed} fails:"),
                why: &why,
                replay: &replay,
                choices: shrinkable,
                // The seed drew the losses: a replay names it.
                loss_seed: Some(seed),
            };
            print_failure(args, &src, failed);
            1
        }
        None => {
            println!("{ran} schedules explored (seeds {start}..{end}): no failure found");
            // Every seed of the range ran: the tally is the same whatever the threads did.
            for line in tally.lines(&args.faults) {
                println!("{line}");
            }
            0
        }
    }
}
