//! ipcsim's fuzz targets, as plain functions over bytes: `cargo fuzz run
//! TARGET` (nightly, libFuzzer) drives them for coverage, and `cargo test`
//! (stable) replays every seed and every saved crash through them
//! (`tests/corpus.rs`), so a crash once found fails the build for good.
//!
//! Each `check` panics only on a bug: a crash of ipcsim itself, a broken
//! kernel invariant, an exit status outside 0/1/2, or output past its limit.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cli_args;
pub mod kernel_calls;
mod net_calls;
pub mod scenario;
pub mod schedule;

/// Process steps a fuzzed run may take: enough for every bundled scenario,
/// few enough for thousands of runs a second.
pub const STEPS_MAX: u64 = 5_000;
