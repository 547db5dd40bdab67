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

/// The kernel's fast paths (call, reply_recv, semaphores) must change
/// nothing but speed: every bundled scenario gives the same events, in the
/// same order, and the same ending and counters, with them and without.
#[test]
fn fast_paths_change_nothing_but_speed() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("root")
        .join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(root)
        .expect("scenarios")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files.iter().filter(|p| p.extension().is_some_and(|e| e == "ipc")) {
        let src = std::fs::read_to_string(f).expect("readable");
        let run = |slow_paths: bool, seed: Option<u64>| {
            let sc = ipcsim_scenario::load(&src).expect("loads");
            let opts = ipcsim_scenario::RunOptions {
                seed,
                record: true,
                slow_paths,
                ..Default::default()
            };
            let events = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
            let seen = events.clone();
            let sink: ipcsim_scenario::Sink = Box::new(move |_k, evs| {
                seen.borrow_mut().extend(evs.iter().map(|e| format!("{e:?}")));
            });
            let (o, rt) = ipcsim_scenario::run(sc, "f.ipc", &opts, Some(sink));
            let r = o.report;
            let events = events.borrow().clone();
            // What each process holds at the end (semaphore units, for deadlock reports).
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
        };
        for seed in [None, Some(7)] {
            assert_eq!(
                run(false, seed),
                run(true, seed),
                "{} (seed {seed:?}) differs without the fast paths",
                f.display()
            );
        }
    }
}
