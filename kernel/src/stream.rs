//! Stream sockets once connected: write (flow-controlled by the peer's
//! receive buffer), read, shutdown, the end of a stream, resets, and what
//! happens when the last capability to an end goes.
//!
//! Rules (the sockets contract): a write sends what the peer has room for
//! and waits for the rest; a read takes what has arrived (at most N) and
//! waits only while nothing has; after the peer's end of stream every read
//! gives ""; an end closed with unread bytes sends a reset instead; a
//! segment that reaches a closed end draws a reset, except an end of stream;
//! after a reset a write raises SIGPIPE and fails BrokenPipe, and a read
//! that has not seen the end fails ConnectionReset.

use crate::kernel::{Flow, Kernel};
use crate::net::Segment;
use crate::process::{Carry, Wait};
use crate::signal::Signal;
use crate::socket::Phase;
use crate::{CapId, Data, Error, HostId, ObjId, ObjectKind, Pid, Ret, Rights, Timeout};

fn bytes_data(b: Vec<u8>) -> Data {
    Data::str(&String::from_utf8_lossy(&b))
}

impl Kernel {
    /// The connected stream end behind `cap`, or why not.
    fn stream_end(&self, pid: Pid, cap: CapId, need: Rights) -> Result<ObjId, Error> {
        let obj = self.sock_of(pid, cap, need)?;
        let s = self.sock(obj).ok_or(Error::InvalidArgument)?;
        if !s.stream {
            return Err(Error::InvalidArgument);
        }
        if s.phase != Phase::Connected {
            return Err(Error::NotConnected);
        }
        Ok(obj)
    }

    /// `write CAP VALUE` on a stream socket.
    pub(crate) fn sys_sock_write(&mut self, pid: Pid, cap: CapId, data: Data, timeout: Timeout) -> Flow {
        let obj = match self.stream_end(pid, cap, Rights::WRITE) {
            Ok(o) => o,
            Err(e) => return Flow::Done(Err(e)),
        };
        let bytes = data.to_stream_bytes();
        if bytes.len() > self.cfg.limits.message_bytes_max {
            return Flow::Done(Err(Error::MessageTooLarge));
        }
        let Some(s) = self.sock(obj) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        // A unix peer that closed is known at once (no latency); an inet one
        // only by the reset its closed end answers with.
        let peer_gone = s.unix && s.peer.is_none_or(|(p, _)| self.sock(p).is_none());
        if s.reset || s.shut || peer_gone {
            self.send_signal(None, pid, Signal::SIGPIPE);
            return Flow::Done(Err(Error::BrokenPipe));
        }
        if timeout.is_nowait() && bytes.len() > s.peer_room {
            return Flow::Done(Err(Error::WouldBlock));
        }
        self.stats.count(ObjectKind::Socket, bytes.len(), self.copies());
        self.charge_copy(pid, bytes.len(), self.copies());
        let total = bytes.len();
        let rest = self.send_all_that_fits(pid, obj, bytes);
        if rest.is_empty() {
            return Flow::Done(Ok(Ret::Int(total as i64)));
        }
        let prio = self.procs[pid.index()].priority;
        if let Some(s) = self.sock_mut(obj) {
            s.writers.push(prio, pid);
        }
        self.procs[pid.index()].carry = Carry::Bytes { rest, total };
        self.block(pid, Wait::SockWrite, Some(obj), Some(cap), timeout)
    }

    /// Sends `bytes` while the peer has room; returns the rest. On one host
    /// a segment arrives at once and its reader may free room at once: the
    /// room that comes back meanwhile is only counted (`Socket::pumping`),
    /// and this loop sends into it, so bytes leave in order and no writer
    /// is woken from inside another's send.
    fn send_all_that_fits(&mut self, by: Pid, obj: ObjId, mut bytes: Vec<u8>) -> Vec<u8> {
        let outer = self.sock(obj).is_some_and(|s| s.pumping);
        if let Some(s) = self.sock_mut(obj) {
            s.pumping = true;
        }
        while !bytes.is_empty() && self.sock(obj).is_some_and(|s| s.peer_room > 0 && s.peer.is_some()) {
            bytes = self.send_what_fits(by, obj, bytes);
        }
        if let Some(s) = self.sock_mut(obj) {
            s.pumping = outer;
        }
        bytes
    }

