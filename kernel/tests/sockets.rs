//! Unit tests of the socket calls' error paths and timing, straight into the
//! kernel: each refusal the contract (`spec/sockets.md`) names, and the
//! socket left as it was after it.

mod common;

use common::Sim;
use ipcsim_kernel::*;

const L: u64 = 5;

/// Two hosts `a` and `b` joined by a link of latency `L` (and a third, `c`,
/// linked to nobody).
struct Net {
    s: Sim,
    a: HostId,
    b: HostId,
    c: HostId,
}

impl Net {
    fn new() -> Self {
        let mut s = Sim::new();
        let a = s.k.add_host("a").expect("host");
        let b = s.k.add_host("b").expect("host");
        let c = s.k.add_host("c").expect("host");
        s.k.add_link(a, b, L, 0).expect("link");
        Net { s, a, b, c }
    }
    fn proc_on(&mut self, host: HostId, name: &str, uid: u32) -> Pid {
        let spec = ProcessSpec {
            uid,
            gid: uid,
            ..ProcessSpec::new(name)
        };
        self.s.k.create_process_on(host, &spec, None).expect("process")
    }
    fn done(&mut self, pid: Pid, call: Syscall) -> SysResult {
        self.s.done(pid, call)
    }
    fn socket(&mut self, pid: Pid, stream: bool, unix: bool) -> CapId {
        match self.done(pid, Syscall::Socket { stream, unix }) {
            Ok(Ret::Cap(c)) => c,
            other => panic!("socket: {other:?}"),
        }
    }
    /// A stream socket of `pid` listening on `port`.
    fn listener(&mut self, pid: Pid, port: i64) -> CapId {
        let s = self.socket(pid, true, false);
        assert_eq!(self.done(pid, Syscall::Bind { cap: s, port }), Ok(Ret::Unit));
        assert_eq!(self.done(pid, Syscall::Listen { cap: s, backlog: None }), Ok(Ret::Unit));
        s
    }
    fn bind(&mut self, pid: Pid, cap: CapId, port: i64) -> SysResult {
        self.done(pid, Syscall::Bind { cap, port })
    }
    fn bind_path(&mut self, pid: Pid, cap: CapId, path: &str, mode: u32) -> SysResult {
        self.done(
            pid,
            Syscall::BindPath {
                cap,
                path: path.into(),
                mode,
            },
        )
    }
    fn write(cap: CapId, text: &str) -> Syscall {
        Syscall::Write {
            cap,
            data: Data::str(text),
            timeout: Timeout::Never,
        }
    }
    fn read(cap: CapId) -> Syscall {
        Syscall::Read {
            cap,
            max: 100,
            timeout: Timeout::Never,
        }
    }
    fn connect(cap: CapId, host: HostId, port: i64) -> Syscall {
        Syscall::Connect {
            cap,
            host,
            port,
            timeout: Timeout::Never,
        }
    }
}

fn bytes(r: SysResult) -> String {
    match r {
        Ok(Ret::Bytes(d)) => String::from_utf8_lossy(&d.to_stream_bytes()).into_owned(),
        other => panic!("expected bytes, got {other:?}"),
    }
}

#[test]
fn bind_refuses_out_of_range_privileged_and_taken_ports_and_leaves_the_socket_unbound() {
    let mut n = Net::new();
    let user = n.proc_on(n.a, "user", 1000);
    let s = n.socket(user, true, false);
    assert_eq!(n.bind(user, s, -1), Err(Error::InvalidArgument));
    assert_eq!(n.bind(user, s, 65_536), Err(Error::InvalidArgument));
    assert_eq!(n.bind(user, s, 80), Err(Error::PermissionDenied));
    // None of those bound it: a retry is not a second bind.
    assert_eq!(n.bind(user, s, 8080), Ok(Ret::Unit));
    assert_eq!(n.bind(user, s, 8081), Err(Error::InvalidArgument), "a second bind");
    let t = n.socket(user, true, false);
    assert_eq!(n.bind(user, t, 8080), Err(Error::AddressInUse));
    // A datagram socket has its own port space.
    let d = n.socket(user, false, false);
    assert_eq!(n.bind(user, d, 8080), Ok(Ret::Unit));
    // A port on a unix socket.
    let u = n.socket(user, true, true);
    assert_eq!(n.bind(user, u, 9000), Err(Error::InvalidArgument));
}

