//! Capabilities: the derivation tree, and the system calls that copy, derive,
//! delete and revoke them.
//!
//! Invariants: a child never has a right its parent lacks; every live node is
//! listed in its object's `holders` and (if owned) its owner's `caps`; the
//! object's per-right counts match its holders; revoking deletes every
//! descendant, wherever it is.

use crate::kernel::{Flow, Kernel};
use crate::object::Body;
use crate::{CapId, Error, KResult, ObjId, Pid, Ret, Rights};

/// One capability: object, rights, badge, owner, and place in the derivation tree.
#[derive(Clone, Debug)]
pub(crate) struct CapNode {
    pub obj: ObjId,
    pub rights: Rights,
    pub badge: u64,
    /// None while the capability travels inside a message.
    pub owner: Option<Pid>,
    pub parent: Option<CapId>,
    pub children: Vec<CapId>,
    /// Position in the object's holders list.
    pub holder_index: u32,
}

impl Kernel {
    pub(crate) fn new_cap(
        &mut self,
        owner: Option<Pid>,
        obj: ObjId,
        rights: Rights,
        badge: u64,
        parent: Option<CapId>,
    ) -> KResult<CapId> {
        if let Some(pid) = owner {
            if self.procs[pid.index()].caps.len() >= self.cfg.limits.caps_per_process_max {
                return Err(Error::LimitReached);
            }
        }
        let o = self.objs.get_mut(obj.0).ok_or(Error::InvalidCap)?;
        let holder_index = o.holders.len() as u32;
        let id = CapId(self.caps.insert(CapNode {
            obj,
            rights,
            badge,
            owner,
            parent,
            children: Vec::new(),
            holder_index,
        }));
        o.holders.push(id);
        for (i, c) in o.right_counts.iter_mut().enumerate() {
            if rights.bits() & (1 << i) != 0 {
                *c += 1;
            }
        }
        if let Some(p) = parent {
            if let Some(pn) = self.caps.get_mut(p.0) {
                pn.children.push(id);
            }
        }
        if let Some(pid) = owner {
            self.procs[pid.index()].caps.push(id);
        }
        Ok(id)
    }

    /// The capability `cap` of `pid`, if it is live, owned by `pid`, and has `need`.
    pub(crate) fn lookup(&self, pid: Pid, cap: CapId, need: Rights) -> KResult<&CapNode> {
        let n = self.caps.get(cap.0).ok_or(Error::InvalidCap)?;
        if n.owner != Some(pid) {
            return Err(Error::InvalidCap);
        }
        if !n.rights.contains(need) {
            return Err(Error::PermissionDenied);
        }
        Ok(n)
    }

    /// Copies a capability (same rights and badge) as a child of it, for `owner`
    /// (None: in transit inside a message).
    pub(crate) fn copy_cap(&mut self, cap: CapId, owner: Option<Pid>) -> KResult<CapId> {
        let n = self.caps.get(cap.0).ok_or(Error::InvalidCap)?;
        let (obj, rights, badge) = (n.obj, n.rights, n.badge);
        self.new_cap(owner, obj, rights, badge, Some(cap))
    }

    /// Hands a capability in transit to its receiver.
    pub(crate) fn adopt(&mut self, cap: CapId, pid: Pid) -> Option<CapId> {
        let n = self.caps.get_mut(cap.0)?;
        n.owner = Some(pid);
        self.procs[pid.index()].caps.push(cap);
        Some(cap)
    }

