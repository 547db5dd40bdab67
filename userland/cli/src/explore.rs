//! `ipcsim explore`: many seeded schedules of one scenario.

use clap::{Args, ValueEnum};

/// Strategies for choosing schedules.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Strategy {
    /// Uniform choice among equals at each system call boundary (seed S replays with `run --seed S`).
    Random,
    /// Probabilistic concurrency testing.
    Pct,
    /// Bounded-exhaustive depth-first search.
    Dfs,
}

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
    #[arg(long, value_enum, default_value = "random")]
    pub strategy: Strategy,
    /// First seed.
    #[arg(long, default_value_t = 0)]
    pub seed_start: u64,
}

/// Runs the exploration; returns the exit status.
pub fn explore(args: &ExploreArgs) -> u8 {
    let Some((_, _sc)) = crate::load(&args.file) else {
        return 2;
    };
    if args.strategy != Strategy::Random {
        eprintln!(
            "ipcsim explore: strategy {:?} is not implemented yet; use --strategy random",
            args.strategy
        );
        return 2;
    }
    for i in 0..args.runs {
        let seed = args.seed_start + i;
        let Some((_, sc)) = crate::load(&args.file) else {
            return 2;
        };
        let opts = ipcsim_scenario::RunOptions {
            seed: Some(seed),
            record: false,
            steps_max: Some(10_000_000),
        };
        let (outcome, _rt) = ipcsim_scenario::run(sc, &args.file, &opts, None);
        if outcome.exit_code() != 0 {
            println!("run {} of {}: seed {seed} fails:", i + 1, args.runs);
            for v in outcome.verdicts.iter().filter(|v| !v.holds) {
                println!("  expect {} failed (found: {})", v.text, v.found);
            }
            for u in &outcome.unexpected {
                println!("  {u}");
            }
            println!("replay: ipcsim run {} --seed {seed}", args.file);
            return 1;
        }
    }
    println!(
        "{} schedules explored (seeds {}..{}), no failure found",
        args.runs,
        args.seed_start,
        args.seed_start + args.runs
    );
    0
}
