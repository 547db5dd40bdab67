//! The kernel's invariants hold after every step of every bundled scenario,
//! under seeded schedules, PCT and injected faults (network faults too): `check_invariants` is
//! called from the event sink, which the runtime calls after each step.

use ipcsim_kernel::{Faults, Strategy};
use ipcsim_scenario::{RunOptions, Sink};

#[test]
fn invariants_hold_after_every_step_of_explored_runs() {
    let files = ipcsim_tests::bundled_scenarios();
    let kill = Faults {
        kill_random: true,
        delay: 0,
        within: 30,
        ..Default::default()
    };
    let delay = Faults {
        kill_random: false,
        delay: 4,
        within: 30,
        ..Default::default()
    };
    // On a scenario without links these never strike; on one with, they cut,
    // drop and hold back.
    let net = Faults {
        within: 30,
        partition: 10,
        drop_datagram: true,
        reorder: 5,
        ..Default::default()
    };
    let pct = Strategy::Pct { depth: 3, steps: 60 };
    let mut rt = ipcsim_runtime::Runtime::new(ipcsim_kernel::KernelConfig::default());
    let mut checked = 0;
    let steps = std::rc::Rc::new(std::cell::Cell::new(0u64));
    for f in &files {
        let src = std::fs::read_to_string(f).expect("readable");
        let sc = std::rc::Rc::new(ipcsim_scenario::load(&src).expect("loads"));
        for seed in 0..40u64 {
            let (strategy, faults) = match seed % 5 {
                0 => (Strategy::Random, Faults::default()),
                1 => (pct, Faults::default()),
                2 => (Strategy::Random, kill),
                3 => (Strategy::Random, delay),
                _ => (Strategy::Random, net),
            };
            let opts = RunOptions {
                seed: Some(seed),
                record: true,
                strategy,
                faults,
                ..Default::default()
            };
            let name = f.display().to_string();
            let seen = steps.clone();
            let sink: Sink = Box::new(move |k, _events| {
                seen.set(seen.get() + 1);
                if let Err(e) = k.check_invariants() {
                    panic!("{name} (seed {seed}, {strategy:?}, {faults:?}): {e}");
                }
            });
            ipcsim_scenario::run_in(&mut rt, sc.clone(), "f.ipc", &opts, Some(sink));
            checked += 1;
        }
    }
    assert!(checked >= 40 * 30, "{checked} runs");
    // The sink runs after every step that recorded something: thousands of checks.
    assert!(steps.get() > 5 * checked, "{} checks in {checked} runs", steps.get());
}
