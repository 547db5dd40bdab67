//! The diagram views, checked for what their viewers need: every Mermaid line
//! is one of the sequence-diagram forms it emits and names only declared
//! participants; every Chrome trace is valid Trace Event JSON whose slices
//! open and close in order on each track and whose flow arrows are paired.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use ipcsim_scenario::cli::{run_to_string, TraceFormat, Views};

fn scenarios() -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("root")
        .join("scenarios");
    let mut v: Vec<(String, String)> = std::fs::read_dir(root)
        .expect("scenarios")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ipc"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("readable")))
        .collect();
    v.sort();
    v
}

fn views(src: &str) -> (String, String) {
    let v = Views {
        steps_max: None,
        replay: None,
        strategy: Default::default(),
        trace: TraceFormat::None,
        quiet: true,
        mermaid: true,
        chrome: true,
        ..Views::default()
    };
    let (p, _) = run_to_string("s.ipc", src, None, &v);
    (p.mermaid.expect("mermaid"), p.chrome.expect("chrome"))
}

fn check_mermaid(name: &str, text: &str) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sequenceDiagram"), "{name}");
    let mut declared = BTreeSet::new();
    let id = |s: &str| -> String { s.trim().to_string() };
    for l in lines {
        let body = l
            .strip_prefix("    ")
            .unwrap_or_else(|| panic!("{name}: unindented line {l:?}"));
        assert!(
            !body.contains(';') && !body.contains('#'),
            "{name}: `;` or `#` would break Mermaid: {l:?}"
        );
        // A host's participants sit in a box (scenarios with hosts).
        if body.starts_with("box ") || body == "end" {
            continue;
        }
        if let Some(rest) = body.strip_prefix("participant ") {
            let (pid, alias) = rest.split_once(" as ").unwrap_or_else(|| panic!("{name}: {l:?}"));
            assert!(!alias.is_empty());
            assert!(declared.insert(id(pid)), "{name}: participant declared twice: {l:?}");
        } else if let Some(rest) = body.strip_prefix("Note over ") {
            let (who, text) = rest
                .split_once(": ")
                .unwrap_or_else(|| panic!("{name}: note without text {l:?}"));
            assert!(!text.is_empty());
            for p in who.split(',') {
                assert!(declared.contains(&id(p)), "{name}: note over undeclared {p} in {l:?}");
            }
        } else {
            let (arrow, text) = body
                .split_once(": ")
                .unwrap_or_else(|| panic!("{name}: unknown line {l:?}"));
            assert!(!text.is_empty());
            let (a, b) = ["-->>", "->>", "-)"]
                .iter()
                .find_map(|op| arrow.split_once(op))
                .unwrap_or_else(|| panic!("{name}: not an arrow: {l:?}"));
            for p in [a, b] {
                assert!(declared.contains(&id(p)), "{name}: arrow to undeclared {p} in {l:?}");
            }
        }
    }
}

fn check_chrome(name: &str, text: &str) {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
    let evs = v["traceEvents"]
        .as_array()
        .unwrap_or_else(|| panic!("{name}: no traceEvents"));
    let mut depth: BTreeMap<u64, i64> = BTreeMap::new();
    let mut flows: BTreeMap<u64, (u32, u32)> = BTreeMap::new();
    let mut last_ts = 0u64;
    for e in evs {
        let ph = e["ph"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: event without ph: {e}"));
        if ph == "M" {
            continue;
        }
        let ts = e["ts"].as_u64().unwrap_or_else(|| panic!("{name}: no ts: {e}"));
        assert!(ts >= last_ts, "{name}: time goes back at {e}");
        last_ts = ts;
        let tid = e["tid"].as_u64().unwrap_or_else(|| panic!("{name}: no tid: {e}"));
        match ph {
            "B" => *depth.entry(tid).or_default() += 1,
            "E" => {
                let d = depth.entry(tid).or_default();
                *d -= 1;
                assert!(*d >= 0, "{name}: slice closed before it opened on track {tid}");
            }
            "s" => flows.entry(e["id"].as_u64().expect("flow id")).or_default().0 += 1,
            "f" => flows.entry(e["id"].as_u64().expect("flow id")).or_default().1 += 1,
            "i" => {}
            other => panic!("{name}: unexpected phase {other}"),
        }
    }
    for (tid, d) in depth {
        assert_eq!(d, 0, "{name}: track {tid} left {d} slice(s) open");
    }
    for (id, (s, f)) in flows {
        assert_eq!((s, f), (1, 1), "{name}: flow {id} unpaired");
    }
}

#[test]
fn mermaid_diagrams_are_well_formed_sequence_diagrams() {
    for (name, src) in scenarios() {
        let (m, _) = views(&src);
        check_mermaid(&name, &m);
    }
}

#[test]
fn chrome_traces_are_balanced_trace_event_json() {
    for (name, src) in scenarios() {
        let (_, c) = views(&src);
        check_chrome(&name, &c);
    }
}

#[test]
fn long_runs_cut_the_diagram_and_say_so() {
    let src = "endpoint e\nprocess s daemon caps(e: recv) { loop { recv e -> m\n reply 1 } }\nprocess c caps(e: send) { repeat 3000 { call e 1 -> r } }\n";
    let (m, c) = views(src);
    assert!(m.lines().count() <= ipcsim_scenario::mermaid::LINES_MAX + 10);
    assert!(m.contains("diagram cut after"));
    check_mermaid("long", &m);
    check_chrome("long", &c);
}

/// A process's story ends at its `ends:` line: nothing it does (runs, wakes,
/// a call's failure) may be told after it, in any bundled scenario or in the
/// writes whose own SIGPIPE kills the writer (regression: the write's
/// `fails: BrokenPipe` was recorded after `ends: killed SIGPIPE`).
#[test]
fn nothing_a_process_does_is_traced_after_its_end() {
    let sigpipe = "pipe p\nprocess r caps(p: read) {\n    close p\n}\nprocess w caps(p: write) {\n    write p \"x\"\n}\nexpect w killed SIGPIPE\n";
    let mut all = scenarios();
    all.push(("sigpipe.ipc".into(), sigpipe.into()));
    for (name, src) in all {
        let (_, out) = run_to_string(&name, &src, None, &Views::default());
        let mut ended: BTreeSet<String> = BTreeSet::new();
        for line in out.lines().take_while(|l| !l.is_empty()) {
            let mut cols = line.split_whitespace();
            let (Some(_), Some(proc)) = (cols.next(), cols.next()) else {
                continue;
            };
            let words: Vec<&str> = cols.collect();
            let first = words.first().copied().unwrap_or_default();
            if ended.contains(proc) {
                assert!(
                    !matches!(first, "fails:" | "runs" | "wakes" | "wakes:" | "blocks:"),
                    "{name}: `{line}` after {proc} ended"
                );
            }
            if first == "ends:" {
                ended.insert(proc.to_string());
            }
        }
    }
}
