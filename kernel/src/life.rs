//! Process lifecycle and signals: spawn, end, reaping, kill, dispositions and masks.
//!
//! Invariant: a process that ends wakes everyone blocked on it (a caller
//! waiting for its reply gets PeerDied, a parent in `wait_child` gets the
//! child), gives up every capability and mapping, and never runs again.

use crate::event::EventKind;
use crate::kernel::{Flow, Kernel};
use crate::object::Body;
use crate::process::{State, Wait};
use crate::signal::{DefaultAction, Disposition, Signal};
use crate::syscall::ProcessSpec;
use crate::{CapId, Ending, Error, KResult, Pid, Ret, Timeout};

impl Kernel {
    pub(crate) fn sys_spawn(
        &mut self,
        pid: Pid,
        spec: &ProcessSpec,
        share: &[CapId],
        grants: &[(crate::ObjId, crate::Rights, u64)],
    ) -> KResult<Ret> {
        // Every refusal before any effect: once the child exists, each of
        // its capabilities can be made.
        for c in share {
            self.lookup(pid, *c, crate::Rights::empty())?;
        }
        let host = self.procs[pid.index()].host;
        for (obj, rights, _) in grants {
            let o = self.objs.get(obj.0).ok_or(Error::InvalidCap)?;
            // A program is spawned on its spawner's host: its objects must be there.
            if !o.kind.rights().contains(*rights) || o.host != host {
                return Err(Error::InvalidArgument);
            }
        }
        if share.len() + grants.len() > self.cfg.limits.caps_per_process_max {
            return Err(Error::LimitReached);
        }
        let child = self.create_process(spec, Some(pid))?;
        let mut given = Vec::with_capacity(share.len() + grants.len());
        for (obj, rights, badge) in grants {
            given.push(self.new_cap(Some(child), *obj, *rights, *badge, None)?);
        }
        for c in share {
            given.push(self.copy_cap(*c, Some(child))?);
        }
        self.procs[child.index()].boot_caps = given;
        Ok(Ret::Pid(child))
    }

    /// The runtime reports that a process's body finished (`Exited`) or failed.
    /// Only the running process can end itself this way.
    pub fn exit(&mut self, pid: Pid, ending: Ending) {
        if self.procs.get(pid.index()).is_some_and(|p| !p.is_ended()) {
            self.end_process(pid, ending);
        }
    }

