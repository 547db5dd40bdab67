//! Endpoint system calls: rendezvous, call/reply, control-flow transfer, and every error path.

mod common;

use common::*;
use ipcsim_kernel::*;

const NEVER: Timeout = Timeout::Never;

fn pair() -> (Sim, Pid, Pid, CapId, CapId, ObjId) {
    let mut s = Sim::new();
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let server = s.proc("server");
    let client = s.proc("client");
    let sc = s.cap(server, ep, Rights::RECV);
    let cc = s.cap(client, ep, Rights::SEND | Rights::GRANT);
    (s, server, client, sc, cc, ep)
}

#[test]
fn call_to_a_waiting_receiver_transfers_control_and_reply_returns() {
    let (mut s, server, client, sc, cc, _) = pair();
    s.blocks(server, Sim::recv(sc, NEVER));
    s.blocks(client, Sim::call(cc, 7, NEVER));
    // Control-flow transfer: the server is running already, with the request.
    assert_eq!(s.k.current(), Some(server));
    assert_eq!(msg_int(s.k.take_result(server).expect("delivered")), 7);
    assert_eq!(s.done(server, Sim::reply(8)), Ok(Ret::Unit));
    s.blocks(server, Sim::recv(sc, NEVER));
    assert_eq!(msg_int(s.result(client)), 8);
    assert_eq!(s.k.stats().transfers, 1);
}

#[test]
fn send_waits_for_a_receiver_and_senders_are_served_fifo() {
    let mut s = Sim::new();
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let a = s.proc("a");
    let b = s.proc("b");
    let r = s.proc("r");
    let ca = s.cap(a, ep, Rights::SEND);
    let cb = s.cap(b, ep, Rights::SEND);
    let cr = s.cap(r, ep, Rights::RECV);
    s.blocks(a, Sim::send(ca, 1, NEVER));
    s.blocks(b, Sim::send(cb, 2, NEVER));
    assert_eq!(msg_int(s.done(r, Sim::recv(cr, NEVER))), 1);
    assert_eq!(msg_int(s.done(r, Sim::recv(cr, NEVER))), 2);
}

#[test]
fn nowait_fails_at_once_with_would_block() {
    let (mut s, server, client, sc, cc, _) = pair();
    assert_eq!(s.done(server, Sim::recv(sc, Timeout::NOWAIT)), Err(Error::WouldBlock));
    s.blocks(server, Sim::sleep(1));
    assert_eq!(
        s.done(client, Sim::call(cc, 1, Timeout::NOWAIT)),
        Err(Error::WouldBlock)
    );
    assert_eq!(
        s.done(client, Sim::send(cc, 1, Timeout::NOWAIT)),
        Err(Error::WouldBlock)
    );
    assert_eq!(s.k.now(), 0);
}

#[test]
fn timeout_fails_at_exactly_t_plus_t() {
    let (mut s, server, _client, sc, _cc, _) = pair();
    s.blocks(server, Sim::recv(sc, Timeout::Ticks(5)));
    // client ends (no body), then only the timer is left.
    assert_eq!(s.result_after_idle(server), Err(Error::TimedOut));
    assert_eq!(s.k.now(), 5);
}

#[test]
fn missing_right_is_permission_denied_before_nowait() {
    let (mut s, server, _client, sc, _cc, _) = pair();
    let r = s.done(server, Sim::send(sc, 1, Timeout::NOWAIT));
    assert_eq!(r, Err(Error::PermissionDenied));
}

#[test]
fn stale_forged_and_foreign_capabilities_are_invalid() {
    let (mut s, server, _client, sc, cc, _) = pair();
    assert_eq!(s.done(server, Syscall::Delete { cap: sc }), Ok(Ret::Unit));
    assert_eq!(s.done(server, Sim::recv(sc, NEVER)), Err(Error::InvalidCap));
    assert_eq!(
        s.done(server, Sim::recv(CapId::from_bits(0xdead_beef_0000_0009), NEVER)),
        Err(Error::InvalidCap)
    );
    // The client's capability is the client's: the server cannot use it.
    assert_eq!(s.done(server, Sim::send(cc, 1, NEVER)), Err(Error::InvalidCap));
}

#[test]
fn reply_with_nobody_to_answer_is_no_reply_target() {
    let (mut s, server, _client, _sc, _cc, _) = pair();
    assert_eq!(s.done(server, Sim::reply(1)), Err(Error::NoReplyTarget));
}

