//! The fast paths for `call` and `reply_recv`, as seL4 has them: when the
//! common case holds (a receiver is waiting, or the caller is owed a reply and
//! nobody outranks it; no cost model, no priority inheritance, no capability
//! in the message), the kernel moves the message and switches straight to the
//! other side without the general machinery. Likewise for semaphores: a
//! `sem_wait` that finds a free unit and a `sem_post` nobody waits for move
//! the count and ready nobody. They record exactly the events the slow paths
//! record, in the same order. Anything unusual takes the slow path; tests run
//! random call sequences, random buffered-object operations and every bundled
//! scenario both ways (the fast paths can be switched off) and compare.

use crate::event::{EventKind, SwitchReason};
use crate::eventlog::{Entry, FastCall, FastReplyRecv};
use crate::kernel::Kernel;
use crate::object::Body;
use crate::process::{Blocked, State, Wait};
use crate::{CapId, Message, ObjectKind, Outcome, Pid, Ret, Rights, Timeout};

impl Kernel {
    /// Whether a fast path may run at all.
    #[inline]
    pub(crate) fn fastpath_allowed(&self) -> bool {
        self.fast_ok
    }

    /// `sem_wait` on a semaphore with a free unit, or `sem_post` on one nobody
    /// waits for: the count moves and the call completes, readying nobody.
    /// False (nothing done) when anything else holds; the general path then
    /// decides, errors included.
    #[inline(always)]
    pub(crate) fn fast_sem(&mut self, pid: Pid, cap: CapId, wait: bool) -> bool {
        let need = if wait { Rights::WAIT } else { Rights::POST };
        let Some(n) = self.caps.get(cap.0) else { return false };
        if n.owner != Some(pid) || !n.rights.contains(need) {
            return false;
        }
        let (obj, rights) = (n.obj, n.rights);
        let Some(o) = self.objs.get_mut(obj.0) else {
            return false;
        };
        let Body::Semaphore { value, waiters, .. } = &mut o.body else {
            return false;
        };
        if wait {
            // With waiters (a larger request, or a wait for zero this P may
            // complete), the general path rescans the queue.
            if *value == 0 || !waiters.is_empty() {
                return false;
            }
            *value -= 1;
            o.hint_unit_holder(cap, rights);
        } else {
            if !waiters.is_empty() || *value >= crate::sem::SEM_VALUE_MAX {
                return false;
            }
            *value += 1;
        }
        self.hold_unit(pid, obj, if wait { 1 } else { -1 });
        true
    }

    /// Records a fast path's events: as one entry when only the log listens,
    /// else one by one (the `tracing` mirror shows each event as it comes).
    ///
    /// The entry is built in its slot, after the buffer has room: built
    /// first and then moved there, it went through the stack in pieces of
    /// different widths, and reading those back whole stalled the processor
    /// (the log's cost in time was three times its cost in instructions).
    #[inline(always)]
    fn record_fast(&mut self, entry: impl FnOnce() -> Entry) {
        if self.log.enabled && !self.mirroring {
            self.log.push_with(entry);
        } else {
            self.record_each(entry());
        }
    }

    /// Whether `q` owns the capability `obj`'s holder hint names, with `need`.
    #[inline]
    fn holds_hint(&self, q: Pid, obj: crate::ObjId, need: Rights) -> bool {
        let Some(h) = self.objs.get(obj.0).and_then(|o| o.holder_hint.get()) else {
            return false;
        };
        self.caps
            .get(h.0)
            .is_some_and(|n| n.owner == Some(q) && n.obj == obj && n.rights.contains(need))
    }

    /// `call` to an endpoint where a receiver waits and may run at once.
    /// Returns the message back when the fast path does not apply.
    #[inline(always)]
    pub(crate) fn fast_call<const OBS: bool>(
        &mut self,
        pid: Pid,
        cap: CapId,
        mut msg: Message,
        timeout: Timeout,
        syscall: bool,
    ) -> Result<Outcome, Message> {
        let Some(n) = self.caps.get(cap.0) else { return Err(msg) };
        if n.owner != Some(pid) || !n.rights.contains(Rights::SEND) || msg.cap.is_some() {
            return Err(msg);
        }
        if msg.len_bytes() > self.cfg.limits.message_bytes_max {
            return Err(msg);
        }
        let (obj, badge) = (n.obj, n.badge);
        let top = self.top_ready_priority();
        let Some(o) = self.objs.get_mut(obj.0) else {
            return Err(msg);
        };
        let Body::Endpoint { receivers, .. } = &mut o.body else {
            return Err(msg);
        };
        let Some(r) = receivers.front() else { return Err(msg) };
        let rp = &self.procs[r.index()];
        if rp.stopped || top.is_some_and(|t| t > rp.priority) {
            return Err(msg);
        }
        receivers.pop();
        // This capability unblocked the object's last waiter: the deadlock
        // detector's first guess at a free unblocker of the next one.
        o.holder_hint.set(Some(cap));
        msg.badge = badge;
        msg.is_call = true;
        let len = msg.len_bytes();
        let copies = self.copies();
        self.stats.count(ObjectKind::Endpoint, len, copies);
        let data = (OBS && self.observed).then(|| msg.data.clone());
        let nonce = self.next_nonce();
        let rp = &mut self.procs[r.index()];
        rp.state = State::Running;
        rp.result = Some(Ok(Ret::Msg(msg)));
        rp.reply_right = Some((pid, nonce));
        self.wait_seq += 1;
        let seq = self.wait_seq;
        let deadline = match timeout {
            Timeout::Ticks(t) if t > 0 => Some(self.now.saturating_add(t)),
            _ => None,
        };
        self.procs[pid.index()].state = State::Blocked(Blocked {
            wait: Wait::Reply { server: r, nonce },
            obj: None,
            through: None,
            deadline,
            seq,
        });
        if let Some(at) = deadline {
            self.set_timer(pid, at, seq);
        }
        self.current = Some(r);
        self.last_run = Some(r);
        self.stats.switches += 1;
        self.stats.transfers += 1;
        self.switch_hint = None;
        if let Some(data) = data {
            let time = self.now;
            self.record_fast(|| {
                Entry::Call(FastCall {
                    time,
                    caller: pid,
                    server: r,
                    obj,
                    data,
                    badge,
                    deadline,
                    copies,
                    syscall,
                })
            });
        }
        Ok(Outcome::Switched)
    }

