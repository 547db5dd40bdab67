//! Stream connections: `connect`, `accept`, and what a connection request,
//! its answer and a reset do when they arrive. Also where every arriving
//! packet is dispatched, and what the deadlock detector learns of packets
//! in flight.
//!
//! `connect` to HOST PORT at t over a link of latency L: the request reaches
//! HOST at t+L; if a socket listens on PORT with room in its backlog, the
//! connection is queued there (a waiting `accept` takes it) and the answer
//! makes `connect` return at t+2L; nothing listening: a reset, and
//! `ConnectionRefused` at t+2L; a full backlog: the request waits there
//! until an `accept` makes room. A `connect` that times out withdraws its
//! request, or resets the connection if the listener had queued it already.

use crate::kernel::{Flow, Kernel};
use crate::net::{Packet, Segment};
use crate::process::Wait;
use crate::socket::{Phase, Syn};
use crate::{CapId, Error, HostId, ObjId, Pid, Ret, Rights, Timeout};

impl Kernel {
    /// The stream socket listening on `port` of `host`.
    pub(crate) fn listener_for(&self, host: HostId, port: u16) -> Option<ObjId> {
        let obj = *self.ports.get(&(host, true, port))?;
        matches!(self.sock(obj)?.phase, Phase::Listening { .. }).then_some(obj)
    }

    /// Some process of `obj`'s host that holds it, to name in the trace for
    /// what the kernel sends on its behalf (else `fallback`).
    pub(crate) fn actor(&self, obj: Option<ObjId>, fallback: Pid) -> Pid {
        obj.and_then(|o| self.objs.get(o.0))
            .and_then(|o| o.holders.iter().find_map(|h| self.caps.get(h.0).and_then(|n| n.owner)))
            .unwrap_or(fallback)
    }

    /// `connect CAP HOST PORT` (inet stream).
    pub(crate) fn sys_connect(&mut self, pid: Pid, cap: CapId, to: HostId, port: i64, timeout: Timeout) -> Flow {
        let obj = match self.sock_of(pid, cap, Rights::empty()) {
            Ok(o) => o,
            Err(e) => return Flow::Done(Err(e)),
        };
        let Some(s) = self.sock(obj) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if !s.stream || s.unix || s.phase != Phase::Fresh {
            return Flow::Done(Err(Error::InvalidArgument));
        }
        let Ok(port) = u16::try_from(port) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        let me = self.procs[pid.index()].host;
        if to.index() >= self.hosts.len() || !self.reaches(me, to) {
            return Flow::Done(Err(Error::HostUnreachable));
        }
        // Only a connect that completes at once (loopback) may take nowait.
        if timeout.is_nowait() && me != to {
            return Flow::Done(Err(Error::WouldBlock));
        }
        if let Err(e) = self.auto_bind(obj, me) {
            return Flow::Done(Err(e));
        }
        self.net_attempts += 1;
        let attempt = self.net_attempts;
        if let Some(s) = self.sock_mut(obj) {
            s.phase = Phase::Connecting { attempt };
        }
        self.relabel(obj, Some((to, port)));
        let syn = Segment::Syn {
            client: obj,
            port,
            attempt,
        };
        self.send_packet((me, pid), Some(obj), to, None, syn);
        self.connect_outcome(pid, cap, obj, timeout)
    }

    /// After the request left: done at once (loopback, unix), or wait.
    fn connect_outcome(&mut self, pid: Pid, cap: CapId, obj: ObjId, timeout: Timeout) -> Flow {
        match self.sock(obj).map(|s| (s.phase, s.peer)) {
            Some((Phase::Connected, _)) => Flow::Done(Ok(Ret::Unit)),
            Some((Phase::Fresh, _)) => Flow::Done(Err(Error::ConnectionRefused)),
            Some((Phase::Connecting { .. }, _)) if timeout.is_nowait() => {
                self.withdraw(obj);
                Flow::Done(Err(Error::WouldBlock))
            }
            Some((Phase::Connecting { .. }, _)) => {
                let prio = self.procs[pid.index()].priority;
                if let Some(s) = self.sock_mut(obj) {
                    s.waiters.push(prio, pid);
                }
                self.block(pid, Wait::Connect, Some(obj), Some(cap), timeout)
            }
            _ => Flow::Done(Err(Error::InvalidArgument)),
        }
    }

