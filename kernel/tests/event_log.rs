//! The event log's buffer: clearing it releases what its events hold (a
//! string message's text) and keeps nothing else; an event's `seq` keeps
//! counting across clears.

mod common;

use std::sync::Arc;

use common::Sim;
use ipcsim_kernel::*;

/// A mailbox, a sender and a receiver; the sender sends `data` (buffered).
fn sent(data: Data) -> Sim {
    let mut s = Sim::with(KernelConfig {
        record_events: true,
        ..KernelConfig::default()
    });
    let mb = s.obj_opts(
        ObjectKind::Mailbox,
        "mb",
        ObjectOptions {
            capacity: Some(4),
            ..Default::default()
        },
    );
    let a = s.proc("a");
    let c = s.cap(a, mb, Rights::SEND);
    let r = s.done(
        a,
        Syscall::Send {
            cap: c,
            msg: Message::new(data),
            timeout: Timeout::Never,
        },
    );
    assert_eq!(r, Ok(Ret::Unit));
    s
}

#[test]
fn clearing_releases_a_string_the_events_held() {
    let text: Arc<str> = Arc::from("held by the log");
    let mut s = sent(Data::Str(text.clone()));
    let pending = s.k.pending_events().len();
    assert!(pending > 0);
    // The mailbox holds the message, the log its Syscall and Enqueue events.
    assert!(Arc::strong_count(&text) >= 3, "{}", Arc::strong_count(&text));
    let held_by_mailbox = 1;
    s.k.log().clear();
    assert!(s.k.pending_events().is_empty());
    assert_eq!(Arc::strong_count(&text), 1 + held_by_mailbox);
}

#[test]
fn clearing_integer_events_empties_the_buffer_and_keeps_counting() {
    let mut s = sent(Data::Int(7));
    let first: Vec<u64> = s.k.pending_events().iter().map(|e| e.seq).collect();
    assert!(!first.is_empty());
    s.k.log().clear();
    assert!(s.k.pending_events().is_empty());
    let total = s.k.log().total();
    assert_eq!(total, first.len() as u64 + first[0]);
    // The next event goes on from where the cleared ones stopped.
    let a = Pid(0);
    let _ = s.k.syscall(a, Syscall::Yield);
    let next = s.k.pending_events().first().map(|e| e.seq);
    assert_eq!(next, Some(total));
}

#[test]
fn a_string_after_a_clear_of_integers_is_still_released() {
    let text: Arc<str> = Arc::from("second");
    let mut s = sent(Data::Int(1));
    s.k.log().clear();
    let a = Pid(0);
    let cap = s.k.boot_caps(a)[0];
    let _ = s.k.syscall(
        a,
        Syscall::Send {
            cap,
            msg: Message::new(Data::Str(text.clone())),
            timeout: Timeout::Never,
        },
    );
    assert!(Arc::strong_count(&text) >= 3);
    s.k.log().clear();
    // Only the mailbox's copy is left.
    assert_eq!(Arc::strong_count(&text), 2);
}

/// The events of a `reply_recv` that closes a deadlock: the server S answers
/// its caller C and blocks in `recv` on an endpoint whose only other sender,
/// D, waits for S. Issued by the typed entry or by `Kernel::syscall`, with
/// the fast paths on or off.
fn deadlock_by_reply_recv(fast_paths: bool, typed: bool) -> Vec<Event> {
    let mut s = Sim::with(KernelConfig {
        record_events: true,
        fast_paths,
        ..KernelConfig::default()
    });
    let ep_a = s.obj(ObjectKind::Endpoint, "a");
    let ep_b = s.obj(ObjectKind::Endpoint, "b");
    let ep_d = s.obj(ObjectKind::Endpoint, "d");
    let (srv, d, c) = (s.proc("S"), s.proc("D"), s.proc("C"));
    let s_a = s.cap(srv, ep_a, Rights::RECV);
    let s_b = s.cap(srv, ep_b, Rights::RECV);
    s.cap(srv, ep_d, Rights::SEND);
    s.cap(d, ep_b, Rights::SEND);
    let d_d = s.cap(d, ep_d, Rights::RECV);
    let c_a = s.cap(c, ep_a, Rights::SEND);
    s.blocks(srv, Sim::recv(s_a, Timeout::Never));
    s.blocks(d, Sim::recv(d_d, Timeout::Never));
    s.run(c);
    let call = Sim::call(c_a, 1, Timeout::Never);
    assert_eq!(common::enter(&mut s.k, c, call, typed), Outcome::Switched);
    s.run(srv);
    let rr = Syscall::ReplyRecv {
        cap: s_b,
        msg: Message::new(Data::Int(2)),
        timeout: Timeout::Never,
    };
    assert_eq!(common::enter(&mut s.k, srv, rr, typed), Outcome::Switched);
    s.k.check_invariants().expect("invariants");
    // The caller runs next (the fast path switched to it already).
    s.run(c);
    s.k.log().drain().collect()
}

