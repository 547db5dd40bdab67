//! The system call ABI: what a process asks for and what it gets back.
//!
//! Every argument is an allegation from user space: capabilities may be stale,
//! forged or of the wrong kind, numbers may be out of range. The kernel checks
//! each one and answers with an [`Error`], never a panic.

use crate::signal::Disposition;
use crate::{CapId, Data, Error, Message, ObjectKind, Pid, Rights, Signal, Timeout};

/// A System V `ipc_perm`: owner, group and mode bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpcPerm {
    /// Owner uid (also the creator's).
    pub uid: u32,
    /// Owner gid (also the creator's).
    pub gid: u32,
    /// Mode bits (`0640`).
    pub mode: u32,
}

/// Creation flags for keyed gets (`msgget`, `semget`, `shmget`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GetFlags {
    /// `IPC_CREAT`.
    pub create: bool,
    /// `IPC_EXCL`.
    pub exclusive: bool,
    /// Mode for a new object.
    pub mode: u32,
    /// The mode was asked for: its bits are checked against an existing
    /// object's `ipc_perm` at the get (Linux `ipcperms` with msgflg's bits).
    pub mode_asked: bool,
    /// `semget`'s `nsems`: semaphores in a new set (0: one); an existing
    /// set must have at least this many (Linux EINVAL otherwise).
    pub nsems: u32,
}

/// Identity and scheduling of a new process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessSpec {
    /// Name shown in traces.
    pub name: String,
    /// Priority: higher runs first.
    pub priority: i64,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// A daemon may still be blocked when the run ends.
    pub daemon: bool,
}

impl ProcessSpec {
    /// A process with default identity (uid 1000, gid 1000, priority 0).
    pub fn new(name: impl Into<String>) -> Self {
        ProcessSpec {
            name: name.into(),
            priority: 0,
            uid: 1000,
            gid: 1000,
            daemon: false,
        }
    }
}