    /// A connecting socket gives its request up (its connect timed out or
    /// was interrupted): an answer that comes later is reset.
    pub(crate) fn withdraw(&mut self, obj: ObjId) {
        if let Some(s) = self.sock_mut(obj) {
            if matches!(s.phase, Phase::Connecting { .. }) {
                s.phase = Phase::Fresh;
            }
        }
    }

    /// `connect CAP "PATH"` (unix stream): at once, no latency.
    pub(crate) fn sys_connect_path(&mut self, pid: Pid, cap: CapId, path: &str, timeout: Timeout) -> Flow {
        let obj = match self.sock_of(pid, cap, Rights::empty()) {
            Ok(o) => o,
            Err(e) => return Flow::Done(Err(e)),
        };
        let Some(s) = self.sock(obj) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if !s.stream || !s.unix || s.phase != Phase::Fresh {
            return Flow::Done(Err(Error::InvalidArgument));
        }
        let listener = match self.socket_file(pid, path, true) {
            Ok(l) => l,
            Err(e) => return Flow::Done(Err(e)),
        };
        let Some(listener) = listener.filter(|l| {
            matches!(
                self.sock(*l).map(|s| (s.stream, s.phase)),
                Some((true, Phase::Listening { .. }))
            )
        }) else {
            return Flow::Done(Err(Error::ConnectionRefused));
        };
        self.net_attempts += 1;
        let attempt = self.net_attempts;
        if let Some(s) = self.sock_mut(obj) {
            s.phase = Phase::Connecting { attempt };
        }
        let host = self.procs[pid.index()].host;
        self.request_arrives(
            listener,
            Syn {
                client: obj,
                host,
                attempt,
            },
            pid,
        );
        self.connect_outcome(pid, cap, obj, timeout)
    }

    /// The socket bound at `path` on the caller's host, checked: NotFound,
    /// or PermissionDenied without write permission on the file (first).
    /// None: the file exists but its socket is gone.
    pub(crate) fn socket_file(&self, pid: Pid, path: &str, _stream: bool) -> Result<Option<ObjId>, Error> {
        let p = &self.procs[pid.index()];
        match self.fs.get(&(p.host, path.to_string())) {
            Some(crate::kernel::FsNode::Socket { obj, perm }) => {
                if !crate::sysv::ipc_allows(perm, p.uid, p.gid, 0o2) {
                    return Err(Error::PermissionDenied);
                }
                Ok(self.sock(*obj).map(|_| *obj))
            }
            Some(_) => Err(Error::ConnectionRefused),
            None => Err(Error::NotFound),
        }
    }

    /// `accept CAP -> CONN`.
    pub(crate) fn sys_accept(&mut self, pid: Pid, cap: CapId, timeout: Timeout) -> Flow {
        let obj = match self.sock_of(pid, cap, Rights::empty()) {
            Ok(o) => o,
            Err(e) => return Flow::Done(Err(e)),
        };
        let Some(s) = self.sock(obj) else {
            return Flow::Done(Err(Error::InvalidArgument));
        };
        if !s.stream || !matches!(s.phase, Phase::Listening { .. }) {
            return Flow::Done(Err(Error::InvalidArgument));
        }
        if s.accepted.front().is_some() {
            return Flow::Done(self.take_accepted(pid, obj));
        }
        if timeout.is_nowait() {
            return Flow::Done(Err(Error::WouldBlock));
        }
        let prio = self.procs[pid.index()].priority;
        if let Some(s) = self.sock_mut(obj) {
            s.waiters.push(prio, pid);
        }
        self.block(pid, Wait::Accept, Some(obj), Some(cap), timeout)
    }

    /// Gives `pid` the first queued connection of `listener`, and lets in a
    /// request that waited for the room.
    fn take_accepted(&mut self, pid: Pid, listener: ObjId) -> crate::SysResult {
        let server = self
            .sock_mut(listener)
            .and_then(|s| s.accepted.pop_front())
            .ok_or(Error::InvalidArgument)?;
        let cap = self.new_cap(Some(pid), server, Rights::READ | Rights::WRITE, 0, None);
        if cap.is_err() {
            // No room for the capability: the connection stays queued.
            if let Some(s) = self.sock_mut(listener) {
                s.accepted.push_front(server);
            }
        }
        self.admit_waiting(listener, pid);
        cap.map(Ret::Cap)
    }

    /// Requests that waited for backlog room go in while there is some.
    fn admit_waiting(&mut self, listener: ObjId, by: Pid) {
        loop {
            let Some(s) = self.sock(listener) else { return };
            let Phase::Listening { backlog } = s.phase else { return };
            if s.accepted.len() >= backlog {
                return;
            }
            let Some(syn) = self.sock_mut(listener).and_then(|s| s.syn_waiting.pop_front()) else {
                return;
            };
            self.request_arrives(listener, syn, by);
        }
    }

