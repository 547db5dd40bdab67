//! Cross-crate tests for ipcsim live in `tests/tests/`: scenario golden tests,
//! determinism, language errors, exit statuses, and the property-based suites.
//! This library holds what several of them share: where the workspace's
//! files are, and how a test loads or runs a scenario written inline.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The files of `dir` ending in `.ext`, sorted by name.
pub fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// The bundled scenarios (`scenarios/*.ipc`), sorted by name.
pub fn bundled_scenarios() -> Vec<PathBuf> {
    files(&root().join("scenarios"), "ipc")
}

/// A bundled scenario's text.
pub fn scenario_source(name: &str) -> String {
    std::fs::read_to_string(root().join("scenarios").join(name)).expect("readable scenario")
}

/// The errors loading `src` reports, as `LINE:COL: message`, in the order
/// found (empty if it loads).
pub fn load_errors(src: &str) -> Vec<String> {
    match ipcsim_scenario::load(src) {
        Ok(_) => Vec::new(),
        Err(d) => d.0.iter().map(|e| e.to_string()).collect(),
    }
}

/// Runs `src` (named `t.ipc`) with its text trace; returns the exit status
/// and the output. Panics if the run printed diagnostics (it must load).
pub fn run_traced(src: &str) -> (i32, String) {
    use ipcsim_scenario::cli::{run_to_string, TraceFormat, Views};
    let views = Views {
        trace: TraceFormat::Text,
        ..Default::default()
    };
    let (p, out) = run_to_string("t.ipc", src, None, &views);
    assert_eq!(p.diagnostics, "", "{src}");
    (p.exit, out)
}

/// [`run_traced`] for a run that must pass (exit 0); returns its output.
pub fn run_passing(src: &str) -> String {
    let (exit, out) = run_traced(src);
    assert_eq!(exit, 0, "{src}\n{out}");
    out
}
