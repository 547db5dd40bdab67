//! Pipes and named pipes (FIFOs): byte streams through a fixed-capacity buffer.
//!
//! Invariants: bytes keep their order; the buffer never holds more than its
//! capacity; a read waits only while the buffer is empty and a writer remains,
//! and returns "" (end of file) once none does; a write with no reader left
//! raises SIGPIPE and fails BrokenPipe. The ends are capabilities: the number
//! of live capabilities with `read` (`write`) is the number of readers (writers).

use crate::kernel::{perm_for, Flow, FsNode, Kernel};
use crate::object::{Body, ObjectOptions};
use crate::process::{Carry, Wait};
use crate::signal::Signal;
use crate::sysv::ipc_rights;
use crate::{CapId, Data, Error, KResult, ObjId, ObjectKind, Pid, Ret, Rights, Timeout};

fn bytes_data(b: Vec<u8>) -> Data {
    match String::from_utf8(b) {
        Ok(s) => Data::Str(s.into()),
        Err(e) => Data::Str(String::from_utf8_lossy(e.as_bytes()).into_owned().into()),
    }
}

/// POSIX `PIPE_BUF`: a write of at most this many bytes is atomic.
pub const PIPE_BUF: usize = 4096;

/// Whether a write of `len` bytes to a pipe of `capacity` goes in whole or
/// not at all: at most PIPE_BUF bytes, and no more than the pipe holds (a
/// Linux pipe holds at least PIPE_BUF; ipcsim's may hold less, and a write
/// bigger than the pipe can only go in part by part).
fn is_atomic(len: usize, capacity: usize) -> bool {
    len <= PIPE_BUF.min(capacity)
}

impl Kernel {
    fn pipe_counts(&self, obj: ObjId) -> (u32, u32) {
        self.objs
            .get(obj.0)
            .map_or((0, 0), |o| (o.count(Rights::READ), o.count(Rights::WRITE)))
    }

