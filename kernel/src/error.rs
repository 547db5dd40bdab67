//! The errors a system call can return.
//!
//! Errors are values (design decision 6): every wrong argument, missing right or
//! vanished peer comes back to the caller as one of these, never as a panic.
//! The names are the contract's error names, so a scenario can say `x is TimedOut`.

use thiserror::Error;

/// Why a system call failed.
// A word-sized discriminant, as `Data` has: a call's result is a
// `Result<Ret, Error>` whose `Err` sits where a message's data payload
// does, and a one-byte `Error` there made the compiler copy that 8-byte
// payload as 1 + 4 + 2 + 1 bytes on every move of a result or message. Read
// back whole a moment later, such pieces miss store forwarding. As a word,
// a runtime round trip lost 47 of its 860 instructions and about 15% of its
// time (criterion: 77 -> 63 ns).
#[derive(Error, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u64)]
pub enum Error {
    /// A timeout of T > 0 ticks ran out before the operation completed.
    #[error("TimedOut")]
    TimedOut,
    /// The operation would have had to wait, and was asked not to (`nowait`).
    #[error("WouldBlock")]
    WouldBlock,
    /// The capability lacks the right the operation needs, or an `ipc_perm` check refused.
    #[error("PermissionDenied")]
    PermissionDenied,
    /// The capability is stale, forged, deleted or revoked.
    #[error("InvalidCap")]
    InvalidCap,
    /// The peer that owed this process a reply ended.
    #[error("PeerDied")]
    PeerDied,
    /// The object (or the capability) this process was blocked through went away.
    #[error("ObjectGone")]
    ObjectGone,
    /// A write to a pipe with no reader left.
    #[error("BrokenPipe")]
    BrokenPipe,
    /// `reply` with nobody to answer: none received, or the caller timed out, died or was answered.
    #[error("NoReplyTarget")]
    NoReplyTarget,
    /// No such name, key, process or child.
    #[error("NotFound")]
    NotFound,
    /// `exclusive` creation of something that exists.
    #[error("Exists")]
    Exists,
    /// A message larger than the kernel's limit or the object's capacity.
    #[error("MessageTooLarge")]
    MessageTooLarge,
    /// A caught signal interrupted the blocked call.
    #[error("Interrupted")]
    Interrupted,
    /// A memory access outside every mapping, or a write through a read-only one.
    #[error("SegFault")]
    SegFault,
    /// An argument that makes no sense for this object or call.
    #[error("InvalidArgument")]
    InvalidArgument,
    /// A kernel limit (processes, capabilities, queue lengths) was reached.
    #[error("LimitReached")]
    LimitReached,
    /// A process's own `expect` was false.
    #[error("ExpectationFailed")]
    ExpectationFailed,
    /// Nothing listens on the address a `connect` named.
    #[error("ConnectionRefused")]
    ConnectionRefused,
    /// The peer of a stream reset it (it closed with unread bytes, or got a
    /// segment after it closed).
    #[error("ConnectionReset")]
    ConnectionReset,
    /// The port or path is bound already.
    #[error("AddressInUse")]
    AddressInUse,
    /// No link reaches that host (or no host has that name).
    #[error("HostUnreachable")]
    HostUnreachable,
    /// A stream operation on a socket that is not connected.
    #[error("NotConnected")]
    NotConnected,
    /// A blocking process's body panicked (its message is in the trace as a
    /// print of that process). Never the result of a system call.
    #[error("Panicked")]
    Panicked,
    /// The calling blocking process has ended (it was killed, or its run is
    /// over): the call was refused and changed nothing.
    #[error("Ended")]
    Ended,
}

impl Error {
    /// Every error a scenario can name, in a fixed order (all but
    /// [`Error::Panicked`] and [`Error::Ended`], which only the Rust API's
    /// blocking processes meet).
    pub const ALL: [Error; 21] = [
        Error::TimedOut,
        Error::WouldBlock,
        Error::PermissionDenied,
        Error::InvalidCap,
        Error::PeerDied,
        Error::ObjectGone,
        Error::BrokenPipe,
        Error::NoReplyTarget,
        Error::NotFound,
        Error::Exists,
        Error::MessageTooLarge,
        Error::Interrupted,
        Error::SegFault,
        Error::InvalidArgument,
        Error::LimitReached,
        Error::ExpectationFailed,
        Error::ConnectionRefused,
        Error::ConnectionReset,
        Error::AddressInUse,
        Error::HostUnreachable,
        Error::NotConnected,
    ];

    /// The error named `name` in the contract, if any.
    pub fn from_name(name: &str) -> Option<Error> {
        Self::ALL.iter().copied().find(|e| e.name() == name)
    }

    /// The contract's name of this error.
    pub fn name(self) -> &'static str {
        match self {
            Error::TimedOut => "TimedOut",
            Error::WouldBlock => "WouldBlock",
            Error::PermissionDenied => "PermissionDenied",
            Error::InvalidCap => "InvalidCap",
            Error::PeerDied => "PeerDied",
            Error::ObjectGone => "ObjectGone",
            Error::BrokenPipe => "BrokenPipe",
            Error::NoReplyTarget => "NoReplyTarget",
            Error::NotFound => "NotFound",
            Error::Exists => "Exists",
            Error::MessageTooLarge => "MessageTooLarge",
            Error::Interrupted => "Interrupted",
            Error::SegFault => "SegFault",
            Error::InvalidArgument => "InvalidArgument",
            Error::LimitReached => "LimitReached",
            Error::ExpectationFailed => "ExpectationFailed",
            Error::ConnectionRefused => "ConnectionRefused",
            Error::ConnectionReset => "ConnectionReset",
            Error::AddressInUse => "AddressInUse",
            Error::HostUnreachable => "HostUnreachable",
            Error::NotConnected => "NotConnected",
            Error::Panicked => "Panicked",
            Error::Ended => "Ended",
        }
    }
}

/// Result of a kernel operation.
pub type KResult<T> = Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Error::ALL {
            assert_eq!(Error::from_name(e.name()), Some(e));
            assert_eq!(e.to_string(), e.name());
        }
        assert_eq!(Error::from_name("Nope"), None);
    }
}
