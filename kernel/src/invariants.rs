//! `check_invariants()`: the kernel's own consistency checks, which the
//! property tests call after every step.
//!
//! Each check states what must hold and what must not; the first violation is
//! returned as text naming the process or object.

use std::collections::BTreeMap;

use crate::kernel::Kernel;
use crate::object::Body;
use crate::process::{Carry, State, Wait};
use crate::{ObjId, Pid, Rights};

impl Kernel {
    /// Checks every invariant the kernel keeps; returns the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        // Ready queues: each entry is a ready, unstopped process of that priority, once.
        // (Each host's: the active host's are `ready`, the others' in their entries.)
        let mut in_ready = BTreeMap::new();
        let queues = std::iter::once((self.active_host, &self.ready)).chain(
            self.hosts
                .iter()
                .enumerate()
                .filter(|(h, _)| *h != self.active_host.index())
                .map(|(h, x)| (crate::HostId(h as u16), &x.ready)),
        );
        for (host, ready) in queues {
            let mut n = 0;
            for (prio, q) in ready.iter() {
                for pid in q {
                    let p = &self.procs[pid.index()];
                    if !matches!(p.state, State::Ready) || p.stopped || p.priority != prio || p.host != host {
                        return Err(format!("{} in ready queue {} but is {:?}", p.name, prio, p.state));
                    }
                    if in_ready.insert(*pid, ()).is_some() {
                        return Err(format!("{} twice in ready queues", p.name));
                    }
                    n += 1;
                }
            }
            if n != ready.len() {
                return Err(format!(
                    "{n} processes in ready queues but their count says {}",
                    ready.len()
                ));
            }
        }

