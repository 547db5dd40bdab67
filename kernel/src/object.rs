//! Kernel objects: what each kind holds and the wait queues of its users.
//!
//! Invariants: a wait queue holds only processes blocked on this object with
//! the matching wait; queues are ordered by priority, FIFO among equals; a
//! mailbox or queue never holds more than its capacity; an endpoint never has
//! queued senders and queued receivers at once.

use std::collections::VecDeque;

use crate::syscall::IpcPerm;
use crate::{CapId, Message, ObjectKind, Pid, Rights};

/// A priority-ordered FIFO of blocked processes.
#[derive(Clone, Debug, Default)]
pub(crate) struct WaitQueue {
    q: VecDeque<(i64, Pid)>,
}

impl WaitQueue {
    /// Enqueues behind every process of equal or higher priority.
    #[inline]
    pub fn push(&mut self, prio: i64, pid: Pid) {
        // The common case (the tail's priority is at least ours): append.
        if self.q.back().is_none_or(|(p, _)| *p >= prio) {
            self.q.push_back((prio, pid));
        } else {
            self.insert_by_priority(prio, pid);
        }
    }

    /// Inserts ahead of every process of lower priority (the tail's is lower).
    #[cold]
    fn insert_by_priority(&mut self, prio: i64, pid: Pid) {
        let mut at = self.q.len();
        while at > 0 && self.q[at - 1].0 < prio {
            at -= 1;
        }
        self.q.insert(at, (prio, pid));
    }
    #[inline]
    pub fn pop(&mut self) -> Option<Pid> {
        self.q.pop_front().map(|(_, p)| p)
    }
    /// The `i`th waiter, in queue order.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Pid> {
        self.q.get(i).map(|(_, p)| *p)
    }
    #[inline]
    pub fn front(&self) -> Option<Pid> {
        self.q.front().map(|(_, p)| *p)
    }
    pub fn remove(&mut self, pid: Pid) -> bool {
        if let Some(i) = self.q.iter().position(|(_, p)| *p == pid) {
            self.q.remove(i);
            true
        } else {
            false
        }
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = Pid> + '_ {
        self.q.iter().map(|(_, p)| *p)
    }
    pub fn drain_all(&mut self) -> Vec<Pid> {
        self.q.drain(..).map(|(_, p)| p).collect()
    }
}

/// The state particular to each kind of object.
#[derive(Debug)]
pub(crate) enum Body {
    Endpoint {
        senders: WaitQueue,
        receivers: WaitQueue,
    },
    Mailbox {
        /// None: unbounded (still bounded by the kernel's queue limit).
        capacity: Option<usize>,
        buf: VecDeque<(Pid, Message)>,
        senders: WaitQueue,
        receivers: WaitQueue,
    },
    Notification {
        word: u64,
        waiters: WaitQueue,
    },
    MsgQueue {
        msgs: VecDeque<(Pid, Message)>,
        bytes: u64,
        limit_bytes: u64,
        senders: WaitQueue,
        receivers: WaitQueue,
    },
    Pipe {
        buf: VecDeque<u8>,
        capacity: usize,
        readers_waiting: WaitQueue,
        writers_waiting: WaitQueue,
        openers: WaitQueue,
        /// Path, for a named pipe.
        path: Option<String>,
    },
    /// A set of semaphores: semaphore 0's value, the others' (empty for a
    /// single semaphore, so `sem_wait`'s fast path touches only `value`), and
    /// one queue for every waiter of the set, in the order they came.
    Semaphore {
        value: u64,
        others: Vec<u64>,
        waiters: WaitQueue,
    },
    Shm {
        mem: Vec<u8>,
        attached: u32,
        removed: bool,
    },
    File {
        contents: Vec<u8>,
    },
    Socket(Box<crate::socket::Socket>),
}

