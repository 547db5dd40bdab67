//! Counters the closing report shows: system calls, switches, messages and copies.
//!
//! Copies are counted as a real kernel would make them (design: 2 per kernel
//! message, user to kernel and kernel to user; 1 under remapping; 0 for shared
//! memory), per mechanism, even though the simulator itself shares the bytes.

use crate::ObjectKind;

/// Copy accounting for one mechanism.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MechStats {
    /// Messages (or writes/reads for streams) moved.
    pub messages: u64,
    /// Copies made.
    pub copies: u64,
    /// Bytes copied (data bytes times copies).
    pub bytes_copied: u64,
}

/// Kernel-wide counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// System calls issued.
    pub syscalls: u64,
    /// Loads and stores of mapped memory (`store`, `load`, `poke`, `peek`):
    /// steps the scheduler may interleave at, but not system calls.
    pub memory_accesses: u64,
    /// Context switches (the CPU moving to another process).
    pub switches: u64,
    /// Of which control-flow transfers.
    pub transfers: u64,
    /// Per mechanism, indexed by [`ObjectKind`] order.
    pub mech: [MechStats; 9],
}

impl Stats {
    /// Total messages moved.
    pub fn messages(&self) -> u64 {
        self.mech.iter().map(|m| m.messages).sum()
    }
    /// Total bytes copied.
    pub fn bytes_copied(&self) -> u64 {
        self.mech.iter().map(|m| m.bytes_copied).sum()
    }
    /// Total copies.
    pub fn copies(&self) -> u64 {
        self.mech.iter().map(|m| m.copies).sum()
    }
    /// The counters of one mechanism.
    pub fn of(&self, kind: ObjectKind) -> &MechStats {
        &self.mech[kind as usize]
    }
    pub(crate) fn count(&mut self, kind: ObjectKind, bytes: usize, copies: u8) {
        let m = &mut self.mech[kind as usize];
        m.messages += 1;
        m.copies += u64::from(copies);
        m.bytes_copied += bytes as u64 * u64::from(copies);
    }
}
