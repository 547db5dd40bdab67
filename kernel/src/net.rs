//! The network between hosts: links with latency and loss, partitions, and
//! the segments and datagrams in flight.
//!
//! Everything that crosses a link is a [`Packet`]; one in flight is a timer
//! due at its arrival (in the kernel's one timer queue, so at each instant
//! arrivals and timers fire in the order they were set, and everything sent
//! over one link arrives in the order it was sent). A packet between two
//! processes of one host (loopback, or a Unix socket) is delivered at once.
//! Losses are drawn from a stream of their own, seeded by the run's seed (or
//! 0), so drawing one never makes scheduling seeded.

use std::collections::BTreeMap;

use slab::Slab;

use crate::event::{EventKind, NetEvent, NetStep};
use crate::kernel::Kernel;
use crate::{Data, HostId, ObjId, Time};

/// Where a timer for a packet points: a pid no process ever has.
pub(crate) const NET_PID: crate::Pid = crate::Pid(u32::MAX);

/// A two-way link between two hosts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Link {
    pub latency: Time,
    /// Percent of datagrams lost (0..=100); streams are never lost.
    pub loss: u8,
    /// Intervals `[from, until)` during which the link carries nothing
    /// (`until` None: for ever).
    pub partitions: Vec<(Time, Option<Time>)>,
}

impl Link {
    /// The partition that covers `t`, as its end (Some(None): for ever).
    fn covering(&self, t: Time) -> Option<Option<Time>> {
        self.partitions
            .iter()
            .find(|(from, until)| t >= *from && until.is_none_or(|u| t < u))
            .map(|(_, until)| *until)
    }

    /// Whether the link is cut at `t`, and until when (Some(None): for
    /// ever): partitions that overlap or touch count as one, so a held
    /// segment leaves only when the link is whole again.
    fn partitioned_at(&self, t: Time) -> Option<Option<Time>> {
        let mut end = self.covering(t)?;
        // Each step moves to a later end, so this ends within as many steps as there are partitions.
        while let Some(u) = end {
            match self.covering(u) {
                Some(next) => end = next,
                None => break,
            }
        }
        Some(end)
    }
}

/// What a packet carries.
#[derive(Clone, Debug)]
pub(crate) enum Segment {
    /// A connection request from `client` (a socket of the sending host) to a port.
    Syn { client: ObjId, port: u16, attempt: u64 },
    /// The listener's answer: the connection's server end.
    SynAck { server: ObjId, attempt: u64 },
    /// A reset: the request is refused, or the connection is broken.
    Rst,
    /// Stream bytes.
    Data(Vec<u8>),
    /// The end of the stream.
    Fin,
    /// Room freed by a read at the receiving end (flow control).
    Window(usize),
    /// A datagram to a port, from a port (0 for a unix sender) and path.
    Datagram { port: u16, from_port: u16, data: Data },
}

impl Segment {
    /// In words, for the trace.
    pub(crate) fn describe(&self) -> String {
        match self {
            Segment::Syn { port, .. } => format!("connection request for port {port}"),
            Segment::SynAck { .. } => "connection accepted".into(),
            Segment::Rst => "reset".into(),
            Segment::Data(b) => format!("{} bytes", b.len()),
            Segment::Fin => "end of stream".into(),
            Segment::Window(n) => format!("room for {n} bytes"),
            Segment::Datagram { port, .. } => format!("datagram for port {port}"),
        }
    }

    fn data(&self) -> Option<Data> {
        match self {
            Segment::Data(b) => Some(Data::str(&String::from_utf8_lossy(b))),
            Segment::Datagram { data, .. } => Some(data.clone()),
            _ => None,
        }
    }
}

/// The port a packet is addressed to when its socket is found on arrival.
fn port_of(p: &Packet) -> Option<(HostId, bool, u16)> {
    match p.seg {
        Segment::Syn { port, .. } => Some((p.to_host, true, port)),
        Segment::Datagram { port, .. } => Some((p.to_host, false, port)),
        _ => None,
    }
}

/// A segment or datagram on its way.
#[derive(Clone, Debug)]
pub(crate) struct Packet {
    pub from: HostId,
    pub to_host: HostId,
    /// The socket it goes to (None: a port of `to_host`, found on arrival).
    pub to: Option<ObjId>,
    pub seg: Segment,
    /// The socket it comes from (a closed end's reset goes back to it).
    pub from_obj: Option<ObjId>,
    /// The process whose call sent it (the trace names it).
    pub sender: crate::Pid,
    /// The sockets whose waits it would complete (see `Socket::inflight`).
    pub counted: [Option<ObjId>; 2],
    /// The port it goes to, when that is decided on arrival (see `Net::to_ports`).
    pub to_port: Option<(HostId, bool, u16)>,
    /// Its number in the trace (0: delivered on one host, never left).
    pub id: u64,
}