    pub(crate) fn end_process(&mut self, pid: Pid, ending: Ending) {
        if self.procs[pid.index()].is_ended() {
            return;
        }
        match self.procs[pid.index()].state {
            State::Blocked(_) => {
                self.unblock(pid);
            }
            State::Ready => {
                self.remove_ready(pid);
            }
            State::Running | State::Ended(_) => {}
        }
        if self.current == Some(pid) {
            self.current = None;
        }
        // The waiters it could have unblocked with its capabilities, taken
        // while it still holds them: the ones its end may leave in a
        // deadlock. (Re-checking every waiter on every object it held a
        // capability to was N checks per end around a queue of N callers,
        // whatever rights they waited for.)
        let mut dependents = Vec::new();
        self.cap_dependents(pid, &mut dependents);
        let p = &mut self.procs[pid.index()];
        p.compute_left = 0;
        p.cost_due = 0;
        p.result = None;
        p.state = State::Ended(ending);
        p.stopped = false;
        let daemon = p.daemon;
        let parent = p.parent;
        let reply = p.reply_right.take();
        let watchers = std::mem::take(&mut p.watchers);
        let caps = std::mem::take(&mut p.caps);
        let maps = std::mem::take(&mut p.maps);
        if !daemon {
            self.live_nondaemons -= 1;
        }
        if !self.procs[pid.index()].sem_undo.is_empty() {
            self.record_semundo(pid);
        }
        self.record(pid, || EventKind::End { ending });
        // The notifications it signals by ending: their waiters are re-checked
        // with its dependents (one it could wake by ending can no longer be).
        let signalled: Vec<crate::ObjId> = watchers.iter().map(|(obj, _)| *obj).collect();
        for (obj, bits) in watchers {
            if let Some(o) = self.objs.get_mut(obj.0) {
                o.watched.retain(|w| *w != pid);
            }
            self.signal_bits(obj, bits);
        }
        self.procs[pid.index()].priority = self.procs[pid.index()].base_priority;
        if let Some((caller, nonce)) = reply {
            let waiting = matches!(self.procs[caller.index()].blocked(),
                Some(b) if matches!(b.wait, Wait::Reply { nonce: n, .. } if n == nonce));
            if waiting {
                self.wake(caller, Err(Error::PeerDied));
            }
        }
        // Its `semop ... undo` adjustments, before its capabilities go (Linux `exit_sem`).
        if !self.procs[pid.index()].sem_undo.is_empty() {
            self.undo_semops(pid);
        }
        for c in caps {
            self.delete_cap(c);
        }
        for m in maps {
            self.unmap(pid, m);
        }
        if let Some(pp) = parent {
            if !self.procs[pp.index()].is_ended() {
                self.procs[pp.index()].unreaped.push_back(pid);
                let waits_child = matches!(self.procs[pp.index()].blocked(), Some(b) if matches!(b.wait, Wait::Child));
                if waits_child {
                    if let Some(c) = self.procs[pp.index()].unreaped.pop_front() {
                        self.reap(pp, c);
                        let res = Ok(Ret::Child {
                            pid: c,
                            ending: self.ending(c).unwrap_or(Ending::Exited),
                        });
                        self.wake(pp, res);
                    }
                }
                self.send_signal(None, pp, Signal::SIGCHLD);
            }
        }
        for obj in signalled {
            dependents.extend(self.waiters_of(obj));
        }
        dependents.retain(|w| *w != pid);
        self.check_each_around(dependents);
        self.recheck_open_waiters(pid);
    }

    fn reap(&mut self, parent: Pid, child: Pid) {
        self.procs[parent.index()].children.retain(|c| *c != child);
    }

    pub(crate) fn waiters_of(&self, obj: crate::ObjId) -> Vec<Pid> {
        let Some(o) = self.objs.get(obj.0) else {
            return Vec::new();
        };
        match &o.body {
            Body::Endpoint { senders, receivers }
            | Body::Mailbox { senders, receivers, .. }
            | Body::MsgQueue { senders, receivers, .. } => senders.iter().chain(receivers.iter()).collect(),
            Body::Notification { waiters, .. } | Body::Semaphore { waiters, .. } => waiters.iter().collect(),
            Body::Pipe {
                readers_waiting,
                writers_waiting,
                openers,
                ..
            } => readers_waiting
                .iter()
                .chain(writers_waiting.iter())
                .chain(openers.iter())
                .collect(),
            Body::Socket(s) => s.waiters.iter().chain(s.writers.iter()).collect(),
            Body::Shm { .. } | Body::File { .. } => Vec::new(),
        }
    }

    pub(crate) fn sys_wait_child(&mut self, pid: Pid, timeout: Timeout) -> Flow {
        if let Some(c) = self.procs[pid.index()].unreaped.pop_front() {
            self.reap(pid, c);
            let ending = self.ending(c).unwrap_or(Ending::Exited);
            return Flow::Done(Ok(Ret::Child { pid: c, ending }));
        }
        if self.procs[pid.index()].children.is_empty() {
            return Flow::Done(Err(Error::NotFound));
        }
        if timeout.is_nowait() {
            return Flow::Done(Err(Error::WouldBlock));
        }
        self.block(pid, Wait::Child, None, None, timeout)
    }

