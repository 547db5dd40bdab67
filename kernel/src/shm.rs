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

const PAGE: u64 = 4096;
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
        });
        Ok(Ret::Int(base as i64))
    }

    pub(crate) fn sys_detach(&mut self, pid: Pid, cap: CapId) -> KResult<Ret> {
        let obj = self.lookup(pid, cap, Rights::empty())?.obj;
        let maps = &mut self.procs[pid.index()].maps;
        let i = maps.iter().position(|m| m.obj == obj).ok_or(Error::InvalidArgument)?;
        maps.remove(i);
        self.unmap(pid, obj);
        Ok(Ret::Unit)
    }

    /// One mapping of `obj` went away: a removed segment dies with its last mapping.
    pub(crate) fn unmap(&mut self, pid: Pid, obj: ObjId) {
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

    fn mapping_of(&self, pid: Pid, obj: ObjId) -> KResult<&Mapping> {
        self.procs[pid.index()]
            .maps
            .iter()
            .find(|m| m.obj == obj)
            .ok_or(Error::SegFault)
    }

    fn mapping_at(&self, pid: Pid, addr: i64, len: u64) -> KResult<(ObjId, u64, bool)> {
        let addr = u64::try_from(addr).map_err(|_| Error::SegFault)?;
        let m = self.procs[pid.index()]
            .maps
            .iter()
            .find(|m| addr >= m.base && addr.checked_add(len).is_some_and(|end| end <= m.base + m.size))
            .ok_or(Error::SegFault)?;
        Ok((m.obj, addr - m.base, m.readonly))
    }

    fn mem_write(&mut self, obj: ObjId, off: u64, bytes: &[u8]) -> KResult<()> {
        let Some(Body::Shm { mem, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) else {
            return Err(Error::SegFault);
        };
        let end = (off as usize).checked_add(bytes.len()).ok_or(Error::SegFault)?;
        let dst = mem.get_mut(off as usize..end).ok_or(Error::SegFault)?;
        dst.copy_from_slice(bytes);
        self.stats.count(ObjectKind::Shm, bytes.len(), 0);
        Ok(())
    }

    fn mem_read(&mut self, pid: Pid, obj: ObjId, off: u64, len: u64) -> KResult<Ret> {
        let Some(Body::Shm { mem, .. }) = self.objs.get(obj.0).map(|o| &o.body) else {
            return Err(Error::SegFault);
        };
        let end = off.checked_add(len).ok_or(Error::SegFault)?;
        let src = mem.get(off as usize..end as usize).ok_or(Error::SegFault)?;
        let out = bytes_data(src);
        let poll = self.cfg.costs.poll_ticks;
        if poll > 0 {
            self.procs[pid.index()].compute_left += poll;
        }
        Ok(Ret::Bytes(out))
    }

    pub(crate) fn sys_store(&mut self, pid: Pid, cap: CapId, offset: i64, data: &Data) -> KResult<Ret> {
        let obj = self.lookup(pid, cap, Rights::WRITE)?.obj;
        let m = self.mapping_of(pid, obj)?;
        if m.readonly {
            return Err(Error::SegFault);
        }
        let off = u64::try_from(offset).map_err(|_| Error::SegFault)?;
        self.mem_write(obj, off, &memory_bytes(data))?;
        Ok(Ret::Unit)
    }

    pub(crate) fn sys_load(&mut self, pid: Pid, cap: CapId, offset: i64, len: i64) -> KResult<Ret> {
        let obj = self.lookup(pid, cap, Rights::READ)?.obj;
        self.mapping_of(pid, obj)?;
        let off = u64::try_from(offset).map_err(|_| Error::SegFault)?;
        let len = u64::try_from(len).map_err(|_| Error::InvalidArgument)?;
        self.mem_read(pid, obj, off, len)
    }

    pub(crate) fn sys_poke(&mut self, pid: Pid, addr: i64, data: &Data) -> KResult<Ret> {
        let bytes = memory_bytes(data);
        let (obj, off, readonly) = self.mapping_at(pid, addr, bytes.len() as u64)?;
        if readonly {
            return Err(Error::SegFault);
        }
        self.mem_write(obj, off, &bytes)?;
        Ok(Ret::Unit)
    }

    pub(crate) fn sys_peek(&mut self, pid: Pid, addr: i64, len: i64) -> KResult<Ret> {
        let len = u64::try_from(len).map_err(|_| Error::InvalidArgument)?;
        let (obj, off, _) = self.mapping_at(pid, addr, len)?;
        self.mem_read(pid, obj, off, len)
    }
}
