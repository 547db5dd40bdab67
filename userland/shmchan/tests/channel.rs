//! The polling channels over the runtime: round trips, costs, errors, and a
//! model test (every message arrives once, in order) under seeded schedules.

use std::cell::RefCell;
use std::rc::Rc;

use ipcsim_kernel::{Costs, Error, KernelConfig, ObjectKind, ObjectOptions, Pid, ProcessSpec, Rights, Timeout};
use ipcsim_runtime::{Report, Runtime, Sys};
use ipcsim_shmchan::{ChanError, Layout, Poll, Receiver, Sender};
use proptest::prelude::*;

#[path = "../examples/poll_interval.rs"]
#[allow(dead_code)]
mod poll_interval;

fn runtime(cfg: KernelConfig, bytes: usize) -> (Runtime, ipcsim_kernel::ObjId) {
    let mut rt = Runtime::new(cfg);
    let opts = ObjectOptions {
        size: Some(bytes as u64),
        ..ObjectOptions::default()
    };
    let seg = rt
        .kernel_mut()
        .create_object(ObjectKind::Shm, "seg", &opts)
        .expect("segment");
    (rt, seg)
}

fn give(rt: &mut Runtime, pid: Pid, seg: ipcsim_kernel::ObjId) {
    rt.kernel_mut()
        .grant(pid, seg, Rights::READ | Rights::WRITE, 0)
        .expect("grant");
}

fn exited(r: &Report, pid: Pid) -> bool {
    r.process(pid).is_some_and(|p| p.state.to_string() == "exited")
}

/// A client/server ping-pong over two one-slot channels in one segment (the
/// example's); returns (mean round trip, server CPU per round trip, report).
fn ping_pong(interval: u64, rounds: u64) -> (u64, u64, Report) {
    let costs = Costs {
        syscall_ticks: 1,
        switch_ticks: 1,
        copy_per_byte_ticks: 1,
        poll_ticks: 1,
    };
    // Wait a varying while (the server keeps polling meanwhile), so requests
    // land at every phase of the server's polls.
    let r = poll_interval::ping_pong(costs, interval, rounds, |i| 50 + i * 7 % 13);
    assert!(exited(&r.report, r.client), "{:?}", r.report.process(r.client));
    let cpu = r.report.process(r.server).map_or(0, |p| p.cpu);
    (r.latency, cpu / rounds, r.report)
}

#[test]
fn ping_pong_copies_nothing_and_trades_cpu_for_latency() {
    let mut last: Option<(u64, u64)> = None;
    for interval in [1, 8, 32, 128] {
        let (latency, cpu, report) = ping_pong(interval, 40);
        eprintln!("interval {interval}: latency {latency}, server cpu per round trip {cpu}");
        assert_eq!(report.stats.copies(), 0, "shared memory takes no kernel copy");
        assert_eq!(report.stats.bytes_copied(), 0);
        assert!(report.stats.memory_accesses > 0);
        if let Some((l, c)) = last {
            // A longer interval: answers wait longer, polls burn less.
            assert!(latency > l, "interval {interval}: latency {latency} after {l}");
            assert!(cpu < c, "interval {interval}: cpu {cpu} after {c}");
        }
        last = Some((latency, cpu));
    }
}

#[test]
fn ring_carries_several_messages_before_the_receiver_looks() {
    let layout = Layout::ring(0, 4, 8);
    let (mut rt, seg) = runtime(KernelConfig::default(), layout.bytes());
    let producer = rt
        .spawn(ProcessSpec::new("producer"), move |sys: Sys| async move {
            let tx = Sender::attach(&sys, sys.boot_cap(0), layout, Poll::Sleep(1)).await?;
            for i in 0..4 {
                // Four fit without waiting: the ring has four empty slots.
                tx.send(&i.to_string(), Timeout::Ticks(0)).await?;
            }
            assert_eq!(
                tx.send("5", Timeout::Ticks(0)).await,
                Err(ChanError::Kernel(Error::WouldBlock))
            );
            assert_eq!(tx.stats().messages, 4);
            assert_eq!(tx.stats().idle_polls, 1);
            Ok(())
        })
        .expect("producer");
    give(&mut rt, producer, seg);
    let report = rt.run();
    assert!(exited(&report, producer), "{:?}", report.process(producer));
}

