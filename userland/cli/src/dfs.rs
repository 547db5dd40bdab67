//! `ipcsim explore --strategy dfs`: bounded-exhaustive exploration.
//!
//! A schedule is the sequence of the scheduler's choices; 0 is the default at
//! every choice point (no preemption, the first ready process), anything else
//! a *non-default* choice. DFS runs every schedule with at most K non-default
//! choices (iterative context bounding, Musuvathi and Qadeer, PLDI 2007): it
//! runs a prefix (the rest of the run takes defaults), then, if the prefix has
//! fewer than K non-default choices, derives one child per later choice point
//! and alternative, `prefix + zeros + [v]`. Each schedule is derived from
//! exactly one parent (the one without its last non-default choice), so none
//! is run twice, and when the stack empties the bounded space was covered.
//!
//! Runs go in batches, in parallel (rayon); the results of a batch are read
//! in stack order, so the failure reported and every count printed are the
//! same whatever the threads did.

use std::sync::Arc;

use rayon::prelude::*;

use crate::explore::{print_failure, reasons, ExploreArgs, Why};

/// A schedule still to run: its parent run's choices up to `at`, then
/// `value`. The parent's choices are shared by all its children, so the
/// stack costs a few words per schedule however long the runs are.
#[derive(Clone)]
struct Prefix {
    base: Arc<[u32]>,
    at: usize,
    value: Option<u32>,
}

impl Prefix {
    fn root() -> Prefix {
        Prefix {
            base: Arc::from(Vec::new()),
            at: 0,
            value: None,
        }
    }

    fn len(&self) -> usize {
        self.at + usize::from(self.value.is_some())
    }

    fn choices(&self) -> Vec<u32> {
        let mut c = self.base[..self.at].to_vec();
        c.extend(self.value);
        c
    }
}

/// What one run of a prefix gave.
struct Ran {
    failure: Option<Why>,
    choices: Vec<u32>,
    arities: Vec<u32>,
}

fn run_prefix(parsed: &std::rc::Rc<ipcsim_scenario::ast::Scenario>, args: &ExploreArgs, prefix: &Prefix) -> Ran {
    let opts = crate::explore::replay_options(prefix.choices(), args.max_steps, args.faults.kernel(), None);
    RUNTIME.with_borrow_mut(|rt| {
        let outcome = ipcsim_scenario::run_in(rt, parsed.clone(), &args.file, &opts, None);
        let k = rt.kernel();
        Ran {
            failure: (outcome.exit_code() != 0).then(|| reasons(&outcome)),
            choices: k.choices().to_vec(),
            arities: k.choice_arities().to_vec(),
        }
    })
}

thread_local! {
    /// Each worker thread's runtime, reset for every run (its tables are allocated once).
    static RUNTIME: std::cell::RefCell<ipcsim_runtime::Runtime> =
        std::cell::RefCell::new(ipcsim_runtime::Runtime::new(ipcsim_kernel::KernelConfig::default()));
}

/// The children of a run of `prefix`: one per later choice point and alternative.
fn children(prefix_len: usize, ran: &Ran, bound: u32) -> Vec<Prefix> {
    let used = ran.choices.iter().take(prefix_len).filter(|c| **c != 0).count() as u32;
    let mut out = Vec::new();
    if used >= bound {
        return out;
    }
    let base: Arc<[u32]> = Arc::from(ran.choices.as_slice());
    for i in prefix_len..ran.choices.len() {
        for v in 1..ran.arities.get(i).copied().unwrap_or(1) {
            out.push(Prefix {
                base: base.clone(),
                at: i,
                value: Some(v),
            });
        }
    }
    out
}

/// Runs the bounded-exhaustive exploration; returns the exit status.
pub fn dfs(args: &ExploreArgs, src: &str) -> u8 {
    if let Some(j) = args.jobs {
        // A local pool, so `--jobs` holds without touching the global one.
        return match rayon::ThreadPoolBuilder::new().num_threads(j.max(1)).build() {
            Ok(pool) => pool.install(|| explore(args, src)),
            Err(e) => {
                eprintln!("ipcsim explore: cannot start {j} threads: {e}");
                2
            }
        };
    }
    explore(args, src)
}

