//! The fuzz targets on stable, in `cargo test`: every seed (the bundled
//! scenarios, the golden traces, the conformance suite) and every saved crash
//! (`fuzz/regressions/TARGET/NAME`, each named for its bug) goes through
//! its target, plus a few thousand inputs from a fixed pseudo-random stream,
//! so a crash found once by `make fuzz` fails the build for good.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn regressions(target: &str) -> Vec<Vec<u8>> {
    files(&root().join("fuzz/regressions").join(target))
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "README"))
        .map(|p| std::fs::read(p).expect("readable"))
        .collect()
}

/// A fixed stream of inputs (SplitMix64 bytes), the same on every machine.
fn stream(n: usize, len_max: usize, mut seed: u64) -> Vec<Vec<u8>> {
    let mut next = move || {
        seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    (0..n)
        .map(|_| {
            let len = (next() as usize) % len_max;
            (0..len).map(|_| next() as u8).collect()
        })
        .collect()
}

#[test]
fn every_seed_scenario_and_saved_crash_passes_the_scenario_target() {
    let mut dirs = vec![root().join("scenarios"), root().join("tests/golden")];
    dirs.push(root().join("../shared/conformance"));
    let mut n = 0;
    for d in dirs {
        for f in files(&d) {
            ipcsim_fuzz::scenario::check(&std::fs::read(&f).expect("readable"));
            n += 1;
        }
    }
    for r in regressions("scenario") {
        ipcsim_fuzz::scenario::check(&r);
    }
    assert!(n >= 80, "only {n} seed files");
}

#[test]
fn random_call_sequences_keep_every_kernel_invariant() {
    for input in stream(3000, 600, 1).iter().chain(&regressions("kernel_calls")) {
        ipcsim_fuzz::kernel_calls::check(input);
    }
}

#[test]
fn schedule_strings_decode_and_replay_deterministically() {
    let mut inputs = stream(300, 60, 2);
    for (head, s) in [
        (1u8, "v1:f69df0c8f18dfc26:0,1"),
        (3 | 0x10, "v1:5637a5364c48205a:3,8,0,2,z3,1,0,1,0,1"),
        (0, "v1:x:z99999999999"),
    ] {
        inputs.push([&[head][..], s.as_bytes()].concat());
    }
    for input in inputs.iter().chain(&regressions("schedule")) {
        ipcsim_fuzz::schedule::check(input);
    }
}

#[test]
fn argument_vectors_exit_0_1_or_2() {
    let mut inputs: Vec<Vec<u8>> = [
        "run\0x.ipc\0--seed\x007",
        "explore\0x.ipc\0--strategy\0dfs\0--preemptions\x001",
        "explore\0x.ipc\0--kill-random\0--fault-steps\x005",
        "run\0x.ipc\0--schedule\0v1:zz:1",
        "check\0x.ipc\0bad.ipc",
        "run\0x.ipc\0--max-steps\x000",
        "run\0x.ipc\0--mermaid\0out\0--chrome\0out\0--trace\0json",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    inputs.extend(stream(100, 40, 3));
    for input in inputs.iter().chain(&regressions("cli_args")) {
        ipcsim_fuzz::cli_args::check(input);
    }
}