    pub(crate) fn sys_derive(
        &mut self,
        pid: Pid,
        cap: CapId,
        rights: Option<Rights>,
        badge: Option<u64>,
    ) -> KResult<Ret> {
        let n = self.lookup(pid, cap, Rights::empty())?;
        let want = rights.unwrap_or(n.rights);
        if !n.rights.contains(want) {
            return Err(Error::PermissionDenied);
        }
        // A badge, once set, is the server's proof of who calls: a child of a
        // badged capability keeps it (seL4: a badged capability cannot be
        // minted with another badge). Asking for the same badge changes nothing.
        if let Some(b) = badge {
            if n.badge != 0 && b != n.badge {
                return Err(Error::PermissionDenied);
            }
        }
        let (obj, b) = (n.obj, badge.unwrap_or(n.badge));
        self.new_cap(Some(pid), obj, want, b, Some(cap)).map(Ret::Cap)
    }

    pub(crate) fn sys_delete(&mut self, pid: Pid, cap: CapId) -> KResult<Ret> {
        let n = self.lookup(pid, cap, Rights::empty())?;
        let (obj, rights) = (n.obj, n.rights);
        self.delete_cap(cap);
        self.recheck_waiters(obj, rights);
        Ok(Ret::Unit)
    }

    pub(crate) fn sys_revoke(&mut self, pid: Pid, cap: CapId) -> KResult<Ret> {
        let n = self.lookup(pid, cap, Rights::empty())?;
        let (obj, rights) = (n.obj, n.rights);
        self.revoke_cap(cap);
        // What was derived from the capability has at most its rights.
        self.recheck_waiters(obj, rights);
        Ok(Ret::Unit)
    }

    /// Capabilities with at most `rights` on `obj` went away: the waiters
    /// they could have unblocked may now be deadlocked (only those: a queue
    /// of N waiters whose wait needs another right lost nothing).
    fn recheck_waiters(&mut self, obj: ObjId, rights: Rights) {
        let mut waiters = Vec::new();
        self.waiters_for(obj, rights, &mut waiters);
        for w in waiters {
            self.check_deadlock_around(w);
        }
    }

    /// Deletes every descendant of `cap` (not `cap` itself).
    pub(crate) fn revoke_cap(&mut self, cap: CapId) {
        let mut stack: Vec<CapId> = self.caps.get(cap.0).map(|n| n.children.clone()).unwrap_or_default();
        let mut doomed = Vec::new();
        while let Some(c) = stack.pop() {
            if let Some(n) = self.caps.get(c.0) {
                stack.extend(n.children.iter().copied());
                doomed.push(c);
            }
        }
        // Children first, so no node is re-parented onto one about to go.
        for c in doomed.into_iter().rev() {
            self.delete_cap(c);
        }
    }

    /// Deletes one capability: its children move to its parent; a process blocked
    /// through it wakes with ObjectGone; the object learns one holder fewer.
    pub(crate) fn delete_cap(&mut self, cap: CapId) {
        let Some(node) = self.caps.remove(cap.0) else {
            return;
        };
        if let Some(p) = node.parent {
            if let Some(pn) = self.caps.get_mut(p.0) {
                pn.children.retain(|c| *c != cap);
                pn.children.extend(node.children.iter().copied());
            }
        }
        for c in &node.children {
            if let Some(cn) = self.caps.get_mut(c.0) {
                cn.parent = node.parent;
            }
        }
        if let Some(owner) = node.owner {
            let list = &mut self.procs[owner.index()].caps;
            if let Some(i) = list.iter().rposition(|c| *c == cap) {
                list.swap_remove(i);
            }
            let through = self.procs[owner.index()].blocked().and_then(|b| b.through);
            if through == Some(cap) {
                self.wake(owner, Err(Error::ObjectGone));
            }
        }
        let Some(o) = self.objs.get_mut(node.obj.0) else {
            return;
        };
        let idx = node.holder_index as usize;
        o.holders.swap_remove(idx);
        if let Some(moved) = o.holders.get(idx).copied() {
            if let Some(mn) = self.caps.get_mut(moved.0) {
                mn.holder_index = idx as u32;
            }
        }
        for (i, c) in o.right_counts.iter_mut().enumerate() {
            if node.rights.bits() & (1 << i) != 0 {
                *c -= 1;
            }
        }
        let pipe = matches!(o.body, Body::Pipe { .. });
        let last_to_socket = matches!(o.body, Body::Socket(_)) && o.holders.is_empty();
        if pipe {
            self.pipe_ends_changed(node.obj);
        }
        // The last capability to a socket: its end shuts down, and it goes.
        if last_to_socket {
            let by = node.owner.unwrap_or(crate::net::NET_PID);
            self.destroy_object(by, node.obj);
        }
    }

