//! Fault injection for schedule exploration: kill one random process, or
//! stall the running one, at one step drawn from the seed; on a network,
//! cut one random link for a while, or drop or hold back one datagram.
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
    /// Cut one random link for `1..=partition` ticks from one random step
    /// (0: never). Segments already on their way still arrive.
    pub partition: u64,
    /// Drop the first datagram that leaves for another host at or after one
    /// random step.
    pub drop_datagram: bool,
    /// Hold the first datagram that leaves for another host at or after one
    /// random step for `1..=reorder` more ticks, so later ones may overtake
    /// it (0: never).
    pub reorder: u64,
}

impl Faults {
    /// Whether any fault is asked for.
    pub fn any(&self) -> bool {
        self.kill_random || self.delay > 0 || self.net_any()
    }

    /// Whether a network fault is asked for.
    pub fn net_any(&self) -> bool {
        self.partition > 0 || self.drop_datagram || self.reorder > 0
    }
}

/// A network fault that struck, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetFault {
    /// A link was cut from `from` until `until`.
    Partition {
        /// One end.
        a: crate::HostId,
        /// The other.
        b: crate::HostId,
        /// From.
        from: crate::Time,
        /// Until.
        until: crate::Time,
    },
    /// A datagram (packet number) was dropped.
    Drop {
        /// The sender's host.
        from: crate::HostId,
        /// Where it was going.
        to: crate::HostId,
    },
    /// A datagram was held back this many ticks.
    Hold {
        /// The sender's host.
        from: crate::HostId,
        /// Where it was going.
        to: crate::HostId,
        /// Extra ticks.
        ticks: crate::Time,
    },
}

/// When the faults strike, drawn at the first step.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FaultPlan {
    kill_at: Option<u64>,
    delay_at: Option<u64>,
    partition_at: Option<u64>,
    /// From this step the next datagram across a link is dropped (None once done).
    pub(crate) drop_from: Option<u64>,
    /// From this step the next datagram across a link is held back.
    pub(crate) hold_from: Option<u64>,
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
                let p = self.plan_faults();
                self.fault_plan = Some(p);
                p
            }
        };
        if plan.partition_at == Some(step) {
            self.cut_random_link(pid);
        }
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

    /// Draws each asked-for fault's step in `1..=within` (in a fixed order,
    /// and only for the faults asked for, so adding one changes no other's
    /// draws).
    fn plan_faults(&mut self) -> FaultPlan {
        let f = self.cfg.faults;
        let within = f.within.max(1);
        let at = |on: bool, k: &mut Self| if on { k.choose(within).map(|c| c + 1) } else { None };
        FaultPlan {
            kill_at: at(f.kill_random, self),
            delay_at: at(f.delay > 0, self),
            partition_at: at(f.partition > 0, self),
            drop_from: at(f.drop_datagram, self),
            hold_from: at(f.reorder > 0, self),
        }
    }

    /// The `partition` fault: one link (drawn), cut from now for a drawn
    /// number of ticks. A scenario with no link has nothing to cut.
    fn cut_random_link(&mut self, pid: Pid) {
        let n = self.net_link_count();
        if n == 0 {
            return;
        }
        let pick = if n > 1 { self.choose(n as u64).unwrap_or(0) } else { 0 };
        let ticks = self.choose(self.cfg.faults.partition).unwrap_or(0) + 1;
        let Some((a, b)) = self.net_link_at(pick as usize) else {
            return;
        };
        let (from, until) = (self.now, self.now.saturating_add(ticks));
        if self.add_partition(a, b, from, Some(until)).is_ok() {
            self.note_link_cut(pid, (a, b), until);
            self.injected_net.push(NetFault::Partition { a, b, from, until });
        }
    }

    /// The `drop_datagram` fault, asked about a datagram leaving for another
    /// host: whether it is the one to drop (the first at or after its step).
    pub(crate) fn fault_drops_datagram(&mut self, from: crate::HostId, to: crate::HostId) -> bool {
        let due = |s: Option<u64>, now: u64| s.is_some_and(|s| now >= s);
        match self.fault_plan.as_mut() {
            Some(p) if due(p.drop_from, self.fault_steps) => p.drop_from = None,
            _ => return false,
        }
        self.injected_net.push(NetFault::Drop { from, to });
        true
    }

    /// The `reorder` fault, asked about a datagram leaving for another host:
    /// the extra ticks it is held back (0 but for the first at or after its step).
    pub(crate) fn fault_holds_datagram(&mut self, from: crate::HostId, to: crate::HostId) -> crate::Time {
        let due = |s: Option<u64>, now: u64| s.is_some_and(|s| now >= s);
        match self.fault_plan.as_mut() {
            Some(p) if due(p.hold_from, self.fault_steps) => p.hold_from = None,
            _ => return 0,
        }
        let ticks = self.choose(self.cfg.faults.reorder).unwrap_or(0) + 1;
        self.injected_net.push(NetFault::Hold { from, to, ticks });
        ticks
    }

    /// The network faults that struck, in order.
    pub fn injected_net(&self) -> &[NetFault] {
        &self.injected_net
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
