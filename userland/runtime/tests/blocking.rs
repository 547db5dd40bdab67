//! Blocking processes' lifecycle: how each way of ending (return, error,
//! panic, a kill while blocked, a deadlock, `max_time`, the step limit, a
//! runtime dropped unrun) ends the process and releases and joins its thread;
//! the limit on blocking processes; the stack size; spawning from both kinds
//! of process; and the same run with the baton passed directly or through
//! the executor.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ipcsim_kernel::{
    CapId, Data, Ending, Error, Event, EventKind, Finish, HostId, KernelConfig, ObjId, ObjectKind, ObjectOptions,
    ProcessSpec, Rights, Signal, Syscall, Timeout,
};
use ipcsim_runtime::{BlockingSys, ProcState, Report, Runtime, Sys, ThreadSpec};
use parking_lot::Mutex;

/// Counts its drops: a body's stack has unwound once its guard is counted.
struct Guard(Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn endpoint(rt: &mut Runtime, name: &str) -> ObjId {
    rt.kernel_mut()
        .create_object(ObjectKind::Endpoint, name, &ObjectOptions::default())
        .expect("endpoint")
}

fn recording(rt: &mut Runtime) -> Rc<RefCell<Vec<Event>>> {
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    rt.set_sink(move |_, evs| sink.borrow_mut().extend_from_slice(evs));
    events
}

fn state(report: &Report, name: &str) -> String {
    report
        .processes
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.state.to_string())
        .unwrap_or_default()
}

