//! Message passing over shared memory by polling, the seeds' first protocol.
//!
//! Two processes share one segment; nobody asks the kernel to move data. A
//! channel is a ring of slots laid out in the segment ([`Layout`]); each slot
//! carries a status flag, the message's length and its bytes. The sender waits
//! until its next slot is empty, writes the message, then sets the flag; the
//! receiver waits until its next slot is full, reads it, then clears the flag.
//! Each side keeps its own index, so the only shared state is the slots, and
//! each slot has exactly one writer of each flag value (single producer,
//! single consumer): no lock is needed.
//!
//! "Waits" means *polls*: loads the flag, and if it is not ready yet, sleeps
//! for the poll interval ([`Poll`]) and looks again. That is the protocol's
//! whole cost: every load burns the cost model's `poll` ticks of CPU, and a
//! message that arrives just after a look waits up to one interval before it
//! is seen. In exchange the kernel copies nothing: the report counts 0 copies
//! for shared memory, and [`Stats`] counts the polls.
//!
//! A one-slot channel ([`Layout::one_slot`]) is a ring of one.
//!
//! `cargo run --release -p ipcsim-shmchan --example poll_interval` prints the
//! latency, CPU and idle looks per round trip at several poll intervals.
//!
//! ```
//! use ipcsim_kernel::{KernelConfig, ObjectKind, ObjectOptions, ProcessSpec, Rights, Timeout};
//! use ipcsim_runtime::{Runtime, Sys};
//! use ipcsim_shmchan::{Layout, Poll, Receiver, Sender};
//!
//! let layout = Layout::ring(0, 4, 32);
//! let mut rt = Runtime::new(KernelConfig::default());
//! let opts = ObjectOptions { size: Some(layout.bytes() as u64), ..ObjectOptions::default() };
//! let seg = rt.kernel_mut().create_object(ObjectKind::Shm, "seg", &opts).unwrap();
//! let producer = rt.spawn(ProcessSpec::new("producer"), move |sys: Sys| async move {
//!     let tx = Sender::attach(&sys, sys.boot_cap(0), layout, Poll::Sleep(2)).await?;
//!     for word in ["one", "two", "three"] {
//!         tx.send(word, Timeout::Never).await?;
//!     }
//!     Ok(())
//! }).unwrap();
//! let consumer = rt.spawn(ProcessSpec::new("consumer"), move |sys: Sys| async move {
//!     let rx = Receiver::attach(&sys, sys.boot_cap(0), layout, Poll::Sleep(2)).await?;
//!     for word in ["one", "two", "three"] {
//!         assert_eq!(rx.recv(Timeout::Never).await?, word);
//!     }
//!     Ok(())
//! }).unwrap();
//! rt.kernel_mut().grant(producer, seg, Rights::READ | Rights::WRITE, 0).unwrap();
//! rt.kernel_mut().grant(consumer, seg, Rights::READ | Rights::WRITE, 0).unwrap();
//! let report = rt.run();
//! assert_eq!(report.stats.copies(), 0);
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod channel;
mod layout;

pub use channel::{ChanError, Poll, Receiver, Sender, Stats};
pub use layout::Layout;