#[test]
fn the_permission_check_comes_before_address_in_use() {
    let mut n = Net::new();
    let root = n.proc_on(n.a, "root", 0);
    let s = n.socket(root, true, false);
    assert_eq!(n.bind(root, s, 80), Ok(Ret::Unit));
    n.s.blocks(root, Syscall::Sleep { ticks: 10 });
    let user = n.proc_on(n.a, "user", 1000);
    let t = n.socket(user, true, false);
    assert_eq!(n.bind(user, t, 80), Err(Error::PermissionDenied));
}

#[test]
fn port_zero_takes_the_lowest_free_ephemeral_port_and_a_closed_socket_frees_its_port() {
    let mut n = Net::new();
    let p = n.proc_on(n.a, "p", 1000);
    let s = n.socket(p, true, false);
    assert_eq!(n.bind(p, s, 0), Ok(Ret::Unit));
    let t = n.socket(p, true, false);
    assert_eq!(n.bind(p, t, 49_152), Err(Error::AddressInUse), "port 0 took 49152");
    assert_eq!(n.bind(p, t, 0), Ok(Ret::Unit), "and the next one 49153");
    assert_eq!(n.done(p, Syscall::Close { cap: s }), Ok(Ret::Unit));
    let u = n.socket(p, true, false);
    assert_eq!(n.bind(p, u, 49_152), Ok(Ret::Unit), "closing freed it at once");
}

#[test]
fn unix_paths_are_refused_when_taken_empty_or_on_an_inet_socket_and_stay_until_unlink() {
    let mut n = Net::new();
    let p = n.proc_on(n.a, "p", 1000);
    let inet = n.socket(p, true, false);
    assert_eq!(n.bind_path(p, inet, "/s", 0o755), Err(Error::InvalidArgument));
    let u = n.socket(p, true, true);
    assert_eq!(n.bind_path(p, u, "", 0o755), Err(Error::InvalidArgument));
    assert_eq!(n.bind_path(p, u, "/s", 0o755), Ok(Ret::Unit));
    let v = n.socket(p, true, true);
    assert_eq!(n.bind_path(p, v, "/s", 0o755), Err(Error::AddressInUse));
    assert_eq!(n.done(p, Syscall::Close { cap: u }), Ok(Ret::Unit));
    assert_eq!(
        n.bind_path(p, v, "/s", 0o755),
        Err(Error::AddressInUse),
        "the file stays after close"
    );
    assert_eq!(n.done(p, Syscall::Unlink { path: "/s".into() }), Ok(Ret::Unit));
    assert_eq!(n.bind_path(p, v, "/s", 0o755), Ok(Ret::Unit));
    assert_eq!(
        n.done(p, Syscall::Unlink { path: "/none".into() }),
        Err(Error::NotFound)
    );
    let fifo = Syscall::Mkfifo {
        path: "/f".into(),
        mode: 0o666,
    };
    assert_eq!(n.done(p, fifo), Ok(Ret::Unit));
    assert_eq!(
        n.done(p, Syscall::Unlink { path: "/f".into() }),
        Err(Error::InvalidArgument)
    );
}

