//! Deadlock detection, exactly as the scenario contract defines it.
//!
//! A deadlock is a set of blocked processes, none waiting with a timeout and at
//! least one not a daemon, such that every live process that could unblock any
//! of them (other than itself) is in the set. "Could unblock" is read from
//! rights: the live holders of a capability with the right that completes the
//! wait, plus whoever could obtain one (by key, by FIFO path, or by spawning a
//! program that holds it), the server owing a reply, a waiting parent's
//! children, and for a process with a handler for an unblocked signal, every
//! process allowed to kill it.
//!
//! Detection is incremental: when a process blocks for ever, the kernel
//! computes the closure of its possible unblockers and stops at the first one
//! that is not blocked for ever (usually the first it looks at), then the
//! processes the blocked one could unblock (not those already in a deadlock,
//! whose sets closed without it). A process ending re-checks the waiters of
//! the objects it held, and those it could unblock without a capability (by
//! a signal they catch, or by opening or spawning its way to a right). The
//! detector runs at the moment a deadlock forms, not only when the run ends.

use std::collections::BTreeSet;

use crate::event::EventKind;
use crate::kernel::Kernel;
use crate::process::Wait;
use crate::sysv::ipc_rights;
use crate::{CapId, ObjId, Pid, Rights, Time, WaitKind};

/// A deadlock as reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlockReport {
    /// When it formed.
    pub time: Time,
    /// Its processes, by pid.
    pub members: Vec<Pid>,
    /// A cycle among them (first == last), if there is one.
    pub cycle: Vec<Pid>,
    /// What each member waits on.
    pub waits: Vec<(Pid, WaitKind, Option<ObjId>)>,
}

/// The right whose holders could complete a wait on an object (none for a
/// wait on a process: a reply, a child, a sleep).
fn right_needed(wait: &Wait) -> Option<Rights> {
    match wait {
        Wait::Send { .. } | Wait::MsgSnd => Some(Rights::RECV),
        Wait::Recv | Wait::MsgRcv { .. } => Some(Rights::SEND),
        Wait::Notification => Some(Rights::SIGNAL),
        Wait::PipeRead { .. } => Some(Rights::WRITE),
        Wait::PipeWrite { .. } => Some(Rights::READ),
        Wait::Semaphore => Some(Rights::POST),
        // Zero comes from a P (or a setval, which needs the same alter right).
        Wait::SemZero => Some(Rights::WAIT),
        Wait::FifoOpen { write } => Some(if *write { Rights::READ } else { Rights::WRITE }),
        Wait::Reply { .. } | Wait::Child | Wait::Sleep => None,
        // Socket waits are read from the socket, not from a right on it.
        Wait::SockRead { .. } | Wait::SockWrite | Wait::Accept | Wait::Connect | Wait::RecvFrom => None,
    }
}

impl Kernel {
    fn blocked_for_ever(&self, pid: Pid) -> bool {
        // A socket wait with what would complete it on its way counts as one
        // with a timeout (the sockets contract).
        matches!(self.procs[pid.index()].blocked(), Some(b) if b.deadline.is_none()) && !self.socket_wait_in_flight(pid)
    }

    /// Visits the processes (other than `pid`, live) that could complete its
    /// wait, possibly more than once each, until `f` returns false.
    fn visit_unblockers(&self, pid: Pid, f: &mut dyn FnMut(Pid) -> bool) {
        let p = &self.procs[pid.index()];
        let Some(b) = p.blocked() else { return };
        let mut go = |q: Pid| q == pid || self.procs[q.index()].is_ended() || f(q);
        match &b.wait {
            Wait::Reply { server, .. } if !go(*server) => return,
            Wait::Child if !p.children.iter().all(|c| go(*c)) => return,
            Wait::SockRead { .. } | Wait::SockWrite | Wait::Accept | Wait::Connect | Wait::RecvFrom
                if !self.visit_socket_unblockers(&b.wait, b.obj, &mut go) =>
            {
                return;
            }
            _ => {}
        }
        let need = right_needed(&b.wait);
        if let (Some(need), Some(obj)) = (need, b.obj) {
            if !self.visit_holders(obj, need, &mut go) {
                return;
            }
            // A watched process signals the notification by ending.
            if need == Rights::SIGNAL {
                if let Some(o) = self.objs.get(obj.0) {
                    for w in &o.watched {
                        if !go(*w) {
                            return;
                        }
                    }
                }
            }
        }
        if p.signals.has_unblocked_handler() {
            self.count_deadlock_work(self.procs.len() as u64);
            let uid = p.uid;
            for (i, q) in self.procs.iter().enumerate() {
                if (q.uid == 0 || q.uid == uid) && !go(Pid(i as u32)) {
                    return;
                }
            }
        }
    }

