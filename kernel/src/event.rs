//! The kernel's event log: every observable thing the kernel does, in order.
//!
//! Text traces, JSON lines, sequence diagrams, Chrome traces, reports and
//! deadlock analysis are all views of this one log (design decision 5). Each
//! event is also mirrored as a `tracing` event at TRACE level, which costs one
//! cached callsite check when that level is off. Recording into the log can be
//! switched off entirely; when on, the runtime drains the buffer as it goes, so
//! a long run does not grow memory. The buffer itself is [`EventLog`]
//! (`eventlog.rs`).

use crate::{Data, Ending, Error, ObjId, Pid, Signal, Time};

/// What a blocked process waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitKind {
    /// A receiver (endpoint, or a mailbox of capacity 0).
    Send,
    /// Room in a full mailbox.
    Room,
    /// A sender.
    Recv,
    /// The reply to its call, from this server.
    Reply(Pid),
    /// A non-zero notification word.
    Notification,
    /// A message of the type it asked for.
    MsgRcv,
    /// Room in a message queue.
    MsgSnd,
    /// Data (or end of file) in a pipe.
    PipeRead,
    /// Room in a pipe.
    PipeWrite,
    /// A semaphore unit.
    Semaphore,
    /// For a semaphore to be zero (`semop` of 0).
    SemZero,
    /// Its timer (`sleep`).
    Sleep,
    /// A child to end.
    Child,
    /// The other end of a named pipe to be opened.
    FifoOpen,
    /// Bytes (or the end of the stream) on a socket.
    SockRead,
    /// Room at a stream's peer.
    SockWrite,
    /// A connection to accept.
    Accept,
    /// Its connection to be accepted or refused.
    Connect,
    /// A datagram.
    RecvFrom,
}

impl WaitKind {
    /// Words for a trace or report: "waits for a sender".
    pub fn describe(self) -> &'static str {
        match self {
            WaitKind::Send => "waits for a receiver",
            WaitKind::Room => "waits for room",
            WaitKind::Recv => "waits for a sender",
            WaitKind::Reply(_) => "waits for the reply",
            WaitKind::Notification => "waits for a signal",
            WaitKind::MsgRcv => "waits for a message",
            WaitKind::MsgSnd => "waits for room",
            WaitKind::PipeRead => "waits for data",
            WaitKind::PipeWrite => "waits for room",
            WaitKind::Semaphore => "waits for a unit",
            WaitKind::SemZero => "waits for zero",
            WaitKind::Sleep => "sleeps",
            WaitKind::Child => "waits for a child",
            WaitKind::FifoOpen => "waits for the other end",
            WaitKind::SockRead => "waits for bytes",
            WaitKind::SockWrite => "waits for room at the peer",
            WaitKind::Accept => "waits for a connection",
            WaitKind::Connect => "waits for its connection",
            WaitKind::RecvFrom => "waits for a datagram",
        }
    }
}

/// What happened to a segment or datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetStep {
    /// It left for `host` (pid: the sender); it arrives at `at`, or never
    /// (held by a partition without end).
    Leaves {
        /// When it arrives, if ever.
        at: Option<crate::Time>,
    },
    /// It arrived from `host` (pid: the process the socket it reached
    /// belongs to, or the sender's when it reached none).
    Arrives,
    /// It was lost on its way to `host`, for this reason.
    Lost(&'static str),
    /// An injected fault (`--reorder-random`) holds it back this many ticks
    /// more than its link's latency.
    Held {
        /// Extra ticks.
        ticks: crate::Time,
    },
    /// An injected fault (`--partition-random`) cuts the link between `at`
    /// and `host` until this time.
    Cut {
        /// When the link is whole again.
        until: crate::Time,
    },
}