/// A kernel object.
#[derive(Debug)]
pub(crate) struct Object {
    pub kind: ObjectKind,
    pub label: Box<str>,
    /// The host it belongs to: only that host's processes hold capabilities to it.
    pub host: crate::HostId,
    pub key: Option<i64>,
    pub perm: Option<IpcPerm>,
    /// Every live capability naming this object (owned or in transit).
    pub holders: Vec<CapId>,
    /// How many live capabilities carry each right bit.
    pub right_counts: [u32; 8],
    /// Rights that some not-yet-spawned program could bring (deadlock analysis).
    pub spawnable: Rights,
    /// Live processes whose end signals this notification (`watch`).
    pub watched: Vec<Pid>,
    /// The capability through which the deadlock check last found a process
    /// able to complete a wait on this object (also set by a `call` that
    /// unblocked a receiver here, and, for a semaphore, by taking a unit
    /// through a capability that may post): looked at first next time, so
    /// the check at every blocking call is usually one lookup. Only an order
    /// of visit, never trusted without checking the capability again.
    pub holder_hint: std::cell::Cell<Option<CapId>>,
    pub body: Body,
}

impl Object {
    /// Whether its `ipc_perm` decides who may open it, by key or (a named
    /// pipe) by path: then any live process the mode lets in could obtain a
    /// capability to it (deadlock analysis).
    /// Whether any process may obtain rights to it without a capability
    /// (see `Kernel::open_objs`): by key or path, by spawning, as an open
    /// socket. A watched process's notification is added when watched.
    pub(crate) fn may_be_open(&self) -> bool {
        !self.spawnable.is_empty()
            || self.opened_by_perm()
            || !self.watched.is_empty()
            || matches!(&self.body, Body::Socket(s) if s.open_to_anyone())
    }

    pub(crate) fn opened_by_perm(&self) -> bool {
        self.perm.is_some() && (self.key.is_some() || matches!(&self.body, Body::Pipe { path: Some(_), .. }))
    }

    /// A unit of this semaphore went to the holder of `cap`: when `cap` may
    /// post, its holder is the likeliest to post one, so it becomes the
    /// deadlock detector's first guess when someone waits here.
    #[inline]
    pub(crate) fn hint_unit_holder(&self, cap: CapId, rights: Rights) {
        if rights.contains(Rights::POST) {
            self.holder_hint.set(Some(cap));
        }
    }

    pub(crate) fn count(&self, r: Rights) -> u32 {
        self.right_counts[r.bits().trailing_zeros() as usize & 7]
    }

    /// Every wait queue of the object, drained (for destruction).
    pub(crate) fn drain_waiters(&mut self) -> Vec<Pid> {
        let mut out = Vec::new();
        match &mut self.body {
            Body::Endpoint { senders, receivers }
            | Body::Mailbox { senders, receivers, .. }
            | Body::MsgQueue { senders, receivers, .. } => {
                out.extend(senders.drain_all());
                out.extend(receivers.drain_all());
            }
            Body::Notification { waiters, .. } | Body::Semaphore { waiters, .. } => out.extend(waiters.drain_all()),
            Body::Pipe {
                readers_waiting,
                writers_waiting,
                openers,
                ..
            } => {
                out.extend(readers_waiting.drain_all());
                out.extend(writers_waiting.drain_all());
                out.extend(openers.drain_all());
            }
            Body::Socket(s) => {
                out.extend(s.waiters.drain_all());
                out.extend(s.writers.drain_all());
            }
            Body::Shm { .. } | Body::File { .. } => {}
        }
        out
    }
}

/// Options for creating an object at boot or by a system call.
#[derive(Clone, Debug, Default)]
pub struct ObjectOptions {
    /// Mailbox: Some(N) messages, None unbounded. Pipe: bytes (default 4096).
    pub capacity: Option<u64>,
    /// Mailbox unbounded.
    pub unbounded: bool,
    /// System V key.
    pub key: Option<i64>,
    /// Owner and mode.
    pub perm: Option<IpcPerm>,
    /// Semaphore initial value (of each semaphore of a set).
    pub value: u64,
    /// Semaphores in a set (0 or 1: one).
    pub nsems: u32,
    /// Shm size, message queue byte limit.
    pub size: Option<u64>,
    /// File contents.
    pub contents: Vec<u8>,
    /// Named pipe path.
    pub path: Option<String>,
    /// The host it belongs to (default `local`).
    pub host: crate::HostId,
}
