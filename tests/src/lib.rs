//! Cross-crate tests for ipcsim live in `tests/tests/`: scenario golden tests,
//! determinism, language errors, exit statuses, and the property-based suites.
//! This library holds what several of them share: where the workspace's
//! files are.

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
