//! Shared memory segments: attach at a per-process base address, store and
//! load by offset, poke and peek by address.
//!
//! Each process maps a segment at a base of its own (deterministic, and
//! different from every other process's), so an address stored by one process
//! means nothing in another. Accesses copy nothing through the kernel (0 copies
//! counted), and each one is a system call boundary the scheduler may preempt at.

use crate::kernel::Kernel;
use crate::object::Body;
use crate::process::Mapping;
use crate::{CapId, Data, Error, KResult, ObjId, ObjectKind, Pid, Ret, Rights};

pub(crate) const PAGE: u64 = 4096;
/// Where the first mapping of a process goes, above its pid's slice of addresses.
const MAP_START: u64 = 0x1000_0000;

fn memory_bytes(d: &Data) -> Vec<u8> {
    match d {
        Data::Int(i) => i.to_le_bytes().to_vec(),
        other => other.to_stream_bytes(),
    }
}

fn bytes_data(b: &[u8]) -> Data {
    Data::Str(String::from_utf8_lossy(b).into_owned().into())
}

impl Kernel {
    pub(crate) fn sys_attach(&mut self, pid: Pid, cap: CapId, readonly: bool) -> KResult<Ret> {
        let need = if readonly {
            Rights::READ
        } else {
            Rights::READ | Rights::WRITE
        };
        let obj = self.lookup(pid, cap, need)?.obj;
        let Some(Body::Shm { mem, attached, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) else {
            return Err(Error::InvalidArgument);
        };
        let size = mem.len() as u64;
        *attached += 1;
        let p = &mut self.procs[pid.index()];
        let base = ((u64::from(pid.0) + 1) << 32) + MAP_START + p.next_map_offset;
        p.next_map_offset += size.div_ceil(PAGE) * PAGE + PAGE;
        p.maps.push(Mapping {
            obj,
            base,
            size,
            readonly,
            private: None,
            cap,
        });
        Ok(Ret::Int(base as i64))
    }

    pub(crate) fn sys_detach(&mut self, pid: Pid, cap: CapId) -> KResult<Ret> {
        let obj = self.lookup(pid, cap, Rights::empty())?.obj;
        let i = self.mapping_of(pid, obj, cap).map_err(|_| Error::InvalidArgument)?;
        let m = self.procs[pid.index()].maps.remove(i);
        self.unmap(pid, m);
        Ok(Ret::Unit)
    }

    /// A mapping went away: its private copy's memory is given back, and a
    /// removed segment dies with its last mapping.
    pub(crate) fn unmap(&mut self, pid: Pid, m: Mapping) {
        let obj = m.obj;
        if let Some(copy) = &m.private {
            self.release(copy.len() as u64);
        }
        let gone = match self.objs.get_mut(obj.0).map(|o| &mut o.body) {
            Some(Body::Shm { attached, removed, .. }) => {
                *attached = attached.saturating_sub(1);
                *removed && *attached == 0
            }
            _ => false,
        };
        if gone {
            self.destroy_object(pid, obj);
        }
    }

    /// Index of this process's mapping made through `cap`, else of any mapping of `obj`.
    fn mapping_of(&self, pid: Pid, obj: ObjId, cap: CapId) -> KResult<usize> {
        let maps = &self.procs[pid.index()].maps;
        maps.iter()
            .position(|m| m.cap == cap)
            .or_else(|| maps.iter().position(|m| m.obj == obj))
            .ok_or(Error::SegFault)
    }

    /// The mapping holding `[addr, addr+len)`: its index, the offset, whether read-only.
    fn mapping_at(&self, pid: Pid, addr: i64, len: u64) -> KResult<(usize, u64, bool)> {
        let addr = u64::try_from(addr).map_err(|_| Error::SegFault)?;
        let maps = &self.procs[pid.index()].maps;
        let i = maps
            .iter()
            .position(|m| addr >= m.base && addr.checked_add(len).is_some_and(|end| end <= m.base + m.size))
            .ok_or(Error::SegFault)?;
        Ok((i, addr - maps[i].base, maps[i].readonly))
    }

    /// Writes through mapping `i` of `pid`: into a segment, a shared file (which
    /// grows as needed up to the mapping's size), or a private copy.
    fn mem_write(&mut self, pid: Pid, i: usize, off: u64, bytes: &[u8]) -> KResult<()> {
        let m = &mut self.procs[pid.index()].maps[i];
        let end = off.checked_add(bytes.len() as u64).ok_or(Error::SegFault)?;
        if end > m.size {
            return Err(Error::SegFault);
        }
        let (obj, (off, end)) = (m.obj, (off as usize, end as usize));
        if let Some(copy) = m.private.as_mut() {
            copy[off..end].copy_from_slice(bytes);
        } else {
            match self.objs.get_mut(obj.0).map(|o| &mut o.body) {
                Some(Body::Shm { mem, .. }) => mem.get_mut(off..end).ok_or(Error::SegFault)?.copy_from_slice(bytes),
                Some(Body::File { contents }) => {
                    if contents.len() < end {
                        contents.resize(end, 0);
                    }
                    contents[off..end].copy_from_slice(bytes);
                }
                _ => return Err(Error::SegFault),
            }
        }
        self.stats.count(ObjectKind::Shm, bytes.len(), 0);
        Ok(())
    }

    /// Reads through mapping `i` of `pid` (a file reads zeros past its end,
    /// within the mapping): bytes as a string, or with `int` 8 bytes as a
    /// little-endian integer (what `store` of an integer wrote).
    fn mem_read(&mut self, pid: Pid, i: usize, off: u64, len: u64, int: bool) -> KResult<Ret> {
        let m = &self.procs[pid.index()].maps[i];
        let obj = m.obj;
        let end = off.checked_add(len).ok_or(Error::SegFault)?;
        if end > m.size {
            return Err(Error::SegFault);
        }
        let (off, end) = (off as usize, end as usize);
        let decode = |b: &[u8]| match <[u8; 8]>::try_from(b) {
            Ok(w) if int => Data::Int(i64::from_le_bytes(w)),
            _ => bytes_data(b),
        };
        let out = if let Some(copy) = &m.private {
            decode(&copy[off..end])
        } else {
            match self.objs.get(m.obj.0).map(|o| &o.body) {
                Some(Body::Shm { mem, .. }) => decode(mem.get(off..end).ok_or(Error::SegFault)?),
                Some(Body::File { contents }) => {
                    let mut v = vec![0u8; end - off];
                    for (k, b) in v.iter_mut().enumerate() {
                        *b = contents.get(off + k).copied().unwrap_or(0);
                    }
                    decode(&v)
                }
                _ => return Err(Error::SegFault),
            }
        };
        let poll = self.cfg.costs.poll_ticks;
        if poll > 0 {
            let p = &mut self.procs[pid.index()];
            p.compute_left = p.compute_left.saturating_add(poll);
        }
        self.record(pid, || crate::EventKind::Loaded { obj, data: out.clone() });
        Ok(Ret::Bytes(out))
    }

    pub(crate) fn sys_store(&mut self, pid: Pid, cap: CapId, offset: i64, data: &Data) -> KResult<Ret> {
        let n = self.lookup(pid, cap, Rights::empty())?;
        let obj = n.obj;
        // A segment needs the write right; a file mapping's writability was settled at mmap.
        if self.objs.get(obj.0).is_some_and(|o| o.kind == ObjectKind::Shm) && !n.rights.contains(Rights::WRITE) {
            return Err(Error::PermissionDenied);
        }
        let i = self.mapping_of(pid, obj, cap)?;
        if self.procs[pid.index()].maps[i].readonly {
            return Err(Error::SegFault);
        }
        let off = u64::try_from(offset).map_err(|_| Error::SegFault)?;
        self.mem_write(pid, i, off, &memory_bytes(data))?;
        Ok(Ret::Unit)
    }

    pub(crate) fn sys_load(&mut self, pid: Pid, cap: CapId, offset: i64, len: i64) -> KResult<Ret> {
        self.sys_load_as(pid, cap, offset, len, false)
    }

    /// `load`, of bytes or (`int`) of an 8-byte integer.
    pub(crate) fn sys_load_as(&mut self, pid: Pid, cap: CapId, offset: i64, len: i64, int: bool) -> KResult<Ret> {
        let obj = self.lookup(pid, cap, Rights::READ)?.obj;
        let i = self.mapping_of(pid, obj, cap)?;
        let off = u64::try_from(offset).map_err(|_| Error::SegFault)?;
        let len = u64::try_from(len).map_err(|_| Error::InvalidArgument)?;
        self.mem_read(pid, i, off, len, int)
    }

    pub(crate) fn sys_poke(&mut self, pid: Pid, addr: i64, data: &Data) -> KResult<Ret> {
        let bytes = memory_bytes(data);
        let (i, off, readonly) = self.mapping_at(pid, addr, bytes.len() as u64)?;
        if readonly {
            return Err(Error::SegFault);
        }
        self.mem_write(pid, i, off, &bytes)?;
        Ok(Ret::Unit)
    }

    pub(crate) fn sys_peek(&mut self, pid: Pid, addr: i64, len: i64) -> KResult<Ret> {
        self.sys_peek_as(pid, addr, len, false)
    }

    /// `peek`, of bytes or (`int`) of an 8-byte integer.
    pub(crate) fn sys_peek_as(&mut self, pid: Pid, addr: i64, len: i64, int: bool) -> KResult<Ret> {
        let len = u64::try_from(len).map_err(|_| Error::InvalidArgument)?;
        let (i, off, _) = self.mapping_at(pid, addr, len)?;
        self.mem_read(pid, i, off, len, int)
    }

    /// `mmap`: a file by path (its owner and mode checked) or by capability,
    /// shared (writes reach the file) or private (copy on write). Returns the
    /// capability the mapping goes by.
    pub(crate) fn sys_mmap(&mut self, pid: Pid, path: Option<&str>, cap: Option<CapId>, shared: bool) -> KResult<Ret> {
        let (obj, rights) = match (path, cap) {
            (Some(p), _) => {
                let host = self.procs[pid.index()].host;
                let obj = match self.fs.get(&(host, p.to_string())) {
                    Some(crate::kernel::FsNode::File(o)) => *o,
                    Some(_) => return Err(Error::InvalidArgument),
                    None => return Err(Error::NotFound),
                };
                let o = self.objs.get(obj.0).ok_or(Error::NotFound)?;
                let perm = o.perm.unwrap_or(crate::syscall::IpcPerm {
                    uid: 1000,
                    gid: 1000,
                    mode: 0o644,
                });
                let me = &self.procs[pid.index()];
                (obj, crate::sysv::ipc_rights(ObjectKind::File, &perm, me.uid, me.gid))
            }
            (None, Some(c)) => {
                let n = self.lookup(pid, c, Rights::empty())?;
                (n.obj, n.rights)
            }
            (None, None) => return Err(Error::InvalidArgument),
        };
        let Some(Body::File { contents }) = self.objs.get(obj.0).map(|o| &o.body) else {
            return Err(Error::InvalidArgument);
        };
        if !rights.contains(Rights::READ) {
            return Err(Error::PermissionDenied);
        }
        let size = crate::budget::page_round(contents.len() as u64);
        let private = (!shared).then(|| {
            let mut v = contents.clone();
            v.resize(size as usize, 0);
            v
        });
        // A private mapping may always be written (its own copy); a shared one needs write access.
        let readonly = shared && !rights.contains(Rights::WRITE);
        let copy = if shared { 0 } else { size };
        self.reserve(copy)?;
        let new = match self.new_cap(Some(pid), obj, rights, 0, cap) {
            Ok(c) => c,
            Err(e) => {
                self.release(copy);
                return Err(e);
            }
        };
        let p = &mut self.procs[pid.index()];
        let base = ((u64::from(pid.0) + 1) << 32) + MAP_START + p.next_map_offset;
        p.next_map_offset += size + PAGE;
        p.maps.push(Mapping {
            obj,
            base,
            size,
            readonly,
            private,
            cap: new,
        });
        Ok(Ret::Cap(new))
    }

    /// `msync`: shared writes already reach the file at once here, so it only checks the mapping.
    pub(crate) fn sys_msync(&mut self, pid: Pid, cap: CapId) -> KResult<Ret> {
        let obj = self.lookup(pid, cap, Rights::empty())?.obj;
        self.mapping_of(pid, obj, cap).map_err(|_| Error::InvalidArgument)?;
        Ok(Ret::Unit)
    }
}