    /// The unblockers of a socket wait (the sockets contract): for a read, or
    /// a write to a full peer, the holders of the peer end; for an accept or
    /// a recvfrom, every live process of a host that can reach the socket's;
    /// for a connect waiting for backlog room, the listener's holders; for a
    /// connect held by a partition for ever, nobody. False if `go` stopped.
    fn visit_socket_unblockers(&self, wait: &Wait, obj: Option<ObjId>, go: &mut dyn FnMut(Pid) -> bool) -> bool {
        let Some(obj) = obj else { return true };
        let Some(s) = self.sock(obj) else { return true };
        let host = self.object_host(obj).unwrap_or(crate::HostId::LOCAL);
        match wait {
            Wait::SockRead { .. } | Wait::SockWrite => match s.peer {
                Some((peer, _)) => self.visit_holders(peer, Rights::READ, go),
                None => true,
            },
            Wait::Accept | Wait::RecvFrom => {
                self.count_deadlock_work(self.procs.len() as u64);
                for (i, q) in self.procs.iter().enumerate() {
                    if !q.is_ended() && self.reaches_now(q.host, host) && !go(Pid(i as u32)) {
                        return false;
                    }
                }
                true
            }
            Wait::Connect => match s.waiting_at {
                Some(listener) => self.visit_holders(listener, Rights::READ, go),
                None => true,
            },
            _ => true,
        }
    }

