//! Hosts: each simulated machine's own CPU and ready queues, and the
//! scheduler that runs several of them at one virtual time.
//!
//! A kernel has host 0 (`local`) and any added with [`Kernel::add_host`].
//! Processes and objects belong to one host. The ready queues in
//! `Kernel::ready` (and `last_run`, the switch hint) are always the *active*
//! host's; the others' wait in their `Host` entries and are swapped in when
//! their host runs, so the single-host scheduler (every bundled scenario)
//! runs exactly as before, and the hot path never indexes a host table.
//!
//! With more than one host, at each instant: timers and arrivals fire (in
//! the order they were set), then the hosts run in declaration order, each
//! until none of its processes can run at that instant (a process that
//! computes keeps its host's CPU over the ticks to come); then time moves to
//! the next timer or the end of the first compute, for every host at once.

use crate::event::SwitchReason;
use crate::kernel::{Finish, Kernel, Next};
use crate::ready::ReadyQueues;
use crate::{HostId, Pid};

/// What a host keeps while it is not the active one.
#[derive(Debug, Default)]
pub(crate) struct Host {
    pub name: Box<str>,
    /// Its ready queues, while another host is active.
    pub ready: ReadyQueues,
    /// The process that holds its CPU (computing), while another host is active.
    pub cpu: Option<Pid>,
    /// The process that ran last on its CPU (switch events name it).
    pub last_run: Option<Pid>,
    /// Why its next switch happens (a preemption found while it was not active).
    pub hint: Option<SwitchReason>,
}

impl Host {
    pub(crate) fn new(name: &str) -> Self {
        Host {
            name: name.into(),
            ..Host::default()
        }
    }
}

impl Kernel {
    /// Adds a host; returns its id. Host names are the scenario's concern:
    /// the kernel only keeps them for traces.
    pub fn add_host(&mut self, name: &str) -> crate::KResult<HostId> {
        if self.hosts.len() >= usize::from(u16::MAX) {
            return Err(crate::Error::LimitReached);
        }
        self.hosts.push(Host::new(name));
        Ok(HostId((self.hosts.len() - 1) as u16))
    }

    /// Hosts, `local` first.
    pub fn host_count(&self) -> usize {
        self.hosts.len()
    }

    /// A host's name (`?` for none).
    pub fn host_name(&self, h: HostId) -> &str {
        self.hosts.get(h.index()).map_or("?", |x| &x.name)
    }

    /// The host named `name` (`local` is host 0).
    pub fn host_named(&self, name: &str) -> Option<HostId> {
        self.hosts
            .iter()
            .position(|h| &*h.name == name)
            .map(|i| HostId(i as u16))
    }

    /// The host a process belongs to.
    pub fn host_of(&self, pid: Pid) -> HostId {
        self.procs.get(pid.index()).map_or(HostId::LOCAL, |p| p.host)
    }

    /// Makes `h` the active host: its ready queues, last run process and
    /// CPU holder become the kernel's own; the old active host's are put away.
    pub(crate) fn activate(&mut self, h: HostId) {
        if h == self.active_host {
            return;
        }
        let old = self.active_host.index();
        let held = self.current.take();
        let host = &mut self.hosts[old];
        std::mem::swap(&mut self.ready, &mut host.ready);
        host.cpu = held;
        host.last_run = self.last_run.take();
        host.hint = self.switch_hint.take();
        let new = &mut self.hosts[h.index()];
        std::mem::swap(&mut self.ready, &mut new.ready);
        self.current = new.cpu.take();
        self.last_run = new.last_run.take();
        self.switch_hint = new.hint.take();
        self.active_host = h;
    }

    /// Whether host `h` (not the active one) has a process that can run now.
    fn can_run_now(&self, h: usize) -> bool {
        let host = &self.hosts[h];
        match host.cpu {
            Some(p) => {
                let p = &self.procs[p.index()];
                p.compute_left == 0 && p.cost_due == 0
            }
            None => host.ready.len() > 0,
        }
    }

