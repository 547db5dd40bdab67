//! `Kernel::reset`: a reset kernel behaves as a new one. The same boot and
//! calls on a reset kernel (after a run that left processes blocked, timers
//! set, objects and capabilities around, and a seeded generator advanced)
//! give the same handles, results and events as on a new kernel.

mod common;

use common::Sim;
use ipcsim_kernel::*;

/// Boots two processes and a semaphore, and has them contend for it under a
/// seed; returns every result and event, in order.
fn scenario(k: &mut Kernel) -> (Vec<String>, Vec<String>) {
    let mut sim = Sim {
        k: std::mem::replace(k, Kernel::new(KernelConfig::default())),
    };
    let sem = sim
        .k
        .create_object(
            ObjectKind::Semaphore,
            "s",
            &ObjectOptions {
                value: 1,
                ..Default::default()
            },
        )
        .expect("semaphore");
    let a = sim.proc("a");
    let b = sim.proc("b");
    let ca = sim.cap(a, sem, Rights::WAIT | Rights::POST);
    let cb = sim.cap(b, sem, Rights::WAIT | Rights::POST);
    let mut results = vec![format!("{sem:?} {a:?} {b:?} {ca:?} {cb:?}")];
    // First a long wait that only a post ends (at t=20): a timer the reset
    // failed to forget would end it early.
    let gate = sim.obj(ObjectKind::Semaphore, "gate");
    let ga = sim.cap(a, gate, Rights::WAIT);
    let gb = sim.cap(b, gate, Rights::POST);
    let mut calls_a = vec![Syscall::SemWait {
        cap: ga,
        timeout: Timeout::Ticks(50),
    }]
    .into_iter();
    let mut calls_b = vec![Syscall::Sleep { ticks: 20 }, Syscall::SemPost { cap: gb }].into_iter();
    // Bounded: a kernel that misbehaves fails the comparison, it does not hang.
    for _ in 0..10 {
        if calls_a.len() + calls_b.len() == 0 {
            break;
        }
        let Next::Run(pid) = sim.k.schedule() else { break };
        if let Some(r) = sim.k.take_result(pid) {
            results.push(format!("{pid:?} took {r:?} at {}", sim.k.now()));
        }
        let next = if pid == a { calls_a.next() } else { calls_b.next() };
        match next {
            Some(call) => results.push(format!("{pid:?} {:?}", sim.k.syscall(pid, call))),
            None => results.push(format!("{pid:?} {:?}", sim.k.syscall(pid, Syscall::Yield))),
        }
    }
    for _ in 0..20 {
        let pid = match sim.k.schedule() {
            Next::Run(p) => p,
            Next::Finished(f) => {
                results.push(format!("finished {f:?}"));
                break;
            }
        };
        if let Some(r) = sim.k.take_result(pid) {
            results.push(format!("{pid:?} took {r:?}"));
        }
        let cap = if pid == a { ca } else { cb };
        let call = if sim.k.sem_held(pid).is_empty() {
            Syscall::SemWait {
                cap,
                timeout: Timeout::Ticks(5),
            }
        } else {
            Syscall::SemPost { cap }
        };
        results.push(format!("{pid:?} {:?}", sim.k.syscall(pid, call)));
    }
    let events = sim.k.log().drain().map(|e| format!("{e:?}")).collect();
    *k = sim.k;
    (results, events)
}

fn cfg(seed: u64) -> KernelConfig {
    KernelConfig {
        seed: Some(seed),
        record_choices: true,
        ..KernelConfig::default()
    }
}

/// Leaves a kernel in a state a reset must forget: capabilities deleted (so
/// handle generations moved on), a process blocked with a timer set, another
/// one ended, time advanced.
fn dirty(k: &mut Kernel) {
    let mut sim = Sim {
        k: std::mem::replace(k, Kernel::new(KernelConfig::default())),
    };
    let sem = sim.obj(ObjectKind::Semaphore, "empty");
    let ep = sim.obj(ObjectKind::Endpoint, "ep");
    // A daemon left blocked when the other ends: its timer is still set.
    let a = sim
        .k
        .create_process(
            &ProcessSpec {
                daemon: true,
                ..ProcessSpec::new("a")
            },
            None,
        )
        .expect("process");
    let b = sim.proc("b");
    let wait = sim.cap(a, sem, Rights::WAIT);
    let spare = sim.cap(a, ep, Rights::SEND | Rights::RECV);
    // Each process's calls, in order; a process with none left exits.
    let mut calls_a = vec![
        Syscall::Delete { cap: spare },
        Syscall::SemWait {
            cap: wait,
            timeout: Timeout::Ticks(9),
        },
    ]
    .into_iter();
    let mut calls_b = vec![Syscall::Sleep { ticks: 3 }].into_iter();
    while let Next::Run(p) = sim.k.schedule() {
        let _ = sim.k.take_result(p);
        let next = if p == a {
            calls_a.next()
        } else {
            assert_eq!(p, b);
            calls_b.next()
        };
        match next {
            Some(call) => {
                let _ = sim.k.syscall(p, call);
            }
            None => sim.k.exit(p, Ending::Exited),
        }
    }
    assert!(sim.k.now() > 0, "time moved");
    *k = sim.k;
}

#[test]
fn a_reset_kernel_runs_as_a_new_one() {
    let mut used = Kernel::new(cfg(1));
    dirty(&mut used);
    let first = scenario(&mut used);
    assert!(first.0.len() > 10, "{:?}", first.0);
    for seed in [1, 2, 3] {
        used.reset(cfg(seed + 10));
        dirty(&mut used);
        used.reset(cfg(seed));
        let mut fresh = Kernel::new(cfg(seed));
        assert_eq!(scenario(&mut used), scenario(&mut fresh), "seed {seed}");
        assert_eq!(used.choices(), fresh.choices(), "seed {seed}");
    }
}
