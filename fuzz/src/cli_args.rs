//! Target 3b: argument vectors through the whole `ipcsim` command line
//! (clap's parsing, each command's own checks, and a bounded run).
//!
//! The bytes are split at NUL into arguments. So that a fuzzed command line
//! stays cheap and harmless, a few are rewritten before it runs: every file
//! operand names one of a few bundled scenarios (or a missing file), every
//! output path points into the system's temporary directory, and counts of
//! runs, jobs and steps are capped; `compare` is only parsed. Whatever the
//! arguments, the exit status must be 0, 1 or 2.

use std::path::PathBuf;

/// The files a fuzzed command line may name.
const FILES: [(&str, &str); 3] = [
    ("race_order.ipc", include_str!("../../scenarios/race_order.ipc")),
    ("echo.ipc", include_str!("../../scenarios/echo.ipc")),
    ("bad.ipc", "process p {\n  frob\n}\n"),
];

/// Flags whose value is an output path.
const OUTPUTS: [&str; 5] = ["--mermaid", "--chrome", "--svg", "--markdown", "--emit"];

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("ipcsim-fuzz-{}", std::process::id()));
    if !d.exists() {
        let _ = std::fs::create_dir_all(&d);
        for (name, text) in FILES {
            let _ = std::fs::write(d.join(name), text);
        }
    }
    d
}

/// The argument vector an input stands for, made safe to run.
pub fn argv(data: &[u8]) -> Vec<String> {
    let d = dir();
    let mut args = vec!["ipcsim".to_string()];
    let mut raw: Vec<String> = data
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .take(24)
        .collect();
    if raw.first().is_some_and(|a| a.len() == 1) {
        // A one-byte first argument picks the command, so most inputs reach one.
        let b = raw[0].as_bytes()[0];
        raw[0] = ["run", "check", "explore", "compare"][usize::from(b) % 4].to_string();
    }
    let mut prev = String::new();
    for a in raw {
        let a = if OUTPUTS.contains(&prev.as_str()) {
            d.join("out").to_string_lossy().into_owned()
        } else if ["--runs", "--max-steps", "--pct-steps", "--fault-steps"].contains(&prev.as_str()) {
            a.parse::<u64>().map_or(a, |n| n.min(20).to_string())
        } else if prev == "--jobs" {
            "1".to_string()
        } else if a.ends_with(".ipc") || (!a.starts_with('-') && a.contains('/')) {
            let i = a.len() % (FILES.len() + 1);
            FILES
                .get(i)
                .map_or("missing.ipc".into(), |(n, _)| d.join(n).to_string_lossy().into_owned())
        } else {
            a
        };
        prev = a.clone();
        args.push(a);
    }
    // Every run and exploration is bounded, whatever the input asked.
    let bounds: &[(&str, &str)] = match args.get(1).map(String::as_str) {
        Some("run") => &[("--max-steps", "2000")],
        Some("explore") => &[("--max-steps", "2000"), ("--runs", "20"), ("--jobs", "1")],
        _ => &[],
    };
    for (flag, value) in bounds {
        if !args.iter().any(|a| a == flag || a.starts_with(&format!("{flag}="))) {
            args.extend([flag.to_string(), value.to_string()]);
        }
    }
    args
}

/// Runs one input as a command line.
pub fn check(data: &[u8]) {
    let args = argv(data);
    if args.get(1).map(String::as_str) == Some("compare") || args.iter().any(|a| a == "--help" || a == "-h") {
        return;
    }
    let code = ipcsim::main_with(args.clone());
    assert!(code <= 2, "exit status {code} for {args:?}");
}
