//! Determinism: the same file and seed give byte-identical traces, in text and
//! JSON; different seeds may give different schedules, never a panic.

use ipcsim_scenario::cli::{run_to_string, TraceFormat, Views};

const RACE: &str = r#"
mailbox box capacity 4
process a caps(box: send) { repeat 5 { send box "a" } }
process b caps(box: send) { repeat 5 { send box "b" } }
process c caps(box: recv) { repeat 10 { recv box -> m } }
expect a exited
expect b exited
expect c exited
"#;

fn trace(seed: Option<u64>, trace: TraceFormat) -> String {
    let views = Views {
        trace,
        ..Default::default()
    };
    let (p, out) = run_to_string("race.ipc", RACE, seed, &views);
    assert_eq!(p.exit, 0, "{out}");
    out
}

#[test]
fn same_seed_same_bytes() {
    for seed in [None, Some(1), Some(42), Some(u64::MAX)] {
        assert_eq!(trace(seed, TraceFormat::Text), trace(seed, TraceFormat::Text));
        assert_eq!(trace(seed, TraceFormat::Json), trace(seed, TraceFormat::Json));
    }
}

#[test]
fn seeds_explore_different_schedules() {
    let distinct: std::collections::BTreeSet<String> = (0..20).map(|s| trace(Some(s), TraceFormat::Text)).collect();
    assert!(distinct.len() > 1, "20 seeds all gave the same schedule");
}

#[test]
fn json_lines_carry_the_required_fields() {
    let out = trace(Some(3), TraceFormat::Json);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() > 10);
    for l in &lines[..lines.len() - 1] {
        let v: serde_json::Value = serde_json::from_str(l).expect("each line is JSON");
        for key in ["seq", "time", "pid", "process", "event"] {
            assert!(v.get(key).is_some(), "missing {key} in {l}");
        }
    }
    let last: serde_json::Value = serde_json::from_str(lines[lines.len() - 1]).expect("report is JSON");
    assert_eq!(last["event"], "report");
    assert_eq!(last["exit"], 0);
    assert!(last["counters"]["messages"].as_u64().unwrap_or(0) >= 10);
}

/// Every bundled scenario, in name order, with its text.
fn bundled() -> Vec<(std::path::PathBuf, String)> {
    ipcsim_tests::bundled_scenarios()
        .into_iter()
        .map(|f| {
            let src = std::fs::read_to_string(&f).expect("readable");
            (f, src)
        })
        .collect()
}

/// What a run shows: every event, what each process holds at the end
/// (semaphore units, for deadlock reports), the report and the verdicts.
type Seen = (
    Vec<String>,
    Vec<Vec<(ipcsim_kernel::ObjId, u64)>>,
    (
        ipcsim_kernel::Finish,
        u64,
        Vec<ipcsim_runtime::ProcessReport>,
        ipcsim_kernel::stats::Stats,
        Vec<ipcsim_kernel::DeadlockReport>,
    ),
    (Vec<ipcsim_scenario::run::Verdict>, Vec<String>),
);

/// Runs `src` on a new runtime, or on `reused` (which may have run anything before).
fn observe(src: &str, opts: &ipcsim_scenario::RunOptions, reused: Option<&mut ipcsim_runtime::Runtime>) -> Seen {
    let sc = ipcsim_scenario::load(src).expect("loads");
    let opts = ipcsim_scenario::RunOptions {
        record: true,
        ..opts.clone()
    };
    let events = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen = events.clone();
    let sink: ipcsim_scenario::Sink = Box::new(move |_k, evs| {
        seen.borrow_mut().extend(evs.iter().map(|e| format!("{e:?}")));
    });
    let mut fresh = None;
    let (o, rt) = match reused {
        Some(rt) => (ipcsim_scenario::run_in(rt, sc, "f.ipc", &opts, Some(sink)), &*rt),
        None => {
            let (o, rt) = ipcsim_scenario::run(sc, "f.ipc", &opts, Some(sink));
            (o, &*fresh.insert(rt))
        }
    };
    let r = o.report;
    let events = events.borrow().clone();
    let k = rt.kernel();
    let held: Vec<_> = (0..k.process_count() as u32)
        .map(|i| k.sem_held(ipcsim_kernel::Pid(i)))
        .collect();
    (
        events,
        held,
        (r.finish, r.time, r.processes, r.stats, r.deadlocks),
        (o.verdicts, o.unexpected),
    )
}

/// The kernel's fast paths (call, reply_recv, semaphores) must change
/// nothing but speed: every bundled scenario gives the same events, in the
/// same order, and the same ending and counters, with them and without.
#[test]
fn fast_paths_change_nothing_but_speed() {
    for (f, src) in bundled() {
        for seed in [None, Some(7)] {
            let opts = |slow_paths| ipcsim_scenario::RunOptions {
                seed,
                slow_paths,
                ..Default::default()
            };
            assert_eq!(
                observe(&src, &opts(false), None),
                observe(&src, &opts(true), None),
                "{} (seed {seed:?}) differs without the fast paths",
                f.display()
            );
        }
    }
}

/// A runtime reset for another run (as an explorer's threads reuse theirs)
/// runs exactly as a new one: one runtime runs every bundled scenario in turn,
/// each after a different one, seeded and not, and each run matches a run on
/// a new runtime event for event.
#[test]
fn a_reset_runtime_runs_as_a_new_one() {
    let mut rt = ipcsim_runtime::Runtime::new(ipcsim_kernel::KernelConfig::default());
    let all = bundled();
    let pct = ipcsim_kernel::Strategy::Pct { depth: 2, steps: 50 };
    let kill = ipcsim_kernel::Faults {
        kill_random: true,
        delay: 3,
        within: 20,
        ..Default::default()
    };
    let configs = [
        (None, ipcsim_kernel::Strategy::Random, ipcsim_kernel::Faults::default()),
        (
            Some(7),
            ipcsim_kernel::Strategy::Random,
            ipcsim_kernel::Faults::default(),
        ),
        (Some(8), pct, ipcsim_kernel::Faults::default()),
        (Some(9), ipcsim_kernel::Strategy::Random, kill),
    ];
    for (seed, strategy, faults) in configs {
        for (f, src) in &all {
            let opts = ipcsim_scenario::RunOptions {
                seed,
                strategy,
                faults,
                ..Default::default()
            };
            assert_eq!(
                observe(src, &opts, Some(&mut rt)),
                observe(src, &opts, None),
                "{} (seed {seed:?}, {strategy:?}, {faults:?}) differs on a reused runtime",
                f.display()
            );
        }
    }
}
