//! Schedules: the seed, strategy and faults one run of a protocol uses, and
//! the proptest strategy that draws them.

use ipcsim_kernel::{Faults, KernelConfig, Strategy as Scheduling};
use proptest::prelude::*;
// Explicit, so the trait's methods resolve (the kernel has a `Strategy` too).
use proptest::strategy::Strategy;

/// One way to schedule a run: replaying it gives the same run, byte for byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The scheduler's seed.
    pub seed: u64,
    /// How the seed is used (uniform random preemption, or PCT).
    pub strategy: Scheduling,
    /// Faults injected (none unless [`Config::kill_random`] or [`Config::delay`]).
    pub faults: Faults,
    /// Process steps after which the run stops (a livelock guard).
    pub steps_max: u64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            seed: 0,
            strategy: Scheduling::Random,
            faults: Faults::default(),
            steps_max: 1_000_000,
        }
    }
}

impl Schedule {
    /// The kernel configuration that runs this schedule.
    pub fn kernel_config(&self) -> KernelConfig {
        KernelConfig {
            seed: Some(self.seed),
            strategy: self.strategy,
            faults: self.faults,
            record_choices: true,
            ..KernelConfig::default()
        }
    }
}

/// What [`crate::search`] and [`crate::check`] explore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Schedules to try.
    pub cases: u32,
    /// Also draw PCT schedules (depth 2 or 3), half the time.
    pub pct: bool,
    /// PCT: steps over which the priority change points are drawn (about a run's length).
    pub pct_steps: u64,
    /// Kill one random non-daemon process at a random step (a schedule may shrink to no kill).
    pub kill_random: bool,
    /// Stall the running process this many ticks at a random step (0: never).
    pub delay: u64,
    /// Steps over which a fault's step is drawn.
    pub fault_steps: u64,
    /// Network faults to draw (cut a link, drop or hold back a datagram);
    /// only `partition`, `drop_datagram` and `reorder` are read.
    pub net: Faults,
    /// Process steps per run before it counts as a livelock.
    pub steps_max: u64,
    /// Seed of proptest's own generator; None: a fixed default, so a test's
    /// schedules are the same on every machine and every run.
    pub proptest_seed: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            cases: 256,
            pct: true,
            pct_steps: 100,
            kill_random: false,
            delay: 0,
            fault_steps: 50,
            net: Faults::default(),
            steps_max: 1_000_000,
            proptest_seed: Some(0),
        }
    }
}

/// The proptest strategy of schedules `config` asks for.
pub fn schedules(config: &Config) -> impl Strategy<Value = Schedule> {
    let pct_steps = config.pct_steps.max(1);
    let strategy = if config.pct {
        prop_oneof![
            Just(Scheduling::Random),
            (2u32..=3).prop_map(move |depth| Scheduling::Pct {
                depth,
                steps: pct_steps
            }),
        ]
        .boxed()
    } else {
        Just(Scheduling::Random).boxed()
    };
    let (kill, delay, within, steps_max) = (config.kill_random, config.delay, config.fault_steps, config.steps_max);
    let net = config.net;
    let on = |asked: bool| proptest::bool::weighted(if asked { 0.9 } else { 0.0 });
    // Faults shrink towards none: a failure that needs no kill is reported without one.
    let base = (on(kill), on(delay > 0)).prop_map(move |(k, d)| Faults {
        kill_random: k,
        delay: if d { delay } else { 0 },
        within,
        ..Faults::default()
    });
    // Network faults are drawn only when asked for, so a config without them
    // draws the same schedules as before they existed.
    let faults = if net.net_any() {
        (base, on(net.partition > 0), on(net.drop_datagram), on(net.reorder > 0))
            .prop_map(move |(f, p, x, r)| Faults {
                partition: if p { net.partition } else { 0 },
                drop_datagram: x,
                reorder: if r { net.reorder } else { 0 },
                ..f
            })
            .boxed()
    } else {
        base.boxed()
    };
    (any::<u64>(), strategy, faults).prop_map(move |(seed, strategy, faults)| Schedule {
        seed,
        strategy,
        faults,
        steps_max,
    })
}
