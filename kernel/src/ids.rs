//! Names of kernel things as user space holds them.
//!
//! A [`Pid`] is a dense index that is never reused within a kernel, so a trace
//! can name a process by it for the whole run. [`ObjId`] and [`CapId`] are
//! generational handles ([`crate::arena`]): a stale or forged one is refused
//! (`InvalidCap`), never mistaken for another object.

use std::fmt;

use crate::arena::Handle;

/// Virtual time, in ticks.
pub type Time = u64;

/// A process id: its index in the kernel's process table, never reused.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Pid(pub u32);

impl Pid {
    /// The index into the process table.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A simulated host: its own CPU, ready queues, ports, keys and file system.
/// Host 0 is `local`, which every kernel has.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct HostId(pub u16);

impl HostId {
    /// The host every kernel starts with.
    pub const LOCAL: HostId = HostId(0);
    /// The index into the kernel's host table.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// A kernel object.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct ObjId(pub Handle);

/// A capability: names one node of the kernel's derivation tree, owned by one process.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct CapId(pub Handle);

impl CapId {
    /// A handle the kernel never issues (no table reaches slot `u32::MAX`):
    /// what a name bound to no capability holds, so using it fails `InvalidCap`.
    /// (The default handle, slot 0 of generation 0, may be a live capability.)
    pub const NONE: CapId = CapId(Handle::from_raw(u32::MAX, u32::MAX));
    /// Packs the handle into one integer (for user space that stores it as a number).
    pub fn to_bits(self) -> u64 {
        (u64::from(self.0.generation()) << 32) | u64::from(self.0.index())
    }
    /// Unpacks [`CapId::to_bits`]; any integer gives a handle, which the kernel checks on use.
    pub fn from_bits(bits: u64) -> Self {
        CapId(Handle::from_raw(bits as u32, (bits >> 32) as u32))
    }
}

/// How long a blocking operation may wait.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Timeout {
    /// Wait for ever.
    #[default]
    Never,
    /// Wait at most this many ticks; 0 means do not wait at all (`nowait`).
    Ticks(u64),
}

impl Timeout {
    /// `nowait`.
    pub const NOWAIT: Timeout = Timeout::Ticks(0);

    /// Whether the operation must not wait.
    pub fn is_nowait(self) -> bool {
        self == Timeout::Ticks(0)
    }
}