    /// Sends as many of `bytes` as the peer has room for; returns the rest.
    fn send_what_fits(&mut self, by: Pid, obj: ObjId, mut bytes: Vec<u8>) -> Vec<u8> {
        let host = self.object_host(obj).unwrap_or(HostId::LOCAL);
        let Some(s) = self.sock_mut(obj) else { return bytes };
        let n = s.peer_room.min(bytes.len());
        if n == 0 {
            return bytes;
        }
        s.peer_room -= n;
        let Some((peer, peer_host)) = s.peer else { return bytes };
        let rest = bytes.split_off(n);
        self.send_packet((host, by), Some(obj), peer_host, Some(peer), Segment::Data(bytes));
        rest
    }

    /// Bytes reached an end: buffered and given to waiting readers; a closed
    /// end answers with a reset.
    pub(crate) fn data_arrives(
        &mut self,
        to: Option<ObjId>,
        from: Option<ObjId>,
        from_host: HostId,
        bytes: Vec<u8>,
        by: Pid,
    ) {
        let Some(obj) = to.filter(|o| self.sock(*o).is_some()) else {
            if let (Some(to), Some(from)) = (to, from) {
                let host = self.net_host_of(to, from_host);
                self.send_packet((host, by), None, from_host, Some(from), Segment::Rst);
            }
            return;
        };
        if let Some(s) = self.sock_mut(obj) {
            s.rx.extend(bytes);
        }
        self.feed_readers(obj);
    }

    /// The host a (possibly closed) socket was on: its object's, or the
    /// peer's peer host for a closed end (the packet went there).
    fn net_host_of(&self, obj: ObjId, fallback: HostId) -> HostId {
        self.object_host(obj).unwrap_or(fallback)
    }

    /// Waiting readers take what has arrived (each at most its N), in order;
    /// the room they free goes back to the writer's end.
    fn feed_readers(&mut self, obj: ObjId) {
        loop {
            let Some(s) = self.sock(obj) else { return };
            if s.rx.is_empty() && !s.eof && !s.reset {
                return;
            }
            let Some(r) = s.waiters.front() else { return };
            let max = match self.procs[r.index()].blocked().map(|b| b.wait) {
                Some(Wait::SockRead { max }) => max,
                _ => return,
            };
            let Some(s) = self.sock_mut(obj) else { return };
            s.waiters.pop();
            let res = self.take_bytes(r, obj, max);
            self.unblock_dequeued(r);
            self.finish_wait(r, res, true);
        }
    }

    /// What a read of at most `max` bytes gets now (callers know there is
    /// something: bytes, the end, or a reset).
    fn take_bytes(&mut self, reader: Pid, obj: ObjId, max: u64) -> crate::SysResult {
        let host = self.object_host(obj).unwrap_or(HostId::LOCAL);
        let Some(s) = self.sock_mut(obj) else {
            return Err(Error::InvalidArgument);
        };
        if s.rx.is_empty() {
            return if s.eof {
                Ok(Ret::Bytes(Data::str("")))
            } else {
                Err(Error::ConnectionReset)
            };
        }
        let n = (max.min(usize::MAX as u64) as usize).min(s.rx.len());
        let got: Vec<u8> = s.rx.drain(..n).collect();
        let peer = s.peer;
        if let Some((peer, peer_host)) = peer {
            self.send_packet((host, reader), Some(obj), peer_host, Some(peer), Segment::Window(n));
        }
        Ok(Ret::Bytes(bytes_data(got)))
    }

    /// `read CAP N -> VAR` on a stream socket.
    pub(crate) fn sys_sock_read(&mut self, pid: Pid, cap: CapId, max: u64, timeout: Timeout) -> Flow {
        let obj = match self.stream_end(pid, cap, Rights::READ) {
            Ok(o) => o,
            Err(e) => return Flow::Done(Err(e)),
        };
        let Some(s) = self.sock(obj) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if !s.rx.is_empty() || s.eof || s.reset || max == 0 {
            if max == 0 && s.rx.is_empty() && !s.reset {
                return Flow::Done(Ok(Ret::Bytes(Data::str(""))));
            }
            return Flow::Done(self.take_bytes(pid, obj, max));
        }
        if timeout.is_nowait() {
            return Flow::Done(Err(Error::WouldBlock));
        }
        let prio = self.procs[pid.index()].priority;
        if let Some(s) = self.sock_mut(obj) {
            s.waiters.push(prio, pid);
        }
        self.block(pid, Wait::SockRead { max }, Some(obj), Some(cap), timeout)
    }