/// The network's state.
#[derive(Debug, Default)]
pub(crate) struct Net {
    pub links: BTreeMap<(HostId, HostId), Link>,
    pub packets: Slab<Packet>,
    /// Packets that have left so far (each numbered for the trace).
    pub sent: u64,
    /// Connection requests and datagrams in flight to each (host, stream?,
    /// port): whether a port has a socket is decided when they arrive, so a
    /// socket bound after they left still has them on their way.
    pub to_ports: BTreeMap<(HostId, bool, u16), u32>,
}

fn pair(a: HostId, b: HostId) -> (HostId, HostId) {
    (a.min(b), a.max(b))
}

impl Kernel {
    /// Links two hosts (latency at least 1 tick, loss in percent).
    pub fn add_link(&mut self, a: HostId, b: HostId, latency: Time, loss: u8) -> crate::KResult<()> {
        if a == b || a.index() >= self.hosts.len() || b.index() >= self.hosts.len() || latency == 0 || loss > 100 {
            return Err(crate::Error::InvalidArgument);
        }
        let link = self.net.links.entry(pair(a, b)).or_default();
        link.latency = latency;
        link.loss = loss;
        Ok(())
    }

    /// The link between two hosts carries nothing during `[from, until)`.
    pub fn add_partition(&mut self, a: HostId, b: HostId, from: Time, until: Option<Time>) -> crate::KResult<()> {
        if until.is_some_and(|u| u <= from) {
            return Err(crate::Error::InvalidArgument);
        }
        let link = self
            .net
            .links
            .get_mut(&pair(a, b))
            .ok_or(crate::Error::HostUnreachable)?;
        link.partitions.push((from, until));
        Ok(())
    }

    /// Whether `a` reaches `b`: itself (loopback), or over a link.
    pub(crate) fn reaches(&self, a: HostId, b: HostId) -> bool {
        a == b || self.net.links.contains_key(&pair(a, b))
    }

    /// Whether `a` can ever reach `b` again from now (no partition for ever
    /// has begun): for the deadlock detector.
    pub(crate) fn reaches_now(&self, a: HostId, b: HostId) -> bool {
        if a == b {
            return true;
        }
        self.net.links.get(&pair(a, b)).is_some_and(|l| {
            !l.partitions
                .iter()
                .any(|(from, until)| until.is_none() && *from <= self.now)
        })
    }

    /// Sends a packet from host `from` (for the trace, on behalf of
    /// `sender`) to `to_host`, which it reaches (callers check). Between two
    /// processes of one host it arrives at once.
    pub(crate) fn send_packet(
        &mut self,
        (from, sender): (HostId, crate::Pid),
        from_obj: Option<ObjId>,
        to_host: HostId,
        to: Option<ObjId>,
        seg: Segment,
    ) {
        // The trace says where it leaves from (the process named may be on
        // another host: a reset a closed end sends is named for the sender).
        let outer = self.net_at.replace(from);
        self.send_packet_from((from, sender), from_obj, to_host, to, seg);
        self.net_at = outer;
    }

    fn send_packet_from(
        &mut self,
        (from, sender): (HostId, crate::Pid),
        from_obj: Option<ObjId>,
        to_host: HostId,
        to: Option<ObjId>,
        seg: Segment,
    ) {
        let mut p = Packet {
            from,
            to_host,
            to,
            seg,
            from_obj,
            sender,
            counted: [None, None],
            to_port: None,
            id: 0,
        };
        if from == to_host {
            self.arrive_at(p);
            return;
        }
        let Some(link) = self.net.links.get(&pair(from, to_host)) else {
            return;
        };
        let (latency, loss) = (link.latency, link.loss);
        let held = link.partitioned_at(self.now);
        let datagram = matches!(p.seg, Segment::Datagram { .. });
        if datagram {
            let lost = if held.is_some() {
                Some("a partition")
            } else if loss > 0 && self.draw_loss(loss) {
                Some("the link's loss")
            } else {
                None
            };
            let lost = lost.or_else(|| {
                (self.faults_on && self.fault_drops_datagram(from, to_host))
                    .then_some("an injected fault (--drop-random)")
            });
            if let Some(why) = lost {
                self.record_net(sender, NetStep::Lost(why), &p.seg, to_host);
                self.release_datagram(&p.seg);
                return;
            }
        }
        let held_back = if datagram && self.faults_on {
            self.fault_holds_datagram(from, to_host)
        } else {
            0
        };
        if held_back > 0 {
            self.record_net(sender, NetStep::Held { ticks: held_back }, &p.seg, to_host);
        }
        self.net.sent += 1;
        p.id = self.net.sent;
        // A stream segment sent during a partition leaves when it ends (TCP's
        // retransmission, made simple), or never.
        let leaves = match held {
            None => Some(self.now),
            Some(until) => until,
        };
        let arrives = leaves.map(|t| t.saturating_add(latency).saturating_add(held_back));
        self.record_net_of(sender, NetStep::Leaves { at: arrives }, &p.seg, to_host, (None, p.id));
        let Some(at) = arrives else {
            self.release_datagram(&p.seg);
            return;
        };
        p.counted = self.in_flight_for(&p);
        self.count_in_flight(p.counted, 1);
        p.to_port = port_of(&p);
        if let Some(k) = p.to_port {
            *self.net.to_ports.entry(k).or_default() += 1;
        }
        let key = self.net.packets.insert(p);
        self.timer_seq += 1;
        self.timers.push(std::cmp::Reverse(crate::kernel::Timer {
            at,
            seq: self.timer_seq,
            pid: NET_PID,
            wait_seq: key as u64,
        }));
    }