    pub(crate) fn sys_kill(&mut self, pid: Pid, target: Pid, signal: Signal) -> KResult<Ret> {
        if !signal.is_valid() && signal != Signal::NONE {
            return Err(Error::InvalidArgument);
        }
        let t = self.proc_live(target)?;
        let me = &self.procs[pid.index()];
        // A pid names a process of the caller's own host only.
        if t.host != me.host {
            return Err(Error::NotFound);
        }
        if me.uid != 0 && me.uid != t.uid {
            return Err(Error::PermissionDenied);
        }
        if signal == Signal::NONE {
            // It exists and may be signalled: that is all signal 0 asks.
            return Ok(Ret::Unit);
        }
        if signal.is_realtime() && t.signals.rt_queued() >= crate::signal::RT_SIGNALS_QUEUED_MAX {
            return Err(Error::LimitReached);
        }
        self.send_signal(Some(pid), target, signal);
        Ok(Ret::Unit)
    }

    /// Sends a signal (from a process, or from the kernel) and acts on it at once.
    pub(crate) fn send_signal(&mut self, from: Option<Pid>, target: Pid, signal: Signal) {
        if self.procs[target.index()].is_ended() {
            return;
        }
        if signal == Signal::SIGKILL {
            self.record(target, || EventKind::SignalSent {
                from,
                signal,
                action: "killed",
            });
            self.end_process(target, Ending::Killed(signal));
            return;
        }
        if signal == Signal::SIGSTOP {
            self.record(target, || EventKind::SignalSent {
                from,
                signal,
                action: "stopped",
            });
            self.stop(target);
            return;
        }
        if signal == Signal::SIGCONT && self.procs[target.index()].stopped {
            self.cont(target);
            // What it was sent while stopped is acted on now, before SIGCONT's own action.
            self.deliver_pending(target);
            if self.procs[target.index()].is_ended() {
                return;
            }
        }
        let stopped = self.procs[target.index()].stopped;
        let st = &self.procs[target.index()].signals;
        let disp = st.disposition(signal);
        let ignored = disp == Disposition::Ignore
            || (disp == Disposition::Default
                && matches!(signal.default_action(), DefaultAction::Ignore | DefaultAction::Continue));
        if ignored {
            let action = if signal == Signal::SIGCONT {
                "continued"
            } else {
                "ignored"
            };
            self.record(target, || EventKind::SignalSent { from, signal, action });
            return;
        }
        // A stopped process acts on nothing but SIGKILL and SIGCONT: the
        // signal waits, and is acted on when SIGCONT resumes it (Linux).
        if st.is_blocked(signal) || stopped {
            self.procs[target.index()].signals.make_pending(signal);
            self.record(target, || EventKind::SignalSent {
                from,
                signal,
                action: "pending",
            });
            return;
        }
        self.act_on_signal(from, target, signal);
    }

    /// Acts on an unblocked, non-ignored signal.
    fn act_on_signal(&mut self, from: Option<Pid>, target: Pid, signal: Signal) {
        match self.procs[target.index()].signals.disposition(signal) {
            Disposition::Ignore => {
                self.record(target, || EventKind::SignalSent {
                    from,
                    signal,
                    action: "ignored",
                });
            }
            // A standard signal caught while one of its kind still waits for
            // its handler merges with it (POSIX: one pending bit), so its
            // handler runs once; real-time signals queue.
            Disposition::Catch
                if !signal.is_realtime() && self.procs[target.index()].signals.to_handle.contains(&signal) =>
            {
                self.record(target, || EventKind::SignalSent {
                    from,
                    signal,
                    action: "merged with the one pending",
                });
            }
            Disposition::Catch => {
                self.record(target, || EventKind::SignalSent {
                    from,
                    signal,
                    action: "handler",
                });
                self.procs[target.index()].signals.to_handle.push_back(signal);
                if self.procs[target.index()].blocked().is_some() {
                    self.wake(target, Err(Error::Interrupted));
                }
            }
            _ => match signal.default_action() {
                DefaultAction::Terminate => {
                    self.record(target, || EventKind::SignalSent {
                        from,
                        signal,
                        action: "killed",
                    });
                    self.end_process(target, Ending::Killed(signal));
                }
                DefaultAction::Stop => {
                    self.record(target, || EventKind::SignalSent {
                        from,
                        signal,
                        action: "stopped",
                    });
                    self.stop(target);
                }
                DefaultAction::Ignore | DefaultAction::Continue => {}
            },
        }
    }

