//! The event log's buffer: clearing it releases what its events hold (a
//! string message's text) and keeps nothing else; an event's `seq` keeps
//! counting across clears; a fast path's entry reads as the events the
//! general path records, however reads, drains and clears interleave.

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

/// What a reader or a process does next, in the property test below.
#[derive(Clone, Debug)]
enum LogOp {
    /// A call and its answer (fast paths: two entries).
    RoundTrip(i64),
    /// A string message round trip (an entry that owns heap memory).
    StrRoundTrip,
    /// The client yields (plain events).
    Yield,
    Pending,
    Drain,
    Clear,
}

fn log_op() -> impl proptest::strategy::Strategy<Value = LogOp> {
    use proptest::prelude::*;
    prop_oneof![
        4 => any::<i64>().prop_map(LogOp::RoundTrip),
        1 => Just(LogOp::StrRoundTrip),
        2 => Just(LogOp::Yield),
        2 => Just(LogOp::Pending),
        2 => Just(LogOp::Drain),
        1 => Just(LogOp::Clear),
    ]
}

/// Events read from `base` on: numbered `base`, `base + 1`, ...
fn numbered_from(base: u64, events: &[Event]) {
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let want: Vec<u64> = (base..base + events.len() as u64).collect();
    assert_eq!(seqs, want);
}

/// Runs `ops` on a kernel with the fast paths on or off; what each read saw.
fn log_under(ops: &[LogOp], fast_paths: bool) -> (Vec<String>, u64) {
    let mut s = Sim::with(KernelConfig {
        record_events: true,
        fast_paths,
        ..KernelConfig::default()
    });
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let (srv, cli) = (s.proc("server"), s.proc("client"));
    let s_cap = s.cap(srv, ep, Rights::RECV);
    let c_cap = s.cap(cli, ep, Rights::SEND);
    s.blocks(srv, Sim::recv(s_cap, Timeout::Never));
    let mut seen = Vec::new();
    // The reference model of numbering: the next event to be read is `base`.
    let mut base = 0u64;
    for op in ops {
        match op {
            LogOp::RoundTrip(_) | LogOp::StrRoundTrip => {
                let data = match op {
                    LogOp::RoundTrip(i) => Data::Int(*i),
                    _ => Data::str("text"),
                };
                s.run(cli);
                assert_eq!(
                    s.k.call(cli, c_cap, Message::new(data), Timeout::Never),
                    Outcome::Switched
                );
                s.run(srv);
                let Some(Ok(Ret::Msg(m))) = s.k.take_result(srv) else {
                    panic!("no request")
                };
                assert_eq!(
                    s.k.reply_recv(srv, s_cap, Message::new(m.data), Timeout::Never),
                    Outcome::Switched
                );
                s.run(cli);
                assert!(s.k.take_result(cli).is_some());
            }
            LogOp::Yield => {
                s.run(cli);
                if s.k.syscall(cli, Syscall::Yield) == Outcome::Switched {
                    // Its result waits for it to run again.
                    s.run(cli);
                    assert!(s.k.take_result(cli).is_some());
                }
            }
            LogOp::Pending => {
                let pending = s.k.pending_events();
                numbered_from(base, pending);
                seen.extend(pending.iter().map(|e| format!("pending {e:?}")));
            }
            LogOp::Drain => {
                let drained: Vec<Event> = s.k.log().drain().collect();
                numbered_from(base, &drained);
                base += drained.len() as u64;
                assert_eq!(base, s.k.log().total(), "a drain takes every event recorded");
                seen.extend(drained.iter().map(|e| format!("drained {e:?}")));
            }
            LogOp::Clear => {
                s.k.log().clear();
                base = s.k.log().total();
            }
        }
        s.k.check_invariants().expect("invariants");
    }
    seen.extend(s.k.log().drain().map(|e| format!("drained {e:?}")));
    (seen, s.k.log().total())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// The reference is the general path, which records event by event.
    #[test]
    fn fast_entries_read_as_the_general_paths_events(ops in proptest::collection::vec(log_op(), 0..40)) {
        proptest::prop_assert_eq!(log_under(&ops, true), log_under(&ops, false));
    }
}

/// Regression (kernel_calls fuzz target, two hosts): a call through another
/// process's capability id named that process's object (of another host)
/// in its `syscall` event, though the call fails `InvalidCap` and touches
/// nothing.
#[test]
fn a_call_through_a_capability_the_caller_does_not_hold_names_no_object() {
    let mut s = Sim::with(KernelConfig {
        record_events: true,
        ..KernelConfig::default()
    });
    let mb = s.obj(ObjectKind::Mailbox, "mb");
    let owner = s.proc("owner");
    // Higher priority: it runs first, while the owner (and its capability) lives.
    let thief = s.proc_prio("thief", 1);
    let theirs = s.cap(owner, mb, Rights::RECV);
    s.k.log().clear();
    let r = s.done(
        thief,
        Syscall::Recv {
            cap: theirs,
            timeout: Timeout::NOWAIT,
        },
    );
    assert_eq!(r, Err(Error::InvalidCap));
    let named: Vec<Option<ObjId>> =
        s.k.log()
            .drain()
            .filter_map(|e| match e.kind {
                EventKind::Syscall { obj, .. } => Some(obj),
                _ => None,
            })
            .collect();
    assert_eq!(named, vec![None]);
}
