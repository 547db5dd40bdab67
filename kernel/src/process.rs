//! Processes: identity, scheduling state, and what a blocked process waits for.
//!
//! Invariant: a process is in exactly one state, and it is in the queue its
//! state names: `Ready` ones are in the ready queue of their priority (unless
//! stopped), `Blocked` ones in the wait queue of the object they wait on (if
//! the wait has a queue), `Running` only as the kernel's current process.

use std::collections::VecDeque;
use std::fmt;

use crate::signal::{Signal, SignalState};
use crate::{CapId, Error, Message, ObjId, SysResult, Time, WaitKind};

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ending {
    /// Its body finished, or it called `exit`.
    Exited,
    /// An operation failed without `try` (or its `expect` was false).
    Failed(Error),
    /// A signal's default action ended it.
    Killed(Signal),
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Exited => f.write_str("exited"),
            Ending::Failed(e) => write!(f, "failed {e}"),
            Ending::Killed(s) => write!(f, "killed {s}"),
        }
    }
}

impl Ending {
    /// "exited", "failed" or "killed".
    pub fn word(self) -> &'static str {
        match self {
            Ending::Exited => "exited",
            Ending::Failed(_) => "failed",
            Ending::Killed(_) => "killed",
        }
    }
}

/// The operation a blocked process is in. What a sender still carries lives
/// beside it, in [`Process::carry`], so a state is plain data: writing one
/// (at every block, wake and switch) drops nothing.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Wait {
    /// `room`: waiting for room in a mailbox's buffer rather than for a receiver.
    Send {
        call: bool,
        room: bool,
    },
    Recv,
    Reply {
        server: Pid,
        nonce: u64,
    },
    Notification,
    MsgSnd,
    MsgRcv {
        mtype: i64,
        opts: crate::RcvOpts,
    },
    PipeRead {
        max: u64,
    },
    /// `atomic`: a write of at most PIPE_BUF bytes (and the pipe's
    /// capacity), which goes in whole or not at all.
    PipeWrite {
        atomic: bool,
    },
    Semaphore,
    /// A `semop` waiting for a semaphore to be zero.
    SemZero,
    Sleep,
    Child,
    FifoOpen {
        write: bool,
    },
    SockRead {
        max: u64,
    },
    SockWrite,
    Accept,
    Connect,
    RecvFrom,
}

impl Wait {
    pub(crate) fn kind(&self) -> WaitKind {
        match self {
            Wait::Send { room: true, .. } => WaitKind::Room,
            Wait::Send { .. } => WaitKind::Send,
            Wait::Recv => WaitKind::Recv,
            Wait::Reply { server, .. } => WaitKind::Reply(*server),
            Wait::Notification => WaitKind::Notification,
            Wait::MsgSnd => WaitKind::MsgSnd,
            Wait::MsgRcv { .. } => WaitKind::MsgRcv,
            Wait::PipeRead { .. } => WaitKind::PipeRead,
            Wait::PipeWrite { .. } => WaitKind::PipeWrite,
            Wait::Semaphore => WaitKind::Semaphore,
            Wait::SemZero => WaitKind::SemZero,
            Wait::Sleep => WaitKind::Sleep,
            Wait::Child => WaitKind::Child,
            Wait::FifoOpen { .. } => WaitKind::FifoOpen,
            Wait::SockRead { .. } => WaitKind::SockRead,
            Wait::SockWrite => WaitKind::SockWrite,
            Wait::Accept => WaitKind::Accept,
            Wait::Connect => WaitKind::Connect,
            Wait::RecvFrom => WaitKind::RecvFrom,
        }
    }
}

/// What a blocked sender carries until its send completes.
#[derive(Debug, Default)]
pub(crate) enum Carry {
    #[default]
    Nothing,
    /// The message of a `send`, `call` or `msgsnd`.
    Msg(Message),
    /// The bytes of a pipe or stream `write` still to go in, and how many
    /// the write had in all (what it returns; an interrupted one returns
    /// what went in, `total - rest.len()`, if any did).
    Bytes {
        /// Still to go in.
        rest: Vec<u8>,
        /// The write's length.
        total: usize,
    },
    /// The operations of a `semop` waiting to be applied (a plain `sem_wait`
    /// carries nothing), and whether they are to be undone at exit.
    SemOps {
        /// The operations.
        ops: Box<[crate::semop::SemOp]>,
        /// `SEM_UNDO`.
        undo: bool,
    },
}

