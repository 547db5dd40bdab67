//! A process preempted by the seeded scheduler at its `spawn` waits until the
//! kernel runs it again, as after any other call. (It once took its result at
//! once and ran on while another process had the CPU: its next call was then
//! refused with InvalidArgument, and every explored schedule that preempted a
//! spawner reported a failure that no real schedule has.)

use ipcsim_scenario::RunOptions;

/// Runs a bundled scenario under seeds `0..n`; returns the seeds that fail.
fn failing_seeds(file: &str, n: u64) -> Vec<(u64, Vec<String>)> {
    let src = ipcsim_tests::scenario_source(file);
    let sc = std::rc::Rc::new(ipcsim_scenario::load(&src).expect("loads"));
    let mut rt = ipcsim_runtime::Runtime::new(ipcsim_kernel::KernelConfig::default());
    (0..n)
        .filter_map(|seed| {
            let opts = RunOptions {
                seed: Some(seed),
                ..Default::default()
            };
            let o = ipcsim_scenario::run_in(&mut rt, sc.clone(), file, &opts, None);
            (o.exit_code() != 0).then_some((seed, o.unexpected))
        })
        .collect()
}

#[test]
fn a_supervisor_preempted_at_spawn_carries_on() {
    assert_eq!(failing_seeds("supervisor.ipc", 300), vec![]);
}

#[test]
fn a_forking_parent_preempted_at_spawn_carries_on() {
    assert_eq!(failing_seeds("fork_pipe.ipc", 300), vec![]);
}