    /// A connection request at a listener: queued (and an accept woken) if
    /// there is room, else kept until there is.
    fn request_arrives(&mut self, listener: ObjId, syn: Syn, by: Pid) {
        // A request its client gave up is forgotten.
        let live = matches!(self.sock(syn.client).map(|s| s.phase), Some(Phase::Connecting { attempt }) if attempt == syn.attempt);
        if !live {
            return;
        }
        let Some(s) = self.sock(listener) else { return };
        let Phase::Listening { backlog } = s.phase else { return };
        let unix = s.unix;
        if s.accepted.len() >= backlog {
            if let Some(s) = self.sock_mut(listener) {
                s.syn_waiting.push_back(syn);
            }
            if let Some(c) = self.sock_mut(syn.client) {
                c.waiting_at = Some(listener);
            }
            return;
        }
        if let Some(c) = self.sock_mut(syn.client) {
            c.waiting_at = None;
        }
        let host = self.object_host(listener).unwrap_or(HostId::LOCAL);
        let Ok(server) = self.new_server_end(host, unix, syn.client, syn.host) else {
            return;
        };
        // The new end is named for the listener's address and the client's.
        let port = self.sock(listener).and_then(|s| s.port);
        let client_port = self.sock(syn.client).and_then(|s| s.port).unwrap_or(0);
        if let Some(s) = self.sock_mut(server) {
            s.port = port;
        }
        self.relabel(server, (!unix).then_some((syn.host, client_port)));
        if let Some(s) = self.sock_mut(listener) {
            s.accepted.push_back(server);
        }
        // A waiting accept takes it now.
        let acceptor = self.sock_mut(listener).and_then(|s| s.waiters.pop());
        if let Some(a) = acceptor {
            self.unblock_dequeued(a);
            let r = self.take_accepted(a, listener);
            self.finish_wait(a, r, true);
        }
        let actor = self.actor(Some(listener), by);
        let ack = Segment::SynAck {
            server,
            attempt: syn.attempt,
        };
        self.send_packet((host, actor), Some(server), syn.host, Some(syn.client), ack);
    }

    fn new_server_end(
        &mut self,
        host: HostId,
        unix: bool,
        client: ObjId,
        client_host: HostId,
    ) -> crate::KResult<ObjId> {
        let opts = crate::object::ObjectOptions {
            host,
            ..Default::default()
        };
        let id = self.create_object(crate::ObjectKind::Socket, "stream", &opts)?;
        let mut s = crate::socket::Socket::new_end(unix);
        s.peer = Some((client, client_host));
        if let Some(o) = self.objs.get_mut(id.0) {
            o.body = crate::object::Body::Socket(Box::new(s));
        }
        Ok(id)
    }

    /// Where an arriving packet goes.
    pub(crate) fn arrive(&mut self, p: Packet) {
        // Named in the trace: a process holding the socket it reached (for a
        // connection request, the listener), else the sender.
        let reached = match &p.seg {
            Segment::Syn { port, .. } => self.listener_for(p.to_host, *port),
            _ => p.to,
        };
        let by = self.actor(reached, p.sender);
        if !matches!(p.seg, Segment::Datagram { .. }) {
            self.record_net_of(
                by,
                crate::event::NetStep::Arrives,
                &p.seg,
                p.from,
                (Some(p.sender), p.id),
            );
        }
        match p.seg {
            Segment::Syn { client, port, attempt } => match self.listener_for(p.to_host, port) {
                Some(l) => self.request_arrives(
                    l,
                    Syn {
                        client,
                        host: p.from,
                        attempt,
                    },
                    by,
                ),
                None => self.send_packet((p.to_host, by), None, p.from, Some(client), Segment::Rst),
            },
            Segment::SynAck { server, attempt } => self.answer_arrives(p.to, server, p.from, attempt, by),
            Segment::Rst => self.reset_arrives(p.to),
            Segment::Data(bytes) => self.data_arrives(p.to, p.from_obj, p.from, bytes, by),
            Segment::Fin => self.fin_arrives(p.to),
            Segment::Window(n) => self.window_arrives(p.to, n),
            Segment::Datagram { port, from_port, data } => {
                let from = (p.from, from_port, None);
                self.dgram_arrives(p.to_host, port, from, data, (p.sender, p.id));
            }
        }
    }

