//! Datagram sockets: `sendto` never waits, a datagram keeps its boundary,
//! may be lost (the link's loss, a partition, no socket on its port, a full
//! receive queue: each loss in the trace with its reason), and `recvfrom`
//! gives the sender's host and port (or path).

use crate::event::NetStep;
use crate::kernel::{Flow, Kernel};
use crate::net::Segment;
use crate::process::Wait;
use crate::socket::{Dgram, DATAGRAM_BYTES_MAX, DGRAM_QUEUE_MAX};
use crate::{CapId, Data, Error, HostId, KResult, ObjId, ObjectKind, Pid, Ret, Rights, Timeout};

impl Kernel {
    fn dgram_socket(&self, pid: Pid, cap: CapId, need: Rights) -> KResult<ObjId> {
        let obj = self.sock_of(pid, cap, need)?;
        match self.sock(obj) {
            Some(s) if !s.stream => Ok(obj),
            _ => Err(Error::InvalidArgument),
        }
    }

    /// The datagram's bytes, checked against the limit and the memory
    /// budget (in flight and queued, a datagram counts as a buffered message).
    fn datagram_bytes(&mut self, data: &Data) -> KResult<Data> {
        let bytes = data.to_stream_bytes();
        if bytes.len() > DATAGRAM_BYTES_MAX {
            return Err(Error::MessageTooLarge);
        }
        self.message_room(bytes.len())?;
        self.buffered(bytes.len());
        Ok(Data::str(&String::from_utf8_lossy(&bytes)))
    }

    /// A datagram no longer held (lost, or never sent): its budget back.
    pub(crate) fn release_datagram(&mut self, seg: &Segment) {
        if let Segment::Datagram { data, .. } = seg {
            self.unbuffered(data.len_bytes());
        }
    }

    /// `sendto CAP HOST PORT VALUE`.
    pub(crate) fn sys_sendto(&mut self, pid: Pid, cap: CapId, to: HostId, port: i64, data: &Data) -> KResult<Ret> {
        let obj = self.dgram_socket(pid, cap, Rights::WRITE)?;
        if self.sock(obj).is_some_and(|s| s.unix) {
            return Err(Error::InvalidArgument);
        }
        let port = u16::try_from(port).map_err(|_| Error::InvalidArgument)?;
        let me = self.procs[pid.index()].host;
        if to.index() >= self.hosts.len() || !self.reaches(me, to) {
            return Err(Error::HostUnreachable);
        }
        self.auto_bind(obj, me)?;
        let data = self.datagram_bytes(data)?;
        let from_port = self.sock(obj).and_then(|s| s.port).unwrap_or(0);
        self.stats.count(ObjectKind::Socket, data.len_bytes(), self.copies());
        self.charge_copy(pid, data.len_bytes(), self.copies());
        let seg = Segment::Datagram { port, from_port, data };
        self.send_packet((me, pid), Some(obj), to, None, seg);
        Ok(Ret::Unit)
    }

    /// `sendto CAP "PATH" VALUE` (unix datagram): at once.
    pub(crate) fn sys_sendto_path(&mut self, pid: Pid, cap: CapId, path: &str, data: &Data) -> KResult<Ret> {
        let obj = self.dgram_socket(pid, cap, Rights::WRITE)?;
        if !self.sock(obj).is_some_and(|s| s.unix) {
            return Err(Error::InvalidArgument);
        }
        let target = self.socket_file(pid, path, false)?;
        let Some(target) = target.filter(|t| self.sock(*t).is_some_and(|s| !s.stream && s.unix)) else {
            return Err(Error::ConnectionRefused);
        };
        let data = self.datagram_bytes(data)?;
        self.stats.count(ObjectKind::Socket, data.len_bytes(), self.copies());
        let host = self.procs[pid.index()].host;
        let from_path = self.sock(obj).and_then(|s| s.path.clone());
        self.queue_datagram(target, (host, 0, from_path), data, (pid, 0));
        Ok(Ret::Unit)
    }

    /// A datagram reached its host: queued at the socket bound to its port,
    /// if there is one and it has room.
    pub(crate) fn dgram_arrives(
        &mut self,
        host: HostId,
        port: u16,
        from: (HostId, u16, Option<String>),
        data: Data,
        (sender, id): (Pid, u64),
    ) {
        let Some(obj) = self.ports.get(&(host, false, port)).copied() else {
            self.lose(sender, "no socket on its port", port, host, data);
            return;
        };
        self.queue_datagram(obj, from, data, (sender, id));
    }

    fn queue_datagram(
        &mut self,
        obj: ObjId,
        from: (HostId, u16, Option<String>),
        data: Data,
        (sender, id): (Pid, u64),
    ) {
        let host = self.object_host(obj).unwrap_or(HostId::LOCAL);
        let port = self.sock(obj).and_then(|s| s.port).unwrap_or(0);
        if self.sock(obj).is_none_or(|s| s.dgrams.len() >= DGRAM_QUEUE_MAX) {
            self.lose(sender, "a full receive queue", port, host, data);
            return;
        }
        let by = self.actor(Some(obj), sender);
        let seg = Segment::Datagram {
            port,
            from_port: from.1,
            data: data.clone(),
        };
        self.record_net_of(by, NetStep::Arrives, &seg, from.0, (Some(sender), id));
        let (from_host, from_port, path) = from;
        let d = Dgram {
            data,
            host: from_host,
            port: from_port,
            path,
        };
        let receiver = self.sock_mut(obj).and_then(|s| s.waiters.pop());
        match receiver {
            Some(r) => {
                self.unbuffered(d.data.len_bytes());
                self.unblock_dequeued(r);
                self.finish_wait(r, Ok(datagram_ret(d)), true);
            }
            None => {
                if let Some(s) = self.sock_mut(obj) {
                    s.dgrams.push_back(d);
                }
            }
        }
    }

    fn lose(&mut self, sender: Pid, why: &'static str, port: u16, host: HostId, data: Data) {
        self.unbuffered(data.len_bytes());
        let seg = Segment::Datagram {
            port,
            from_port: 0,
            data,
        };
        self.record_net(sender, NetStep::Lost(why), &seg, host);
    }

    /// `recvfrom CAP -> VAR`.
    pub(crate) fn sys_recvfrom(&mut self, pid: Pid, cap: CapId, timeout: Timeout) -> Flow {
        let obj = match self.dgram_socket(pid, cap, Rights::READ) {
            Ok(o) => o,
            Err(e) => return Flow::Done(Err(e)),
        };
        if let Some(d) = self.sock_mut(obj).and_then(|s| s.dgrams.pop_front()) {
            self.unbuffered(d.data.len_bytes());
            return Flow::Done(Ok(datagram_ret(d)));
        }
        if timeout.is_nowait() {
            return Flow::Done(Err(Error::WouldBlock));
        }
        let prio = self.procs[pid.index()].priority;
        if let Some(s) = self.sock_mut(obj) {
            s.waiters.push(prio, pid);
        }
        self.block(pid, Wait::RecvFrom, Some(obj), Some(cap), timeout)
    }
}

fn datagram_ret(d: Dgram) -> Ret {
    Ret::Datagram {
        data: d.data,
        host: d.host,
        port: d.port,
        path: d.path.map(String::into_boxed_str),
    }
}