/// A system call.
#[derive(Clone, Debug)]
pub enum Syscall {
    /// Send a message through an endpoint or mailbox (`msg.cap`: a capability to pass).
    Send {
        /// Endpoint or mailbox.
        cap: CapId,
        /// The message (badge and `is_call` are set by the kernel).
        msg: Message,
        /// How long to wait for a receiver or for room.
        timeout: Timeout,
    },
    /// Receive from an endpoint or mailbox.
    Recv {
        /// Endpoint or mailbox.
        cap: CapId,
        /// How long to wait for a sender.
        timeout: Timeout,
    },
    /// Send on an endpoint, then wait for the reply.
    Call {
        /// Endpoint.
        cap: CapId,
        /// Request.
        msg: Message,
        /// Covers the send and the wait for the reply.
        timeout: Timeout,
    },
    /// Answer the caller whose message was received last.
    Reply {
        /// The answer.
        msg: Message,
    },
    /// Reply, then receive again, in one call.
    ReplyRecv {
        /// Endpoint to receive from.
        cap: CapId,
        /// The answer.
        msg: Message,
        /// How long to wait for the next message.
        timeout: Timeout,
    },
    /// OR bits into a notification word.
    Signal {
        /// Notification.
        cap: CapId,
        /// Bits to set.
        bits: u64,
    },
    /// Wait for a non-zero notification word; take and clear it.
    Wait {
        /// Notification.
        cap: CapId,
        /// How long to wait.
        timeout: Timeout,
    },
    /// Make a child capability with a subset of rights and a badge.
    Derive {
        /// Parent.
        cap: CapId,
        /// Rights wanted (all of the parent's if none).
        rights: Option<Rights>,
        /// Badge (the parent's if none).
        badge: Option<u64>,
    },
    /// Delete one capability (its children stay, re-parented).
    Delete {
        /// The capability.
        cap: CapId,
    },
    /// Delete every descendant of a capability.
    Revoke {
        /// The capability.
        cap: CapId,
    },
    /// Destroy the object (needs every right of its kind).
    Destroy {
        /// Any capability with all rights.
        cap: CapId,
    },
    /// Wait this many ticks.
    Sleep {
        /// Ticks.
        ticks: u64,
    },
    /// Use this many ticks of CPU.
    Compute {
        /// Ticks.
        ticks: u64,
    },
    /// Let the next ready process of equal priority run.
    Yield,
    /// Start a process with copies of some capabilities and some fresh ones.
    Spawn {
        /// Identity of the new process.
        spec: ProcessSpec,
        /// Capabilities of the caller to copy into the child (descendants of them).
        share: Vec<CapId>,
        /// Capabilities the program image brings (root capabilities, granted first).
        grants: Vec<(crate::ObjId, Rights, u64)>,
    },
    /// Reap the child that ended first.
    WaitChild {
        /// How long to wait.
        timeout: Timeout,
    },
    /// Be told when a process ends: its end ORs `bits` into a notification
    /// (at once if it has ended already). For supervisors.
    Watch {
        /// The process to watch.
        target: Pid,
        /// A notification the caller may signal.
        cap: CapId,
        /// Bits to set when it ends.
        bits: u64,
    },
    /// Send a signal.
    Kill {
        /// Target.
        target: Pid,
        /// Signal.
        signal: Signal,
    },
    /// Set a signal's disposition.
    SigAction {
        /// `sigaction` flags (for `Catch`).
        flags: crate::signal::SaFlags,
        /// Signal.
        signal: Signal,
        /// Disposition.
        action: Disposition,
    },
    /// Block or unblock a signal.
    SigMask {
        /// Signal.
        signal: Signal,
        /// Block (true) or unblock.
        block: bool,
    },
    /// `sigpending` and `sigismember`: whether `signal` waits, blocked, to
    /// be acted on (`Ret::Int`: 1 or 0).
    SigPending {
        /// Signal.
        signal: Signal,
    },
    /// Open (or create) a keyed System V object.
    Get {
        /// Message queue, semaphore or shm.
        kind: ObjectKind,
        /// Key.
        key: i64,
        /// Flags and mode.
        flags: GetFlags,
        /// Initial value (semaphore) or size in bytes (shm) for a new object.
        size: u64,
    },
    /// `msgsnd`.
    MsgSnd {
        /// Queue.
        cap: CapId,
        /// Type, > 0.
        mtype: i64,
        /// Data.
        data: Data,
        /// How long to wait for room.
        timeout: Timeout,
    },
    /// `msgrcv`.
    MsgRcv {
        /// Queue.
        cap: CapId,
        /// 0: first; > 0: first of that type (with `except`, of any other
        /// type); < 0: lowest type <= |t|.
        mtype: i64,
        /// The receive buffer's size and flags.
        opts: RcvOpts,
        /// How long to wait.
        timeout: Timeout,
    },
    /// `msgctl IPC_STAT`.
    MsgStat {
        /// Queue.
        cap: CapId,
    },
    /// `msgctl IPC_SET`: the queue's byte limit (`msg_qbytes`) and mode.
    MsgSet {
        /// Queue.
        cap: CapId,
        /// The new limit, if any.
        bytes: Option<u64>,
        /// The new permission bits (the low 9 are kept), if any.
        mode: Option<u32>,
    },
    /// `msgctl`/`shmctl IPC_RMID`, and `semctl` remove.
    Remove {
        /// The object.
        cap: CapId,
    },
    /// Write bytes to a pipe.
    Write {
        /// Write end.
        cap: CapId,
        /// Data (its stream bytes).
        data: Data,
        /// How long to wait for room.
        timeout: Timeout,
    },
    /// Read at most `max` bytes from a pipe.
    Read {
        /// Read end.
        cap: CapId,
        /// Most bytes wanted.
        max: u64,
        /// How long to wait for data.
        timeout: Timeout,
    },
    /// Close a pipe end (or any capability): deletes it.
    Close {
        /// The capability.
        cap: CapId,
    },
    /// Semaphore P.
    SemWait {
        /// Semaphore.
        cap: CapId,
        /// How long to wait.
        timeout: Timeout,
    },
    /// Semaphore V.
    SemPost {
        /// Semaphore.
        cap: CapId,
    },
    /// `semop`: operations on the semaphores of a set, applied all together
    /// when they all can be, else waited for (or `WouldBlock` with `nowait`).
    SemOp {
        /// Semaphore set.
        cap: CapId,
        /// The operations, in order.
        ops: Box<[crate::SemOp]>,
        /// `SEM_UNDO`: each is reversed when the process ends.
        undo: bool,
        /// How long to wait.
        timeout: Timeout,
    },
    /// `semctl`: a semaphore's value, waiter counts, or a new value.
    SemCtl {
        /// Semaphore set.
        cap: CapId,
        /// Which semaphore, from 0.
        num: u32,
        /// What.
        cmd: crate::SemCmd,
    },
    /// Map a segment (or file) into this process.
    Attach {
        /// Segment.
        cap: CapId,
        /// Read-only mapping.
        readonly: bool,
    },
    /// Unmap it.
    Detach {
        /// Segment.
        cap: CapId,
    },
    /// Store bytes into a mapping by offset.
    Store {
        /// Segment.
        cap: CapId,
        /// Offset.
        offset: i64,
        /// Data (strings as UTF-8, integers as 8 bytes little-endian).
        data: Data,
    },
    /// Load bytes from a mapping by offset.
    Load {
        /// Segment.
        cap: CapId,
        /// Offset.
        offset: i64,
        /// Bytes.
        len: i64,
    },
    /// **(ipcsim)** Load an integer (8 bytes, little-endian, as `store` writes one) from a mapping by offset.
    LoadInt {
        /// Segment.
        cap: CapId,
        /// Offset.
        offset: i64,
    },
    /// **(ipcsim)** Load an integer (8 bytes, little-endian) from an address.
    PeekInt {
        /// Address.
        addr: i64,
    },
    /// Store bytes at an address.
    Poke {
        /// Address.
        addr: i64,
        /// Data.
        data: Data,
    },
    /// Load bytes from an address.
    Peek {
        /// Address.
        addr: i64,
        /// Bytes.
        len: i64,
    },
    /// Map a file: by path (owner and mode checked) or through a capability to it.
    Mmap {
        /// The file's path.
        path: Option<String>,
        /// Or a capability to it.
        cap: Option<CapId>,
        /// Shared (writes reach the file) or private (copy on write).
        shared: bool,
    },
    /// Flush a file mapping.
    Msync {
        /// The mapping's capability.
        cap: CapId,
    },
    /// Create a named pipe.
    Mkfifo {
        /// Path.
        path: String,
        /// Mode bits.
        mode: u32,
    },
    /// Open one end of a named pipe.
    Open {
        /// Path.
        path: String,
        /// Write end (true) or read end.
        write: bool,
        /// How long to wait for the other end.
        timeout: Timeout,
    },
    /// A new socket (`socket stream|dgram [unix]`).
    Socket {
        /// Stream (else datagram).
        stream: bool,
        /// Unix domain (else inet).
        unix: bool,
    },
    /// Two connected unix stream sockets.
    SocketPair,
    /// Bind an inet socket to a port (0: the lowest free from 49152).
    Bind {
        /// The socket.
        cap: CapId,
        /// The port (0..=65535; other values are refused).
        port: i64,
    },
    /// Bind a unix socket to a path, creating its file.
    BindPath {
        /// The socket.
        cap: CapId,
        /// The path.
        path: String,
        /// The file's mode.
        mode: u32,
    },
    /// Listen for connections.
    Listen {
        /// The socket.
        cap: CapId,
        /// How many connections may wait for `accept` (default 8).
        backlog: Option<u64>,
    },
    /// Take a queued connection.
    Accept {
        /// The listening socket.
        cap: CapId,
        /// How long to wait.
        timeout: Timeout,
    },
    /// Connect an inet stream socket to HOST PORT.
    Connect {
        /// The socket.
        cap: CapId,
        /// The host (an id no host has: HostUnreachable).
        host: crate::HostId,
        /// The port.
        port: i64,
        /// How long to wait.
        timeout: Timeout,
    },
    /// Connect a unix stream socket to a path.
    ConnectPath {
        /// The socket.
        cap: CapId,
        /// The path.
        path: String,
        /// How long to wait.
        timeout: Timeout,
    },
    /// No more writes from this end.
    Shutdown {
        /// The socket.
        cap: CapId,
    },
    /// Send a datagram to HOST PORT (never waits).
    SendTo {
        /// The socket.
        cap: CapId,
        /// The host.
        host: crate::HostId,
        /// The port.
        port: i64,
        /// The data.
        data: Data,
    },
    /// Send a datagram to a unix path.
    SendToPath {
        /// The socket.
        cap: CapId,
        /// The path.
        path: String,
        /// The data.
        data: Data,
    },
    /// Receive a datagram.
    RecvFrom {
        /// The socket.
        cap: CapId,
        /// How long to wait.
        timeout: Timeout,
    },
    /// Remove a unix socket's file.
    Unlink {
        /// The path.
        path: String,
    },
}

