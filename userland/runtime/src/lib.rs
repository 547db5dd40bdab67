//! The ipcsim process runtime: simulated processes as async Rust over a [`Sys`]
//! handle, run by a single-threaded deterministic executor.
//!
//! Each system call is an `.await` and a scheduling point. The kernel decides
//! who runs: the executor polls exactly the process [`ipcsim_kernel::Kernel::schedule`] names, and
//! a process's future returns `Pending` only when its system call switched it
//! out. No wakers, no threads, no clocks: the same processes and seed give the
//! same event log.
//!
//! Plain blocking code runs too: [`BlockingSys`] has the same system calls,
//! each returning when the kernel completes it, and [`Runtime::spawn_blocking`]
//! starts a blocking process on its own OS thread. Only the thread holding the
//! baton runs, and the kernel hands the baton out as it picks the next process
//! to poll, so blocking and async processes mix in one run with the same
//! determinism (see `baton.rs` and docs/architecture.md).
//!
//! ```
//! use ipcsim_runtime::{Runtime, Sys};
//! use ipcsim_kernel::{Data, KernelConfig, ObjectKind, ObjectOptions, ProcessSpec, Rights, Timeout};
//!
//! let mut rt = Runtime::new(KernelConfig::default());
//! let ep = rt.kernel_mut().create_object(ObjectKind::Endpoint, "echo", &ObjectOptions::default()).unwrap();
//! let server = rt.spawn(ProcessSpec { daemon: true, ..ProcessSpec::new("server") }, |sys: Sys| async move {
//!     let cap = sys.boot_cap(0);
//!     loop {
//!         let m = sys.recv(cap, Timeout::Never).await?;
//!         sys.reply(m.data).await?;
//!     }
//! }).unwrap();
//! let client = rt.spawn(ProcessSpec::new("client"), |sys: Sys| async move {
//!     let r = sys.call(sys.boot_cap(0), Data::Int(7), Timeout::Never).await?;
//!     assert_eq!(r.data, Data::Int(7));
//!     Ok(())
//! }).unwrap();
//! rt.kernel_mut().grant(server, ep, Rights::RECV, 0).unwrap();
//! rt.kernel_mut().grant(client, ep, Rights::SEND, 0).unwrap();
//! let report = rt.run();
//! assert_eq!(report.process(client).unwrap().state.to_string(), "exited");
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod baton;
mod blocking;
mod calls;
mod executor;
mod net;
mod report;
mod sys;

pub use baton::{DEFAULT_BLOCKING_LIMIT, DEFAULT_STACK_SIZE};
pub use blocking::{BlockingSys, ThreadSpec};
pub use executor::{ProcFuture, Runtime};
pub use net::{Datagram, Domain, SockType};
pub use report::{ProcState, ProcessReport, Report};
pub use sys::{FromRet, Issue, Mapped, Sys, SysCall};

pub use ipcsim_kernel as kernel;

/// What a process body returns: `Ok` to exit, `Err` to fail with that error.
pub type ProcResult = Result<(), ipcsim_kernel::Error>;
