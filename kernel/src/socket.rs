//! Sockets: the socket object, its address (an inet port or a Unix path),
//! and the calls that make, bind, listen on, connect and accept them.
//! Stream data is in `stream.rs`, datagrams in `dgram.rs`, the network
//! beneath in `net.rs`.
//!
//! A stream connection is two socket objects, one on each host, each
//! naming the other as its peer (kernel-internal: no capability ever
//! crosses a host). A socket's capabilities carry `read` and `write`; when
//! the last one goes (close, or its holder's end), the end shuts down, as a
//! pipe's does, and the object is destroyed: a segment that reaches it later
//! finds a closed end, which answers with a reset.

use std::collections::VecDeque;

use crate::kernel::{FsNode, Kernel};
use crate::object::{Body, ObjectOptions, WaitQueue};
use crate::syscall::IpcPerm;
use crate::{CapId, Error, HostId, KResult, ObjId, ObjectKind, Pid, Ret, Rights};

/// A stream end's receive buffer (flow control: a writer waits while the peer's is full).
pub const RCVBUF: usize = 4096;
/// Datagrams a socket queues; one more is dropped.
pub const DGRAM_QUEUE_MAX: usize = 64;
/// The largest datagram (UDP's payload over IPv4).
pub const DATAGRAM_BYTES_MAX: usize = 65_507;
/// The first ephemeral port (Linux's default range starts at 32768).
pub const EPHEMERAL_FIRST: u16 = 49152;
/// A listener's default backlog.
pub const BACKLOG_DEFAULT: usize = 8;

/// Where a socket is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Fresh,
    Listening {
        backlog: usize,
    },
    /// Its connection request is out (attempt number, to match the answer).
    Connecting {
        attempt: u64,
    },
    Connected,
}

/// A datagram waiting in a receive queue.
#[derive(Clone, Debug)]
pub(crate) struct Dgram {
    pub data: crate::Data,
    pub host: HostId,
    pub port: u16,
    pub path: Option<String>,
}

/// A connection request a full listener keeps until an accept makes room.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Syn {
    pub client: ObjId,
    pub host: HostId,
    pub attempt: u64,
}

/// One socket.
#[derive(Debug)]
pub(crate) struct Socket {
    pub stream: bool,
    pub unix: bool,
    pub port: Option<u16>,
    pub path: Option<String>,
    pub phase: Phase,
    /// A connected end's peer, and its host.
    pub peer: Option<(ObjId, HostId)>,
    /// What the peer can still take (its receive buffer, as last told).
    pub peer_room: usize,
    pub rx: VecDeque<u8>,
    /// The peer's end of stream arrived.
    pub eof: bool,
    /// A reset arrived.
    pub reset: bool,
    /// This end shut its writing down (`shutdown`, or a close).
    pub shut: bool,
    /// A listener's connections, queued for `accept`.
    pub accepted: VecDeque<ObjId>,
    /// A full listener's requests, waiting for room.
    pub syn_waiting: VecDeque<Syn>,
    pub dgrams: VecDeque<Dgram>,
    /// Readers, acceptors, connectors and receivers.
    pub waiters: WaitQueue,
    /// Writers waiting for room at the peer.
    pub writers: WaitQueue,
    /// Packets on their way that would complete a wait here (the deadlock
    /// detector counts such a wait as one with a timeout).
    pub inflight: u32,
    /// A connecting socket whose request waits at this listener for room.
    pub waiting_at: Option<ObjId>,
    /// A send from this end is under way (room that comes back meanwhile is
    /// only counted: see `Kernel::send_all_that_fits`).
    pub pumping: bool,
}

impl Socket {
    /// A connected stream end (a listener's new connection).
    pub(crate) fn new_end(unix: bool) -> Self {
        Socket {
            phase: Phase::Connected,
            ..Socket::new(true, unix)
        }
    }

    pub(crate) fn new(stream: bool, unix: bool) -> Self {
        Socket {
            stream,
            unix,
            port: None,
            path: None,
            phase: Phase::Fresh,
            peer: None,
            peer_room: RCVBUF,
            rx: VecDeque::new(),
            eof: false,
            reset: false,
            shut: false,
            accepted: VecDeque::new(),
            syn_waiting: VecDeque::new(),
            dgrams: VecDeque::new(),
            waiters: WaitQueue::default(),
            writers: WaitQueue::default(),
            inflight: 0,
            waiting_at: None,
            pumping: false,
        }
    }

    /// A listener or a datagram socket: any process that reaches its host
    /// may complete a wait on it.
    pub(crate) fn open_to_anyone(&self) -> bool {
        !self.stream || matches!(self.phase, Phase::Listening { .. })
    }