#[test]
fn connect_to_a_path_checks_permission_first_then_existence_then_a_listener() {
    let mut n = Net::new();
    let root = n.proc_on(n.a, "root", 0);
    let private = n.socket(root, true, true);
    assert_eq!(n.bind_path(root, private, "/private", 0o700), Ok(Ret::Unit));
    let open = n.socket(root, true, true);
    assert_eq!(n.bind_path(root, open, "/open", 0o777), Ok(Ret::Unit));
    n.s.blocks(root, Syscall::Sleep { ticks: 10 });
    let user = n.proc_on(n.a, "user", 1000);
    let c = n.socket(user, true, true);
    let to = |path: &str| Syscall::ConnectPath {
        cap: c,
        path: path.into(),
        timeout: Timeout::Never,
    };
    // Not listening, but the permission check comes first.
    assert_eq!(n.done(user, to("/private")), Err(Error::PermissionDenied));
    assert_eq!(n.done(user, to("/none")), Err(Error::NotFound));
    assert_eq!(n.done(user, to("/open")), Err(Error::ConnectionRefused));
    n.s.blocks(user, Syscall::Sleep { ticks: 20 });
    assert_eq!(n.s.result(root), Ok(Ret::Unit));
    assert_eq!(
        n.done(
            root,
            Syscall::Listen {
                cap: open,
                backlog: None
            }
        ),
        Ok(Ret::Unit)
    );
    n.s.blocks(
        root,
        Syscall::Accept {
            cap: open,
            timeout: Timeout::Never,
        },
    );
    assert_eq!(n.s.result(user), Ok(Ret::Unit));
    assert_eq!(
        n.done(user, to("/open")),
        Ok(Ret::Unit),
        "a failed connect left it fresh"
    );
    assert_eq!(
        n.done(user, to("/open")),
        Err(Error::InvalidArgument),
        "connected already"
    );
}

#[test]
fn listen_and_accept_refuse_the_wrong_kind_or_phase() {
    let mut n = Net::new();
    let p = n.proc_on(n.a, "p", 1000);
    let d = n.socket(p, false, false);
    assert_eq!(
        n.done(p, Syscall::Listen { cap: d, backlog: None }),
        Err(Error::InvalidArgument)
    );
    let s = n.socket(p, true, false);
    let accept = |cap, timeout| Syscall::Accept { cap, timeout };
    assert_eq!(
        n.done(p, accept(s, Timeout::NOWAIT)),
        Err(Error::InvalidArgument),
        "not listening"
    );
    assert_eq!(
        n.done(p, accept(d, Timeout::NOWAIT)),
        Err(Error::InvalidArgument),
        "a datagram socket"
    );
    assert_eq!(n.done(p, Syscall::Listen { cap: s, backlog: None }), Ok(Ret::Unit));
    assert_eq!(n.done(p, accept(s, Timeout::NOWAIT)), Err(Error::WouldBlock));
    // `listen` bound it to an ephemeral port.
    let t = n.socket(p, true, false);
    assert_eq!(n.bind(p, t, 49_152), Err(Error::AddressInUse));
    // A listening socket cannot connect.
    assert_eq!(n.done(p, Net::connect(s, n.a, 49_152)), Err(Error::InvalidArgument));
    // A connected one cannot listen.
    let [x, _] = match n.done(p, Syscall::SocketPair) {
        Ok(Ret::Pair(x, y)) => [x, y],
        other => panic!("socketpair: {other:?}"),
    };
    assert_eq!(
        n.done(p, Syscall::Listen { cap: x, backlog: None }),
        Err(Error::InvalidArgument)
    );
}

#[test]
fn connect_fails_host_unreachable_at_once_without_a_link_or_a_host() {
    let mut n = Net::new();
    let p = n.proc_on(n.a, "p", 1000);
    let s = n.socket(p, true, false);
    let queued = n.s.k.timers_queued();
    assert_eq!(n.done(p, Net::connect(s, n.c, 80)), Err(Error::HostUnreachable));
    assert_eq!(
        n.done(p, Net::connect(s, HostId::LOCAL, 80)),
        Err(Error::HostUnreachable)
    );
    let nowait = Syscall::Connect {
        cap: s,
        host: n.b,
        port: 80,
        timeout: Timeout::NOWAIT,
    };
    assert_eq!(n.done(p, nowait), Err(Error::WouldBlock), "it cannot complete at once");
    assert_eq!(n.s.k.timers_queued(), queued, "and nothing left");
    assert_eq!(n.done(p, Net::connect(s, n.b, 70_000)), Err(Error::InvalidArgument));
    let d = n.socket(p, false, false);
    assert_eq!(n.done(p, Net::connect(d, n.b, 80)), Err(Error::InvalidArgument));
    let u = n.socket(p, true, true);
    assert_eq!(n.done(p, Net::connect(u, n.b, 80)), Err(Error::InvalidArgument));
    assert_eq!(n.s.k.now(), 0);
}