#[test]
fn a_panicking_body_fails_its_process_with_the_message_in_the_trace_and_the_run_goes_on() {
    let mut rt = Runtime::new(KernelConfig::default());
    let events = recording(&mut rt);
    rt.spawn_blocking(ProcessSpec::new("bad"), |sys: &BlockingSys| {
        sys.print("before".into());
        let v: Vec<u8> = Vec::new();
        let _ = v[usize::from(sys.now() == 0) * 3];
        Ok(())
    })
    .unwrap();
    rt.spawn_blocking(ProcessSpec::new("good"), |sys: &BlockingSys| {
        sys.sleep(5)?;
        sys.print("after".into());
        Ok(())
    })
    .unwrap();
    let report = rt.run();
    assert_eq!(state(&report, "bad"), "failed Panicked");
    assert_eq!(state(&report, "good"), "exited");
    let prints: Vec<String> = events
        .borrow()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Print { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(prints.len(), 3, "{prints:?}");
    assert_eq!(prints[0], "before");
    assert!(prints[1].starts_with("panicked: index out of bounds"), "{prints:?}");
    assert_eq!(prints[2], "after");
    assert_eq!(rt.blocking_threads(), 0);
}

#[test]
fn a_body_that_returns_an_error_fails_its_process() {
    let mut rt = Runtime::new(KernelConfig::default());
    rt.spawn_blocking(ProcessSpec::new("p"), |sys: &BlockingSys| {
        sys.recv(CapId::NONE, Timeout::Never)?;
        Ok(())
    })
    .unwrap();
    let report = rt.run();
    assert_eq!(state(&report, "p"), "failed InvalidCap");
    assert_eq!(rt.blocking_threads(), 0);
}

#[test]
fn a_process_killed_while_blocked_gets_ended_from_its_pending_and_later_calls_and_its_thread_is_joined() {
    let mut rt = Runtime::new(KernelConfig::default());
    let ep = endpoint(&mut rt, "ep");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let dropped = Arc::new(AtomicUsize::new(0));
    let (s, d) = (seen.clone(), dropped.clone());
    let victim = rt
        .spawn_blocking(ProcessSpec::new("victim"), move |sys: &BlockingSys| {
            let _guard = Guard(d);
            let pending = sys.recv(sys.boot_cap(0), Timeout::Never).map(|_| ());
            let later = sys.sleep(1);
            s.lock().extend([pending, later]);
            pending
        })
        .unwrap();
    rt.kernel_mut().grant(victim, ep, Rights::RECV, 0).unwrap();
    rt.spawn(ProcessSpec::new("killer"), move |sys: Sys| async move {
        sys.sleep(3).await?;
        sys.syscall(Syscall::Kill {
            target: victim,
            signal: Signal::SIGKILL,
        })
        .await?;
        sys.sleep(3).await
    })
    .unwrap();
    let report = rt.run();
    assert_eq!(state(&report, "victim"), "killed SIGKILL");
    assert_eq!(state(&report, "killer"), "exited");
    assert_eq!(*seen.lock(), [Err(Error::Ended), Err(Error::Ended)]);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert_eq!(rt.blocking_threads(), 0);
}

#[test]
fn a_deadlock_ends_the_run_and_releases_every_thread() {
    let mut rt = Runtime::new(KernelConfig::default());
    let dropped = Arc::new(AtomicUsize::new(0));
    let (a, b) = (endpoint(&mut rt, "a"), endpoint(&mut rt, "b"));
    for (name, mine, theirs) in [("left", a, b), ("right", b, a)] {
        let d = dropped.clone();
        let p = rt
            .spawn_blocking(ProcessSpec::new(name), move |sys: &BlockingSys| {
                let _guard = Guard(d);
                // Each calls the other before receiving: neither ever receives.
                sys.call(sys.boot_cap(1), Data::Int(1), Timeout::Never)?;
                sys.recv(sys.boot_cap(0), Timeout::Never)?;
                Ok(())
            })
            .unwrap();
        rt.kernel_mut().grant(p, mine, Rights::RECV, 0).unwrap();
        rt.kernel_mut().grant(p, theirs, Rights::SEND, 0).unwrap();
    }
    let report = rt.run();
    assert!(!report.deadlocks.is_empty(), "{report:?}");
    assert_eq!(dropped.load(Ordering::SeqCst), 2);
    assert_eq!(rt.blocking_threads(), 0);
}

#[test]
fn max_time_ends_the_run_and_releases_a_sleeper() {
    let mut rt = Runtime::new(KernelConfig {
        max_time: 100,
        ..KernelConfig::default()
    });
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    rt.spawn_blocking(ProcessSpec::new("sleeper"), move |sys: &BlockingSys| {
        let _guard = Guard(d);
        loop {
            sys.sleep(7)?;
        }
    })
    .unwrap();
    let report = rt.run();
    assert_eq!(report.finish, Finish::TimeLimit);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert_eq!(rt.blocking_threads(), 0);
}

#[test]
fn a_body_that_ignores_ended_and_calls_on_is_unwound() {
    let mut rt = Runtime::new(KernelConfig::default());
    let ep = endpoint(&mut rt, "ep");
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    let p = rt
        .spawn_blocking(ProcessSpec::new("stubborn"), move |sys: &BlockingSys| {
            let _guard = Guard(d);
            loop {
                let _ = sys.recv(sys.boot_cap(0), Timeout::Never);
            }
        })
        .unwrap();
    rt.kernel_mut().grant(p, ep, Rights::RECV, 0).unwrap();
    let report = rt.run();
    assert!(!report.deadlocks.is_empty());
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert_eq!(rt.blocking_threads(), 0);
}

#[test]
fn the_step_limit_stops_blocking_processes_after_as_many_steps_as_async_ones() {
    fn run(blocking: bool) -> Report {
        let mut rt = Runtime::new(KernelConfig::default());
        rt.set_steps_max(50);
        for i in 0..2 {
            let spec = ProcessSpec::new(format!("spinner{i}"));
            if blocking {
                rt.spawn_blocking(spec, |sys: &BlockingSys| loop {
                    sys.yield_now()?;
                    sys.pause();
                })
                .unwrap();
            } else {
                rt.spawn(spec, |sys: Sys| async move {
                    loop {
                        sys.yield_now().await?;
                        sys.pause().await;
                    }
                })
                .unwrap();
            }
        }
        let report = rt.run();
        assert_eq!(rt.blocking_threads(), 0);
        report
    }
    let (a, b) = (run(false), run(true));
    assert_eq!(a.finish, Finish::StepLimit);
    assert_eq!(a, b);
}

#[test]
fn a_runtime_dropped_unrun_joins_threads_whose_bodies_never_ran() {
    let ran = Arc::new(AtomicUsize::new(0));
    let mut rt = Runtime::new(KernelConfig::default());
    for i in 0..3 {
        let r = ran.clone();
        rt.spawn_blocking(ProcessSpec::new(format!("p{i}")), move |_: &BlockingSys| {
            r.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
        .unwrap();
    }
    assert_eq!(rt.blocking_threads(), 3);
    drop(rt);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn the_limit_of_blocking_processes_refuses_one_more_before_the_kernel_creates_it() {
    let mut rt = Runtime::new(KernelConfig::default());
    rt.set_blocking_limit(2);
    let got = Arc::new(Mutex::new(None));
    let g = got.clone();
    rt.spawn_blocking(ProcessSpec::new("parent"), move |sys: &BlockingSys| {
        let before = sys.with_kernel(|k| k.process_count());
        let r = sys.spawn(ProcessSpec::new("child"), vec![], vec![], |_| Ok(()));
        *g.lock() = Some((r, sys.with_kernel(|k| k.process_count()) - before));
        Ok(())
    })
    .unwrap();
    rt.spawn_blocking(ProcessSpec::new("second"), |_| Ok(())).unwrap();
    assert_eq!(
        rt.spawn_blocking(ProcessSpec::new("third"), |_| Ok(())),
        Err(Error::LimitReached)
    );
    assert_eq!(rt.kernel().process_count(), 2);
    rt.run();
    assert_eq!(*got.lock(), Some((Err(Error::LimitReached), 0)));
}

#[test]
fn a_process_runs_on_the_stack_its_thread_spec_asks_for() {
    // 2 MiB of frames: past the 256 KiB default (a stack overflow would abort
    // this test binary), within the 8 MiB asked for.
    fn deep(n: u32) -> u64 {
        let frame = std::hint::black_box([n as u8; 4096]);
        if n == 0 {
            u64::from(frame[0])
        } else {
            deep(n - 1) + u64::from(frame[4095])
        }
    }
    let mut rt = Runtime::new(KernelConfig::default());
    let spec = ThreadSpec { stack_size: 8 << 20 };
    rt.spawn_blocking_on(HostId::LOCAL, ProcessSpec::new("deep"), spec, |sys: &BlockingSys| {
        sys.print(deep(512).to_string());
        Ok(())
    })
    .unwrap();
    assert_eq!(state(&rt.run(), "deep"), "exited");
}

/// A parent spawns a child that calls it back: from a blocking parent, from
/// an async one, and all-async; the three runs are the same.
#[test]
fn blocking_children_spawned_by_blocking_and_async_parents_run_as_async_ones() {
    fn child(sys: &BlockingSys) -> Result<(), Error> {
        let r = sys.call(sys.boot_cap(0), Data::Int(41), Timeout::Never)?;
        sys.print(format!("child got {}", r.data));
        Ok(())
    }
    async fn async_child(sys: Sys) -> Result<(), Error> {
        let r = sys.call(sys.boot_cap(0), Data::Int(41), Timeout::Never).await?;
        sys.print(format!("child got {}", r.data));
        Ok(())
    }
    fn run(parent_blocking: Option<bool>) -> (Vec<Event>, Report) {
        let mut rt = Runtime::new(KernelConfig::default());
        let events = recording(&mut rt);
        let ep = endpoint(&mut rt, "ep");
        let grants = vec![(ep, Rights::SEND, 0)];
        let p = match parent_blocking {
            Some(true) => rt.spawn_blocking(ProcessSpec::new("parent"), move |sys: &BlockingSys| {
                sys.spawn(ProcessSpec::new("child"), vec![], grants, child)?;
                let m = sys.recv(sys.boot_cap(0), Timeout::Never)?;
                sys.reply(m.data)
            }),
            Some(false) => rt.spawn(ProcessSpec::new("parent"), move |sys: Sys| async move {
                sys.spawn_blocking(ProcessSpec::new("child"), vec![], grants, child)
                    .await?;
                let m = sys.recv(sys.boot_cap(0), Timeout::Never).await?;
                sys.reply(m.data).await
            }),
            None => rt.spawn(ProcessSpec::new("parent"), move |sys: Sys| async move {
                sys.spawn(ProcessSpec::new("child"), vec![], grants, async_child)
                    .await?;
                let m = sys.recv(sys.boot_cap(0), Timeout::Never).await?;
                sys.reply(m.data).await
            }),
        }
        .unwrap();
        rt.kernel_mut().grant(p, ep, Rights::RECV, 0).unwrap();
        let report = rt.run();
        assert_eq!(rt.blocking_threads(), 0);
        (events.take(), report)
    }
    let all_async = run(None);
    assert_eq!(state(&all_async.1, "child"), "exited");
    assert_eq!(run(Some(false)), all_async);
    assert_eq!(run(Some(true)), all_async);
}

/// Threads hand the baton to each other when nothing listens to the events,
/// and through the executor when a sink does: the same run either way.
#[test]
fn the_baton_passed_directly_or_through_the_executor_gives_the_same_run() {
    fn run(sink: bool, seed: u64) -> (Report, Vec<u32>) {
        let mut rt = Runtime::new(KernelConfig {
            seed: Some(seed),
            ..KernelConfig::default()
        });
        if sink {
            rt.set_sink(|_, _| {});
        }
        let ep = endpoint(&mut rt, "ep");
        let s = rt
            .spawn_blocking(
                ProcessSpec {
                    daemon: true,
                    ..ProcessSpec::new("server")
                },
                |sys: &BlockingSys| {
                    let cap = sys.boot_cap(0);
                    let mut m = sys.recv(cap, Timeout::Never)?;
                    loop {
                        m = sys.reply_recv(cap, m.data, Timeout::Never)?;
                    }
                },
            )
            .unwrap();
        rt.kernel_mut().grant(s, ep, Rights::RECV, 0).unwrap();
        for i in 0..3 {
            let c = rt
                .spawn_blocking(ProcessSpec::new(format!("client{i}")), move |sys: &BlockingSys| {
                    for j in 0..20 {
                        sys.call(sys.boot_cap(0), Data::Int(i * 100 + j), Timeout::Ticks(3))?;
                        sys.compute(1)?;
                    }
                    Ok(())
                })
                .unwrap();
            rt.kernel_mut().grant(c, ep, Rights::SEND, 0).unwrap();
        }
        let report = rt.run();
        assert_eq!(rt.blocking_threads(), 0);
        let choices = rt.kernel().choices().to_vec();
        (report, choices)
    }
    for seed in 0..4 {
        let direct = run(false, seed);
        assert!(direct
            .0
            .processes
            .iter()
            .all(|p| p.daemon || p.state == ProcState::Ended(Ending::Exited)));
        assert_eq!(direct, run(false, seed), "seed {seed}: direct handoff twice");
        assert_eq!(direct, run(true, seed), "seed {seed}: direct vs through the executor");
    }
}