        let mut in_wait: BTreeMap<Pid, u32> = BTreeMap::new();
        for (_, o) in self.objs.iter() {
            let queues: Vec<_> = match &o.body {
                Body::Endpoint { senders, receivers } => {
                    if !senders.is_empty() && !receivers.is_empty() {
                        return Err(format!("endpoint {} has queued senders and receivers at once", o.label));
                    }
                    vec![senders, receivers]
                }
                Body::Mailbox {
                    capacity,
                    buf,
                    senders,
                    receivers,
                } => {
                    if capacity.is_some_and(|c| buf.len() > c) {
                        return Err(format!("mailbox {} over capacity", o.label));
                    }
                    if !buf.is_empty() && !receivers.is_empty() {
                        return Err(format!("mailbox {} holds messages while receivers wait", o.label));
                    }
                    vec![senders, receivers]
                }
                Body::MsgQueue {
                    msgs,
                    bytes,
                    limit_bytes,
                    senders,
                    receivers,
                } => {
                    let sum: u64 = msgs.iter().map(|(_, m)| m.len_bytes() as u64).sum();
                    // The count may exceed the limit only after `msgctl set`
                    // lowered it (what is queued stays, as on Linux); the
                    // model test checks that each message fit when it went in.
                    if sum != *bytes {
                        return Err(format!(
                            "msgqueue {} byte count {} (sum {sum}, limit {limit_bytes} now)",
                            o.label, bytes
                        ));
                    }
                    vec![senders, receivers]
                }
                Body::Notification { word, waiters } => {
                    if *word != 0 && !waiters.is_empty() {
                        return Err(format!("notification {} has bits and waiters", o.label));
                    }
                    vec![waiters]
                }
                Body::Semaphore { waiters, .. } => {
                    if let Some(w) = waiters.iter().find(|w| self.semop_could_go(o, *w)) {
                        return Err(format!(
                            "semaphore {} keeps {w:?} waiting for what it could take",
                            o.label
                        ));
                    }
                    vec![waiters]
                }
                Body::Pipe {
                    buf,
                    capacity,
                    readers_waiting,
                    writers_waiting,
                    openers,
                    ..
                } => {
                    if buf.len() > *capacity {
                        return Err(format!("pipe {} over capacity", o.label));
                    }
                    vec![readers_waiting, writers_waiting, openers]
                }
                Body::Socket(s) => s.wait_queues().to_vec(),
                Body::Shm { .. } | Body::File { .. } => vec![],
            };
            for q in queues {
                for pid in q.iter() {
                    *in_wait.entry(pid).or_default() += 1;
                }
            }
            // Holders and right counts.
            let mut counts = [0u32; 8];
            for (i, h) in o.holders.iter().enumerate() {
                let Some(n) = self.caps.get(h.0) else {
                    return Err(format!("object {} lists a dead capability", o.label));
                };
                if n.holder_index as usize != i {
                    return Err(format!("capability holder index wrong on {}", o.label));
                }
                for (b, c) in counts.iter_mut().enumerate() {
                    if n.rights.bits() & (1 << b) != 0 {
                        *c += 1;
                    }
                }
            }
            if counts != o.right_counts {
                return Err(format!("right counts of {} are stale", o.label));
            }
        }
        for (i, p) in self.procs.iter().enumerate() {
            let pid = Pid(i as u32);
            let queued = in_wait.get(&pid).copied().unwrap_or(0);
            // A sender carries its message (or a writer its bytes) exactly while it waits to send.
            let sending = p.blocked().map(|b| b.wait);
            let carries_right = match &p.carry {
                Carry::Nothing => !matches!(
                    sending,
                    Some(Wait::Send { .. } | Wait::MsgSnd | Wait::PipeWrite { .. } | Wait::SockWrite)
                ),
                Carry::Msg(_) => matches!(sending, Some(Wait::Send { .. } | Wait::MsgSnd)),
                Carry::Bytes { .. } => matches!(sending, Some(Wait::PipeWrite { .. } | Wait::SockWrite)),
                Carry::SemOps { .. } => matches!(sending, Some(Wait::Semaphore | Wait::SemZero)),
            };
            if !carries_right {
                return Err(format!("{} carries {:?} while {:?}", p.name, p.carry, p.state));
            }
            match &p.state {
                State::Blocked(b) => {
                    let expects_queue =
                        b.obj.is_some() && !matches!(b.wait, Wait::Reply { .. } | Wait::Sleep | Wait::Child);
                    if expects_queue && queued != 1 {
                        return Err(format!("{} blocked on an object but in {queued} wait queues", p.name));
                    }
                    if !expects_queue && queued != 0 {
                        return Err(format!("{} in a wait queue it is not blocked in", p.name));
                    }
                    if in_ready.contains_key(&pid) || self.current == Some(pid) {
                        return Err(format!("{} blocked yet ready or running", p.name));
                    }
                    if let Wait::Reply { server, nonce } = b.wait {
                        let owed = self.procs[server.index()].reply_right == Some((pid, nonce));
                        if !owed {
                            return Err(format!("{} waits for a reply nobody owes it", p.name));
                        }
                    }
                }
                State::Ready => {
                    if queued != 0 {
                        return Err(format!("{} ready but in a wait queue", p.name));
                    }
                    if !p.stopped && !in_ready.contains_key(&pid) && self.current != Some(pid) {
                        return Err(format!("{} ready but in no ready queue", p.name));
                    }
                }
                State::Running => {
                    let holds_cpu = self.hosts.iter().any(|h| h.cpu == Some(pid));
                    if self.current != Some(pid) && !holds_cpu {
                        return Err(format!("{} running but not current", p.name));
                    }
                }
                State::Ended(_) => {
                    if queued != 0 || in_ready.contains_key(&pid) || !p.caps.is_empty() {
                        return Err(format!("{} ended but still queued or holding capabilities", p.name));
                    }
                }
            }
            for c in &p.caps {
                match self.caps.get(c.0) {
                    Some(n) if n.owner == Some(pid) => {
                        // Objects and capabilities never cross hosts.
                        if self.objs.get(n.obj.0).is_some_and(|o| o.host != p.host) {
                            return Err(format!("{} holds a capability to another host's object", p.name));
                        }
                    }
                    _ => return Err(format!("{} lists a capability it does not own", p.name)),
                }
            }
        }
        // Derivation never amplifies rights, and never changes a badge: a
        // capability's parent is unbadged (it was minted from it) or has its
        // badge (deletion re-parents to the grandparent, which keeps this true).
        for (_, n) in self.caps.iter() {
            if let Some(parent) = n.parent {
                if self
                    .caps
                    .get(parent.0)
                    .is_some_and(|pn| pn.badge != 0 && pn.badge != n.badge)
                {
                    return Err(format!(
                        "a capability badged {} descends from one badged otherwise",
                        n.badge
                    ));
                }
                match self.caps.get(parent.0) {
                    Some(pn) if pn.rights.contains(n.rights) || pn.rights == Rights::all() => {}
                    Some(_) => return Err("a derived capability has more rights than its parent".into()),
                    None => return Err("a capability's parent is gone but it was not re-parented".into()),
                }
            }
        }
        self.check_budget()
    }

    /// The memory budget counts exactly what objects reserve, what buffers
    /// hold and what private mappings copied (`budget.rs`).
    fn check_budget(&self) -> Result<(), String> {
        let mut want = crate::budget::Held::default();
        for (_, o) in self.objs.iter() {
            want.bytes += crate::budget::reserved_bytes(&o.body);
            if let Body::Mailbox { buf, .. } | Body::MsgQueue { msgs: buf, .. } = &o.body {
                want.messages += buf.len() as u64;
                want.bytes += buf.iter().map(|(_, m)| m.len_bytes() as u64).sum::<u64>();
            }
            // Datagrams queued at a socket count as buffered messages.
            if let Body::Socket(s) = &o.body {
                want.messages += s.dgrams.len() as u64;
                want.bytes += s.dgrams.iter().map(|d| d.data.len_bytes() as u64).sum::<u64>();
            }
        }
        // So do datagrams on their way.
        for (_, p) in self.net.packets.iter() {
            if let crate::net::Segment::Datagram { data, .. } = &p.seg {
                want.messages += 1;
                want.bytes += data.len_bytes() as u64;
            }
        }
        for p in &self.procs {
            want.bytes += p
                .maps
                .iter()
                .filter_map(|m| m.private.as_ref())
                .map(|c| c.len() as u64)
                .sum::<u64>();
        }
        if want != self.held {
            return Err(format!(
                "the memory budget counts {:?} but objects hold {want:?}",
                self.held
            ));
        }
        // The deadlock detector looks for open objects in `open_objs` only.
        for (h, o) in self.objs.iter() {
            if o.may_be_open() && !self.open_objs.contains(&ObjId(h)) {
                return Err(format!(
                    "{} may be opened without a capability but is not listed as open",
                    o.label
                ));
            }
        }
        Ok(())
    }
}
