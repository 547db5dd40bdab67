//! Fault injection for schedule exploration: kill one random process, or
//! stall the running one, at one step drawn from the seed.
//!
//! The fault's step and victim are scheduler *choices* (drawn through
//! `Kernel::choose`), so they are recorded with the rest of the schedule and
//! a `--schedule` string or a seed replays the same fault exactly; without a
//! seed or a schedule nothing is injected. The step is counted in system
//! calls and memory accesses, the same boundaries preemption uses.

use crate::event::EventKind;
use crate::kernel::Kernel;
use crate::{Ending, Outcome, Pid, Signal};

/// Faults to inject into a seeded run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Kill one random live non-daemon process (SIGKILL) at one random step.
    pub kill_random: bool,
    /// Stall the running process for this many ticks of CPU at one random step (0: none).
    pub delay: u64,
    /// The fault steps are drawn in `1..=within` (at least 1).
    pub within: u64,
}

impl Faults {
    /// Whether any fault is asked for.
    pub fn any(&self) -> bool {
        self.kill_random || self.delay > 0
    }
}

/// When the faults strike, drawn at the first step.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FaultPlan {
    kill_at: Option<u64>,
    delay_at: Option<u64>,
}

impl Kernel {
    /// Called at each step of `pid` (before its call runs): injects the faults
    /// due now. Returns the outcome if `pid` itself was killed.
    pub(crate) fn inject_faults(&mut self, pid: Pid) -> Option<Outcome> {
        self.fault_steps += 1;
        let step = self.fault_steps;
        let f = self.cfg.faults;
        let plan = match self.fault_plan {
            Some(p) => p,
            None => {
                let within = f.within.max(1);
                let p = FaultPlan {
                    kill_at: if f.kill_random {
                        self.choose(within).map(|c| c + 1)
                    } else {
                        None
                    },
                    delay_at: if f.delay > 0 {
                        self.choose(within).map(|c| c + 1)
                    } else {
                        None
                    },
                };
                self.fault_plan = Some(p);
                p
            }
        };
        if plan.delay_at == Some(step) {
            self.record(pid, || EventKind::Fault {
                victim: pid,
                delay: f.delay,
            });
            self.injected_delay = Some(pid);
            let p = &mut self.procs[pid.index()];
            p.compute_left = p.compute_left.saturating_add(f.delay);
        }
        if plan.kill_at == Some(step) {
            let live: Vec<Pid> = (0..self.procs.len())
                .map(|i| Pid(i as u32))
                .filter(|p| {
                    let q = &self.procs[p.index()];
                    !q.daemon && !q.is_ended()
                })
                .collect();
            let pick = if live.len() > 1 {
                self.choose(live.len() as u64).unwrap_or(0) as usize
            } else {
                0
            };
            if let Some(&victim) = live.get(pick) {
                self.record(victim, || EventKind::Fault { victim, delay: 0 });
                self.injected_kill = Some(victim);
                self.end_process(victim, Ending::Killed(Signal::SIGKILL));
                if victim == pid {
                    return Some(Outcome::Switched);
                }
            }
        }
        None
    }

    /// The process the `kill_random` fault killed, if it struck.
    pub fn injected_kill(&self) -> Option<Pid> {
        self.injected_kill
    }

    /// The process the `delay` fault stalled, if it struck.
    pub fn injected_delay(&self) -> Option<Pid> {
        self.injected_delay
    }
}