/// A network event: a segment or datagram leaving, arriving or lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetEvent {
    /// What happened to it.
    pub step: NetStep,
    /// What it is, in words: "connection request to beta:80", "reset", "end of stream", "datagram".
    pub what: String,
    /// The other host (where it goes, or where it came from).
    pub host: crate::HostId,
    /// Where it happened: the sender's host when it leaves or is lost, the
    /// receiving host when it arrives (the process named may be elsewhere:
    /// the sender, when nobody there holds the socket it reached).
    pub at: crate::HostId,
    /// The data it carries, if any.
    pub data: Option<Data>,
    /// For an arrival, the process whose call sent it.
    pub sender: Option<Pid>,
    /// The packet's number: its leaving and its arrival have the same one
    /// (0 for a delivery on one host, which never left).
    pub id: u64,
}

/// Why a process switch happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwitchReason {
    /// The previous process blocked, ended or yielded, and this one was next.
    Schedule,
    /// Control-flow transfer: a call handed the CPU straight to its receiver.
    Transfer,
    /// This process became ready above the running one and preempted it.
    Preempt,
    /// The seeded scheduler chose to preempt at a system call boundary.
    Seeded,
}

/// One kernel event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Position in the log, from 0.
    pub seq: u64,
    /// Virtual time.
    pub time: Time,
    /// The process it concerns.
    pub pid: Pid,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The process was created (by `parent`, or at boot).
    Start {
        /// Spawner.
        parent: Option<Pid>,
    },
    /// It issued a system call.
    Syscall {
        /// Call name.
        name: &'static str,
        /// Object the call goes through.
        obj: Option<ObjId>,
        /// Data it carries.
        data: Option<Data>,
        /// A number that matters for this call (ticks, bits, type, target pid...).
        arg: Option<i64>,
    },
    /// It blocked.
    Block {
        /// On what.
        wait: WaitKind,
        /// Through which object.
        obj: Option<ObjId>,
        /// When its timeout fires, if it has one.
        deadline: Option<Time>,
    },
    /// A message moved from `from` to this process (pid is the receiver).
    Deliver {
        /// Sender.
        from: Pid,
        /// Through which object.
        obj: Option<ObjId>,
        /// Data.
        data: Data,
        /// Badge of the sender's capability.
        badge: u64,
        /// Whether it was a call.
        call: bool,
        /// Kernel copies made (2, or 1 under remap; 0 for shared memory).
        copies: u8,
    },
    /// A load or peek of mapped memory read these bytes (shown so a trace
    /// says what a polling process saw).
    Loaded {
        /// The segment or file mapped.
        obj: ObjId,
        /// The bytes read, as a string.
        data: Data,
    },
    /// A process ends, and the kernel applies an undo adjustment of its
    /// `semop ... undo` (Linux `semadj`, at exit).
    SemUndo {
        /// The semaphore set.
        obj: ObjId,
        /// Which semaphore.
        num: u32,
        /// What is added to its value (before it is kept within 0 and the maximum).
        delta: i64,
    },
    /// A message was buffered in a kernel object (pid is the sender).
    Enqueue {
        /// Mailbox or queue.
        obj: ObjId,
        /// Data.
        data: Data,
    },
    /// A reply reached this process's caller (pid is the replier).
    Reply {
        /// The caller answered.
        to: Pid,
        /// Data.
        data: Data,
    },
    /// An unused reply right was dropped because its holder received again (pid is the holder).
    ReplyDropped {
        /// The caller left without a reply (woken with ObjectGone).
        caller: Pid,
    },
    /// A blocked call of this process completed (woken by an event).
    Wake {
        /// Error it completes with, if any.
        error: Option<Error>,
    },
    /// A blocked call's timeout fired.
    Timeout,
    /// The call failed at once.
    Fail {
        /// Why.
        error: Error,
    },
    /// The CPU moved to this process.
    Switch {
        /// Previous process, if one was running.
        from: Option<Pid>,
        /// Why.
        reason: SwitchReason,
    },
    /// A signal was sent to this process.
    SignalSent {
        /// Sender (None: the kernel, e.g. SIGPIPE).
        from: Option<Pid>,
        /// Signal.
        signal: Signal,
        /// What became of it: "handler", "ignored", "pending", "killed", "stopped", "continued".
        action: &'static str,
    },
    /// Messages still queued in a destroyed object (pid is the destroyer).
    Discarded {
        /// The object.
        obj: ObjId,
        /// Data of each message lost with it.
        data: Vec<Data>,
    },
    /// A user-level line (`print`).
    Print {
        /// Text.
        text: String,
    },
    /// Something crossed (or failed to cross) the network: boxed, so the
    /// common events stay small.
    Net(Box<NetEvent>),
    /// An injected fault struck (`--kill-random`: the victim is killed next;
    /// `--delay`: the victim stalls for `delay` ticks).
    Fault {
        /// The process hit.
        victim: Pid,
        /// Ticks of stall; 0 for a kill.
        delay: u64,
    },
    /// The process ended.
    End {
        /// How.
        ending: Ending,
    },
    /// The process's effective priority changed (priority inheritance).
    Priority {
        /// The new effective priority.
        priority: i64,
        /// Whether it is inherited (above the process's own).
        inherited: bool,
    },
    /// A deadlock formed (pid: the process whose block closed it).
    Deadlock {
        /// Processes in it.
        members: Vec<Pid>,
    },
}