    /// The hosts other than the active one that can run now.
    fn other_hosts_ready(&self) -> impl Iterator<Item = usize> + '_ {
        let here = self.active_host.index();
        (0..self.hosts.len()).filter(move |h| *h != here && self.can_run_now(*h))
    }

    /// Every host's CPU holder (the active host's is `current`).
    fn computing(&self) -> impl Iterator<Item = Pid> + '_ {
        let active = self.current;
        self.hosts.iter().filter_map(|h| h.cpu).chain(active)
    }

    /// The scheduler of a kernel with several hosts (see the module doc).
    pub(crate) fn schedule_hosts(&mut self) -> Next {
        loop {
            if self.live_nondaemons == 0 {
                return Next::Finished(Finish::AllEnded);
            }
            if let Some(cur) = self.current {
                let p = &mut self.procs[cur.index()];
                if p.compute_left == 0 && p.cost_due > 0 {
                    p.compute_left = std::mem::take(&mut p.cost_due);
                }
                if p.compute_left == 0 {
                    return Next::Run(cur);
                }
            } else if self.run_next_ready().is_some() {
                continue;
            }
            // The active host has nothing more to run at this instant: the
            // next host in declaration order that has, wrapping round (a host
            // left by a seeded switch, or given a process by the runtime,
            // runs at this instant too).
            let here = self.active_host.index();
            let next = (here + 1..self.hosts.len())
                .chain(0..here)
                .find(|h| self.can_run_now(*h));
            if let Some(h) = next {
                self.activate(HostId(h as u16));
                continue;
            }
            if let Some(done) = self.advance_hosts() {
                return done;
            }
        }
    }

    /// No host can run at this instant: time moves to the next timer or the
    /// end of the first compute, for every host; timers fire; a woken
    /// process may preempt its host's computing one; host 0 runs first.
    fn advance_hosts(&mut self) -> Option<Next> {
        // A host left with its system call's cost still due (the active
        // host moved on, or time last moved while another host was active)
        // spends it now: left due, it would end no compute and time would
        // stand still for ever.
        for h in 0..self.hosts.len() {
            if let Some(p) = self.hosts[h].cpu {
                let q = &mut self.procs[p.index()];
                if q.compute_left == 0 {
                    q.compute_left = std::mem::take(&mut q.cost_due);
                }
            }
        }
        let due = self.next_timer_at();
        let first_end = self
            .computing()
            .map(|p| self.now.saturating_add(self.procs[p.index()].compute_left))
            .min();
        let Some(next) = due.into_iter().chain(first_end).min() else {
            return Some(Next::Finished(Finish::Idle));
        };
        let target = next.min(self.cfg.max_time);
        let spent = target.saturating_sub(self.now);
        // Every CPU holder spends the time (by index: no list is built).
        for h in 0..=self.hosts.len() {
            let holder = match self.hosts.get(h) {
                Some(host) => host.cpu,
                None => self.current,
            };
            if let Some(p) = holder {
                let q = &mut self.procs[p.index()];
                let s = spent.min(q.compute_left);
                q.compute_left -= s;
                q.cpu += s;
            }
        }
        self.now = target;
        if next > self.cfg.max_time {
            return Some(Next::Finished(Finish::TimeLimit));
        }
        self.fire_timers();
        self.preempt_hosts();
        self.activate(HostId::LOCAL);
        None
    }

    /// With a seed, at a system call boundary of `pid` that did not block:
    /// maybe let another host that can run at this instant go first (its
    /// hosts' processes run at the same virtual time, so which goes first is
    /// the schedule's choice). `pid` keeps its host's CPU and goes on when
    /// its host is active again. The choice is drawn only where another host
    /// can run; option 0 is "stay". Returns whether another host runs.
    pub(crate) fn seeded_host_switch(&mut self, pid: Pid) -> bool {
        let n = self.other_hosts_ready().count();
        if n == 0 {
            return false;
        }
        let pick = self.choose(n as u64 + 1).unwrap_or(0) as usize;
        let Some(to) = pick.checked_sub(1).and_then(|i| self.other_hosts_ready().nth(i)) else {
            return false;
        };
        debug_assert_eq!(self.current, Some(pid));
        self.activate(HostId(to as u16));
        if self.current.is_none() && self.live_nondaemons > 0 {
            self.run_next_ready();
        }
        true
    }

    /// After timers fired: on each host, a ready process of higher priority
    /// than the one computing there takes the CPU (the computing one goes
    /// back to the head of its queue).
    fn preempt_hosts(&mut self) {
        self.maybe_preempt();
        for h in &mut self.hosts {
            let Some(cur) = h.cpu else { continue };
            let prio = self.procs[cur.index()].priority;
            if h.ready.top_priority().is_some_and(|t| t > prio) {
                h.cpu = None;
                self.procs[cur.index()].state = crate::process::State::Ready;
                h.ready.push(prio, cur, true);
                h.hint = Some(SwitchReason::Preempt);
            }
        }
    }
}
