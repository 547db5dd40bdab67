//! Bundles the exercise files (`exercises/*.toml`) and the scenarios they
//! start from (`scenarios/*.ipc`) into the binary, so `ipcsim exercise`
//! works from any directory: a generated list of `include_str!`s, sorted by
//! name so the build does not depend on directory order.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = String::new();
    for (dir, ext, name) in [("exercises", "toml", "EXERCISES"), ("scenarios", "ipc", "SCENARIOS")] {
        let dir = root.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == ext));
        files.sort();
        let _ = writeln!(out, "/// Bundled `{ext}` files: (file stem, text).");
        let _ = writeln!(out, "pub(crate) const {name}: &[(&str, &str)] = &[");
        for p in files {
            println!("cargo:rerun-if-changed={}", p.display());
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
            let _ = writeln!(out, "    ({stem:?}, include_str!({:?})),", p.display().to_string());
        }
        let _ = writeln!(out, "];");
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("bundled.rs");
    std::fs::write(dest, out).unwrap_or_else(|e| panic!("cannot write bundled.rs: {e}"));
}