    pub(crate) fn sys_write(&mut self, pid: Pid, cap: CapId, data: Data, timeout: Timeout) -> Flow {
        let (obj, _, _) = match self.need(pid, cap, Rights::WRITE) {
            Ok(x) => x,
            Err(f) => return f,
        };
        let Some(Body::Pipe { buf, capacity, .. }) = self.objs.get(obj.0).map(|o| &o.body) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        let free = capacity - buf.len();
        let bytes = data.to_stream_bytes();
        if bytes.len() > self.cfg.limits.message_bytes_max {
            return Flow::Done(Err(Error::MessageTooLarge));
        }
        let (readers, _) = self.pipe_counts(obj);
        if readers == 0 {
            self.send_signal(None, pid, Signal::SIGPIPE);
            return Flow::Done(Err(Error::BrokenPipe));
        }
        let len = bytes.len();
        let atomic = is_atomic(len, self.pipe_capacity(obj));
        // A non-blocking write that does not fit: one of at most PIPE_BUF
        // bytes writes nothing; a larger one writes what fits and returns
        // the count (POSIX, Linux), or fails if nothing fits.
        if timeout.is_nowait() && len > free && (atomic || free == 0 || self.pipe_writers_waiting(obj)) {
            return Flow::Done(Err(Error::WouldBlock));
        }
        // Writers wait in order: one that finds others waiting queues behind them.
        let queued = self.pipe_writers_waiting(obj);
        self.stats.count(ObjectKind::Pipe, len, self.copies());
        self.charge_copy(pid, len, self.copies());
        let rest = if queued || (atomic && len > free) {
            bytes
        } else {
            let rest = self.pipe_fill(obj, bytes);
            self.pipe_pump(obj);
            rest
        };
        if rest.is_empty() {
            return Flow::Done(Ok(Ret::Int(len as i64)));
        }
        if timeout.is_nowait() {
            return Flow::Done(Ok(Ret::Int((len - rest.len()) as i64)));
        }
        let prio = self.procs[pid.index()].priority;
        if let Some(Body::Pipe { writers_waiting, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
            writers_waiting.push(prio, pid);
        }
        self.procs[pid.index()].carry = Carry::Bytes { rest, total: len };
        self.block(pid, Wait::PipeWrite { atomic }, Some(obj), Some(cap), timeout)
    }

    fn pipe_capacity(&self, obj: ObjId) -> usize {
        match self.objs.get(obj.0).map(|o| &o.body) {
            Some(Body::Pipe { capacity, .. }) => *capacity,
            _ => 0,
        }
    }

    fn pipe_writers_waiting(&self, obj: ObjId) -> bool {
        matches!(self.objs.get(obj.0).map(|o| &o.body), Some(Body::Pipe { writers_waiting, .. }) if !writers_waiting.is_empty())
    }

    /// Puts as many bytes as fit into the buffer; returns the rest.
    fn pipe_fill(&mut self, obj: ObjId, mut bytes: Vec<u8>) -> Vec<u8> {
        if let Some(Body::Pipe { buf, capacity, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
            let n = (*capacity - buf.len()).min(bytes.len());
            buf.extend(bytes.drain(..n));
        }
        bytes
    }

    /// Moves bytes along: blocked writers fill freed room, waiting readers take buffered bytes.
    fn pipe_pump(&mut self, obj: ObjId) {
        loop {
            let mut progress = false;
            // Waiting readers take what is buffered, in order.
            loop {
                let Some(Body::Pipe {
                    buf, readers_waiting, ..
                }) = self.objs.get_mut(obj.0).map(|o| &mut o.body)
                else {
                    return;
                };
                if buf.is_empty() {
                    break;
                }
                let Some(r) = readers_waiting.pop() else {
                    break;
                };
                let max = match self.procs[r.index()].blocked().map(|b| &b.wait) {
                    Some(Wait::PipeRead { max }) => *max,
                    _ => 0,
                };
                let Some(Body::Pipe { buf, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) else {
                    return;
                };
                let n = (max as usize).min(buf.len());
                let got: Vec<u8> = buf.drain(..n).collect();
                self.unblock_dequeued(r);
                self.finish_wait(r, Ok(Ret::Bytes(bytes_data(got))), true);
                progress = true;
            }
            // The first blocked writer fills freed room; it is done when all its bytes are in.
            let front = match self.objs.get(obj.0).map(|o| &o.body) {
                Some(Body::Pipe {
                    writers_waiting,
                    buf,
                    capacity,
                    ..
                }) if buf.len() < *capacity => writers_waiting.front(),
                _ => None,
            };
            if let Some(w) = front {
                // An atomic write goes in whole: it waits until all of it fits.
                let atomic = matches!(
                    self.procs[w.index()].blocked().map(|b| b.wait),
                    Some(Wait::PipeWrite { atomic: true })
                );
                let need = match &self.procs[w.index()].carry {
                    Carry::Bytes { rest, .. } => rest.len(),
                    _ => 0,
                };
                let room = match self.objs.get(obj.0).map(|o| &o.body) {
                    Some(Body::Pipe { buf, capacity, .. }) => capacity - buf.len(),
                    _ => 0,
                };
                if atomic && need > room {
                    return;
                }
                let (rest, total) = match std::mem::take(&mut self.procs[w.index()].carry) {
                    Carry::Bytes { rest, total } => (rest, total),
                    _ => (Vec::new(), 0),
                };
                let left = self.pipe_fill(obj, rest);
                if left.is_empty() {
                    self.unblock(w);
                    self.finish_wait(w, Ok(Ret::Int(total as i64)), true);
                } else {
                    self.procs[w.index()].carry = Carry::Bytes { rest: left, total };
                }
                progress = true;
            }
            if !progress {
                return;
            }
        }
    }

    pub(crate) fn sys_read(&mut self, pid: Pid, cap: CapId, max: u64, timeout: Timeout) -> Flow {
        let (obj, _, _) = match self.need(pid, cap, Rights::READ) {
            Ok(x) => x,
            Err(f) => return f,
        };
        let (_, writers) = self.pipe_counts(obj);
        let Some(Body::Pipe { buf, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if !buf.is_empty() || max == 0 {
            let n = (max.min(usize::MAX as u64) as usize).min(buf.len());
            let got: Vec<u8> = buf.drain(..n).collect();
            self.pipe_pump(obj);
            return Flow::Done(Ok(Ret::Bytes(bytes_data(got))));
        }
        if writers == 0 {
            return Flow::Done(Ok(Ret::Bytes(Data::str(""))));
        }
        if timeout.is_nowait() {
            return Flow::Done(Err(Error::WouldBlock));
        }
        let prio = self.procs[pid.index()].priority;
        if let Some(Body::Pipe { readers_waiting, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
            readers_waiting.push(prio, pid);
        }
        self.block(pid, Wait::PipeRead { max }, Some(obj), Some(cap), timeout)
    }

    /// A pipe end went away: with no writer left, waiting readers see end of
    /// file; with no reader left, waiting writers get SIGPIPE and BrokenPipe.
    pub(crate) fn pipe_ends_changed(&mut self, obj: ObjId) {
        let (readers, writers) = self.pipe_counts(obj);
        let Some(Body::Pipe {
            readers_waiting,
            writers_waiting,
            ..
        }) = self.objs.get_mut(obj.0).map(|o| &mut o.body)
        else {
            return;
        };
        let eof: Vec<Pid> = if writers == 0 {
            readers_waiting.drain_all()
        } else {
            Vec::new()
        };
        let broken: Vec<Pid> = if readers == 0 {
            writers_waiting.drain_all()
        } else {
            Vec::new()
        };
        for r in eof {
            self.wake(r, Ok(Ret::Bytes(Data::str(""))));
        }
        // Every writer is woken before any gets its SIGPIPE: a signal can end
        // its process, and that end re-checks for deadlocks, which must not
        // see writers taken off the queue but not yet woken as blocked.
        for w in &broken {
            self.wake(*w, Err(Error::BrokenPipe));
        }
        for w in broken {
            self.send_signal(None, w, Signal::SIGPIPE);
        }
    }

    pub(crate) fn sys_mkfifo(&mut self, pid: Pid, path: String, mode: u32) -> KResult<Ret> {
        if path.is_empty() {
            return Err(Error::InvalidArgument);
        }
        let host = self.procs[pid.index()].host;
        if self.fs.contains_key(&(host, path.clone())) {
            return Err(Error::Exists);
        }
        let perm = perm_for(&self.procs[pid.index()], mode);
        let label = path.clone();
        let opts = ObjectOptions {
            perm: Some(perm),
            path: Some(path),
            host,
            ..Default::default()
        };
        self.create_object(ObjectKind::Pipe, &label, &opts)?;
        Ok(Ret::Unit)
    }

    pub(crate) fn sys_open(&mut self, pid: Pid, path: &str, write: bool, timeout: Timeout) -> Flow {
        let host = self.procs[pid.index()].host;
        let obj = match self.fs.get(&(host, path.to_string())) {
            Some(FsNode::Fifo(o)) => *o,
            Some(FsNode::File(_) | FsNode::Socket { .. }) => return Flow::Done(Err(Error::InvalidArgument)),
            None => return Flow::Done(Err(Error::NotFound)),
        };
        let Some(o) = self.objs.get(obj.0) else {
            return Flow::Done(Err(Error::NotFound));
        };
        let p = &self.procs[pid.index()];
        let perm = o.perm.unwrap_or(crate::syscall::IpcPerm {
            uid: 1000,
            gid: 1000,
            mode: 0o644,
        });
        let want = if write { Rights::WRITE } else { Rights::READ };
        if !ipc_rights(ObjectKind::Pipe, &perm, p.uid, p.gid).contains(want) {
            return Flow::Done(Err(Error::PermissionDenied));
        }
        let (readers, writers) = self.pipe_counts(obj);
        let other_waiting = self.fifo_openers(obj, !write);
        let other_open = if write { readers > 0 } else { writers > 0 };
        if other_open || !other_waiting.is_empty() || (!write && timeout.is_nowait()) {
            let cap = match self.new_cap(Some(pid), obj, want, 0, None) {
                Ok(c) => c,
                Err(e) => return Flow::Done(Err(e)),
            };
            for w in other_waiting {
                let r = if write { Rights::READ } else { Rights::WRITE };
                let res = self.new_cap(Some(w), obj, r, 0, None).map(Ret::Cap);
                self.wake(w, res);
            }
            return Flow::Done(Ok(Ret::Cap(cap)));
        }
        if timeout.is_nowait() {
            return Flow::Done(Err(Error::WouldBlock));
        }
        let prio = self.procs[pid.index()].priority;
        if let Some(Body::Pipe { openers, .. }) = self.objs.get_mut(obj.0).map(|o| &mut o.body) {
            openers.push(prio, pid);
        }
        self.block(pid, Wait::FifoOpen { write }, Some(obj), None, timeout)
    }

    /// Processes waiting in `open` for the given end (write: true for writers).
    fn fifo_openers(&self, obj: ObjId, write: bool) -> Vec<Pid> {
        match self.objs.get(obj.0).map(|o| &o.body) {
            Some(Body::Pipe { openers, .. }) => openers
                .iter()
                .filter(|p| matches!(self.procs[p.index()].blocked().map(|b| &b.wait), Some(Wait::FifoOpen { write: w }) if *w == write))
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Kernel {
    /// Which end of a pipe the caller's capability `cap` is, for the trace of
    /// its `close` ([`crate::event::PIPE_READ_END`] and
    /// [`crate::event::PIPE_WRITE_END`] bits); None for anything but a pipe.
    pub(crate) fn pipe_end_of(&self, pid: Pid, cap: CapId) -> Option<i64> {
        let n = self.caps.get(cap.0).filter(|n| n.owner == Some(pid))?;
        let o = self.objs.get(n.obj.0)?;
        if !matches!(o.body, Body::Pipe { .. }) {
            return None;
        }
        let mut end = 0;
        if n.rights.contains(Rights::READ) {
            end |= crate::event::PIPE_READ_END;
        }
        if n.rights.contains(Rights::WRITE) {
            end |= crate::event::PIPE_WRITE_END;
        }
        Some(end)
    }
}