#[test]
fn connect_to_a_port_nobody_listens_on_is_refused_after_one_round_trip() {
    let mut n = Net::new();
    let p = n.proc_on(n.a, "p", 1000);
    let s = n.socket(p, true, false);
    n.s.blocks(p, Net::connect(s, n.b, 80));
    assert_eq!(n.s.result(p), Err(Error::ConnectionRefused));
    assert_eq!(n.s.k.now(), 2 * L);
    // Refused, it is fresh again: it may connect elsewhere.
    n.s.blocks(p, Net::connect(s, n.b, 81));
    assert_eq!(n.s.result(p), Err(Error::ConnectionRefused));
    assert_eq!(n.s.k.now(), 4 * L);
}

#[test]
fn connect_returns_after_one_round_trip_and_the_bytes_after_one_latency() {
    let mut n = Net::new();
    let server = n.proc_on(n.b, "server", 0);
    let l = n.listener(server, 7000);
    n.s.blocks(
        server,
        Syscall::Accept {
            cap: l,
            timeout: Timeout::Never,
        },
    );
    let client = n.proc_on(n.a, "client", 1000);
    let c = n.socket(client, true, false);
    n.s.blocks(client, Net::connect(c, n.b, 7000));
    let conn = match n.s.result(server) {
        Ok(Ret::Cap(x)) => x,
        other => panic!("accept: {other:?}"),
    };
    assert_eq!(n.s.k.now(), L, "the request arrived");
    n.s.blocks(server, Net::read(conn));
    assert_eq!(n.s.result(client), Ok(Ret::Unit));
    assert_eq!(n.s.k.now(), 2 * L, "connect took one round trip");
    assert_eq!(n.done(client, Net::write(c, "ping")), Ok(Ret::Int(4)));
    n.s.blocks(client, Net::read(c));
    assert_eq!(bytes(n.s.result(server)), "ping");
    assert_eq!(n.s.k.now(), 3 * L);
}

#[test]
fn stream_calls_on_an_unconnected_or_datagram_socket_are_refused() {
    let mut n = Net::new();
    let p = n.proc_on(n.a, "p", 1000);
    let s = n.socket(p, true, false);
    assert_eq!(n.done(p, Net::write(s, "x")), Err(Error::NotConnected));
    assert_eq!(n.done(p, Net::read(s)), Err(Error::NotConnected));
    assert_eq!(n.done(p, Syscall::Shutdown { cap: s }), Err(Error::NotConnected));
    let d = n.socket(p, false, false);
    assert_eq!(n.done(p, Net::write(d, "x")), Err(Error::InvalidArgument));
    assert_eq!(n.done(p, Net::read(d)), Err(Error::InvalidArgument));
    assert_eq!(n.done(p, Syscall::Shutdown { cap: d }), Err(Error::InvalidArgument));
}

#[test]
fn a_write_after_shutdown_raises_sigpipe_and_a_reader_sees_the_end() {
    let mut n = Net::new();
    let p = n.proc_on(n.a, "p", 1000);
    let (x, y) = match n.done(p, Syscall::SocketPair) {
        Ok(Ret::Pair(x, y)) => (x, y),
        other => panic!("socketpair: {other:?}"),
    };
    assert_eq!(n.done(p, Net::write(x, "last")), Ok(Ret::Int(4)));
    assert_eq!(n.done(p, Syscall::Shutdown { cap: x }), Ok(Ret::Unit));
    assert_eq!(bytes(n.done(p, Net::read(y))), "last");
    assert_eq!(bytes(n.done(p, Net::read(y))), "", "then the end of the stream");
    assert_eq!(
        n.done(p, Net::write(y, "back")),
        Ok(Ret::Int(4)),
        "a half-close: the other way still works"
    );
    assert_eq!(bytes(n.done(p, Net::read(x))), "back");
    assert_eq!(
        n.s.k.syscall(p, Net::write(x, "more")),
        Outcome::Switched,
        "SIGPIPE ended it"
    );
    assert_eq!(n.s.k.ending(p), Some(Ending::Killed(Signal::SIGPIPE)));
}