    fn stop(&mut self, pid: Pid) {
        let p = &mut self.procs[pid.index()];
        if p.stopped {
            return;
        }
        p.stopped = true;
        match p.state {
            State::Ready => {
                self.remove_ready(pid);
            }
            State::Running => {
                self.current = None;
                self.procs[pid.index()].state = State::Ready;
            }
            _ => {}
        }
    }

    fn cont(&mut self, pid: Pid) {
        let p = &mut self.procs[pid.index()];
        if !p.stopped {
            return;
        }
        p.stopped = false;
        if matches!(p.state, State::Ready) {
            self.make_ready(pid);
        }
    }

    pub(crate) fn sys_sigaction(
        &mut self,
        pid: Pid,
        signal: Signal,
        action: Disposition,
        flags: crate::signal::SaFlags,
    ) -> KResult<Ret> {
        if !signal.is_valid() || signal.is_unstoppable() {
            return Err(Error::InvalidArgument);
        }
        self.procs[pid.index()].signals.set_disposition(signal, action, flags);
        self.catching |= matches!(action, Disposition::Catch);
        Ok(Ret::Unit)
    }

    pub(crate) fn sys_sigmask(&mut self, pid: Pid, signal: Signal, block: bool) -> KResult<Ret> {
        if !signal.is_valid() || signal.is_unstoppable() {
            return Err(Error::InvalidArgument);
        }
        self.procs[pid.index()].signals.set_blocked(signal, block);
        if !block {
            self.deliver_pending(pid);
        }
        Ok(Ret::Unit)
    }

    /// `sigpending SIG`: 1 if `signal` was sent to `pid` and waits, blocked
    /// (or while the process is stopped), 0 otherwise.
    pub(crate) fn sys_sigpending(&mut self, pid: Pid, signal: Signal) -> KResult<Ret> {
        if !signal.is_valid() {
            return Err(Error::InvalidArgument);
        }
        let pending = self.procs[pid.index()].signals.pending().contains(&signal);
        Ok(Ret::Int(i64::from(pending)))
    }

    /// Acts on the pending signals of `pid` that nothing blocks now (after an
    /// unblock, a handler's end, or SIGCONT).
    fn deliver_pending(&mut self, pid: Pid) {
        if self.procs[pid.index()].stopped {
            return;
        }
        let ready = self.procs[pid.index()].signals.take_unblocked_pending();
        for s in ready {
            if self.procs[pid.index()].is_ended() {
                break;
            }
            self.act_on_signal(None, pid, s);
        }
    }

    /// The next caught signal whose handler `pid` must run now (not a system
    /// call), without starting the handler: for callers that run none.
    pub fn take_signal(&mut self, pid: Pid) -> Option<Signal> {
        self.procs.get_mut(pid.index())?.signals.to_handle.pop_front()
    }

    /// The next caught signal whose handler `pid` runs now (not a system
    /// call): the signal stays blocked until [`Kernel::end_handler`], so one
    /// that arrives meanwhile waits for the handler to finish (POSIX), unless
    /// it was caught with `SA_NODEFER`. With it, whether the handler was set
    /// with `SA_RESTART`.
    pub fn begin_handler(&mut self, pid: Pid) -> Option<(Signal, bool)> {
        self.procs.get_mut(pid.index())?.signals.begin_handler()
    }

    /// The handler of `signal` that `pid` ran ended: a signal of that kind
    /// that arrived meanwhile is delivered now.
    pub fn end_handler(&mut self, pid: Pid, signal: Signal) {
        let Some(p) = self.procs.get_mut(pid.index()) else {
            return;
        };
        if p.is_ended() {
            return;
        }
        p.signals.end_handler(signal);
        self.deliver_pending(pid);
    }

    /// A process's signal dispositions and mask (for reports and tests).
    pub fn signal_state(&self, pid: Pid) -> Option<&crate::signal::SignalState> {
        self.procs.get(pid.index()).map(|p| &p.signals)
    }
}