/// A `close` syscall event's `arg` for a pipe: the capability was its read end.
pub const PIPE_READ_END: i64 = 1;
/// A `close` syscall event's `arg` for a pipe: the capability was its write end.
pub const PIPE_WRITE_END: i64 = 2;

/// In words, the pipe end a `close` event's `arg` names.
pub fn pipe_end_words(arg: i64) -> &'static str {
    match arg {
        PIPE_READ_END => "read end",
        PIPE_WRITE_END => "write end",
        3 => "read and write ends",
        _ => "no end",
    }
}

/// A `kill` syscall event's `arg`: the target pid in the low 32 bits and
/// the signal sent above them (one number, so the common event stays small).
pub fn kill_arg(target: Pid, signal: crate::signal::Signal) -> i64 {
    i64::from(target.0) | (i64::from(signal.0) << 32)
}

/// The target and the signal of a `kill` syscall event's `arg` ([`kill_arg`]).
pub fn kill_of(arg: i64) -> (Pid, crate::signal::Signal) {
    (Pid(arg as u32), crate::signal::Signal((arg >> 32) as u8))
}

impl EventKind {
    /// Whether the event owns heap memory (a string message, a list, a
    /// text): only then does dropping it do anything.
    #[inline]
    pub(crate) fn owns_heap(&self) -> bool {
        match self {
            EventKind::Syscall { data: Some(d), .. }
            | EventKind::Deliver { data: d, .. }
            | EventKind::Loaded { data: d, .. }
            | EventKind::Enqueue { data: d, .. }
            | EventKind::Reply { data: d, .. } => matches!(d, Data::Str(_)),
            // Boxed or holding a vector or string: always on the heap.
            EventKind::Discarded { .. } | EventKind::Print { .. } | EventKind::Deadlock { .. } | EventKind::Net(_) => {
                true
            }
            // Listed, not matched by `_`: a new kind must say whether it
            // owns memory, or clearing the log would forget it and leak.
            EventKind::Syscall { data: None, .. }
            | EventKind::SemUndo { .. }
            | EventKind::Start { .. }
            | EventKind::Block { .. }
            | EventKind::ReplyDropped { .. }
            | EventKind::Wake { .. }
            | EventKind::Timeout
            | EventKind::Fail { .. }
            | EventKind::Switch { .. }
            | EventKind::SignalSent { .. }
            | EventKind::Fault { .. }
            | EventKind::End { .. }
            | EventKind::Priority { .. } => false,
        }
    }
}

pub use crate::eventlog::EventLog;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Signal;

    #[test]
    fn a_kill_event_keeps_its_target_and_its_signal() {
        for (pid, sig) in [
            (Pid(0), Signal::NONE),
            (Pid(7), Signal::SIGUSR1),
            (Pid(u32::MAX), Signal(Signal::RTMIN + 5)),
        ] {
            assert_eq!(kill_of(kill_arg(pid, sig)), (pid, sig));
        }
    }
}
