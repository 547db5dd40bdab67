//! The kernel's memory budget: what scenario objects may hold, kernel-wide.
//!
//! Every buffer has its own bound (a mailbox's capacity, a queue's
//! `msg_qbytes`, a pipe's capacity), but objects can be made at run time
//! (`msgget IPC_PRIVATE`, `shmget`, `mmap ... private`), so bounds per object
//! do not bound the whole. Two kernel-wide counts do:
//! - **bytes** reserved by objects for their life (a segment's size, a pipe's
//!   capacity, a file's pages, a private mapping's copy) plus the data of
//!   messages buffered in mailboxes and queues, at most
//!   [`Limits::memory_bytes_max`](crate::Limits::memory_bytes_max);
//! - **messages** buffered, at most
//!   [`Limits::buffered_messages_max`](crate::Limits::buffered_messages_max).
//!
//! An operation that would go past either fails `LimitReached` before it has
//! any effect. A message that was already in the kernel (carried by a blocked
//! sender) moving into a buffer is counted but never refused: it held its
//! memory all along, and refusing it then would lose it.

use crate::kernel::Kernel;
use crate::object::Body;
use crate::{Error, KResult};

/// What the budget counts now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Held {
    /// Bytes reserved by objects and held by buffered messages.
    pub bytes: u64,
    /// Messages buffered in mailboxes and message queues.
    pub messages: u64,
}

/// The bytes an object reserves for its whole life: what it may hold
/// whatever its users do (a segment's memory, a pipe's buffer, a file's
/// pages: a shared mapping may grow it to its last page).
pub(crate) fn reserved_bytes(body: &Body) -> u64 {
    match body {
        Body::Shm { mem, .. } => mem.len() as u64,
        Body::Pipe { capacity, .. } => *capacity as u64,
        Body::File { contents } => page_round(contents.len() as u64),
        _ => 0,
    }
}

/// A file's length as its mappings cover it: whole pages, at least one.
pub(crate) fn page_round(len: u64) -> u64 {
    len.max(1).div_ceil(crate::shm::PAGE) * crate::shm::PAGE
}

impl Kernel {
    /// Reserves `bytes` (an object, a private copy), or `LimitReached`.
    pub(crate) fn reserve(&mut self, bytes: u64) -> KResult<()> {
        let total = self.held.bytes.checked_add(bytes).ok_or(Error::LimitReached)?;
        if total > self.cfg.limits.memory_bytes_max {
            return Err(Error::LimitReached);
        }
        self.held.bytes = total;
        Ok(())
    }

    /// Gives back what [`Kernel::reserve`] took.
    pub(crate) fn release(&mut self, bytes: u64) {
        self.held.bytes = self.held.bytes.saturating_sub(bytes);
    }

    /// Whether one more message of `len` data bytes may be buffered.
    pub(crate) fn message_room(&self, len: usize) -> KResult<()> {
        let fits = self.held.messages < self.cfg.limits.buffered_messages_max as u64
            && self.held.bytes.saturating_add(len as u64) <= self.cfg.limits.memory_bytes_max;
        if fits {
            Ok(())
        } else {
            Err(Error::LimitReached)
        }
    }

    /// Counts a message of `len` bytes going into a buffer (checked before
    /// with [`Kernel::message_room`], or one already in the kernel).
    pub(crate) fn buffered(&mut self, len: usize) {
        self.held.messages += 1;
        self.held.bytes = self.held.bytes.saturating_add(len as u64);
    }

    /// Counts a message of `len` bytes leaving a buffer.
    pub(crate) fn unbuffered(&mut self, len: usize) {
        self.held.messages = self.held.messages.saturating_sub(1);
        self.held.bytes = self.held.bytes.saturating_sub(len as u64);
    }

    /// What the budget counts now (for tests and reports).
    pub fn held(&self) -> Held {
        self.held
    }
}