#[test]
fn a_unix_write_to_a_closed_peer_fails_at_once() {
    let mut n = Net::new();
    let p = n.proc_on(n.a, "p", 1000);
    let (x, y) = match n.done(p, Syscall::SocketPair) {
        Ok(Ret::Pair(x, y)) => (x, y),
        other => panic!("socketpair: {other:?}"),
    };
    assert_eq!(n.done(p, Syscall::Close { cap: y }), Ok(Ret::Unit));
    assert_eq!(
        n.s.k.syscall(p, Net::write(x, "x")),
        Outcome::Switched,
        "SIGPIPE ended it"
    );
    assert_eq!(n.s.k.ending(p), Some(Ending::Killed(Signal::SIGPIPE)));
}

#[test]
fn an_inet_write_to_a_closed_peer_is_accepted_then_reset_one_round_trip_later() {
    let mut n = Net::new();
    let server = n.proc_on(n.b, "server", 0);
    let l = n.listener(server, 7000);
    n.s.blocks(
        server,
        Syscall::Accept {
            cap: l,
            timeout: Timeout::Never,
        },
    );
    let client = n.proc_on(n.a, "client", 1000);
    let c = n.socket(client, true, false);
    n.s.blocks(client, Net::connect(c, n.b, 7000));
    let conn = match n.s.result(server) {
        Ok(Ret::Cap(x)) => x,
        other => panic!("accept: {other:?}"),
    };
    assert_eq!(n.done(server, Syscall::Close { cap: conn }), Ok(Ret::Unit));
    n.s.blocks(server, Syscall::Sleep { ticks: 1000 });
    assert_eq!(n.s.result(client), Ok(Ret::Unit));
    let t = n.s.k.now();
    // The end of stream left at L and arrives at 2L, with the connect's answer.
    assert_eq!(
        n.done(client, Net::write(c, "late")),
        Ok(Ret::Int(4)),
        "the first write is accepted"
    );
    n.s.blocks(client, Syscall::Sleep { ticks: 2 * L });
    assert_eq!(n.s.result(client), Ok(Ret::Unit));
    assert_eq!(n.s.k.now(), t + 2 * L);
    assert_eq!(
        bytes(n.done(client, Net::read(c))),
        "",
        "the end arrived before the reset"
    );
    let out = n.s.k.syscall(client, Net::write(c, "again"));
    assert_eq!(out, Outcome::Switched, "the reset has arrived: SIGPIPE ended it");
    assert_eq!(n.s.k.ending(client), Some(Ending::Killed(Signal::SIGPIPE)));
}

#[test]
fn a_read_after_a_reset_fails_connection_reset() {
    let mut n = Net::new();
    let server = n.proc_on(n.b, "server", 0);
    let l = n.listener(server, 7000);
    n.s.blocks(
        server,
        Syscall::Accept {
            cap: l,
            timeout: Timeout::Never,
        },
    );
    let client = n.proc_on(n.a, "client", 1000);
    let c = n.socket(client, true, false);
    n.s.blocks(client, Net::connect(c, n.b, 7000));
    let conn = match n.s.result(server) {
        Ok(Ret::Cap(x)) => x,
        other => panic!("accept: {other:?}"),
    };
    n.s.blocks(server, Syscall::Sleep { ticks: 3 * L });
    assert_eq!(n.s.result(client), Ok(Ret::Unit));
    assert_eq!(n.done(client, Net::write(c, "unread")), Ok(Ret::Int(6)));
    n.s.blocks(client, Net::read(c));
    // The server closes with the bytes unread: a reset, not an end.
    assert_eq!(n.s.result(server), Ok(Ret::Unit));
    assert_eq!(n.done(server, Syscall::Close { cap: conn }), Ok(Ret::Unit));
    n.s.blocks(server, Syscall::Sleep { ticks: 1000 });
    assert_eq!(n.s.result(client), Err(Error::ConnectionReset));
    assert_eq!(n.s.k.now(), 5 * L, "the reset left at 4L");
}