#[test]
fn a_deadlock_closed_by_reply_recv_is_logged_between_its_block_and_switch() {
    let slow = deadlock_by_reply_recv(false, false);
    let kinds: Vec<&str> = slow
        .iter()
        .rev()
        .take(4)
        .map(|e| match &e.kind {
            EventKind::Reply { .. } => "reply",
            EventKind::Block { .. } => "block",
            EventKind::Deadlock { .. } => "deadlock",
            EventKind::Switch { .. } => "switch",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["switch", "deadlock", "block", "reply"], "{slow:#?}");
    for typed in [true, false] {
        assert_eq!(
            deadlock_by_reply_recv(true, typed),
            slow,
            "fast path, typed entry: {typed}"
        );
    }
}

#[test]
fn dropping_the_kernel_releases_what_its_log_held() {
    let text: Arc<str> = Arc::from("held until the kernel goes");
    let s = sent(Data::Str(text.clone()));
    assert!(Arc::strong_count(&text) >= 3);
    drop(s);
    assert_eq!(Arc::strong_count(&text), 1);
}

#[test]
fn a_drained_string_is_not_kept_in_a_spare_slot() {
    let text: Arc<str> = Arc::from("read once");
    let mut s = sent(Data::Str(text.clone()));
    let events: Vec<Event> = s.k.log().drain().collect();
    assert!(!events.is_empty());
    drop(events);
    // Only the mailbox's copy is left: the log kept nothing of what it gave out.
    assert_eq!(Arc::strong_count(&text), 2);
}

/// A server waiting in `recv` and a client that calls it `n` times, the
/// server answering with `reply_recv` (fast paths: one log entry per call).
fn fast_round_trips(s: &mut Sim, n: i64) {
    let (srv, cli) = (Pid(0), Pid(1));
    let (s_cap, c_cap) = (s.k.boot_caps(srv)[0], s.k.boot_caps(cli)[0]);
    for i in 0..n {
        s.run(cli);
        assert_eq!(
            s.k.call(cli, c_cap, Message::new(Data::Int(i)), Timeout::Never),
            Outcome::Switched
        );
        s.run(srv);
        let m = s.k.take_result(srv).expect("request");
        let reply = match m {
            Ok(Ret::Msg(m)) => m.data,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            s.k.reply_recv(srv, s_cap, Message::new(reply), Timeout::Never),
            Outcome::Switched
        );
        s.run(cli);
        assert!(s.k.take_result(cli).is_some());
    }
}

#[test]
fn events_are_numbered_in_order_across_settles_drains_and_clears() {
    let mut s = Sim::with(KernelConfig {
        record_events: true,
        ..KernelConfig::default()
    });
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let (srv, cli) = (s.proc("server"), s.proc("client"));
    s.cap(srv, ep, Rights::RECV);
    s.cap(cli, ep, Rights::SEND);
    let s_cap = s.k.boot_caps(srv)[0];
    s.blocks(srv, Sim::recv(s_cap, Timeout::Never));
    fast_round_trips(&mut s, 2);
    // Looked at (settled), then more recorded, then drained: one run of numbers.
    let seen = s.k.pending_events().len();
    assert!(seen > 8, "{seen}");
    fast_round_trips(&mut s, 1);
    let drained: Vec<Event> = s.k.log().drain().collect();
    let seqs: Vec<u64> = drained.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (0..drained.len() as u64).collect::<Vec<_>>());
    assert_eq!(s.k.log().total(), drained.len() as u64);
    // A fast round trip is eight events: two syscalls, deliver, reply, two blocks, two switches.
    fast_round_trips(&mut s, 1);
    let after: Vec<Event> = s.k.log().drain().collect();
    assert_eq!(after.len(), 8, "{after:#?}");
    assert_eq!(after[0].seq, drained.len() as u64);
    // Cleared, the numbers go on.
    fast_round_trips(&mut s, 1);
    s.k.log().clear();
    fast_round_trips(&mut s, 1);
    let last: Vec<Event> = s.k.log().drain().collect();
    assert_eq!(last[0].seq, drained.len() as u64 + 16);
    assert!(s.k.log().is_empty());
}
