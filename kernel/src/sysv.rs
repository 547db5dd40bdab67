//! System V keyed objects: `ipc_perm` checks, `msgget`/`semget`/`shmget`, and removal.
//!
//! Permission is checked once, when an object is opened by key, exactly as
//! Linux's `ipcperms` does: owner or creator uid picks the owner bits, else the
//! owner or creator group picks the group bits, else the other bits; uid 0
//! passes with every right. The capability handed out carries the rights those
//! bits grant; from then on the capability alone decides.

use crate::kernel::{perm_for, Kernel};
use crate::object::{Body, ObjectOptions};
use crate::syscall::{GetFlags, IpcPerm};
use crate::{CapId, Error, KResult, ObjectKind, Pid, Ret, Rights};

/// The rights an `ipc_perm` grants a process with this uid and gid.
pub fn ipc_rights(kind: ObjectKind, perm: &IpcPerm, uid: u32, gid: u32) -> Rights {
    if uid == 0 {
        return kind.rights();
    }
    let bits = if uid == perm.uid {
        perm.mode >> 6
    } else if gid == perm.gid {
        perm.mode >> 3
    } else {
        perm.mode
    } & 7;
    let mut r = Rights::empty();
    if bits & 4 != 0 {
        r |= kind.read_rights();
    }
    if bits & 2 != 0 {
        r |= kind.write_rights();
    }
    r
}

/// The key that names no object: every get with it makes a new one (Linux `IPC_PRIVATE`).
pub const IPC_PRIVATE: i64 = 0;

/// Whether a process with `uid` and `gid` passes Linux's `ipcperms` for the
/// bits `asked` (any of a mode's three classes): every bit asked must be in
/// the class of `perm` that applies to it. uid 0 passes.
pub fn ipc_allows(perm: &IpcPerm, uid: u32, gid: u32, asked: u32) -> bool {
    if uid == 0 {
        return true;
    }
    let want = (asked >> 6 | asked >> 3 | asked) & 7;
    let granted = if uid == perm.uid {
        perm.mode >> 6
    } else if gid == perm.gid {
        perm.mode >> 3
    } else {
        perm.mode
    } & 7;
    want & !granted == 0
}

impl Kernel {
    /// `msgget`, `semget`, `shmget`: the object a key names (its mode's bits
    /// checked only if the caller asked for some), or a new one.
    pub(crate) fn sys_get(&mut self, pid: Pid, kind: ObjectKind, key: i64, flags: GetFlags, size: u64) -> KResult<Ret> {
        if !matches!(kind, ObjectKind::MsgQueue | ObjectKind::Semaphore | ObjectKind::Shm) {
            return Err(Error::InvalidArgument);
        }
        let (uid, gid) = {
            let p = &self.procs[pid.index()];
            (p.uid, p.gid)
        };
        let existing = if key == IPC_PRIVATE {
            None
        } else {
            self.keys.get(&(self.procs[pid.index()].host, kind, key)).copied()
        };
        if let Some(obj) = existing {
            if flags.create && flags.exclusive {
                return Err(Error::Exists);
            }
            let o = self.objs.get(obj.0).ok_or(Error::NotFound)?;
            let perm = o.perm.unwrap_or(IpcPerm {
                uid: 1000,
                gid: 1000,
                mode: 0o600,
            });
            match &o.body {
                Body::Shm { mem, .. } if size > mem.len() as u64 => return Err(Error::InvalidArgument),
                // Linux semget: asking an existing set for more semaphores than it has.
                Body::Semaphore { others, .. } if flags.nsems as usize > others.len() + 1 => {
                    return Err(Error::InvalidArgument)
                }
                _ => {}
            }
            if flags.mode_asked && !ipc_allows(&perm, uid, gid, flags.mode) {
                return Err(Error::PermissionDenied);
            }
            // What the mode grants this process, possibly nothing: then the
            // first operation fails PermissionDenied (Linux: msgget(key, 0)
            // succeeds, and msgrcv fails EACCES).
            let rights = ipc_rights(kind, &perm, uid, gid);
            return self.new_cap(Some(pid), obj, rights, 0, None).map(Ret::Cap);
        }
        if !flags.create && key != IPC_PRIVATE {
            return Err(Error::NotFound);
        }
        let perm = perm_for(&self.procs[pid.index()], flags.mode);
        let mut opts = ObjectOptions {
            key: (key != IPC_PRIVATE).then_some(key),
            perm: Some(perm),
            host: self.procs[pid.index()].host,
            ..Default::default()
        };
        match kind {
            ObjectKind::Semaphore => {
                opts.value = size;
                opts.nsems = flags.nsems;
            }
            ObjectKind::Shm => opts.size = Some(size),
            _ => {}
        }
        let label = if key == IPC_PRIVATE {
            format!("{}:private", kind.name())
        } else {
            format!("{}:{key:#x}", kind.name())
        };
        let obj = self.create_object(kind, &label, &opts)?;
        // The creator gets what the mode grants it (Linux: the creator passes the
        // check with the mode it asked for); uid 0 gets every right.
        let rights = ipc_rights(kind, &perm, uid, gid);
        self.new_cap(Some(pid), obj, rights, 0, None).map(Ret::Cap)
    }