#[test]
fn datagram_calls_refuse_the_wrong_kind_range_or_host() {
    let mut n = Net::new();
    let p = n.proc_on(n.a, "p", 1000);
    let d = n.socket(p, false, false);
    let to = |cap, host, port, text: &str| Syscall::SendTo {
        cap,
        host,
        port,
        data: Data::str(text),
    };
    assert_eq!(n.done(p, to(d, n.b, -1, "x")), Err(Error::InvalidArgument));
    assert_eq!(n.done(p, to(d, n.c, 9, "x")), Err(Error::HostUnreachable));
    assert_eq!(n.done(p, to(d, HostId::LOCAL, 9, "x")), Err(Error::HostUnreachable));
    let big = "x".repeat(65_508);
    assert_eq!(n.done(p, to(d, n.b, 9, &big)), Err(Error::MessageTooLarge));
    let s = n.socket(p, true, false);
    assert_eq!(
        n.done(p, to(s, n.b, 9, "x")),
        Err(Error::InvalidArgument),
        "a stream socket"
    );
    let recv = |cap| Syscall::RecvFrom {
        cap,
        timeout: Timeout::NOWAIT,
    };
    assert_eq!(n.done(p, recv(s)), Err(Error::InvalidArgument));
    assert_eq!(n.done(p, recv(d)), Err(Error::WouldBlock));
    let u = n.socket(p, false, true);
    let to_path = |cap, path: &str| Syscall::SendToPath {
        cap,
        path: path.into(),
        data: Data::str("x"),
    };
    assert_eq!(n.done(p, to_path(u, "/none")), Err(Error::NotFound));
    assert_eq!(
        n.done(p, to_path(d, "/none")),
        Err(Error::InvalidArgument),
        "a path on an inet socket"
    );
    assert_eq!(
        n.done(p, to(u, n.b, 9, "x")),
        Err(Error::InvalidArgument),
        "a port on a unix socket"
    );
    let stream_file = n.socket(p, true, true);
    assert_eq!(n.bind_path(p, stream_file, "/st", 0o777), Ok(Ret::Unit));
    assert_eq!(
        n.done(p, to_path(u, "/st")),
        Err(Error::ConnectionRefused),
        "a stream socket's file"
    );
}

#[test]
fn a_datagram_keeps_its_boundary_and_names_its_sender_and_the_65th_queued_is_dropped() {
    let mut n = Net::new();
    let rx = n.proc_on(n.b, "rx", 1000);
    let r = n.socket(rx, false, false);
    assert_eq!(n.bind(rx, r, 9), Err(Error::PermissionDenied));
    assert_eq!(n.bind(rx, r, 9000), Ok(Ret::Unit));
    n.s.blocks(rx, Syscall::Sleep { ticks: 100 });
    let tx = n.proc_on(n.a, "tx", 1000);
    let t = n.socket(tx, false, false);
    for i in 0..65 {
        let send = Syscall::SendTo {
            cap: t,
            host: n.b,
            port: 9000,
            data: Data::str(&format!("d{i}")),
        };
        assert_eq!(n.done(tx, send), Ok(Ret::Unit), "sendto never waits");
    }
    n.s.blocks(tx, Syscall::Sleep { ticks: 1000 });
    assert_eq!(n.s.result(rx), Ok(Ret::Unit));
    for i in 0..64 {
        let got = n.done(
            rx,
            Syscall::RecvFrom {
                cap: r,
                timeout: Timeout::NOWAIT,
            },
        );
        match got {
            Ok(Ret::Datagram { data, host, port, path }) => {
                assert_eq!(data, Data::str(&format!("d{i}")));
                assert_eq!((host, port, path), (n.a, 49_152, None));
            }
            other => panic!("recvfrom {i}: {other:?}"),
        }
    }
    let last = n.done(
        rx,
        Syscall::RecvFrom {
            cap: r,
            timeout: Timeout::NOWAIT,
        },
    );
    assert_eq!(last, Err(Error::WouldBlock), "the 65th found the queue full");
}