    /// `reply_recv` where the caller waits for the reply, nobody else outranks
    /// it, and no sender is queued: reply, block in `recv`, switch to the caller.
    #[inline(always)]
    pub(crate) fn fast_reply_recv<const OBS: bool>(
        &mut self,
        pid: Pid,
        cap: CapId,
        mut msg: Message,
        timeout: Timeout,
        syscall: bool,
    ) -> Result<Outcome, Message> {
        let Some((caller, nonce)) = self.procs[pid.index()].reply_right else {
            return Err(msg);
        };
        if msg.cap.is_some() || timeout.is_nowait() || !self.awaits_reply(caller, nonce) {
            return Err(msg);
        }
        let Some(n) = self.caps.get(cap.0) else { return Err(msg) };
        if n.owner != Some(pid) || !n.rights.contains(Rights::RECV) {
            return Err(msg);
        }
        let obj = n.obj;
        let cp = &self.procs[caller.index()];
        if cp.stopped || self.top_ready_priority().is_some_and(|t| t >= cp.priority) {
            return Err(msg);
        }
        let prio = self.procs[pid.index()].priority;
        let Some(o) = self.objs.get_mut(obj.0) else {
            return Err(msg);
        };
        let Body::Endpoint { senders, receivers } = &mut o.body else {
            return Err(msg);
        };
        if !senders.is_empty() {
            return Err(msg);
        }
        receivers.push(prio, pid);
        msg.badge = 0;
        msg.is_call = false;
        let len = msg.len_bytes();
        let copies = self.copies();
        self.stats.count(ObjectKind::Endpoint, len, copies);
        self.procs[pid.index()].reply_right = None;
        let mut data = (OBS && self.observed).then(|| msg.data.clone());
        let c = &mut self.procs[caller.index()];
        c.state = State::Running;
        c.result = Some(Ok(Ret::Msg(msg)));
        self.wait_seq += 1;
        let seq = self.wait_seq;
        let deadline = match timeout {
            Timeout::Ticks(t) => Some(self.now.saturating_add(t)),
            Timeout::Never => None,
        };
        self.procs[pid.index()].state = State::Blocked(Blocked {
            wait: Wait::Recv,
            obj: Some(obj),
            through: Some(cap),
            deadline,
            seq,
        });
        if let Some(at) = deadline {
            self.set_timer(pid, at, seq);
        }
        let time = self.now;
        let entry = |data, switch| {
            Entry::ReplyRecv(FastReplyRecv {
                time,
                server: pid,
                caller,
                obj,
                data,
                deadline,
                switch,
                syscall,
            })
        };
        // The caller runs next: when it holds the capability that last sent
        // here, the server has a live unblocker and no deadlock can close
        // around it (the general check would find the same, in more steps).
        // (The server's wait is new: no deadlock was found during it.)
        let live_sender = self.holds_hint(caller, obj, Rights::SEND);
        let check = deadline.is_none() && !live_sender;
        if check {
            // A deadlock it finds is recorded between the block and the
            // switch: the events so far go first.
            if let Some(data) = data.take() {
                self.record_fast(|| entry(data, None));
            }
            self.check_deadlock_around(pid);
        }
        self.current = Some(caller);
        self.last_run = Some(caller);
        self.stats.switches += 1;
        let reason = self.switch_hint.take().unwrap_or(SwitchReason::Schedule);
        if let Some(data) = data {
            self.record_fast(|| entry(data, Some(reason)));
        } else if check {
            self.record_if::<OBS>(caller, || EventKind::Switch {
                from: Some(pid),
                reason,
            });
        }
        Ok(Outcome::Switched)
    }
}