impl Syscall {
    /// Whether a handler set with `SA_RESTART` resumes this call when a
    /// signal interrupts it, as Linux's signal(7) lists: a read of a pipe or
    /// socket, `open` of a FIFO, `wait_child`, `accept`, `recvfrom`, and
    /// ipcsim's own `send`, `recv` and `wait` (an interrupted wait of these
    /// took or delivered nothing, so issuing it again repeats nothing, like
    /// POSIX message queues). Never: `sleep`, System V `msgsnd`/`msgrcv`/
    /// `sem_wait` (Linux never restarts them), `call` (its request may have
    /// been taken), `connect` (Linux's attempt goes on; a second call finds
    /// it under way), and any call with `timeout T` (Linux does not restart
    /// a socket call with a timeout). A `write` is restarted: one interrupted
    /// after part of its bytes went in returns their count instead of
    /// failing, so the one restarted had written nothing.
    pub fn restartable(&self) -> bool {
        let (yes, timeout) = match self {
            Syscall::Read { timeout, .. }
            | Syscall::Write { timeout, .. }
            | Syscall::Open { timeout, .. }
            | Syscall::WaitChild { timeout }
            | Syscall::Accept { timeout, .. }
            | Syscall::RecvFrom { timeout, .. }
            | Syscall::Send { timeout, .. }
            | Syscall::Recv { timeout, .. }
            | Syscall::Wait { timeout, .. } => (true, *timeout),
            _ => (false, Timeout::Never),
        };
        yes && timeout == Timeout::Never
    }