#[test]
fn socketpair_needs_room_for_both_capabilities() {
    let mut cfg = KernelConfig::default();
    cfg.limits.caps_per_process_max = 3;
    let mut s = Sim::with(cfg);
    let p = s.proc("p");
    assert!(matches!(
        s.done(
            p,
            Syscall::Socket {
                stream: true,
                unix: true
            }
        ),
        Ok(Ret::Cap(_))
    ));
    assert!(matches!(
        s.done(
            p,
            Syscall::Socket {
                stream: true,
                unix: true
            }
        ),
        Ok(Ret::Cap(_))
    ));
    assert_eq!(s.done(p, Syscall::SocketPair), Err(Error::LimitReached));
    assert!(matches!(
        s.done(
            p,
            Syscall::Socket {
                stream: true,
                unix: true
            }
        ),
        Ok(Ret::Cap(_))
    ));
    assert_eq!(
        s.done(
            p,
            Syscall::Socket {
                stream: true,
                unix: true
            }
        ),
        Err(Error::LimitReached)
    );
}

#[test]
fn a_datagram_sent_before_its_port_was_bound_is_on_its_way_not_a_deadlock() {
    let mut n = Net::new();
    let tx = n.proc_on(n.a, "tx", 1000);
    let t = n.socket(tx, false, false);
    let send = Syscall::SendTo {
        cap: t,
        host: n.b,
        port: 9000,
        data: Data::str("early"),
    };
    assert_eq!(n.done(tx, send), Ok(Ret::Unit));
    n.s.blocks(tx, Syscall::Sleep { ticks: 100 });
    let rx = n.proc_on(n.b, "rx", 1000);
    let r = n.socket(rx, false, false);
    assert_eq!(n.bind(rx, r, 9000), Ok(Ret::Unit));
    n.s.blocks(
        rx,
        Syscall::RecvFrom {
            cap: r,
            timeout: Timeout::Never,
        },
    );
    assert!(n.s.k.deadlocks().is_empty(), "found {:?}", n.s.k.deadlocks());
    assert!(matches!(n.s.result(rx), Ok(Ret::Datagram { .. })));
    assert_eq!(n.s.k.now(), L);
}

#[test]
fn a_connection_request_sent_before_listen_is_on_its_way_not_a_deadlock() {
    let mut n = Net::new();
    let client = n.proc_on(n.a, "client", 1000);
    let c = n.socket(client, true, false);
    n.s.blocks(client, Net::connect(c, n.b, 7000));
    let server = n.proc_on(n.b, "server", 1000);
    let l = n.listener(server, 7000);
    n.s.blocks(
        server,
        Syscall::Accept {
            cap: l,
            timeout: Timeout::Never,
        },
    );
    assert!(n.s.k.deadlocks().is_empty(), "found {:?}", n.s.k.deadlocks());
    assert!(matches!(n.s.result(server), Ok(Ret::Cap(_))));
    assert_eq!(n.s.k.now(), L);
}

#[test]
fn a_receiver_whose_last_datagram_was_lost_on_arrival_is_in_a_deadlock_then() {
    let mut n = Net::new();
    let rx = n.proc_on(n.b, "rx", 1000);
    let r = n.socket(rx, false, false);
    assert_eq!(n.bind(rx, r, 9000), Ok(Ret::Unit));
    n.s.blocks(
        rx,
        Syscall::RecvFrom {
            cap: r,
            timeout: Timeout::Never,
        },
    );
    let tx = n.proc_on(n.a, "tx", 1000);
    let t = n.socket(tx, false, false);
    // To another port: nothing on its way to rx's.
    let send = Syscall::SendTo {
        cap: t,
        host: n.b,
        port: 9001,
        data: Data::str("astray"),
    };
    assert_eq!(n.done(tx, send), Ok(Ret::Unit));
    n.s.k.exit(tx, Ending::Exited);
    assert!(!n.s.k.deadlocks().is_empty(), "nobody left can send to rx");
}