    /// Live processes other than `pid` that could complete its wait.
    pub(crate) fn unblockers(&self, pid: Pid) -> Vec<Pid> {
        let mut out = Vec::new();
        self.visit_unblockers(pid, &mut |q| {
            out.push(q);
            true
        });
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The answer of [`Kernel::has_free_unblocker`] in the usual case, in a few
    /// loads: the owner of the capability that unblocked this object's last
    /// waiter (`holder_hint`), or of one of its first few holders, holds the
    /// right and is not blocked for ever (the hint then names it). False means
    /// "look properly", not "none".
    #[inline]
    fn hinted_free_unblocker(&self, pid: Pid) -> bool {
        /// Holders looked at before the general search takes over (which
        /// looks at them again: the quick look stays cheap when it fails).
        const QUICK_HOLDERS: usize = 8;
        let Some(b) = self.procs[pid.index()].blocked() else {
            return false;
        };
        let need = match &b.wait {
            Wait::Notification | Wait::FifoOpen { .. } => return false,
            w => match right_needed(w) {
                Some(need) => need,
                None => return false,
            },
        };
        let Some(obj) = b.obj else { return false };
        let Some(o) = self.objs.get(obj.0) else { return false };
        let free = |h: CapId| match self.caps.get(h.0) {
            Some(n) => match n.owner {
                Some(q) if q != pid && n.obj == obj && n.rights.contains(need) => {
                    !self.procs[q.index()].is_ended() && !self.blocked_for_ever(q)
                }
                _ => false,
            },
            None => false,
        };
        if o.holder_hint.get().is_some_and(free) {
            return true;
        }
        match o.holders.iter().take(QUICK_HOLDERS).find(|h| free(**h)) {
            Some(h) => {
                o.holder_hint.set(Some(*h));
                true
            }
            None => false,
        }
    }

    /// Whether some process that could complete `pid`'s wait is not itself blocked for ever.
    /// Allocates nothing: this is the common answer, asked at every blocking call.
    fn has_free_unblocker(&self, pid: Pid) -> bool {
        let mut free = false;
        self.visit_unblockers(pid, &mut |q| {
            free = !self.blocked_for_ever(q);
            !free
        });
        free
    }

    /// Visits live processes that hold, or could obtain, `need` on `obj`; false if `f` stopped it.
    fn visit_holders(&self, obj: ObjId, need: Rights, f: &mut dyn FnMut(Pid) -> bool) -> bool {
        let Some(o) = self.objs.get(obj.0) else { return true };
        // The holder that stopped the last visit first (usually the one answer wanted).
        if let Some(h) = o.holder_hint.get() {
            if let Some(n) = self.caps.get(h.0) {
                if let (true, Some(owner)) = (n.obj == obj && n.rights.contains(need), n.owner) {
                    if !f(owner) {
                        return false;
                    }
                }
            }
        }
        // No capability to the object has the right (the per-right counts
        // are kept with the holders list): nobody to look for among them.
        let holders: &[CapId] = if o.count(need) == 0 { &[] } else { &o.holders };
        for h in holders {
            self.count_deadlock_work(1);
            if let Some(n) = self.caps.get(h.0) {
                if let Some(owner) = n.owner {
                    if n.rights.contains(need) && !f(owner) {
                        o.holder_hint.set(Some(*h));
                        return false;
                    }
                }
            }
        }
        let everyone = o.spawnable.contains(need);
        let by_perm = o.perm.filter(|_| o.opened_by_perm());
        if everyone || by_perm.is_some() {
            self.count_deadlock_work(self.procs.len() as u64);
            for (i, q) in self.procs.iter().enumerate() {
                if q.is_ended() {
                    continue;
                }
                let ok = everyone || by_perm.is_some_and(|perm| ipc_rights(o.kind, &perm, q.uid, q.gid).contains(need));
                if ok && !f(Pid(i as u32)) {
                    return false;
                }
            }
        }
        true
    }

    /// Called when `pid` has just blocked for ever: checks the closed set
    /// around it, then the processes that wait on it (a caller it owes a
    /// reply, waiters on objects it holds, a parent waiting for it), and theirs
    /// in turn, since a server blocking can close a set that only its clients
    /// make a deadlock (they are the non-daemons).
    pub(crate) fn check_deadlock_around(&mut self, pid: Pid) {
        self.count_deadlock_work(1);
        if !self.blocked_for_ever(pid)
            || (!self.deadlocked_now(pid) && (self.hinted_free_unblocker(pid) || self.has_free_unblocker(pid)))
        {
            return;
        }
        let mut work = vec![pid];
        let mut visited = BTreeSet::new();
        // Members this check put in a deadlock: their dependents are looked at.
        let mut flagged = BTreeSet::new();
        let mut fresh = Vec::new();
        while let Some(p) = work.pop() {
            if !visited.insert(p) {
                continue;
            }
            // A process found in a deadlock before `pid` blocked is not one
            // whose set `pid` can have closed: its set was closed already,
            // without `pid`, which was running. Neither are the processes it
            // could unblock, through it. (`dependents` over-approximates:
            // many processes blocked on one object were each walked from
            // every other, N^2 steps at every block.)
            let known = p != pid && self.deadlocked_now(p) && !flagged.contains(&p);
            if self.close_from(p, &mut fresh) && !known {
                work.extend(self.dependents(p));
            }
            flagged.extend(fresh.drain(..));
        }
    }

    /// Blocked processes that `p` could unblock.
    fn dependents(&self, p: Pid) -> Vec<Pid> {
        let proc_ = &self.procs[p.index()];
        let mut out = Vec::new();
        if let Some((caller, _)) = proc_.reply_right {
            out.push(caller);
        }
        if let Some(parent) = proc_.parent {
            out.push(parent);
        }
        self.cap_dependents(p, &mut out);
        self.open_waiters(p, true, &mut out);
        out.retain(|q| *q != p && self.blocked_for_ever(*q));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The processes waiting on objects `p` holds capabilities to that it
    /// could unblock with them (see [`Kernel::waiters_for`]).
    pub(crate) fn cap_dependents(&self, p: Pid, out: &mut Vec<Pid>) {
        for c in &self.procs[p.index()].caps {
            if let Some(n) = self.caps.get(c.0) {
                self.waiters_for(n.obj, n.rights, out);
            }
        }
    }

    /// The processes waiting on `obj` that a holder of `rights` on it could
    /// unblock: those whose wait needs one of `rights`, or a right the object
    /// gives whoever asks (by key, path or a program's capabilities), or any
    /// of them when some process catches signals (a signal may interrupt
    /// them). Many processes blocked on one object are not each other's
    /// dependents by holding it: looking at each from every other was N^2
    /// steps at every block. Endpoints, mailboxes and message queues are
    /// skipped a queue at a time (its senders all need the receive right,
    /// its receivers the send right).
    pub(crate) fn waiters_for(&self, obj: ObjId, rights: Rights, out: &mut Vec<Pid>) {
        use crate::object::Body;
        let Some(o) = self.objs.get(obj.0) else { return };
        let any = self.catching || o.opened_by_perm();
        let can = |r: Rights| any || rights.contains(r) || o.spawnable.contains(r);
        match &o.body {
            Body::Endpoint { senders, receivers }
            | Body::Mailbox { senders, receivers, .. }
            | Body::MsgQueue { senders, receivers, .. } => {
                if can(Rights::RECV) {
                    out.extend(senders.iter());
                }
                if can(Rights::SEND) {
                    out.extend(receivers.iter());
                }
            }
            // The waiters of a stream end's peer wait for what this end does.
            Body::Socket(s) => {
                out.extend(self.waiters_of(obj));
                if let Some((peer, _)) = s.peer {
                    out.extend(self.waiters_of(peer));
                }
            }
            _ => out.extend(self.waiters_of(obj).into_iter().filter(|q| {
                let need = self.procs[q.index()].blocked().and_then(|b| right_needed(&b.wait));
                need.is_none_or(can)
            })),
        }
    }

    /// After `dead` ended: re-checks the processes it may have been able to
    /// unblock without holding a capability, which the re-check of the
    /// waiters on its objects does not reach: those that catch a signal (it
    /// could have sent one), and the waiters on objects whose right any
    /// process may obtain (by key, path, or spawning a program that holds
    /// it). Its end can close their sets.
    pub(crate) fn recheck_open_waiters(&mut self, dead: Pid) {
        // Rights a program's capabilities bring make every live process an
        // unblocker: while one is ready, none of those waiters can be in a
        // deadlock (the usual case, looked up without walking anything).
        let spawners_free = self.top_ready_priority().is_some();
        let mut waiters = Vec::new();
        self.open_waiters(dead, !spawners_free, &mut waiters);
        self.check_each_around(waiters);
    }

    /// [`Kernel::check_deadlock_around`] each of `waiters` once, in pid order.
    pub(crate) fn check_each_around(&mut self, mut waiters: Vec<Pid>) {
        waiters.sort_unstable();
        waiters.dedup();
        for w in waiters {
            self.check_deadlock_around(w);
        }
    }

    /// Blocked processes other than `p` that `p` may be able to unblock
    /// without holding a capability (a superset): those that catch a signal,
    /// when some process does, the waiters on objects whose rights any
    /// process may obtain (by key or path; by spawning a program, only if
    /// `spawnable`), and the waiters on notifications `p`'s end would signal.
    fn open_waiters(&self, p: Pid, spawnable: bool, out: &mut Vec<Pid>) {
        if self.catching {
            out.extend(
                (0..self.procs.len())
                    .map(|i| Pid(i as u32))
                    .filter(|q| *q != p && self.blocked_for_ever(*q))
                    .filter(|q| self.procs[q.index()].signals.has_unblocked_handler()),
            );
        }
        // Only objects that may be open can be (the rest need a capability).
        for &id in &self.open_objs {
            let Some(o) = self.objs.get(id.0) else { continue };
            // A watched process signals the notification by ending.
            // Anyone who can reach a host can connect to its listeners or
            // send to its datagram sockets.
            let open_socket = matches!(&o.body, crate::object::Body::Socket(s) if s.open_to_anyone());
            if (spawnable && !o.spawnable.is_empty()) || o.opened_by_perm() || o.watched.contains(&p) || open_socket {
                out.extend(self.waiters_of(id).into_iter().filter(|q| *q != p));
            }
        }
    }

    /// Checks whether `start` is in a closed set of processes blocked for
    /// ever; records it as a deadlock if one of them is not a daemon. Returns
    /// whether the set is closed.
    pub(crate) fn check_deadlock_from(&mut self, start: Pid) -> bool {
        self.close_from(start, &mut Vec::new())
    }

    /// [`Kernel::check_deadlock_from`], adding to `flagged` the processes it
    /// puts in a deadlock that were in none.
    fn close_from(&mut self, start: Pid, flagged: &mut Vec<Pid>) -> bool {
        if !self.blocked_for_ever(start) {
            return false;
        }
        if self.deadlocked_now(start) {
            return true;
        }
        let mut set = vec![start];
        let mut seen = BTreeSet::from([start]);
        let mut edges: Vec<(Pid, Pid)> = Vec::new();
        let mut i = 0;
        while i < set.len() {
            let p = set[i];
            i += 1;
            // The usual answer, a free unblocker, found without collecting
            // every unblocker first: behind a queue of N callers, each of
            // them had N (the final check after a step limit took minutes).
            if self.hinted_free_unblocker(p) || self.has_free_unblocker(p) {
                return false;
            }
            for u in self.unblockers(p) {
                if !self.blocked_for_ever(u) {
                    return false;
                }
                edges.push((p, u));
                if seen.insert(u) {
                    set.push(u);
                }
            }
        }
        if set.iter().all(|p| self.procs[p.index()].daemon) {
            return true;
        }
        set.sort_unstable();
        let fresh: Vec<Pid> = set.iter().copied().filter(|p| !self.deadlocked_now(*p)).collect();
        for p in &set {
            let wait = self.procs[p.index()].blocked().map_or(0, |b| b.seq);
            self.in_deadlock[p.index()] = wait;
        }
        flagged.extend(fresh.iter().copied());
        let cycle = find_cycle(start, &edges);
        let wait_of = |k: &Kernel, p: &Pid| {
            let b = k.procs[p.index()].blocked();
            (*p, b.map_or(WaitKind::Sleep, |b| b.wait.kind()), b.and_then(|b| b.obj))
        };
        // A set that grows an earlier deadlock is reported as that deadlock,
        // grown (a set with no member in one is a new deadlock: no search).
        let grows = fresh.len() < set.len();
        if let Some(r) = self
            .deadlocks
            .iter()
            .position(|d| grows && d.members.iter().any(|m| set.binary_search(m).is_ok()))
        {
            let waits: Vec<_> = fresh.iter().map(|p| wait_of(self, p)).collect();
            let d = &mut self.deadlocks[r];
            d.members.extend(fresh.iter().copied());
            d.members.sort_unstable();
            d.waits.extend(waits);
            d.waits.sort_by_key(|w| w.0);
            if d.cycle.is_empty() {
                d.cycle = cycle;
            }
            if !fresh.is_empty() {
                self.record(start, || EventKind::Deadlock { members: set });
            }
            return true;
        }
        let waits = set.iter().map(|p| wait_of(self, p)).collect();
        self.record(start, || EventKind::Deadlock { members: set.clone() });
        self.deadlocks.push(DeadlockReport {
            time: self.now,
            members: set,
            cycle,
            waits,
        });
        true
    }

    /// Looks for deadlocks among every process blocked for ever (at the end of a run).
    pub fn final_deadlock_check(&mut self) {
        for i in 0..self.procs.len() {
            let _ = self.check_deadlock_from(Pid(i as u32));
        }
    }

    /// How much the deadlock detector has looked at in this run: checks
    /// begun, capability holders and processes visited. A cost figure, not a
    /// time: the same run gives the same number everywhere, so a test can
    /// hold the detector to a bound (a queue of N waiters must not cost N
    /// checks at every end, nor N holders at every check).
    pub fn deadlock_work(&self) -> u64 {
        self.deadlock_work.get()
    }

    #[inline]
    fn count_deadlock_work(&self, n: u64) {
        self.deadlock_work.set(self.deadlock_work.get().wrapping_add(n));
    }

    /// Whether a process is in a detected deadlock now: found in one during
    /// the wait it is in (a member that a kill of another woke, or that was
    /// killed, is in none; [`Kernel::deadlocks`] keeps every report).
    pub fn is_deadlocked(&self, pid: Pid) -> bool {
        pid.index() < self.procs.len() && self.deadlocked_now(pid)
    }

    /// Whether `p` was found in a deadlock during the wait it is in now
    /// (a flag from an earlier wait, which a kill of another member ended,
    /// says nothing of this one).
    #[inline]
    pub(crate) fn deadlocked_now(&self, p: Pid) -> bool {
        let found = self.in_deadlock[p.index()];
        found != 0 && self.procs[p.index()].blocked().is_some_and(|b| b.seq == found)
    }
}

/// A cycle through the wait-for edges reachable from `start`, closed (first == last).
fn find_cycle(start: Pid, edges: &[(Pid, Pid)]) -> Vec<Pid> {
    // Depth-first search with an explicit path; edges are few (a deadlock's members).
    let succ = |p: Pid| edges.iter().filter(move |(a, _)| *a == p).map(|(_, b)| *b);
    let mut path = vec![start];
    let mut iters: Vec<Vec<Pid>> = vec![succ(start).collect()];
    let mut done = BTreeSet::new();
    while let Some(top) = iters.last_mut() {
        match top.pop() {
            Some(n) => {
                if let Some(pos) = path.iter().position(|x| *x == n) {
                    let mut c = path[pos..].to_vec();
                    c.push(n);
                    return c;
                }
                if done.contains(&n) {
                    continue;
                }
                path.push(n);
                iters.push(succ(n).collect());
            }
            None => {
                iters.pop();
                if let Some(p) = path.pop() {
                    done.insert(p);
                }
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_two_cycle() {
        let (a, b, c) = (Pid(0), Pid(1), Pid(2));
        assert_eq!(find_cycle(a, &[(a, b), (b, a)]), vec![a, b, a]);
        assert_eq!(find_cycle(c, &[(c, a), (a, b), (b, a)]), vec![a, b, a]);
        assert!(find_cycle(a, &[(a, b)]).is_empty());
    }
}