    /// A load or store of mapped memory rather than a trap into the kernel.
    pub fn is_memory_access(&self) -> bool {
        matches!(
            self,
            Syscall::Store { .. }
                | Syscall::Load { .. }
                | Syscall::LoadInt { .. }
                | Syscall::Poke { .. }
                | Syscall::Peek { .. }
                | Syscall::PeekInt { .. }
        )
    }

    /// The short name shown in traces.
    pub fn name(&self) -> &'static str {
        match self {
            Syscall::Send { .. } => "send",
            Syscall::Recv { .. } => "recv",
            Syscall::Call { .. } => "call",
            Syscall::Reply { .. } => "reply",
            Syscall::ReplyRecv { .. } => "reply_recv",
            Syscall::Signal { .. } => "signal",
            Syscall::Wait { .. } => "wait",
            Syscall::Derive { .. } => "derive",
            Syscall::Delete { .. } => "delete",
            Syscall::Revoke { .. } => "revoke",
            Syscall::Destroy { .. } => "destroy",
            Syscall::Sleep { .. } => "sleep",
            Syscall::Compute { .. } => "compute",
            Syscall::Yield => "yield",
            Syscall::Spawn { .. } => "spawn",
            Syscall::WaitChild { .. } => "wait_child",
            Syscall::Kill { .. } => "kill",
            Syscall::Watch { .. } => "watch",
            Syscall::SigAction { .. } => "sigaction",
            Syscall::SigMask { .. } => "sigmask",
            Syscall::SigPending { .. } => "sigpending",
            Syscall::Get {
                kind: ObjectKind::Semaphore,
                ..
            } => "semget",
            Syscall::Get {
                kind: ObjectKind::Shm, ..
            } => "shmget",
            Syscall::Get { .. } => "msgget",
            Syscall::MsgSnd { .. } => "msgsnd",
            Syscall::MsgRcv { .. } => "msgrcv",
            Syscall::MsgStat { .. } => "msgctl stat",
            Syscall::MsgSet { .. } => "msgctl set",
            Syscall::Remove { .. } => "remove",
            Syscall::Write { .. } => "write",
            Syscall::Read { .. } => "read",
            Syscall::Close { .. } => "close",
            Syscall::SemWait { .. } => "sem_wait",
            Syscall::SemPost { .. } => "sem_post",
            Syscall::SemOp { .. } => "semop",
            Syscall::SemCtl {
                cmd: crate::SemCmd::GetVal,
                ..
            } => "semctl getval",
            Syscall::SemCtl {
                cmd: crate::SemCmd::SetVal(_),
                ..
            } => "semctl setval",
            Syscall::SemCtl {
                cmd: crate::SemCmd::GetNcnt,
                ..
            } => "semctl getncnt",
            Syscall::SemCtl {
                cmd: crate::SemCmd::GetZcnt,
                ..
            } => "semctl getzcnt",
            Syscall::Attach { .. } => "shmat",
            Syscall::Detach { .. } => "shmdt",
            Syscall::Store { .. } => "store",
            Syscall::Load { .. } | Syscall::LoadInt { .. } => "load",
            Syscall::Poke { .. } => "poke",
            Syscall::Peek { .. } | Syscall::PeekInt { .. } => "peek",
            Syscall::Mkfifo { .. } => "mkfifo",
            Syscall::Mmap { .. } => "mmap",
            Syscall::Msync { .. } => "msync",
            Syscall::Open { .. } => "open",
            Syscall::Socket { .. } => "socket",
            Syscall::SocketPair => "socketpair",
            Syscall::Bind { .. } | Syscall::BindPath { .. } => "bind",
            Syscall::Listen { .. } => "listen",
            Syscall::Accept { .. } => "accept",
            Syscall::Connect { .. } | Syscall::ConnectPath { .. } => "connect",
            Syscall::Shutdown { .. } => "shutdown",
            Syscall::SendTo { .. } | Syscall::SendToPath { .. } => "sendto",
            Syscall::RecvFrom { .. } => "recvfrom",
            Syscall::Unlink { .. } => "unlink",
        }
    }

    /// The capability the call goes through, if any.
    pub fn cap(&self) -> Option<CapId> {
        match self {
            Syscall::Send { cap, .. }
            | Syscall::Recv { cap, .. }
            | Syscall::Call { cap, .. }
            | Syscall::ReplyRecv { cap, .. }
            | Syscall::Signal { cap, .. }
            | Syscall::Watch { cap, .. }
            | Syscall::Wait { cap, .. }
            | Syscall::Derive { cap, .. }
            | Syscall::Delete { cap }
            | Syscall::Revoke { cap }
            | Syscall::Destroy { cap }
            | Syscall::MsgSnd { cap, .. }
            | Syscall::MsgRcv { cap, .. }
            | Syscall::MsgStat { cap }
            | Syscall::MsgSet { cap, .. }
            | Syscall::Remove { cap }
            | Syscall::Write { cap, .. }
            | Syscall::Read { cap, .. }
            | Syscall::Close { cap }
            | Syscall::SemWait { cap, .. }
            | Syscall::SemPost { cap }
            | Syscall::SemOp { cap, .. }
            | Syscall::SemCtl { cap, .. }
            | Syscall::Attach { cap, .. }
            | Syscall::Detach { cap }
            | Syscall::Msync { cap }
            | Syscall::Store { cap, .. }
            | Syscall::Load { cap, .. }
            | Syscall::LoadInt { cap, .. }
            | Syscall::Bind { cap, .. }
            | Syscall::BindPath { cap, .. }
            | Syscall::Listen { cap, .. }
            | Syscall::Accept { cap, .. }
            | Syscall::Connect { cap, .. }
            | Syscall::ConnectPath { cap, .. }
            | Syscall::Shutdown { cap }
            | Syscall::SendTo { cap, .. }
            | Syscall::SendToPath { cap, .. }
            | Syscall::RecvFrom { cap, .. } => Some(*cap),
            _ => None,
        }
    }

    /// The data the call carries, if any.
    pub fn data(&self) -> Option<&Data> {
        match self {
            Syscall::Send { msg, .. }
            | Syscall::Call { msg, .. }
            | Syscall::Reply { msg }
            | Syscall::ReplyRecv { msg, .. } => Some(&msg.data),
            Syscall::MsgSnd { data, .. }
            | Syscall::Write { data, .. }
            | Syscall::Store { data, .. }
            | Syscall::Poke { data, .. }
            | Syscall::SendTo { data, .. }
            | Syscall::SendToPath { data, .. } => Some(data),
            _ => None,
        }
    }
}

