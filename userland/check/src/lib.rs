//! Property tests of IPC protocols written in Rust over ipcsim.
//!
//! A protocol is a `setup` function that creates kernel objects and spawns
//! processes on a [`Runtime`]; a property is a predicate on the finished
//! [`Run`] (its report, its events). [`check`] runs the protocol under many
//! [`Schedule`]s drawn by proptest (seeded random preemption, PCT, optional
//! fault injection), and fails with the property's message and the schedule
//! that replays it ([`run_under`] runs one schedule again, byte for byte).
//! When a schedule fails, proptest shrinks it (towards seed 0, the random
//! strategy and no faults) before reporting.
//!
//! ```
//! use ipcsim_check::{check, Config};
//! use ipcsim_kernel::{Data, ObjectKind, ObjectOptions, ProcessSpec, Rights, Timeout};
//! use ipcsim_runtime::{Runtime, Sys};
//!
//! fn echo(rt: &mut Runtime) {
//!     let ep = rt.kernel_mut().create_object(ObjectKind::Endpoint, "ep", &ObjectOptions::default()).unwrap();
//!     let s = rt.spawn(ProcessSpec { daemon: true, ..ProcessSpec::new("server") }, |sys: Sys| async move {
//!         let cap = sys.boot_cap(0);
//!         let mut m = sys.recv(cap, Timeout::Never).await?;
//!         loop { m = sys.reply_recv(cap, m.data, Timeout::Never).await?; }
//!     }).unwrap();
//!     rt.kernel_mut().grant(s, ep, Rights::RECV, 0).unwrap();
//!     for i in 0..3 {
//!         let c = rt.spawn(ProcessSpec::new(format!("client{i}")), move |sys: Sys| async move {
//!             let r = sys.call(sys.boot_cap(0), Data::Int(i), Timeout::Never).await?;
//!             assert_eq!(r.data, Data::Int(i));
//!             Ok(())
//!         }).unwrap();
//!         rt.kernel_mut().grant(c, ep, Rights::SEND, 0).unwrap();
//!     }
//! }
//!
//! // Every client gets its own answer, whatever the schedule.
//! check(&Config::default(), echo, |run| run.expect_all_exited());
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod run;
mod schedule;

pub use run::{run_under, Run};
pub use schedule::{schedules, Config, Schedule};

use ipcsim_runtime::Runtime;
use proptest::test_runner::{TestCaseError, TestError, TestRunner};

/// Why [`search`] found the protocol wanting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The (shrunk) schedule that breaks the property: `run_under(&schedule, setup)` replays it.
    pub schedule: Schedule,
    /// The property's message.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the property fails under {:?}: {}\nreplay it with ipcsim_check::run_under(&{:?}, setup)",
            self.schedule, self.message, self.schedule
        )
    }
}

/// Runs `setup` under `config.cases` schedules and checks `property` after
/// each; returns the first failure, shrunk by proptest.
pub fn search<S, P>(config: &Config, setup: S, property: P) -> Result<(), Failure>
where
    S: Fn(&mut Runtime),
    P: Fn(&Run) -> Result<(), String>,
{
    let mut runner = TestRunner::new(proptest::test_runner::Config {
        cases: config.cases,
        failure_persistence: None,
        // Replays must not depend on the machine: seed proptest itself.
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        ..proptest::test_runner::Config::default()
    });
    if let Some(seed) = config.proptest_seed {
        runner = TestRunner::new_with_rng(
            runner.config().clone(),
            proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &seed_bytes(seed)),
        );
    }
    let result = runner.run(&schedules(config), |schedule| {
        let run = run_under(&schedule, &setup);
        property(&run).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(why, schedule)) => Err(Failure {
            schedule,
            message: why.message().to_string(),
        }),
        Err(TestError::Abort(why)) => Err(Failure {
            schedule: Schedule::default(),
            message: format!("proptest gave up: {why}"),
        }),
    }
}

/// Like [`search`], but panics with the failure and its replay (for `#[test]`s).
pub fn check<S, P>(config: &Config, setup: S, property: P)
where
    S: Fn(&mut Runtime),
    P: Fn(&Run) -> Result<(), String>,
{
    if let Err(f) = search(config, setup, property) {
        panic!("{f}");
    }
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, chunk) in b.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes());
    }
    b
}
