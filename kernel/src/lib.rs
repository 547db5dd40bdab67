//! The ipcsim kernel: a simulated microkernel as a deterministic state machine.
//!
//! A system call goes in for a process ([`Kernel::syscall`]); an outcome comes
//! out: done with a result, or switched (the caller blocked or was preempted).
//! The kernel owns the scheduler, the virtual clock and the timer queue, and
//! decides who runs next ([`Kernel::schedule`]). It has no threads, no clocks and
//! no I/O, and knows nothing of the scenario language: same inputs and seed,
//! same events.
//!
//! When to use what:
//! - [`Kernel`] with [`KernelConfig`]: to drive processes step by step
//!   (property tests do this directly).
//! - The `ipcsim-runtime` crate: to write processes as async Rust over a `Sys` handle.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod arena;
mod budget;
mod caps;
mod connect;
pub mod deadlock;
mod dgram;
mod entry;
mod error;
pub mod event;
mod eventlog;
mod fastpath;
mod fault;
mod host;
mod ids;
pub mod inspect;
mod invariants;
mod ipc;
mod kernel;
mod life;
mod message;
mod msgqueue;
mod net;
mod notify;
mod object;
pub mod objects;
mod pipe;
mod process;
mod ready;
mod rights;
pub mod rng;
pub mod sem;
pub mod semop;
mod shm;
pub mod signal;
pub mod socket;
pub mod stats;
mod strategy;
mod stream;
mod syscall;
pub mod sysv;

pub use budget::Held;
pub use deadlock::DeadlockReport;
pub use error::{Error, KResult};
pub use event::{Event, EventKind, NetEvent, NetStep, SwitchReason, WaitKind};
pub use fault::{Faults, NetFault};
pub use ids::{CapId, HostId, ObjId, Pid, Time, Timeout};
pub use kernel::{Costs, Finish, Kernel, KernelConfig, Limits, Next, ProcessInfo};
pub use message::{Data, Message};
pub use object::ObjectOptions;
pub use process::Ending;
pub use rights::{ObjectKind, Rights};
pub use semop::{SemCmd, SemOp};
pub use signal::{DefaultAction, Disposition, SaFlags, Signal};
pub use strategy::Strategy;
pub use syscall::{GetFlags, IpcPerm, Outcome, ProcessSpec, RcvOpts, Ret, SysResult, Syscall};