/// What a successful system call returns.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Ret {
    /// Nothing (`ok`).
    #[default]
    Unit,
    /// A message.
    Msg(Message),
    /// A notification word.
    Word(u64),
    /// A new capability.
    Cap(CapId),
    /// A new process.
    Pid(Pid),
    /// An integer (an address from `shmat`).
    Int(i64),
    /// Bytes read (a pipe read, a load), as a string.
    Bytes(Data),
    /// `msgctl stat`: messages and data bytes queued, and the byte limit.
    Stat {
        /// Messages queued.
        count: u64,
        /// Data bytes queued.
        bytes: u64,
        /// The queue's byte limit (`msg_qbytes`).
        qbytes: u64,
    },
    /// Two new capabilities (`socketpair`).
    Pair(CapId, CapId),
    /// A datagram and where it came from (`recvfrom`).
    Datagram {
        /// Its data.
        data: Data,
        /// The sender's host.
        host: crate::HostId,
        /// The sender's port (0 for a unix sender).
        port: u16,
        /// A unix sender's path, if it was bound.
        path: Option<Box<str>>,
    },
    /// `wait_child`: the child reaped and how it ended.
    Child {
        /// The child.
        pid: Pid,
        /// How it ended.
        ending: crate::Ending,
    },
}

/// The result of a system call.
pub type SysResult = Result<Ret, Error>;

/// What [`crate::Kernel::syscall`] tells the caller's runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "the runtime must stop running the process unless the call is Done"]
pub enum Outcome {
    /// The call completed and the caller keeps the CPU.
    Done(SysResult),
    /// The caller lost the CPU (blocked, or preempted with its result kept for it);
    /// ask [`crate::Kernel::schedule`] who runs now.
    Switched,
}

/// `msgrcv`'s buffer size and flags (Linux's `msgsz`, `MSG_NOERROR`, `MSG_EXCEPT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RcvOpts {
    /// The buffer's size in bytes (None: any message fits). A longer
    /// message fails `MessageTooLarge` (E2BIG) and stays queued, unless
    /// `noerror`.
    pub max: Option<u64>,
    /// `MSG_NOERROR`: a longer message is taken, cut to `max` bytes (the rest is lost).
    pub noerror: bool,
    /// `MSG_EXCEPT`: with a type > 0, take the first message of any other type.
    pub except: bool,
}

impl RcvOpts {
    /// Whether a message of `len` bytes can be taken (whole or cut).
    pub fn takes(&self, len: u64) -> bool {
        self.noerror || self.max.is_none_or(|m| len <= m)
    }
}
