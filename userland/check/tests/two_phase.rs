//! The worked example of docs/guide/15-testing-ipc.md: `search` catches the
//! buggy two-phase lock, its replay reproduces the failure, and the fix passes.

#[path = "../examples/two_phase.rs"]
#[allow(dead_code)]
mod two_phase;

use ipcsim_check::{run_under, search, Config, Schedule};
use two_phase::{mutual_exclusion, setup, setup_blocking, Lock};

#[test]
fn the_two_phase_lock_is_caught_and_the_replay_reproduces_it() {
    let config = Config::default();
    let failure = search(&config, |rt| setup(rt, Lock::TwoPhase), mutual_exclusion).expect_err("the bug is found");
    assert!(
        failure.message.contains("entered while") || failure.message.contains("lost"),
        "{}",
        failure.message
    );
    // The reported schedule replays the failure exactly, twice.
    let a = run_under(&failure.schedule, |rt| setup(rt, Lock::TwoPhase));
    let b = run_under(&failure.schedule, |rt| setup(rt, Lock::TwoPhase));
    assert_eq!(mutual_exclusion(&a), Err(failure.message.clone()));
    assert_eq!(a.events, b.events);
    assert_eq!(a.choices, b.choices);
    // Without preemption the bug hides: the plain schedule (seed 0, random) may
    // pass or fail, but a run with no seed at all always passes.
    let mut plain = ipcsim_runtime::Runtime::new(ipcsim_kernel::KernelConfig::default());
    setup(&mut plain, Lock::TwoPhase);
    let report = plain.run();
    assert!(report.processes.iter().all(|p| p.state.to_string() == "exited"));
    let _ = Schedule::default();
}

#[test]
fn the_semaphore_lock_passes_every_schedule() {
    let config = Config {
        cases: 500,
        ..Config::default()
    };
    assert_eq!(
        search(&config, |rt| setup(rt, Lock::Semaphore), mutual_exclusion),
        Ok(())
    );
}

#[test]
fn a_search_is_the_same_on_every_run() {
    let config = Config {
        cases: 64,
        ..Config::default()
    };
    let a = search(&config, |rt| setup(rt, Lock::TwoPhase), mutual_exclusion);
    let b = search(&config, |rt| setup(rt, Lock::TwoPhase), mutual_exclusion);
    assert_eq!(a, b);
}

#[test]
fn kills_are_injected_and_excused() {
    let config = Config {
        cases: 64,
        kill_random: true,
        fault_steps: 10,
        ..Config::default()
    };
    // With a semaphore, a worker killed inside the critical section never posts:
    // the others wait for ever. The search finds that, and the run names the victim.
    let failure = search(&config, |rt| setup(rt, Lock::Semaphore), mutual_exclusion).expect_err("a kill breaks it");
    let run = run_under(&failure.schedule, |rt| setup(rt, Lock::Semaphore));
    assert!(run.killed.is_some(), "{failure}");
    assert!(failure.schedule.faults.kill_random);
}

#[test]
fn the_two_phase_lock_written_blocking_style_is_caught_the_same_way() {
    let config = Config::default();
    let async_failure = search(&config, |rt| setup(rt, Lock::TwoPhase), mutual_exclusion).expect_err("async");
    let failure = search(&config, |rt| setup_blocking(rt, Lock::TwoPhase), mutual_exclusion).expect_err("blocking");
    // The same search over the same protocol: the same shrunk schedule and message.
    assert_eq!(failure, async_failure);
    // Its replay reproduces the failure, and is the async run event for event.
    let blocking = run_under(&failure.schedule, |rt| setup_blocking(rt, Lock::TwoPhase));
    let asynchronous = run_under(&failure.schedule, |rt| setup(rt, Lock::TwoPhase));
    assert_eq!(mutual_exclusion(&blocking), Err(failure.message.clone()));
    assert_eq!(blocking.events, asynchronous.events);
    assert_eq!(blocking.choices, asynchronous.choices);
    // And the fix passes blocking-style too.
    let config = Config {
        cases: 200,
        ..Config::default()
    };
    assert_eq!(
        search(&config, |rt| setup_blocking(rt, Lock::Semaphore), mutual_exclusion),
        Ok(())
    );
}