    /// A packet's timer fired: it arrives.
    pub(crate) fn packet_due(&mut self, key: u64) {
        let Some(p) = self.net.packets.try_remove(key as usize) else {
            return;
        };
        self.count_in_flight(p.counted, -1);
        let mut counted = p.counted;
        if let Some(k) = p.to_port {
            if let Some(n) = self.net.to_ports.get_mut(&k) {
                *n -= 1;
                if *n == 0 {
                    self.net.to_ports.remove(&k);
                }
            }
        }
        let port_socket = p.to_port.and_then(|k| self.ports.get(&k).copied());
        self.arrive_at(p);
        // A wait that had only this on its way is one for ever now.
        if counted[1].is_none() {
            counted[1] = port_socket;
        }
        self.recheck_socket_waiters(counted);
    }

    /// How many links there are.
    pub(crate) fn net_link_count(&self) -> usize {
        self.net.links.len()
    }

    /// The `i`th link's ends, in the links' order.
    pub(crate) fn net_link_at(&self, i: usize) -> Option<(HostId, HostId)> {
        self.net.links.keys().nth(i).copied()
    }

    /// The trace of an injected cut of link `a`-`b` until `until`.
    pub(crate) fn note_link_cut(&mut self, pid: crate::Pid, (a, b): (HostId, HostId), until: crate::Time) {
        if !self.observed {
            return;
        }
        let ev = NetEvent {
            step: NetStep::Cut { until },
            what: "link".into(),
            host: b,
            at: a,
            data: None,
            sender: None,
            id: 0,
        };
        self.record(pid, || EventKind::Net(Box::new(ev)));
    }

    /// Whether a packet's timer still has its packet.
    pub(crate) fn packet_live(&self, key: u64) -> bool {
        self.net.packets.contains(key as usize)
    }

    /// [`Kernel::arrive`], with the trace told which host it happens on.
    fn arrive_at(&mut self, p: Packet) {
        let outer = self.net_at.replace(p.to_host);
        self.arrive(p);
        self.net_at = outer;
    }

    fn draw_loss(&mut self, loss: u8) -> bool {
        let seed = self.cfg.loss_seed.or(self.cfg.seed).unwrap_or(0);
        let rng = self
            .loss_rng
            .get_or_insert_with(|| crate::rng::SplitMix64::new(seed ^ 0x6c6f_7373));
        rng.next_u64() % 100 < u64::from(loss)
    }

    pub(crate) fn record_net(&mut self, pid: crate::Pid, step: NetStep, seg: &Segment, host: HostId) {
        self.record_net_of(pid, step, seg, host, (None, 0));
    }

    /// [`Kernel::record_net`] naming the packet and, for an arrival, its sender.
    pub(crate) fn record_net_of(
        &mut self,
        pid: crate::Pid,
        step: NetStep,
        seg: &Segment,
        host: HostId,
        (sender, id): (Option<crate::Pid>, u64),
    ) {
        if !self.observed {
            return;
        }
        // Where it happens: the host a packet is sent from or arrives at
        // (set by whoever moves it), else the process's.
        let at = self.net_at.unwrap_or_else(|| self.host_of(pid));
        let what = seg.describe();
        let data = seg.data();
        self.record(pid, || {
            EventKind::Net(Box::new(NetEvent {
                step,
                what,
                host,
                at,
                data,
                sender,
                id,
            }))
        });
    }
}