    /// Deletes a capability that never reached anyone (a message that was not delivered).
    pub(crate) fn drop_cap_silently(&mut self, cap: CapId) {
        self.delete_cap(cap);
    }

    /// Takes the optional capability to pass with a message: needs `grant` on the
    /// capability sent through; returns an in-transit copy.
    pub(crate) fn prepare_transfer(
        &mut self,
        pid: Pid,
        through_rights: Rights,
        pass: Option<CapId>,
    ) -> KResult<Option<CapId>> {
        let Some(c) = pass else { return Ok(None) };
        if !through_rights.contains(Rights::GRANT) {
            return Err(Error::PermissionDenied);
        }
        self.lookup(pid, c, Rights::empty())?;
        self.copy_cap(c, None).map(Some)
    }

    pub(crate) fn sys_destroy(&mut self, pid: Pid, cap: CapId) -> KResult<Ret> {
        let n = self.lookup(pid, cap, Rights::empty())?;
        let obj = n.obj;
        let kind = self.objs.get(obj.0).ok_or(Error::InvalidCap)?.kind;
        if !n.rights.contains(kind.rights()) {
            return Err(Error::PermissionDenied);
        }
        self.destroy_object(pid, obj);
        Ok(Ret::Unit)
    }

    /// Destroys an object: waiters wake with ObjectGone, queued messages are
    /// reported as discarded, every capability to it is deleted.
    pub(crate) fn destroy_object(&mut self, by: Pid, obj: ObjId) {
        if matches!(self.objs.get(obj.0).map(|o| &o.body), Some(Body::Socket(_))) {
            self.socket_end(obj, by);
        }
        let Some(mut o) = self.objs.remove(obj.0) else {
            return;
        };
        self.open_objs.remove(&obj);
        self.gone_labels.insert(obj, std::mem::take(&mut o.label));
        self.release(crate::budget::reserved_bytes(&o.body));
        if let Some(k) = o.key {
            self.keys.remove(&(o.host, o.kind, k));
        }
        if let Body::Pipe { path: Some(p), .. } = &o.body {
            self.fs.remove(&(o.host, p.clone()));
        }
        let waiters = o.drain_waiters();
        let mut lost_caps = Vec::new();
        let mut lost_data = Vec::new();
        if let Body::Mailbox { buf, .. } | Body::MsgQueue { msgs: buf, .. } = &mut o.body {
            for (_, m) in buf.drain(..) {
                self.held.messages = self.held.messages.saturating_sub(1);
                self.held.bytes = self.held.bytes.saturating_sub(m.len_bytes() as u64);
                lost_caps.extend(m.cap);
                lost_data.push(m.data);
            }
        }
        if !lost_data.is_empty() {
            self.record(by, || crate::EventKind::Discarded { obj, data: lost_data });
        }
        for c in lost_caps {
            self.delete_cap(c);
        }
        for w in waiters {
            self.wake(w, Err(Error::ObjectGone));
        }
        for h in o.holders {
            self.delete_cap(h);
        }
    }

    /// Wraps a capability check that must come before a wait could fail it.
    pub(crate) fn need(&self, pid: Pid, cap: CapId, need: Rights) -> Result<(ObjId, Rights, u64), Flow> {
        match self.lookup(pid, cap, need) {
            Ok(n) => Ok((n.obj, n.rights, n.badge)),
            Err(e) => Err(Flow::Done(Err(e))),
        }
    }
}