    /// The listener's answer reached the client: connected, unless it gave up.
    fn answer_arrives(&mut self, to: Option<ObjId>, server: ObjId, server_host: HostId, attempt: u64, by: Pid) {
        let Some(client) = to else { return };
        let connecting =
            matches!(self.sock(client).map(|s| s.phase), Some(Phase::Connecting { attempt: a }) if a == attempt);
        if !connecting {
            // It timed out meanwhile: the queued connection is reset.
            let host = self.object_host(client).unwrap_or(HostId::LOCAL);
            self.send_packet((host, by), None, server_host, Some(server), Segment::Rst);
            return;
        }
        if let Some(s) = self.sock_mut(client) {
            s.phase = Phase::Connected;
            s.peer = Some((server, server_host));
        }
        let connector = self.sock_mut(client).and_then(|s| s.waiters.pop());
        if let Some(c) = connector {
            self.unblock_dequeued(c);
            self.finish_wait(c, Ok(Ret::Unit), true);
        }
    }

    /// A reset reached a socket: a connecting one is refused, a connected
    /// one is broken (readers fail ConnectionReset, writers BrokenPipe).
    fn reset_arrives(&mut self, to: Option<ObjId>) {
        let Some(obj) = to else { return };
        let Some(phase) = self.sock(obj).map(|s| s.phase) else {
            return;
        };
        match phase {
            Phase::Connecting { .. } => {
                if let Some(s) = self.sock_mut(obj) {
                    s.phase = Phase::Fresh;
                }
                let connector = self.sock_mut(obj).and_then(|s| s.waiters.pop());
                if let Some(c) = connector {
                    self.unblock_dequeued(c);
                    self.finish_wait(c, Err(Error::ConnectionRefused), true);
                }
            }
            Phase::Connected => {
                if let Some(s) = self.sock_mut(obj) {
                    s.reset = true;
                }
                self.stream_broken(obj);
            }
            _ => {}
        }
    }

    /// The sockets whose waits a packet would complete, counted while it flies.
    pub(crate) fn in_flight_for(&self, p: &Packet) -> [Option<ObjId>; 2] {
        match &p.seg {
            // The listener or receiver is found by port (`Net::to_ports`).
            Segment::Syn { client, .. } => [Some(*client), None],
            Segment::Datagram { .. } => [None, None],
            _ => [p.to, None],
        }
    }

    pub(crate) fn count_in_flight(&mut self, objs: [Option<ObjId>; 2], delta: i32) {
        for o in objs.into_iter().flatten() {
            if let Some(s) = self.sock_mut(o) {
                s.inflight = s.inflight.saturating_add_signed(delta);
            }
        }
    }

    /// After an arrival: the waiters of sockets with nothing more on its way
    /// may be in a deadlock now.
    pub(crate) fn recheck_socket_waiters(&mut self, objs: [Option<ObjId>; 2]) {
        for o in objs.into_iter().flatten() {
            let Some(s) = self.sock(o) else { continue };
            // Usually the arrival woke whoever waited: nothing to check
            // (and no list to build).
            if (s.waiters.is_empty() && s.writers.is_empty()) || self.on_its_way(o) {
                continue;
            }
            let waiting: Vec<Pid> = s.waiters.iter().chain(s.writers.iter()).collect();
            for w in waiting {
                self.check_deadlock_around(w);
            }
        }
    }

    /// Whether something is on its way to socket `obj`: to it, or (a
    /// listener or a datagram socket) to its port.
    fn on_its_way(&self, obj: ObjId) -> bool {
        let Some(s) = self.sock(obj) else { return false };
        let by_port = !s.stream || matches!(s.phase, Phase::Listening { .. });
        s.inflight > 0
            || (by_port
                && s.port.is_some_and(|port| {
                    let host = self.object_host(obj).unwrap_or(HostId::LOCAL);
                    self.net.to_ports.contains_key(&(host, s.stream, port))
                }))
    }

    /// Whether `pid` waits on a socket for something already on its way (the
    /// deadlock detector counts it as a wait with a timeout).
    pub(crate) fn socket_wait_in_flight(&self, pid: Pid) -> bool {
        let Some(b) = self.procs[pid.index()].blocked() else {
            return false;
        };
        match b.wait {
            Wait::SockRead { .. } | Wait::SockWrite | Wait::Accept | Wait::Connect | Wait::RecvFrom => {
                b.obj.is_some_and(|o| self.on_its_way(o))
            }
            _ => false,
        }
    }
}