#[test]
fn errors_are_named() {
    let layout = Layout::one_slot(0, 8);
    let (mut rt, seg) = runtime(KernelConfig::default(), layout.bytes() + 64);
    let p = rt
        .spawn(ProcessSpec::new("p"), move |sys: Sys| async move {
            let rx = Receiver::attach(&sys, sys.boot_cap(0), layout, Poll::Sleep(3)).await?;
            let t0 = sys.now();
            assert_eq!(
                rx.recv(Timeout::Ticks(0)).await,
                Err(ChanError::Kernel(Error::WouldBlock))
            );
            assert_eq!(
                rx.recv(Timeout::Ticks(10)).await,
                Err(ChanError::Kernel(Error::TimedOut))
            );
            assert_eq!(sys.now() - t0, 10, "the last look is at the deadline exactly");
            let tx = Sender::attach(&sys, sys.boot_cap(0), layout, Poll::Yield).await?;
            assert_eq!(
                tx.send("123456789", Timeout::Never).await,
                Err(ChanError::TooLarge { len: 9, capacity: 8 })
            );
            // A sender that believes in bigger slots writes a length the receiver refuses.
            let wide = Sender::attach(&sys, sys.boot_cap(0), Layout::one_slot(0, 32), Poll::Yield).await?;
            wide.send("0123456789abc", Timeout::Never).await?;
            assert!(matches!(
                rx.recv(Timeout::Never).await,
                Err(ChanError::Corrupt { offset: 0, .. })
            ));
            // Once detached, the segment is out of reach.
            // Each end attached the segment once: three mappings to undo.
            for _ in 0..3 {
                sys.shmdt(sys.boot_cap(0)).await?;
            }
            assert_eq!(rx.recv(Timeout::Never).await, Err(ChanError::Kernel(Error::SegFault)));
            assert_eq!(
                Error::from(ChanError::TooLarge { len: 1, capacity: 0 }),
                Error::MessageTooLarge
            );
            Ok(())
        })
        .expect("p");
    give(&mut rt, p, seg);
    let report = rt.run();
    assert!(exited(&report, p), "{:?}", report.process(p));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Reference model: the receiver gets exactly the sent list, in order,
    /// whatever the schedule, ring size and poll intervals.
    #[test]
    fn every_message_arrives_once_in_order(
        msgs in prop::collection::vec("[a-z0-9]{0,12}", 0..24),
        slots in 1usize..5,
        polls in prop_oneof![
            Just((Poll::Yield, Poll::Yield)),
            (1u64..6, 1u64..6).prop_map(|(a, b)| (Poll::Sleep(a), Poll::Sleep(b))),
        ],
        seed in any::<u64>(),
    ) {
        let layout = Layout::ring(8, slots, 12);
        let (mut rt, seg) = runtime(KernelConfig { seed: Some(seed), ..KernelConfig::default() }, layout.bytes());
        let got = Rc::new(RefCell::new(Vec::new()));
        let sent = msgs.clone();
        let producer = rt.spawn(ProcessSpec::new("producer"), move |sys: Sys| async move {
            let tx = Sender::attach(&sys, sys.boot_cap(0), layout, polls.0).await?;
            for m in &sent {
                tx.send(m, Timeout::Never).await?;
            }
            Ok(())
        }).expect("producer");
        let n = msgs.len();
        let sink = got.clone();
        let consumer = rt.spawn(ProcessSpec::new("consumer"), move |sys: Sys| async move {
            let rx = Receiver::attach(&sys, sys.boot_cap(0), layout, polls.1).await?;
            for _ in 0..n {
                let m = rx.recv(Timeout::Never).await?;
                sink.borrow_mut().push(m);
            }
            Ok(())
        }).expect("consumer");
        give(&mut rt, producer, seg);
        give(&mut rt, consumer, seg);
        rt.set_steps_max(1_000_000);
        let report = rt.run();
        prop_assert!(exited(&report, producer), "{:?}", report.process(producer));
        prop_assert!(exited(&report, consumer), "{:?}", report.process(consumer));
        prop_assert_eq!(&*got.borrow(), &msgs);
        prop_assert_eq!(report.stats.copies(), 0);
    }
}

#[test]
fn an_absurd_layout_faults_instead_of_overflowing() {
    let (mut rt, seg) = runtime(KernelConfig::default(), 64);
    let p = rt
        .spawn(ProcessSpec::new("p"), move |sys: Sys| async move {
            let absurd = Layout::ring(usize::MAX - 8, 2, usize::MAX);
            let tx = Sender::attach(&sys, sys.boot_cap(0), absurd, Poll::Yield).await?;
            assert_eq!(
                tx.send("x", Timeout::Never).await,
                Err(ChanError::Kernel(Error::SegFault))
            );
            let rx = Receiver::attach(&sys, sys.boot_cap(0), absurd, Poll::Yield).await?;
            assert_eq!(
                rx.recv(Timeout::Ticks(0)).await,
                Err(ChanError::Kernel(Error::SegFault))
            );
            Ok(())
        })
        .expect("p");
    give(&mut rt, p, seg);
    let report = rt.run();
    assert!(exited(&report, p), "{:?}", report.process(p));
}