    /// Room freed at the peer: waiting writers send more.
    pub(crate) fn window_arrives(&mut self, to: Option<ObjId>, n: usize) {
        let Some(obj) = to else { return };
        let Some(s) = self.sock_mut(obj) else { return };
        s.peer_room = s.peer_room.saturating_add(n).min(crate::socket::RCVBUF);
        if s.pumping {
            // A send on this end is under way: it sends into the room.
            return;
        }
        while let Some(w) = self.sock(obj).and_then(|s| s.writers.front()) {
            let (rest, total) = match std::mem::take(&mut self.procs[w.index()].carry) {
                Carry::Bytes { rest, total } => (rest, total),
                _ => (Vec::new(), 0),
            };
            let left = self.send_all_that_fits(w, obj, rest);
            if !left.is_empty() {
                self.procs[w.index()].carry = Carry::Bytes { rest: left, total };
                return;
            }
            if let Some(s) = self.sock_mut(obj) {
                s.writers.pop();
            }
            self.unblock_dequeued(w);
            self.finish_wait(w, Ok(Ret::Int(total as i64)), true);
        }
    }

    /// The peer's end of stream arrived.
    pub(crate) fn fin_arrives(&mut self, to: Option<ObjId>) {
        let Some(obj) = to else { return };
        let Some(s) = self.sock_mut(obj) else { return };
        s.eof = true;
        self.feed_readers(obj);
    }

    /// A reset broke the stream: readers and writers learn it now.
    pub(crate) fn stream_broken(&mut self, obj: ObjId) {
        self.feed_readers(obj);
        let writers: Vec<Pid> = self.sock_mut(obj).map(|s| s.writers.drain_all()).unwrap_or_default();
        for w in &writers {
            self.unblock_dequeued(*w);
            self.finish_wait(*w, Err(Error::BrokenPipe), true);
        }
        for w in writers {
            self.send_signal(None, w, Signal::SIGPIPE);
        }
    }

    /// `shutdown CAP`: no more writes from this end; the peer reads "" once
    /// every byte written before has arrived.
    pub(crate) fn sys_shutdown(&mut self, pid: Pid, cap: CapId) -> crate::KResult<Ret> {
        let obj = self.stream_end(pid, cap, Rights::empty())?;
        self.send_fin(obj, pid);
        Ok(Ret::Unit)
    }

    fn send_fin(&mut self, obj: ObjId, by: Pid) {
        let host = self.object_host(obj).unwrap_or(HostId::LOCAL);
        let Some(s) = self.sock_mut(obj) else { return };
        if s.shut {
            return;
        }
        s.shut = true;
        if let Some((peer, peer_host)) = s.peer {
            self.send_packet((host, by), Some(obj), peer_host, Some(peer), Segment::Fin);
        }
    }

    /// The last capability to a socket went: its end shuts down (an end of
    /// stream, or a reset if unread bytes are queued; a listener resets its
    /// queued connections), its port is freed (a unix path's file stays
    /// until `unlink`), and the object goes.
    pub(crate) fn socket_end(&mut self, obj: ObjId, by: Pid) {
        let Some(o) = self.objs.get(obj.0) else { return };
        let host = o.host;
        let Some(s) = self.sock(obj) else { return };
        let (stream, port) = (s.stream, s.port);
        let dgram_bytes: Vec<usize> = s.dgrams.iter().map(|d| d.data.len_bytes()).collect();
        let (phase, unread, peer) = (s.phase, !s.rx.is_empty(), s.peer);
        let queued: Vec<ObjId> = s.accepted.iter().copied().collect();
        let waiting: Vec<crate::socket::Syn> = s.syn_waiting.iter().copied().collect();
        if let Some(port) = port {
            if self.ports.get(&(host, stream, port)) == Some(&obj) {
                self.ports.remove(&(host, stream, port));
            }
        }
        for n in dgram_bytes {
            self.unbuffered(n);
        }
        match (phase, peer) {
            (Phase::Connected, Some((peer, peer_host))) if unread => {
                self.send_packet((host, by), None, peer_host, Some(peer), Segment::Rst);
            }
            (Phase::Connected, Some(_)) => self.send_fin(obj, by),
            _ => {}
        }
        // A listener's queued connections are reset, its waiting requests refused.
        for server in queued {
            if let Some((client, client_host)) = self.sock(server).and_then(|s| s.peer) {
                self.send_packet((host, by), None, client_host, Some(client), Segment::Rst);
            }
            self.destroy_object(by, server);
        }
        for syn in waiting {
            self.send_packet((host, by), None, syn.host, Some(syn.client), Segment::Rst);
        }
    }
}