    pub(crate) fn wait_queues(&self) -> [&WaitQueue; 2] {
        [&self.waiters, &self.writers]
    }
}

impl Kernel {
    pub(crate) fn sock(&self, obj: ObjId) -> Option<&Socket> {
        match self.objs.get(obj.0).map(|o| &o.body) {
            Some(Body::Socket(s)) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn sock_mut(&mut self, obj: ObjId) -> Option<&mut Socket> {
        match self.objs.get_mut(obj.0).map(|o| &mut o.body) {
            Some(Body::Socket(s)) => Some(s),
            _ => None,
        }
    }

    /// Whether `cap` of `pid` names a socket (reads and writes go to it then).
    pub(crate) fn is_socket(&self, pid: Pid, cap: CapId) -> bool {
        self.lookup(pid, cap, Rights::empty())
            .is_ok_and(|n| self.sock(n.obj).is_some())
    }

    /// The socket behind `cap` of `pid` (it must hold `need`).
    pub(crate) fn sock_of(&self, pid: Pid, cap: CapId, need: Rights) -> KResult<ObjId> {
        let obj = self.lookup(pid, cap, need)?.obj;
        match self.sock(obj) {
            Some(_) => Ok(obj),
            None => Err(Error::InvalidArgument),
        }
    }

    /// A new socket object on `host` (not yet held by anyone).
    /// Names a socket in the trace by what it is and where it is bound or
    /// connected to: `stream :9300`, `stream :49152 -> atlas:9300`, `unix dgram /tmp/s`.
    pub(crate) fn relabel(&mut self, obj: ObjId, to: Option<(HostId, u16)>) {
        let Some(s) = self.sock(obj) else { return };
        let mut label = String::from(match (s.unix, s.stream) {
            (true, true) => "unix stream",
            (true, false) => "unix dgram",
            (false, true) => "stream",
            (false, false) => "dgram",
        });
        if let Some(p) = s.port {
            label.push_str(&format!(" :{p}"));
        }
        if let Some(p) = &s.path {
            label.push_str(&format!(" {p}"));
        }
        if let Some((h, port)) = to {
            label.push_str(&format!(" -> {}:{port}", self.host_name(h)));
        }
        if let Some(o) = self.objs.get_mut(obj.0) {
            o.label = label.into();
        }
    }

    fn new_socket(&mut self, host: HostId, stream: bool, unix: bool) -> KResult<ObjId> {
        let label = match (unix, stream) {
            (true, true) => "unix stream",
            (true, false) => "unix dgram",
            (false, true) => "stream",
            (false, false) => "dgram",
        };
        let opts = ObjectOptions {
            host,
            ..Default::default()
        };
        let id = self.create_object(ObjectKind::Socket, label, &opts)?;
        if let Some(o) = self.objs.get_mut(id.0) {
            o.body = Body::Socket(Box::new(Socket::new(stream, unix)));
        }
        if !stream {
            // Anyone who reaches the host may send to a datagram socket.
            self.open_objs.insert(id);
        }
        Ok(id)
    }

    fn hold_socket(&mut self, pid: Pid, obj: ObjId) -> KResult<CapId> {
        self.new_cap(Some(pid), obj, Rights::READ | Rights::WRITE, 0, None)
    }

    /// `socket stream|dgram [unix]`.
    pub(crate) fn sys_socket(&mut self, pid: Pid, stream: bool, unix: bool) -> KResult<Ret> {
        let host = self.procs[pid.index()].host;
        let obj = self.new_socket(host, stream, unix)?;
        match self.hold_socket(pid, obj) {
            Ok(c) => Ok(Ret::Cap(c)),
            Err(e) => {
                self.destroy_object(pid, obj);
                Err(e)
            }
        }
    }

    /// `socketpair stream`: two connected unix stream ends.
    pub(crate) fn sys_socketpair(&mut self, pid: Pid) -> KResult<Ret> {
        let host = self.procs[pid.index()].host;
        if self.procs[pid.index()].caps.len() + 2 > self.cfg.limits.caps_per_process_max {
            return Err(Error::LimitReached);
        }
        let a = self.new_socket(host, true, true)?;
        let b = match self.new_socket(host, true, true) {
            Ok(b) => b,
            Err(e) => {
                self.destroy_object(pid, a);
                return Err(e);
            }
        };
        for (x, y) in [(a, b), (b, a)] {
            if let Some(s) = self.sock_mut(x) {
                s.phase = Phase::Connected;
                s.peer = Some((y, host));
            }
        }
        let ca = self.hold_socket(pid, a)?;
        let cb = self.hold_socket(pid, b)?;
        Ok(Ret::Pair(ca, cb))
    }

    /// `bind CAP PORT` (inet).
    pub(crate) fn sys_bind(&mut self, pid: Pid, cap: CapId, port: i64) -> KResult<Ret> {
        let obj = self.sock_of(pid, cap, Rights::empty())?;
        let s = self.sock(obj).ok_or(Error::InvalidArgument)?;
        let (stream, unix, bound) = (s.stream, s.unix, s.port.is_some() || s.path.is_some());
        let port = u16::try_from(port).map_err(|_| Error::InvalidArgument)?;
        if unix || bound {
            return Err(Error::InvalidArgument);
        }
        let (host, uid) = (self.procs[pid.index()].host, self.procs[pid.index()].uid);
        if port == 0 {
            let p = self.ephemeral(host, stream).ok_or(Error::AddressInUse)?;
            self.bind_port(obj, host, stream, p);
            return Ok(Ret::Unit);
        }
        // The permission check comes first.
        if port < 1024 && uid != 0 {
            return Err(Error::PermissionDenied);
        }
        if self.ports.contains_key(&(host, stream, port)) {
            return Err(Error::AddressInUse);
        }
        self.bind_port(obj, host, stream, port);
        Ok(Ret::Unit)
    }

    fn bind_port(&mut self, obj: ObjId, host: HostId, stream: bool, port: u16) {
        self.ports.insert((host, stream, port), obj);
        if let Some(s) = self.sock_mut(obj) {
            s.port = Some(port);
        }
        self.relabel(obj, None);
    }

    /// The lowest free port from 49152 of this type on this host.
    fn ephemeral(&self, host: HostId, stream: bool) -> Option<u16> {
        (EPHEMERAL_FIRST..=u16::MAX).find(|p| !self.ports.contains_key(&(host, stream, *p)))
    }

    /// Gives a socket never bound its ephemeral port (`connect`, `listen`, `sendto`).
    pub(crate) fn auto_bind(&mut self, obj: ObjId, host: HostId) -> KResult<()> {
        let Some(s) = self.sock(obj) else {
            return Err(Error::InvalidArgument);
        };
        if s.unix || s.port.is_some() {
            return Ok(());
        }
        let stream = s.stream;
        let p = self.ephemeral(host, stream).ok_or(Error::AddressInUse)?;
        self.bind_port(obj, host, stream, p);
        Ok(())
    }

    /// `bind CAP "PATH" [mode M]` (unix): creates the socket file.
    pub(crate) fn sys_bind_path(&mut self, pid: Pid, cap: CapId, path: &str, mode: u32) -> KResult<Ret> {
        let obj = self.sock_of(pid, cap, Rights::empty())?;
        let s = self.sock(obj).ok_or(Error::InvalidArgument)?;
        if !s.unix || s.path.is_some() || path.is_empty() {
            return Err(Error::InvalidArgument);
        }
        let p = &self.procs[pid.index()];
        let (host, uid, gid) = (p.host, p.uid, p.gid);
        if self.fs.contains_key(&(host, path.to_string())) {
            return Err(Error::AddressInUse);
        }
        let perm = IpcPerm {
            uid,
            gid,
            mode: mode & 0o777,
        };
        self.fs.insert((host, path.to_string()), FsNode::Socket { obj, perm });
        if let Some(s) = self.sock_mut(obj) {
            s.path = Some(path.to_string());
        }
        self.relabel(obj, None);
        Ok(Ret::Unit)
    }

    /// `unlink "PATH"`: removes a socket file.
    pub(crate) fn sys_unlink(&mut self, pid: Pid, path: &str) -> KResult<Ret> {
        let host = self.procs[pid.index()].host;
        match self.fs.get(&(host, path.to_string())) {
            Some(FsNode::Socket { .. }) => {
                self.fs.remove(&(host, path.to_string()));
                Ok(Ret::Unit)
            }
            Some(_) => Err(Error::InvalidArgument),
            None => Err(Error::NotFound),
        }
    }

    /// `listen CAP [backlog N]`.
    pub(crate) fn sys_listen(&mut self, pid: Pid, cap: CapId, backlog: Option<u64>) -> KResult<Ret> {
        let obj = self.sock_of(pid, cap, Rights::empty())?;
        let s = self.sock(obj).ok_or(Error::InvalidArgument)?;
        if !s.stream || matches!(s.phase, Phase::Connected | Phase::Connecting { .. }) {
            return Err(Error::InvalidArgument);
        }
        let backlog = backlog.map_or(BACKLOG_DEFAULT, |b| b.min(4096) as usize);
        let host = self.procs[pid.index()].host;
        self.auto_bind(obj, host)?;
        if let Some(s) = self.sock_mut(obj) {
            s.phase = Phase::Listening { backlog };
            self.open_objs.insert(obj);
        }
        Ok(Ret::Unit)
    }
}
