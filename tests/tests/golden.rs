//! Scenario golden tests: every file in `scenarios/` runs with its expected
//! exit status (`# expect-exit: N` in its header, 0 if absent), and its text
//! trace and report must match the checked-in snapshot in `tests/golden/`.
//!
//! To accept a deliberate change: `UPDATE_GOLDEN=1 cargo test -p ipcsim-tests --test golden`,
//! then read the diff before committing it.

use std::path::{Path, PathBuf};

use ipcsim_scenario::cli::{run_to_string, TraceFormat, Views};
use ipcsim_tests::{bundled_scenarios, root};

fn expected_exit(src: &str) -> i32 {
    src.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix("# expect-exit:").and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0)
}

/// Runs one scenario file and checks it against its snapshot; returns a description of any mismatch.
fn check(path: &Path) -> Option<String> {
    let src = std::fs::read_to_string(path).expect("scenario readable");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
    let views = Views {
        trace: TraceFormat::Text,
        ..Default::default()
    };
    let (produced, out) = run_to_string(&name, &src, None, &views);
    let got = format!("exit: {}\n{}{}", produced.exit, produced.diagnostics, out);
    let snap = root()
        .join("tests/golden")
        .join(format!("{}.txt", name.trim_end_matches(".ipc")));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&snap, &got).expect("snapshot writable");
    }
    let mut problems = Vec::new();
    if produced.exit != expected_exit(&src) {
        problems.push(format!(
            "exit {} but the header expects {}",
            produced.exit,
            expected_exit(&src)
        ));
    }
    match std::fs::read_to_string(&snap) {
        Ok(want) if want == got => {}
        Ok(want) => {
            let line = want
                .lines()
                .zip(got.lines())
                .position(|(a, b)| a != b)
                .map_or(0, |i| i + 1);
            problems.push(format!(
                "trace differs from {} at line {line} (UPDATE_GOLDEN=1 to accept)\n--- want\n{}\n--- got\n{}",
                snap.display(),
                want.lines().nth(line.saturating_sub(1)).unwrap_or(""),
                got.lines().nth(line.saturating_sub(1)).unwrap_or("")
            ));
        }
        Err(_) => problems.push(format!("no snapshot {} (UPDATE_GOLDEN=1 to create)", snap.display())),
    }
    (!problems.is_empty()).then(|| format!("{name}: {}", problems.join("; ")))
}

#[test]
fn every_bundled_scenario_matches_its_snapshot() {
    let files: Vec<PathBuf> = bundled_scenarios();
    assert!(files.len() >= 8, "scenarios/ should hold the bundled scenarios");
    let failures: Vec<String> = files.iter().filter_map(|p| check(p)).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn snapshots_have_scenarios() {
    // A snapshot whose scenario was removed or renamed is stale.
    for e in std::fs::read_dir(root().join("tests/golden"))
        .expect("tests/golden exists")
        .flatten()
    {
        let p = e.path();
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
        assert!(
            root().join("scenarios").join(format!("{stem}.ipc")).exists(),
            "stale snapshot {}",
            p.display()
        );
    }
}
