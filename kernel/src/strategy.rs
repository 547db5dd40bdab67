//! Seeded scheduling strategies: how the scheduler uses its seed.
//!
//! - `Random`: at every pick, a uniform choice among the ready processes of the
//!   highest priority; at every system call boundary, a uniform choice of
//!   whether to hand the CPU to one of them.
//! - `Pct`: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
//!   Nagarakatte, ASPLOS 2010). Each process gets a random PCT priority; the
//!   scheduler always runs the ready process (of the highest real priority)
//!   with the highest PCT priority; at `depth - 1` steps chosen at random in
//!   `1..=steps`, the running process's PCT priority drops below every other.
//!   A bug of depth d among n processes and k steps is found by one run with
//!   probability at least 1/(n k^(d-1)).
//!
//! Neither applies without a seed: plain scheduling is FIFO among equals.

use crate::rng::SplitMix64;
use crate::Pid;

/// How a seeded scheduler chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Uniform random choices.
    #[default]
    Random,
    /// Probabilistic concurrency testing with this bug depth and step estimate.
    Pct {
        /// Bug depth d: d - 1 priority change points.
        depth: u32,
        /// Steps k over which the change points are drawn.
        steps: u64,
    },
}

/// State of a PCT run.
#[derive(Clone, Debug)]
pub(crate) struct PctState {
    prio: Vec<u64>,
    change_points: Vec<u64>,
    step: u64,
    next_low: u64,
}

impl PctState {
    pub(crate) fn new(rng: &mut SplitMix64, depth: u32, steps: u64) -> Self {
        let mut change_points: Vec<u64> = (1..depth.max(1)).map(|_| 1 + rng.below(steps.max(1))).collect();
        change_points.sort_unstable();
        PctState {
            prio: Vec::new(),
            change_points,
            step: 0,
            next_low: 1 << 20,
        }
    }

    /// A new process's PCT priority: random, above every lowered one.
    pub(crate) fn admit(&mut self, rng: &mut SplitMix64, pid: Pid) {
        if self.prio.len() <= pid.index() {
            self.prio.resize(pid.index() + 1, 0);
        }
        self.prio[pid.index()] = (1 << 40) + rng.below(1 << 40);
    }

    pub(crate) fn prio(&self, pid: Pid) -> u64 {
        self.prio.get(pid.index()).copied().unwrap_or(0)
    }

    /// Counts a step of `pid`; at a change point its priority drops below all others.
    pub(crate) fn step(&mut self, pid: Pid) {
        self.step += 1;
        while self.change_points.first().is_some_and(|c| *c <= self.step) {
            self.change_points.remove(0);
            if let Some(p) = self.prio.get_mut(pid.index()) {
                *p = self.next_low;
                self.next_low = self.next_low.saturating_sub(1);
            }
        }
    }
}