fn explore(args: &ExploreArgs, src: &str) -> u8 {
    if ipcsim_scenario::load(src).is_err() {
        return 2;
    }
    let bound = args.preemptions;
    let batch_max = (rayon::current_num_threads() * 16).max(16);
    let mut stack: Vec<Prefix> = vec![Prefix::root()];
    let mut ran: u64 = 0;
    while !stack.is_empty() && ran < args.runs {
        let n = stack.len().min(batch_max).min((args.runs - ran) as usize);
        // The top n prefixes; the last is the top of the stack, run first in order.
        let batch: Vec<Prefix> = stack.split_off(stack.len() - n);
        let results: Vec<Ran> = batch
            .par_iter()
            // Each worker checks the file once (a scenario is not shared across threads).
            .map_init(
                || ipcsim_scenario::load(src).ok().map(std::rc::Rc::new),
                |sc, prefix| match sc {
                    Some(sc) => run_prefix(sc, args, prefix),
                    None => Ran {
                        failure: Some(Why {
                            lines: vec!["the file no longer loads".into()],
                            step_limit: false,
                        }),
                        choices: Vec::new(),
                        arities: Vec::new(),
                    },
                },
            )
            .collect();
        let before = ran;
        ran += n as u64;
        // A plain progress line every 10,000 schedules, on stderr (its timing is not part of the result).
        if ran / 10_000 > before / 10_000 {
            eprintln!("{ran} schedules explored, {} known still to run", stack.len());
        }
        for (prefix, r) in batch.iter().zip(&results).rev() {
            if let Some(why) = &r.failure {
                report_failure(args, src, why, r.choices.clone(), ran);
                return 1;
            }
            let mut kids = children(prefix.len(), r, bound);
            // Reversed, so the earliest deviation is on top and runs first.
            kids.reverse();
            stack.extend(kids);
        }
    }
    if stack.is_empty() {
        println!(
            "{ran} schedules explored: every schedule with at most {bound} non-default choice(s) was covered; no failure found"
        );
    } else {
        println!(
            "{ran} schedules explored, no failure found; the space of schedules with at most {bound} non-default choice(s) \
             was NOT covered ({} known schedules left: raise --runs or lower --preemptions)",
            stack.len()
        );
    }
    0
}

fn report_failure(args: &ExploreArgs, src: &str, why: &Why, choices: Vec<u32>, ran: u64) {
    eprintln!("{ran} schedule(s) run");
    let nondefault = choices.iter().filter(|c| **c != 0).count();
    let replay = format!(
        "--schedule {}",
        ipcsim_scenario::schedule::encode(src, &trim(choices.clone()))
    );
    let title = format!("schedule with {nondefault} non-default choice(s) fails:");
    let failed = crate::explore::Failed {
        title: &title,
        why,
        replay: &replay,
        choices: Some(choices),
        loss_seed: None,
    };
    print_failure(args, src, failed);
}

/// Drops trailing defaults: replay takes 0 past the end anyway.
fn trim(mut c: Vec<u32>) -> Vec<u32> {
    let end = c.iter().rposition(|x| *x != 0).map_or(0, |i| i + 1);
    c.truncate(end);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_branch_only_after_the_prefix_and_within_the_bound() {
        let ran = Ran {
            failure: None,
            choices: vec![1, 0, 0],
            arities: vec![2, 3, 2],
        };
        let kids: Vec<Vec<u32>> = children(1, &ran, 2).iter().map(Prefix::choices).collect();
        assert_eq!(kids, vec![vec![1, 1], vec![1, 2], vec![1, 0, 1]]);
        assert!(children(1, &ran, 1).is_empty(), "the prefix already used the bound");
        assert_eq!(trim(vec![0, 2, 0, 0]), vec![0, 2]);
        assert_eq!(Prefix::root().choices(), Vec::<u32>::new());
        assert_eq!(children(1, &ran, 2)[2].len(), 3);
    }
}