impl Carry {
    /// The carried message (an empty one if there is none).
    pub(crate) fn into_msg(self) -> Message {
        match self {
            Carry::Msg(m) => m,
            _ => Message::default(),
        }
    }
}

/// A blocked process's wait.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Blocked {
    pub wait: Wait,
    pub obj: Option<ObjId>,
    /// The capability it blocked through: deleting it wakes the process with ObjectGone.
    pub through: Option<CapId>,
    pub deadline: Option<Time>,
    /// Matches the timer set for this wait, so a stale timer finds nothing.
    pub seq: u64,
}

/// Scheduling state.
#[derive(Clone, Copy, Debug)]
pub(crate) enum State {
    Ready,
    Running,
    Blocked(Blocked),
    Ended(Ending),
}

use crate::Pid;

/// A mapping of a segment into a process's address space.
#[derive(Clone, Debug)]
pub(crate) struct Mapping {
    pub obj: ObjId,
    pub base: u64,
    pub size: u64,
    pub readonly: bool,
    /// A private file mapping's own bytes (copy on write: never reach the file).
    pub private: Option<Vec<u8>>,
    /// The capability the mapping was made through (addresses it by offset).
    pub cap: CapId,
}

/// A simulated process as the kernel keeps it.
#[derive(Debug)]
pub(crate) struct Process {
    pub name: Box<str>,
    /// The host it runs on (its CPU, its objects).
    pub host: crate::HostId,
    pub base_priority: i64,
    pub priority: i64,
    pub uid: u32,
    pub gid: u32,
    pub daemon: bool,
    pub parent: Option<Pid>,
    pub state: State,
    /// What a blocked sender carries. Invariant: `Msg` exactly while blocked
    /// in `Wait::Send` or `Wait::MsgSnd`, `Bytes` exactly while in `Wait::PipeWrite`.
    pub carry: Carry,
    /// The result of a call that completed while the process did not hold the CPU.
    pub result: Option<SysResult>,
    pub caps: Vec<CapId>,
    /// The capabilities it was given at boot or spawn, in order, by id
    /// (`caps` is reordered by deletions; names are bound from this list).
    pub boot_caps: Vec<CapId>,
    /// The one-shot right to answer a caller: (caller, nonce of its call).
    pub reply_right: Option<(Pid, u64)>,
    /// Ticks left of a `compute` in progress.
    pub compute_left: u64,
    /// System call cost (`config cost syscall=N`) owed by a call that blocked:
    /// charged as CPU time when the process runs again, before the call returns.
    pub cost_due: u64,
    /// CPU ticks consumed: computes and the cost model's charges.
    pub cpu: u64,
    pub signals: SignalState,
    pub stopped: bool,
    pub children: Vec<Pid>,
    pub unreaped: VecDeque<Pid>,
    pub maps: Vec<Mapping>,
    pub next_map_offset: u64,
    /// Semaphore units taken and not posted, per semaphore.
    pub sem_held: Vec<(ObjId, u64)>,
    /// Undo adjustments of `semop ... undo` (Linux `semadj`): per set and
    /// semaphore, what is added back when the process ends.
    pub sem_undo: Vec<(ObjId, u32, i64)>,
    /// Notifications to signal when this process ends (`watch`), with their bits.
    pub watchers: Vec<(ObjId, u64)>,
}

impl Process {
    pub(crate) fn new(name: &str, priority: i64, uid: u32, gid: u32, daemon: bool, parent: Option<Pid>) -> Self {
        Process {
            name: name.into(),
            host: crate::HostId::LOCAL,
            base_priority: priority,
            priority,
            uid,
            gid,
            daemon,
            parent,
            state: State::Ready,
            carry: Carry::Nothing,
            result: None,
            caps: Vec::new(),
            boot_caps: Vec::new(),
            reply_right: None,
            compute_left: 0,
            cost_due: 0,
            cpu: 0,
            signals: SignalState::default(),
            stopped: false,
            children: Vec::new(),
            unreaped: VecDeque::new(),
            maps: Vec::new(),
            next_map_offset: 0,
            sem_held: Vec::new(),
            sem_undo: Vec::new(),
            watchers: Vec::new(),
        }
    }

    pub(crate) fn is_ended(&self) -> bool {
        matches!(self.state, State::Ended(_))
    }

    pub(crate) fn blocked(&self) -> Option<&Blocked> {
        match &self.state {
            State::Blocked(b) => Some(b),
            _ => None,
        }
    }
}