#[test]
fn a_late_reply_never_reaches_a_later_call() {
    let (mut s, server, client, sc, cc, _) = pair();
    s.blocks(server, Sim::recv(sc, NEVER));
    s.blocks(client, Sim::call(cc, 1, Timeout::Ticks(3)));
    assert_eq!(msg_int(s.k.take_result(server).expect("request")), 1);
    s.blocks(server, Sim::sleep(10));
    assert_eq!(s.result_after_idle(client), Err(Error::TimedOut));
    assert_eq!(s.k.now(), 3);
    // The client calls again; the server's old reply right must not answer it.
    s.blocks(client, Sim::call(cc, 2, NEVER));
    assert_eq!(s.result_after_idle(server), Ok(Ret::Unit));
    assert_eq!(s.done(server, Sim::reply(99)), Err(Error::NoReplyTarget));
    assert_eq!(msg_int(s.done(server, Sim::recv(sc, NEVER))), 2);
}

#[test]
fn caller_of_a_server_that_ends_gets_peer_died() {
    let (mut s, server, client, sc, cc, _) = pair();
    s.blocks(server, Sim::recv(sc, NEVER));
    s.blocks(client, Sim::call(cc, 1, NEVER));
    s.k.exit(server, Ending::Exited);
    assert_eq!(s.result(client), Err(Error::PeerDied));
}

#[test]
fn receiving_again_drops_an_unused_reply_right() {
    let mut s = Sim::new();
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let server = s.proc("server");
    let c1 = s.proc("c1");
    let c2 = s.proc("c2");
    let sc = s.cap(server, ep, Rights::RECV);
    let k1 = s.cap(c1, ep, Rights::SEND);
    let k2 = s.cap(c2, ep, Rights::SEND);
    s.blocks(server, Sim::recv(sc, NEVER));
    s.blocks(c1, Sim::call(k1, 1, NEVER));
    let _ = s.k.take_result(server);
    // The server receives again without replying to c1: c1 wakes with ObjectGone.
    s.blocks(server, Sim::recv(sc, NEVER));
    s.blocks(c2, Sim::call(k2, 2, NEVER));
    let _ = s.k.take_result(server);
    assert_eq!(s.done(server, Sim::reply(20)), Ok(Ret::Unit));
    s.blocks(server, Sim::recv(sc, NEVER));
    assert_eq!(s.result(c1), Err(Error::ObjectGone));
}

#[test]
fn with_needs_grant_and_the_receiver_gets_a_copy() {
    let (mut s, server, client, sc, cc, ep) = pair();
    let extra = s.cap(client, ep, Rights::SEND);
    s.blocks(server, Sim::recv(sc, NEVER));
    let plain = match s.done(
        client,
        Syscall::Derive {
            cap: cc,
            rights: Some(Rights::SEND),
            badge: None,
        },
    ) {
        Ok(Ret::Cap(c)) => c,
        other => panic!("{other:?}"),
    };
    let m = Message {
        data: Data::Int(1),
        cap: Some(extra),
        ..Default::default()
    };
    let refused = s.done(
        client,
        Syscall::Send {
            cap: plain,
            msg: m.clone(),
            timeout: NEVER,
        },
    );
    assert_eq!(refused, Err(Error::PermissionDenied));
    assert_eq!(
        s.done(
            client,
            Syscall::Send {
                cap: cc,
                msg: m,
                timeout: NEVER
            }
        ),
        Ok(Ret::Unit)
    );
    s.k.exit(client, Ending::Exited);
    let got = match s.result(server) {
        Ok(Ret::Msg(m)) => m,
        other => panic!("{other:?}"),
    };
    let c = got.cap.expect("a capability came with the message");
    assert_eq!(s.k.cap_info(server, c).map(|i| i.2), Some(Rights::SEND));
    s.k.check_invariants().expect("invariants");
}

#[test]
fn messages_over_the_limit_are_refused() {
    let cfg = KernelConfig {
        limits: Limits {
            message_bytes_max: 4,
            ..Limits::default()
        },
        ..KernelConfig::default()
    };
    let mut s = Sim::with(cfg);
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let p = s.proc("p");
    let c = s.cap(p, ep, Rights::SEND);
    let big = Message::new(Data::str("12345"));
    assert_eq!(
        s.done(
            p,
            Syscall::Send {
                cap: c,
                msg: big,
                timeout: NEVER
            }
        ),
        Err(Error::MessageTooLarge)
    );
}