    /// `msgctl remove`, `shmctl remove`, semaphore removal: decided by
    /// ownership, as Linux's `IPC_RMID` (the owner, the creator or uid 0;
    /// the owner is the creator here, since nothing changes an owner), not
    /// by a right. The key is freed at once.
    /// `IPC_RMID` and `IPC_SET` are decided by ownership: the owner (for a
    /// declared object its `owner`, else its creator) or uid 0.
    pub(crate) fn owner_or_root(&self, pid: Pid, obj: crate::ObjId) -> KResult<()> {
        let o = self.objs.get(obj.0).ok_or(Error::InvalidCap)?;
        let owner = o.perm.map_or(1000, |p| p.uid);
        let uid = self.procs[pid.index()].uid;
        if uid != 0 && uid != owner {
            return Err(Error::PermissionDenied);
        }
        Ok(())
    }

    pub(crate) fn sys_remove(&mut self, pid: Pid, cap: CapId) -> KResult<Ret> {
        let obj = self.lookup(pid, cap, Rights::empty())?.obj;
        let o = self.objs.get(obj.0).ok_or(Error::InvalidCap)?;
        let kind = o.kind;
        if !matches!(kind, ObjectKind::MsgQueue | ObjectKind::Shm | ObjectKind::Semaphore) {
            return Err(Error::InvalidArgument);
        }
        self.owner_or_root(pid, obj)?;
        if kind == ObjectKind::Shm {
            // The memory lives until the last detach; only the key goes now.
            if let Some(o) = self.objs.get_mut(obj.0) {
                if let Some(k) = o.key.take() {
                    self.keys.remove(&(o.host, kind, k));
                }
                if let Body::Shm { removed, attached, .. } = &mut o.body {
                    *removed = true;
                    if *attached == 0 {
                        self.destroy_object(pid, obj);
                    }
                }
            }
            return Ok(Ret::Unit);
        }
        self.destroy_object(pid, obj);
        Ok(Ret::Unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perm(uid: u32, gid: u32, mode: u32) -> IpcPerm {
        IpcPerm { uid, gid, mode }
    }

    #[test]
    fn owner_group_other_bits() {
        let p = perm(1000, 500, 0o640);
        assert_eq!(
            ipc_rights(ObjectKind::MsgQueue, &p, 1000, 1),
            Rights::SEND | Rights::RECV
        );
        assert_eq!(ipc_rights(ObjectKind::MsgQueue, &p, 7, 500), Rights::RECV);
        assert_eq!(ipc_rights(ObjectKind::MsgQueue, &p, 7, 7), Rights::empty());
        assert_eq!(
            ipc_rights(ObjectKind::MsgQueue, &p, 0, 0),
            ObjectKind::MsgQueue.rights()
        );
    }

    #[test]
    fn owner_bits_win_even_when_they_grant_less() {
        // Linux checks the owner class first and stops there.
        let p = perm(1000, 1000, 0o060);
        assert_eq!(ipc_rights(ObjectKind::Shm, &p, 1000, 1000), Rights::empty());
        assert_eq!(ipc_rights(ObjectKind::Shm, &p, 5, 1000), Rights::READ | Rights::WRITE);
    }
}