#[test]
fn a_higher_priority_receiver_preempts_a_plain_sender() {
    let mut s = Sim::new();
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let hi = s.proc_prio("hi", 5);
    let lo = s.proc("lo");
    let ch = s.cap(hi, ep, Rights::RECV);
    let cl = s.cap(lo, ep, Rights::SEND);
    s.blocks(hi, Sim::recv(ch, NEVER));
    // The send completes, but hi preempts lo at once: lo's result waits for it.
    assert_eq!(s.sys(lo, Sim::send(cl, 3, NEVER)), Outcome::Switched);
    assert_eq!(msg_int(s.result(hi)), 3);
}

#[test]
fn destroying_an_endpoint_wakes_waiters_with_object_gone() {
    let (mut s, server, client, sc, _cc, ep) = pair();
    let all = s.cap(client, ep, Rights::SEND | Rights::RECV | Rights::GRANT);
    s.blocks(server, Sim::recv(sc, NEVER));
    assert_eq!(s.done(client, Syscall::Destroy { cap: all }), Ok(Ret::Unit));
    s.k.exit(client, Ending::Exited);
    assert_eq!(s.result(server), Err(Error::ObjectGone));
    assert_eq!(s.done(server, Sim::recv(sc, NEVER)), Err(Error::InvalidCap));
}

trait SimExt {
    fn sleep(t: u64) -> Syscall;
    fn result_after_idle(&mut self, pid: Pid) -> SysResult;
}

impl SimExt for Sim {
    fn sleep(t: u64) -> Syscall {
        Syscall::Sleep { ticks: t }
    }
    /// Lets every other ready process end (they have no bodies), then takes `pid`'s result.
    fn result_after_idle(&mut self, pid: Pid) -> SysResult {
        loop {
            match self.k.schedule() {
                Next::Run(p) if p == pid => return self.k.take_result(pid).expect("result"),
                Next::Run(p) => {
                    if self.k.take_result(p).is_none() {
                        // A process that never ran has nothing to do here: it ends.
                        self.k.exit(p, Ending::Exited);
                    } else {
                        // Park it again so the test can reach `pid`.
                        let _ = self.k.syscall(p, Syscall::Sleep { ticks: 1_000 });
                    }
                }
                Next::Finished(f) => panic!("run finished ({f:?}) before {pid:?} woke"),
            }
        }
    }
}

#[test]
fn priority_inheritance_lifts_a_server_until_it_replies() {
    let cfg = KernelConfig {
        priority_inheritance: true,
        ..KernelConfig::default()
    };
    let mut s = Sim::with(cfg);
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let client = s.proc_prio("client", 5);
    let server = s.proc("server");
    let cc = s.cap(client, ep, Rights::SEND);
    let sc = s.cap(server, ep, Rights::RECV);
    s.blocks(client, Syscall::Sleep { ticks: 1 });
    s.blocks(server, Sim::recv(sc, NEVER));
    s.run(client);
    let _ = s.k.take_result(client);
    s.blocks(client, Sim::call(cc, 1, NEVER));
    // Transferred to, and running at the caller's priority.
    assert_eq!(s.k.current(), Some(server));
    assert!(s.k.log().pending().iter().any(|e| e.kind
        == EventKind::Priority {
            priority: 5,
            inherited: true
        }));
    let _ = s.k.take_result(server);
    assert_eq!(
        s.sys(server, Sim::reply(2)),
        Outcome::Switched,
        "back at priority 0, preempted by the client"
    );
    assert!(s.k.log().pending().iter().any(|e| e.kind
        == EventKind::Priority {
            priority: 0,
            inherited: false
        }));
}

#[test]
fn a_reply_refused_for_its_capability_keeps_the_reply_right() {
    // Found by the kernel_calls fuzz target: a reply carrying a capability
    // the server cannot pass failed InvalidCap, but took the reply right
    // first, so the caller waited for a reply nobody owed it.
    let mut s = Sim::new();
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let srv = s.proc_prio("server", 1);
    let cli = s.proc("client");
    let sc = s.cap(srv, ep, Rights::RECV);
    let cc = s.cap(cli, ep, Rights::SEND);
    s.blocks(srv, Sim::recv(sc, Timeout::Never));
    s.blocks(cli, Sim::call(cc, 1, Timeout::Never));
    assert_eq!(msg_int(s.result(srv)), 1);
    let bad = Syscall::Reply {
        msg: Message {
            cap: Some(CapId::NONE),
            ..Message::new(Data::Int(2))
        },
    };
    assert_eq!(s.done(srv, bad), Err(Error::InvalidCap));
    // The caller is still owed its reply, and a good one reaches it.
    assert_eq!(s.done(srv, Sim::reply(3)), Ok(Ret::Unit));
    s.blocks(srv, Sim::recv(sc, Timeout::Never));
    assert_eq!(msg_int(s.result(cli)), 3);
}
