//! The kernel state machine: process table, objects, capabilities, scheduler,
//! virtual clock and timers, and the one dispatcher every system call goes through.
//!
//! The kernel knows nothing of threads, clocks, I/O, or the scenario language.
//! A runtime drives it: it asks [`Kernel::schedule`] who runs, runs that process
//! until it issues [`Kernel::syscall`], and keeps running it only while the
//! outcome is [`Outcome::Done`].

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use crate::arena::Arena;
use crate::caps::CapNode;
use crate::deadlock::DeadlockReport;
use crate::entry::{CALL, REPLY_RECV};
use crate::event::{Event, EventKind, EventLog, SwitchReason};
use crate::eventlog::Entry;
use crate::object::{Object, ObjectOptions};
use crate::process::{Blocked, Carry, Process, State, Wait};
use crate::rng::SplitMix64;
use crate::stats::Stats;
use crate::syscall::{IpcPerm, Outcome, ProcessSpec, Ret, SysResult, Syscall};
use crate::{CapId, Data, Ending, Error, KResult, Message, ObjId, ObjectKind, Pid, Rights, Time, Timeout};

/// Kernel limits: hitting one returns `LimitReached` (or `MessageTooLarge`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Processes per kernel (ended ones included: pids are never reused).
    pub processes_max: usize,
    /// Capabilities one process may hold.
    pub caps_per_process_max: usize,
    /// Bytes of data in one message.
    pub message_bytes_max: usize,
    /// Messages an unbounded mailbox may hold.
    pub queue_len_max: usize,
    /// Bytes scenario objects may hold, kernel-wide: segments, pipe buffers,
    /// files and private mappings for their life, plus buffered message data
    /// (see `budget.rs`).
    pub memory_bytes_max: u64,
    /// Messages buffered in mailboxes and message queues, kernel-wide.
    pub buffered_messages_max: usize,
    /// Bytes in one System V message (Linux `MSGMAX`, `msgmax`): a bigger
    /// `msgsnd` fails `InvalidArgument` (EINVAL).
    pub msgmax: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            processes_max: 1 << 20,
            caps_per_process_max: 1 << 16,
            message_bytes_max: 1 << 20,
            queue_len_max: 1 << 20,
            memory_bytes_max: 1 << 30,
            buffered_messages_max: 1 << 20,
            msgmax: 8192,
        }
    }
}

/// Virtual-time costs (all 0 by default: time moves only by sleep and compute).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Costs {
    /// Ticks per system call.
    pub syscall_ticks: u64,
    /// Ticks per context switch.
    pub switch_ticks: u64,
    /// Ticks per byte copied by the kernel.
    pub copy_per_byte_ticks: u64,
    /// Ticks per load or peek of shared memory.
    pub poll_ticks: u64,
}

/// How a kernel is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelConfig {
    /// Seed of the scheduler's preemption choices; None: plain scheduling.
    pub seed: Option<u64>,
    /// How a seeded scheduler uses its seed.
    pub strategy: crate::Strategy,
    /// Replay these scheduler choices instead of drawing them (the random
    /// strategy's choices, as [`Kernel::choices`] recorded them; 0 past the end).
    pub replay: Option<Vec<u32>>,
    /// Record the scheduler's choices (for schedule strings and shrinking).
    pub record_choices: bool,
    /// The run ends at this virtual time.
    pub max_time: Time,
    /// Limits.
    pub limits: Limits,
    /// Record events into the log.
    pub record_events: bool,
    /// `config priority_inheritance on`.
    pub priority_inheritance: bool,
    /// `config copy remap`: one copy per kernel message.
    pub copy_remap: bool,
    /// Cost model.
    pub costs: Costs,
    /// Take the fast paths for `call` and `reply_recv` where they apply (same
    /// effects and events; off only to test that claim).
    pub fast_paths: bool,
    /// Faults to inject (only in a seeded or replayed run).
    pub faults: crate::Faults,
    /// The seed of the loss stream (datagram losses over lossy links):
    /// `seed` if None, or 0 without a seed. A replayed schedule names it,
    /// so the run it replays loses the same datagrams.
    pub loss_seed: Option<u64>,
}

impl Default for KernelConfig {
    fn default() -> Self {
        KernelConfig {
            seed: None,
            strategy: crate::Strategy::Random,
            replay: None,
            record_choices: false,
            max_time: 1_000_000,
            limits: Limits::default(),
            record_events: true,
            priority_inheritance: false,
            copy_remap: false,
            costs: Costs::default(),
            fast_paths: true,
            faults: crate::Faults::default(),
            loss_seed: None,
        }
    }
}

/// Why the run is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    /// Every non-daemon process has ended.
    AllEnded,
    /// No process can run and no timer is due.
    Idle,
    /// Virtual time reached `max_time`.
    TimeLimit,
    /// The runtime's step limit was reached (set for exploration: a likely livelock).
    StepLimit,
}

/// What the runtime should do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Next {
    /// Run this process (take its stored result first, if any).
    Run(Pid),
    /// The run is over.
    Finished(Finish),
}

/// What a dispatched call did to its caller.
pub(crate) enum Flow {
    Done(SysResult),
    /// The caller is blocked (or otherwise gave up the CPU with no result yet).
    Blocked,
}

/// A write's count when it ends before all its bytes went in: `Ret::Int`
/// of what did, if anything did.
fn partial_write(carry: Option<&Carry>) -> Option<Ret> {
    match carry {
        Some(Carry::Bytes { rest, total }) if rest.len() < *total => Some(Ret::Int((total - rest.len()) as i64)),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) struct Timer {
    pub at: Time,
    pub seq: u64,
    pub pid: Pid,
    pub wait_seq: u64,
}

/// A simulated file-system entry.
#[derive(Clone, Debug)]
pub(crate) enum FsNode {
    Fifo(ObjId),
    File(ObjId),
    /// A unix socket's file: its owner and mode, and the socket bound to it
    /// (which may be gone: the file stays until `unlink`).
    Socket {
        obj: ObjId,
        perm: IpcPerm,
    },
}

/// The simulated kernel.
#[derive(Debug)]
pub struct Kernel {
    pub(crate) cfg: KernelConfig,
    /// Derived once from `cfg` (which never changes): whether the fast paths
    /// may run, and whether faults are to be injected. Tested on every call.
    pub(crate) fast_ok: bool,
    pub(crate) faults_on: bool,
    /// Whether some process has caught a signal this run (then a signal may
    /// interrupt any waiter: the deadlock detector must look at each one).
    pub(crate) catching: bool,
    /// Whether anyone listens to events (the log, or a `tracing` subscriber at
    /// TRACE): looked up once per system call and per scheduling decision, so
    /// an unobserved event costs one flag test.
    pub(crate) observed: bool,
    /// Whether a `tracing` subscriber listens at TRACE (looked up with `observed`).
    pub(crate) mirroring: bool,
    pub(crate) now: Time,
    pub(crate) procs: Vec<Process>,
    pub(crate) objs: Arena<Object>,
    pub(crate) caps: Arena<CapNode>,
    pub(crate) ready: crate::ready::ReadyQueues,
    pub(crate) current: Option<Pid>,
    pub(crate) last_run: Option<Pid>,
    pub(crate) timers: BinaryHeap<Reverse<Timer>>,
    pub(crate) timer_seq: u64,
    pub(crate) wait_seq: u64,
    pub(crate) nonce: u64,
    pub(crate) log: EventLog,
    pub(crate) stats: Stats,
    pub(crate) rng: Option<SplitMix64>,
    pub(crate) pct: Option<crate::strategy::PctState>,
    /// Position in `cfg.replay`.
    pub(crate) replay_pos: usize,
    /// The choices made so far (when recording).
    pub(crate) choices: Vec<u32>,
    /// How many options each recorded choice had.
    pub(crate) arities: Vec<u32>,
    /// System V keys, per host.
    pub(crate) keys: BTreeMap<(crate::HostId, ObjectKind, i64), ObjId>,
    /// The file systems (FIFOs, files, socket paths), per host.
    pub(crate) fs: BTreeMap<(crate::HostId, String), FsNode>,
    /// The labels of destroyed objects, so a trace read after the fact still
    /// names what an event touched (rare: only `destroy` and removals add one).
    pub(crate) gone_labels: BTreeMap<ObjId, Box<str>>,
    /// Objects whose rights a process may obtain without holding a
    /// capability (by key or path, by spawning a program, by connecting or
    /// sending to a listening or datagram socket, as a watched process's
    /// notification): a superset, kept so that the deadlock detector looks
    /// at these, not at every object, when a process ends (with 1,000 hosts
    /// every end walked thousands of connected sockets).
    pub(crate) open_objs: std::collections::BTreeSet<ObjId>,
    /// What the memory budget counts (`budget.rs`).
    pub(crate) held: crate::budget::Held,
    pub(crate) live_nondaemons: usize,
    pub(crate) deadlocks: Vec<DeadlockReport>,
    /// Per process: the sequence number of the wait during which it was
    /// found in a deadlock (0: none). A process woken from that wait (a kill
    /// broke its set) is in no deadlock any more, without anyone clearing it.
    pub(crate) in_deadlock: Vec<u64>,
    /// The deadlock detector's work so far (see [`Kernel::deadlock_work`]).
    pub(crate) deadlock_work: std::cell::Cell<u64>,
    /// Pending switch reason for the next pick (e.g. Preempt).
    pub(crate) switch_hint: Option<SwitchReason>,
    /// Steps counted for fault injection, and when the faults strike.
    pub(crate) fault_steps: u64,
    pub(crate) fault_plan: Option<crate::fault::FaultPlan>,
    pub(crate) injected_kill: Option<Pid>,
    pub(crate) injected_delay: Option<Pid>,
    /// The network faults that struck (`fault.rs`).
    pub(crate) injected_net: Vec<crate::fault::NetFault>,
    /// Every host, `local` first (`host.rs`); the active one's ready queues
    /// are `ready`, its last run process `last_run`.
    pub(crate) hosts: Vec<crate::host::Host>,
    pub(crate) active_host: crate::HostId,
    /// Links and packets in flight (`net.rs`).
    pub(crate) net: crate::net::Net,
    /// Bound inet ports: (host, stream?, port) -> socket.
    pub(crate) ports: BTreeMap<(crate::HostId, bool, u16), ObjId>,
    /// The loss stream (drawn only for datagrams over lossy links).
    pub(crate) loss_rng: Option<SplitMix64>,
    /// Connection attempts so far (an answer names the attempt it answers).
    pub(crate) net_attempts: u64,
    /// The host a packet being delivered arrives at (for the trace).
    pub(crate) net_at: Option<crate::HostId>,
}

/// Processes (and objects; four times as many capabilities) a new kernel has
/// room for before its tables grow: a small scenario's boot then allocates
/// each table once, not once per doubling (exploration builds a kernel per run).
const BOOT_ROOM: usize = 8;

/// Processes (and objects; four times as many capabilities, sixteen times as
/// many pending events) whose table memory [`Kernel::reset`] keeps.
pub(crate) const RESET_ROOM: usize = 4096;

/// The tables whose memory [`Kernel::reset`] keeps.
struct Tables {
    procs: Vec<Process>,
    objs: Arena<Object>,
    caps: Arena<CapNode>,
    timers: BinaryHeap<Reverse<Timer>>,
    log: EventLog,
    in_deadlock: Vec<u64>,
}

impl Tables {
    fn with_room(n: usize) -> Self {
        Tables {
            procs: Vec::with_capacity(n),
            objs: Arena::with_capacity(n),
            caps: Arena::with_capacity(4 * n),
            timers: BinaryHeap::new(),
            log: EventLog::default(),
            in_deadlock: Vec::with_capacity(n),
        }
    }

    /// Emptied (arenas forget their generations too), memory kept up to
    /// [`RESET_ROOM`] processes' worth: a run with a million processes does
    /// not pin its tables for every run after it.
    fn cleared(mut self) -> Self {
        self.procs.clear();
        self.procs.shrink_to(RESET_ROOM);
        self.objs.clear(RESET_ROOM);
        self.caps.clear(4 * RESET_ROOM);
        self.timers.clear();
        self.timers.shrink_to(RESET_ROOM);
        self.in_deadlock.clear();
        self.in_deadlock.shrink_to(RESET_ROOM);
        self
    }
}

impl Kernel {
    /// A kernel with no processes and no objects.
    pub fn new(cfg: KernelConfig) -> Self {
        Self::with_tables(cfg, Tables::with_room(BOOT_ROOM))
    }

    /// Makes this kernel what [`Kernel::new`] with `cfg` would make, keeping
    /// the memory of its tables (up to a few thousand processes' worth): a caller that runs many short simulations one
    /// after another (an explorer) then allocates them once, not once per
    /// run. Handles and every count start again from scratch, so a run after
    /// a reset is the same, event for event, as one on a new kernel.
    pub fn reset(&mut self, cfg: KernelConfig) {
        let tables = Tables {
            procs: std::mem::take(&mut self.procs),
            objs: std::mem::take(&mut self.objs),
            caps: std::mem::take(&mut self.caps),
            timers: std::mem::take(&mut self.timers),
            log: std::mem::take(&mut self.log),
            in_deadlock: std::mem::take(&mut self.in_deadlock),
        };
        *self = Self::with_tables(cfg, tables.cleared());
    }

    fn with_tables(cfg: KernelConfig, tables: Tables) -> Self {
        let mut rng = cfg.seed.map(SplitMix64::new);
        let pct = match (cfg.strategy, rng.as_mut()) {
            (crate::Strategy::Pct { depth, steps }, Some(r)) => Some(crate::strategy::PctState::new(r, depth, steps)),
            _ => None,
        };
        let log = EventLog::reusing(cfg.record_events, tables.log);
        Kernel {
            fast_ok: cfg.fast_paths && !cfg.priority_inheritance && cfg.costs == Costs::default(),
            faults_on: cfg.faults.any(),
            catching: false,
            deadlock_work: std::cell::Cell::new(0),
            observed: cfg.record_events || tracing::level_enabled!(tracing::Level::TRACE),
            mirroring: tracing::level_enabled!(tracing::Level::TRACE),
            cfg,
            now: 0,
            procs: tables.procs,
            objs: tables.objs,
            caps: tables.caps,
            ready: crate::ready::ReadyQueues::default(),
            current: None,
            last_run: None,
            timers: tables.timers,
            timer_seq: 0,
            wait_seq: 0,
            nonce: 0,
            log,
            stats: Stats::default(),
            rng,
            pct,
            replay_pos: 0,
            choices: Vec::new(),
            arities: Vec::new(),
            keys: BTreeMap::new(),
            fs: BTreeMap::new(),
            gone_labels: BTreeMap::new(),
            open_objs: std::collections::BTreeSet::new(),
            held: crate::budget::Held::default(),
            live_nondaemons: 0,
            deadlocks: Vec::new(),
            in_deadlock: tables.in_deadlock,
            switch_hint: None,
            fault_steps: 0,
            fault_plan: None,
            injected_kill: None,
            injected_delay: None,
            injected_net: Vec::new(),
            hosts: vec![crate::host::Host::new("local")],
            active_host: crate::HostId::LOCAL,
            net: crate::net::Net::default(),
            ports: BTreeMap::new(),
            loss_rng: None,
            net_attempts: 0,
            net_at: None,
        }
    }

    // ----- set-up (the boot loader's authority) -------------------------------

    /// Creates a ready process (at boot, or for a spawn).
    pub fn create_process(&mut self, spec: &ProcessSpec, parent: Option<Pid>) -> KResult<Pid> {
        // A spawned process runs on its spawner's host.
        let host = parent.map_or(crate::HostId::LOCAL, |p| self.host_of(p));
        self.create_process_on(host, spec, parent)
    }

    /// [`Kernel::create_process`] on host `host` (the boot loader's choice).
    pub fn create_process_on(&mut self, host: crate::HostId, spec: &ProcessSpec, parent: Option<Pid>) -> KResult<Pid> {
        if self.procs.len() >= self.cfg.limits.processes_max {
            return Err(Error::LimitReached);
        }
        if host.index() >= self.hosts.len() {
            return Err(Error::InvalidArgument);
        }
        let pid = Pid(self.procs.len() as u32);
        let mut p = Process::new(&spec.name, spec.priority, spec.uid, spec.gid, spec.daemon, parent);
        p.host = host;
        self.procs.push(p);
        self.in_deadlock.push(0);
        if let (Some(pct), Some(rng)) = (self.pct.as_mut(), self.rng.as_mut()) {
            pct.admit(rng, pid);
        }
        if !spec.daemon {
            self.live_nondaemons += 1;
        }
        if let Some(pp) = parent {
            self.procs[pp.index()].children.push(pid);
        }
        self.record(pid, || EventKind::Start { parent });
        self.enqueue_ready(pid, false);
        Ok(pid)
    }

    /// Creates an object. Keyed objects (with `opts.key`) are registered under their key.
    pub fn create_object(&mut self, kind: ObjectKind, label: &str, opts: &ObjectOptions) -> KResult<ObjId> {
        // Key 0 is IPC_PRIVATE: an object no get by key can find.
        let key = opts.key.filter(|k| *k != crate::sysv::IPC_PRIVATE);
        let host = opts.host;
        if host.index() >= self.hosts.len() {
            return Err(Error::InvalidArgument);
        }
        if let Some(k) = key {
            if self.keys.contains_key(&(host, kind, k)) {
                return Err(Error::Exists);
            }
        }
        if let Some(p) = &opts.path {
            if self.fs.contains_key(&(host, p.clone())) {
                return Err(Error::Exists);
            }
        }
        if let Some((e, _)) = crate::objects::refusal(kind, opts, &self.cfg.limits) {
            return Err(e);
        }
        let body = crate::objects::new_body(kind, opts)?;
        self.reserve(crate::budget::reserved_bytes(&body))?;
        let id = ObjId(self.objs.insert(Object {
            kind,
            label: label.into(),
            host,
            key,
            perm: opts.perm,
            holders: Vec::new(),
            right_counts: [0; 8],
            spawnable: Rights::empty(),
            watched: Vec::new(),
            holder_hint: std::cell::Cell::new(None),
            body,
        }));
        if let Some(k) = key {
            self.keys.insert((host, kind, k), id);
        }
        if self.objs.get(id.0).is_some_and(Object::may_be_open) {
            self.open_objs.insert(id);
        }
        if let Some(p) = &opts.path {
            let node = if kind == ObjectKind::File {
                FsNode::File(id)
            } else {
                FsNode::Fifo(id)
            };
            self.fs.insert((host, p.clone()), node);
        }
        Ok(id)
    }

    /// Gives a process a root capability to an object.
    pub fn grant(&mut self, pid: Pid, obj: ObjId, rights: Rights, badge: u64) -> KResult<CapId> {
        let o = self.objs.get(obj.0).ok_or(Error::InvalidCap)?;
        let (kind, host) = (o.kind, o.host);
        if !kind.rights().contains(rights) {
            return Err(Error::InvalidArgument);
        }
        // Capabilities never cross hosts.
        if self.proc_live(pid)?.host != host {
            return Err(Error::InvalidArgument);
        }
        let cap = self.new_cap(Some(pid), obj, rights, badge, None)?;
        self.procs[pid.index()].boot_caps.push(cap);
        Ok(cap)
    }

    /// Marks rights on an object as obtainable by spawning some program (for deadlock analysis).
    pub fn set_spawnable(&mut self, obj: ObjId, rights: Rights) {
        if let Some(o) = self.objs.get_mut(obj.0) {
            o.spawnable |= rights;
            self.open_objs.insert(obj);
        }
    }

    // ----- the dispatcher ---------------------------------------------------------

    /// Issues a system call for `pid`, which must be the running process.
    ///
    /// The calls processes loop on go through their typed entries
    /// (`entry.rs`), which take the fast path without the enum; the same call
    /// by either door is the same call.
    pub fn syscall(&mut self, pid: Pid, call: Syscall) -> Outcome {
        match call {
            Syscall::Call { cap, msg, timeout } => self.message_routed::<CALL>(pid, cap, msg, timeout),
            Syscall::ReplyRecv { cap, msg, timeout } => self.message_routed::<REPLY_RECV>(pid, cap, msg, timeout),
            Syscall::SemWait { cap, timeout } => self.sem_wait(pid, cap, timeout),
            Syscall::SemPost { cap } => self.sem_post(pid, cap),
            other => self.syscall_general(pid, other),
        }
    }

    /// [`Kernel::syscall`] for any call, whole: checks, counting, the
    /// `syscall` event, faults, the fast paths, then the general path. The
    /// typed entries come here when their fast path may not run at all.
    pub(crate) fn syscall_general(&mut self, pid: Pid, call: Syscall) -> Outcome {
        self.refresh_observed();
        if self.current != Some(pid) {
            // Only the running process may trap into the kernel.
            return Outcome::Done(Err(Error::InvalidArgument));
        }
        if self.faults_on {
            if let Some(out) = self.inject_faults(pid) {
                return out;
            }
        }
        // A load or store of mapped memory is an instruction, not a trap: the
        // simulator steps at it only so the scheduler may interleave there.
        let memory = call.is_memory_access();
        if memory {
            self.stats.memory_accesses += 1;
        } else {
            self.stats.syscalls += 1;
        }
        if self.observed {
            // Only a capability of the caller's names its object: a made-up
            // or another process's capability id names nothing (the call
            // fails InvalidCap), and must not show another's object, maybe
            // of another host, in the trace.
            let obj = call
                .cap()
                .and_then(|c| self.caps.get(c.0))
                .filter(|n| n.owner == Some(pid))
                .map(|n| n.obj);
            let arg = match &call {
                Syscall::Sleep { ticks } | Syscall::Compute { ticks } => Some(*ticks as i64),
                Syscall::Signal { bits, .. } => Some(*bits as i64),
                Syscall::MsgSnd { mtype, .. } | Syscall::MsgRcv { mtype, .. } => Some(*mtype),
                Syscall::Kill { target, signal } => Some(crate::event::kill_arg(*target, *signal)),
                Syscall::Watch { target, .. } => Some(i64::from(target.0)),
                Syscall::Read { max, .. } => Some(*max as i64),
                Syscall::Close { cap } => self.pipe_end_of(pid, *cap),
                // Where in the segment (or memory) a store or load went.
                Syscall::Store { offset, .. } | Syscall::Load { offset, .. } | Syscall::LoadInt { offset, .. } => {
                    Some(*offset)
                }
                Syscall::Poke { addr, .. } | Syscall::Peek { addr, .. } | Syscall::PeekInt { addr } => Some(*addr),
                Syscall::SemCtl { num, .. } => Some(i64::from(*num)),
                _ => None,
            };
            self.record(pid, || EventKind::Syscall {
                name: call.name(),
                obj,
                data: match &call {
                    Syscall::Open { path, .. } | Syscall::Mkfifo { path, .. } => Some(Data::str(path)),
                    Syscall::Mmap { path: Some(path), .. } => Some(Data::str(path)),
                    Syscall::SemOp { ops, undo, .. } => Some(Data::str(&crate::semop::ops_words(ops, *undo))),
                    Syscall::SemCtl {
                        cmd: crate::SemCmd::SetVal(v),
                        ..
                    } => Some(Data::Int(*v as i64)),
                    _ => call.data().cloned(),
                },
                arg,
            });
        }
        self.after_entry(pid, call, memory)
    }

    /// A system call once it is counted and recorded: the fast paths, then
    /// the general path.
    fn after_entry(&mut self, pid: Pid, call: Syscall, memory: bool) -> Outcome {
        let call = if self.fastpath_allowed() {
            match call {
                Syscall::Call { cap, msg, timeout } => match self.fast_call::<true>(pid, cap, msg, timeout, false) {
                    Ok(out) => return out,
                    Err(msg) => Syscall::Call { cap, msg, timeout },
                },
                Syscall::ReplyRecv { cap, msg, timeout } => {
                    match self.fast_reply_recv::<true>(pid, cap, msg, timeout, false) {
                        Ok(out) => return out,
                        Err(msg) => Syscall::ReplyRecv { cap, msg, timeout },
                    }
                }
                Syscall::SemWait { cap, .. } | Syscall::SemPost { cap }
                    if self.fast_sem(pid, cap, matches!(call, Syscall::SemWait { .. })) =>
                {
                    return self.fast_sem_done(pid);
                }
                other => other,
            }
        } else {
            call
        };
        self.general(pid, call, memory)
    }

    /// The general path of a counted and recorded call whose fast path (if
    /// it has one) declined: its handler, then the result, cost and
    /// scheduling at its end.
    pub(crate) fn general(&mut self, pid: Pid, call: Syscall, memory: bool) -> Outcome {
        let cost = if memory { 0 } else { self.cfg.costs.syscall_ticks };
        // A refused reply records its own failure (reply_recv goes on receiving after one).
        let reply = matches!(call, Syscall::Reply { .. });
        let flow = self.dispatch(pid, call);
        self.finish_call(pid, flow, cost, reply)
    }

    /// The end of a system call whose handler has run: a failure is recorded
    /// (but a refused `reply`, which records its own), the call's cost is
    /// charged, and the scheduler may switch before the caller sees its result.
    #[inline]
    pub(crate) fn finish_call(&mut self, pid: Pid, flow: Flow, cost: u64, reply: bool) -> Outcome {
        match flow {
            Flow::Done(res) => {
                // A caller the call itself ended (SIGPIPE's default action) never
                // sees the result: no failure is recorded after its end.
                if self.procs[pid.index()].is_ended() {
                    return Outcome::Switched;
                }
                if let (Err(e), false) = (&res, reply) {
                    self.record(pid, || EventKind::Fail { error: *e });
                }
                // Charges the call ran up (copies, polls) are CPU time too: spent
                // before the caller sees its result.
                if cost > 0 || self.procs[pid.index()].compute_left > 0 {
                    self.maybe_preempt();
                    // The call's cost is CPU time spent in the kernel on the caller's behalf.
                    let p = &mut self.procs[pid.index()];
                    p.compute_left = p.compute_left.saturating_add(cost);
                    p.result = Some(res);
                    return Outcome::Switched;
                }
                self.maybe_preempt();
                if self.current != Some(pid) {
                    self.procs[pid.index()].result = Some(res);
                    return Outcome::Switched;
                }
                if self.seeded_preempt(pid) {
                    self.procs[pid.index()].result = Some(res);
                    return Outcome::Switched;
                }
                Outcome::Done(res)
            }
            Flow::Blocked => {
                // A blocking call costs the same as any other, paid when it returns.
                if cost > 0 && !self.procs[pid.index()].is_ended() {
                    let p = &mut self.procs[pid.index()];
                    p.cost_due = p.cost_due.saturating_add(cost);
                }
                // A compute keeps the CPU, unless something it readied outranks it.
                self.maybe_preempt();
                Outcome::Switched
            }
        }
    }

    fn dispatch(&mut self, pid: Pid, call: Syscall) -> Flow {
        match call {
            Syscall::Send { cap, msg, timeout } => self.sys_send(pid, cap, msg, timeout, false),
            Syscall::Call { cap, msg, timeout } => self.sys_send(pid, cap, msg, timeout, true),
            Syscall::Recv { cap, timeout } => self.sys_recv(pid, cap, timeout),
            Syscall::Reply { msg } => Flow::Done(self.sys_reply(pid, msg).map(|()| Ret::Unit)),
            Syscall::ReplyRecv { cap, msg, timeout } => {
                // The reply's refusal (caller gone) is in the trace; the receive goes on,
                // so a server loop is not ended by a client that gave up.
                let _ = self.sys_reply(pid, msg);
                self.sys_recv(pid, cap, timeout)
            }
            Syscall::Signal { cap, bits } => self.sys_signal(pid, cap, bits),
            Syscall::Wait { cap, timeout } => self.sys_wait(pid, cap, timeout),
            Syscall::Derive { cap, rights, badge } => Flow::Done(self.sys_derive(pid, cap, rights, badge)),
            Syscall::Delete { cap } | Syscall::Close { cap } => Flow::Done(self.sys_delete(pid, cap)),
            Syscall::Revoke { cap } => Flow::Done(self.sys_revoke(pid, cap)),
            Syscall::Destroy { cap } => Flow::Done(self.sys_destroy(pid, cap)),
            Syscall::Sleep { ticks } => {
                if ticks == 0 {
                    Flow::Done(Ok(Ret::Unit))
                } else {
                    self.block(pid, Wait::Sleep, None, None, Timeout::Ticks(ticks))
                }
            }
            Syscall::Compute { ticks } => {
                let p = &mut self.procs[pid.index()];
                p.compute_left = p.compute_left.saturating_add(ticks);
                p.result = Some(Ok(Ret::Unit));
                Flow::Blocked
            }
            Syscall::Yield => {
                self.procs[pid.index()].result = Some(Ok(Ret::Unit));
                self.current = None;
                self.enqueue_ready(pid, false);
                Flow::Blocked
            }
            Syscall::Spawn { spec, share, grants } => Flow::Done(self.sys_spawn(pid, &spec, &share, &grants)),
            Syscall::WaitChild { timeout } => self.sys_wait_child(pid, timeout),
            Syscall::Kill { target, signal } => Flow::Done(self.sys_kill(pid, target, signal)),
            Syscall::Watch { target, cap, bits } => Flow::Done(self.sys_watch(pid, target, cap, bits)),
            Syscall::SigAction { signal, action, flags } => Flow::Done(self.sys_sigaction(pid, signal, action, flags)),
            Syscall::SigMask { signal, block } => Flow::Done(self.sys_sigmask(pid, signal, block)),
            Syscall::SigPending { signal } => Flow::Done(self.sys_sigpending(pid, signal)),
            Syscall::Get { kind, key, flags, size } => Flow::Done(self.sys_get(pid, kind, key, flags, size)),
            Syscall::MsgSnd {
                cap,
                mtype,
                data,
                timeout,
            } => self.sys_msgsnd(pid, cap, mtype, data, timeout),
            Syscall::MsgRcv {
                cap,
                mtype,
                opts,
                timeout,
            } => self.sys_msgrcv(pid, cap, (mtype, opts), timeout),
            Syscall::MsgStat { cap } => Flow::Done(self.sys_msgstat(pid, cap)),
            Syscall::MsgSet { cap, bytes, mode } => Flow::Done(self.sys_msgset(pid, cap, bytes, mode)),
            Syscall::Remove { cap } => Flow::Done(self.sys_remove(pid, cap)),
            Syscall::Write { cap, data, timeout } if self.is_socket(pid, cap) => {
                self.sys_sock_write(pid, cap, data, timeout)
            }
            Syscall::Write { cap, data, timeout } => self.sys_write(pid, cap, data, timeout),
            Syscall::Read { cap, max, timeout } if self.is_socket(pid, cap) => {
                self.sys_sock_read(pid, cap, max, timeout)
            }
            Syscall::Read { cap, max, timeout } => self.sys_read(pid, cap, max, timeout),
            Syscall::SemWait { cap, timeout } => self.sys_sem_wait(pid, cap, timeout),
            Syscall::SemPost { cap } => self.sys_sem_post(pid, cap),
            Syscall::SemOp {
                cap,
                ops,
                undo,
                timeout,
            } => self.sys_semop(pid, cap, &ops, undo, timeout),
            Syscall::SemCtl { cap, num, cmd } => Flow::Done(self.sys_semctl(pid, cap, num, cmd)),
            Syscall::Attach { cap, readonly } => Flow::Done(self.sys_attach(pid, cap, readonly)),
            Syscall::Detach { cap } => Flow::Done(self.sys_detach(pid, cap)),
            Syscall::Store { cap, offset, data } => Flow::Done(self.sys_store(pid, cap, offset, &data)),
            Syscall::Load { cap, offset, len } => Flow::Done(self.sys_load(pid, cap, offset, len)),
            Syscall::Poke { addr, data } => Flow::Done(self.sys_poke(pid, addr, &data)),
            Syscall::Peek { addr, len } => Flow::Done(self.sys_peek(pid, addr, len)),
            Syscall::LoadInt { cap, offset } => Flow::Done(self.sys_load_as(pid, cap, offset, 8, true)),
            Syscall::PeekInt { addr } => Flow::Done(self.sys_peek_as(pid, addr, 8, true)),
            Syscall::Mkfifo { path, mode } => Flow::Done(self.sys_mkfifo(pid, path, mode)),
            Syscall::Mmap { path, cap, shared } => Flow::Done(self.sys_mmap(pid, path.as_deref(), cap, shared)),
            Syscall::Msync { cap } => Flow::Done(self.sys_msync(pid, cap)),
            Syscall::Open { path, write, timeout } => self.sys_open(pid, &path, write, timeout),
            Syscall::Socket { stream, unix } => Flow::Done(self.sys_socket(pid, stream, unix)),
            Syscall::SocketPair => Flow::Done(self.sys_socketpair(pid)),
            Syscall::Bind { cap, port } => Flow::Done(self.sys_bind(pid, cap, port)),
            Syscall::BindPath { cap, path, mode } => Flow::Done(self.sys_bind_path(pid, cap, &path, mode)),
            Syscall::Listen { cap, backlog } => Flow::Done(self.sys_listen(pid, cap, backlog)),
            Syscall::Accept { cap, timeout } => self.sys_accept(pid, cap, timeout),
            Syscall::Connect {
                cap,
                host,
                port,
                timeout,
            } => self.sys_connect(pid, cap, host, port, timeout),
            Syscall::ConnectPath { cap, path, timeout } => self.sys_connect_path(pid, cap, &path, timeout),
            Syscall::Shutdown { cap } => Flow::Done(self.sys_shutdown(pid, cap)),
            Syscall::SendTo { cap, host, port, data } => Flow::Done(self.sys_sendto(pid, cap, host, port, &data)),
            Syscall::SendToPath { cap, path, data } => Flow::Done(self.sys_sendto_path(pid, cap, &path, &data)),
            Syscall::RecvFrom { cap, timeout } => self.sys_recvfrom(pid, cap, timeout),
            Syscall::Unlink { path } => Flow::Done(self.sys_unlink(pid, &path)),
        }
    }

    // ----- scheduling ---------------------------------------------------------------

    /// Decides who runs next, advancing virtual time through computes and timers.
    #[inline]
    pub fn schedule(&mut self) -> Next {
        self.refresh_observed();
        // The usual answers in a small frame: the running process goes on,
        // or the next ready one runs (what `schedule_general` would do first
        // when there is one, with no time to spend before it runs).
        if self.live_nondaemons > 0 {
            let cur = match self.current {
                Some(cur) => cur,
                None => match self.run_next_ready() {
                    Some(pid) => pid,
                    None => return self.schedule_general(),
                },
            };
            let p = &self.procs[cur.index()];
            if p.compute_left == 0 && p.cost_due == 0 {
                return Next::Run(cur);
            }
        }
        self.schedule_general()
    }

    #[inline(never)]
    fn schedule_general(&mut self) -> Next {
        if self.hosts.len() > 1 {
            return self.schedule_hosts();
        }
        loop {
            if self.live_nondaemons == 0 {
                return Next::Finished(Finish::AllEnded);
            }
            if let Some(cur) = self.current {
                let p = &mut self.procs[cur.index()];
                if p.compute_left == 0 && p.cost_due > 0 {
                    p.compute_left = std::mem::take(&mut p.cost_due);
                }
                let left = p.compute_left;
                if left == 0 {
                    return Next::Run(cur);
                }
                let due = self.next_timer_at();
                let end = self.now.saturating_add(left);
                let target = due.map_or(end, |d| d.min(end)).min(self.cfg.max_time);
                let spent = target - self.now;
                let p = &mut self.procs[cur.index()];
                p.compute_left -= spent;
                p.cpu += spent;
                self.now = target;
                if self.now >= self.cfg.max_time && self.procs[cur.index()].compute_left > 0 {
                    return Next::Finished(Finish::TimeLimit);
                }
                self.fire_timers();
                self.maybe_preempt();
                continue;
            }
            if self.run_next_ready().is_some() {
                continue;
            }
            match self.next_timer_at() {
                Some(at) if at <= self.cfg.max_time => {
                    self.now = self.now.max(at);
                    self.fire_timers();
                }
                Some(_) => {
                    self.now = self.cfg.max_time;
                    return Next::Finished(Finish::TimeLimit);
                }
                None => return Next::Finished(Finish::Idle),
            }
        }
    }

    /// Switches to the ready process the scheduler picks next, if any.
    pub(crate) fn run_next_ready(&mut self) -> Option<Pid> {
        let pid = self.pop_ready()?;
        self.switch_to(pid);
        Some(pid)
    }

    // Inline, as `finish_wait`: a short body on every switch and wake of a
    // seeded run, where the call's register saving cost as much.
    #[inline]
    fn switch_to(&mut self, pid: Pid) {
        let reason = self.switch_hint.take().unwrap_or(SwitchReason::Schedule);
        self.current = Some(pid);
        self.procs[pid.index()].state = State::Running;
        if self.last_run != Some(pid) {
            self.stats.switches += 1;
            if reason == SwitchReason::Transfer {
                self.stats.transfers += 1;
            }
            let from = self.last_run;
            self.record(pid, || EventKind::Switch { from, reason });
            self.last_run = Some(pid);
            let cost = self.cfg.costs.switch_ticks;
            if cost > 0 {
                let p = &mut self.procs[pid.index()];
                p.compute_left = p.compute_left.saturating_add(cost);
            }
        }
    }

    /// Hands the CPU straight to `pid` (control-flow transfer); the caller has blocked.
    pub(crate) fn transfer_to(&mut self, pid: Pid) {
        debug_assert!(self.current.is_none());
        self.switch_hint = Some(SwitchReason::Transfer);
        self.switch_to(pid);
    }

    /// Pops the head of the highest non-empty ready queue. Empty queues stay in
    /// the map (one per priority ever used), so a round trip allocates nothing.
    ///
    /// With a seed, the pick among the ready processes of the highest priority is
    /// the seeded source's (drawn only when there is a choice, so a run's stream
    /// of draws depends on its schedule alone).
    fn pop_ready(&mut self) -> Option<Pid> {
        let level = self.ready.top_level()?;
        let q = self.ready.level_queue(level)?;
        let mut pick = 0;
        if let Some(pct) = &self.pct {
            // PCT: the ready process with the highest PCT priority (first in the queue on ties).
            pick = (0..q.len()).max_by_key(|i| (pct.prio(q[*i]), std::cmp::Reverse(*i)))?;
        } else if q.len() > 1 {
            pick = self.choose(q.len() as u64).unwrap_or(0) as usize;
        }
        self.ready.take_from(level, pick)
    }

    /// A seeded choice in `0..n`: drawn from the seed, or taken from the replayed
    /// schedule; None when scheduling is plain. Recorded when asked.
    #[inline]
    pub(crate) fn choose(&mut self, n: u64) -> Option<u64> {
        let c = if let Some(r) = &self.cfg.replay {
            let v = u64::from(r.get(self.replay_pos).copied().unwrap_or(0));
            self.replay_pos += 1;
            if v < n {
                v
            } else {
                0
            }
        } else {
            self.rng.as_mut()?.below(n)
        };
        if self.cfg.record_choices {
            self.choices.push(c as u32);
            self.arities.push(n.min(u64::from(u32::MAX)) as u32);
        }
        Some(c)
    }

    /// The scheduler choices made so far (with `record_choices`): replaying them
    /// (`KernelConfig::replay`) reproduces the run exactly.
    pub fn choices(&self) -> &[u32] {
        &self.choices
    }

    /// How many options each recorded choice had (the choice is in `0..arity`;
    /// 0 is the default: no preemption, the first ready process). With
    /// [`Kernel::choices`] this lets an explorer enumerate the schedules near
    /// a run's.
    pub fn choice_arities(&self) -> &[u32] {
        &self.arities
    }

    /// Puts a process into the ready queue of its priority (at the head if it was preempted).
    pub(crate) fn enqueue_ready(&mut self, pid: Pid, head: bool) {
        let p = &mut self.procs[pid.index()];
        p.state = State::Ready;
        if p.stopped {
            return;
        }
        if p.host != self.active_host {
            // Woken from another host's instant (a timer or an arrival).
            self.hosts[p.host.index()].ready.push(p.priority, pid, head);
            return;
        }
        self.ready.push(p.priority, pid, head);
    }

    /// Changes a process's effective priority, moving it between ready queues if it is in one.
    pub(crate) fn set_priority(&mut self, pid: Pid, priority: i64) {
        let queued = self.remove_ready(pid);
        self.procs[pid.index()].priority = priority;
        let inherited = priority != self.procs[pid.index()].base_priority;
        self.record(pid, || EventKind::Priority { priority, inherited });
        if queued {
            self.enqueue_ready(pid, false);
        }
    }

    /// Takes a process out of its ready queue; returns whether it was there.
    pub(crate) fn remove_ready(&mut self, pid: Pid) -> bool {
        let p = &self.procs[pid.index()];
        if p.host != self.active_host {
            return self.hosts[p.host.index()].ready.remove(p.priority, pid);
        }
        self.ready.remove(p.priority, pid)
    }

    /// The highest priority among ready processes.
    pub(crate) fn top_ready_priority(&self) -> Option<i64> {
        self.ready.top_priority()
    }

    /// Makes a process ready. If it outranks the running process, the running
    /// one is preempted at the end of the current step ([`Kernel::maybe_preempt`]),
    /// never in the middle of a system call that may still block it.
    pub(crate) fn make_ready(&mut self, pid: Pid) {
        self.enqueue_ready(pid, false);
    }

    /// Preempts the running process if a ready one has a higher priority; it
    /// goes back to the head of its priority's queue.
    pub(crate) fn maybe_preempt(&mut self) {
        let Some(cur) = self.current else { return };
        let top = self.top_ready_priority();
        if top.is_some_and(|t| t > self.procs[cur.index()].priority) {
            self.current = None;
            self.enqueue_ready(cur, true);
            self.switch_hint = Some(SwitchReason::Preempt);
        }
    }

    /// With a seed: maybe preempt the caller at this system call boundary.
    pub(crate) fn seeded_preempt(&mut self, pid: Pid) -> bool {
        if self.pct.is_some() {
            return self.pct_preempt(pid);
        }
        if self.rng.is_none() && self.cfg.replay.is_none() {
            return false;
        }
        if self.hosts.len() > 1 && self.seeded_host_switch(pid) {
            return true;
        }
        let prio = self.procs[pid.index()].priority;
        let n = self.ready.at(prio) as u64;
        if n == 0 {
            return false;
        }
        let pick = self.choose(n + 1).unwrap_or(0);
        if pick == 0 {
            return false;
        }
        self.seeded_hand_over(pid, prio, pick as usize - 1)
    }

    /// The seeded scheduler preempts `pid`: the ready process at `index` of its
    /// priority's queue goes to the head, and `pid` to the tail. Then the next
    /// scheduling decision is taken at once (the one [`Kernel::schedule`]
    /// would take first: nothing happens in between), so when its draw picks
    /// `pid` again, `pid` goes on without a trip through the executor, with the
    /// same events and the same draws. Returns whether another process runs.
    fn seeded_hand_over(&mut self, pid: Pid, prio: i64, index: usize) -> bool {
        self.ready.hand_over(prio, index, pid);
        self.procs[pid.index()].state = State::Ready;
        self.current = None;
        self.switch_hint = Some(SwitchReason::Seeded);
        if self.live_nondaemons > 0 {
            self.run_next_ready();
        }
        self.current != Some(pid)
    }

    /// PCT at a system call boundary: count the step (maybe a change point),
    /// then run whichever ready process of the caller's priority ranks highest.
    fn pct_preempt(&mut self, pid: Pid) -> bool {
        let Some(pct) = self.pct.as_mut() else { return false };
        pct.step(pid);
        let mine = pct.prio(pid);
        let prio = self.procs[pid.index()].priority;
        let Some(q) = self.ready.queue(prio) else {
            return false;
        };
        let Some(best) = (0..q.len()).max_by_key(|i| (pct.prio(q[*i]), std::cmp::Reverse(*i))) else {
            return false;
        };
        if pct.prio(q[best]) <= mine {
            return false;
        }
        self.seeded_hand_over(pid, prio, best)
    }

    // ----- blocking, waking, timers -----------------------------------------------

    /// Blocks the caller (timeout must not be nowait; callers check that first).
    pub(crate) fn block(
        &mut self,
        pid: Pid,
        wait: Wait,
        obj: Option<ObjId>,
        through: Option<CapId>,
        timeout: Timeout,
    ) -> Flow {
        self.wait_seq += 1;
        let seq = self.wait_seq;
        let deadline = match timeout {
            Timeout::Never => None,
            Timeout::Ticks(t) => Some(self.now.saturating_add(t)),
        };
        let kind = wait.kind();
        self.procs[pid.index()].state = State::Blocked(Blocked {
            wait,
            obj,
            through,
            deadline,
            seq,
        });
        if let Some(at) = deadline {
            self.set_timer(pid, at, seq);
        }
        if self.current == Some(pid) {
            self.current = None;
        }
        self.record(pid, || EventKind::Block {
            wait: kind,
            obj,
            deadline,
        });
        if deadline.is_none() {
            self.check_deadlock_around(pid);
        }
        Flow::Blocked
    }

    pub(crate) fn set_timer(&mut self, pid: Pid, at: Time, wait_seq: u64) {
        // A wait that ends before its timeout leaves its timer in the heap
        // (dropped when it comes up). At most one timer per process is live,
        // so once the heap holds far more, sweep the stale ones out: a loop
        // of calls with long timeouts would otherwise grow it without bound
        // (25 million stale timers in a 100-million-step run). Amortised
        // O(1); the order in which live timers fire is their own (time, seq).
        if self.timers.len() > 2 * self.procs.len() + self.net.packets.len() + 64 {
            let (procs, packets) = (&self.procs, &self.net.packets);
            self.timers.retain(|Reverse(t)| {
                if t.pid == crate::net::NET_PID {
                    return packets.contains(t.wait_seq as usize);
                }
                matches!(procs[t.pid.index()].blocked(), Some(b) if b.seq == t.wait_seq)
            });
        }
        self.timer_seq += 1;
        self.timers.push(Reverse(Timer {
            at,
            seq: self.timer_seq,
            pid,
            wait_seq,
        }));
    }

    pub(crate) fn next_timer_at(&mut self) -> Option<Time> {
        // Drop stale timers at the top so idle detection is exact.
        while let Some(Reverse(t)) = self.timers.peek() {
            if self.timer_live(t) {
                return Some(t.at);
            }
            self.timers.pop();
        }
        None
    }

    fn timer_live(&self, t: &Timer) -> bool {
        if t.pid == crate::net::NET_PID {
            return self.packet_live(t.wait_seq);
        }
        matches!(self.procs[t.pid.index()].blocked(), Some(b) if b.seq == t.wait_seq)
    }

    pub(crate) fn fire_timers(&mut self) {
        while let Some(Reverse(t)) = self.timers.peek().copied() {
            if t.at > self.now {
                break;
            }
            self.timers.pop();
            if !self.timer_live(&t) {
                continue;
            }
            if t.pid == crate::net::NET_PID {
                self.packet_due(t.wait_seq);
                continue;
            }
            let is_sleep = matches!(self.procs[t.pid.index()].blocked(), Some(b) if matches!(b.wait, Wait::Sleep));
            let carry = self.unblock(t.pid).map(|(_, c)| c);
            if is_sleep {
                self.finish_wait(t.pid, Ok(Ret::Unit), false);
            } else {
                self.record(t.pid, || EventKind::Timeout);
                let res = partial_write(carry.as_ref()).ok_or(Error::TimedOut);
                self.finish_wait(t.pid, res, false);
            }
        }
    }

    /// Takes a blocked process out of whatever queue its wait is in, and undoes what the
    /// wait held (a message in flight gives back its capability). Returns the old wait
    /// and what the process carried.
    pub(crate) fn unblock(&mut self, pid: Pid) -> Option<(Blocked, Carry)> {
        if let Some(obj) = self.procs[pid.index()].blocked().and_then(|b| b.obj) {
            self.unlink_from_object(obj, pid);
        }
        self.unblock_dequeued(pid)
    }

    /// [`Kernel::unblock`] for a process its object's wait queue already gave up
    /// (popped by the caller): no search of the queue for it.
    // Inline: most callers drop what it returns, and out of line the
    // 100-odd bytes of old wait and carry were copied out for nothing on
    // every wake (an explored run of the lock-order bench: -2% instructions).
    #[inline]
    pub(crate) fn unblock_dequeued(&mut self, pid: Pid) -> Option<(Blocked, Carry)> {
        let p = &mut self.procs[pid.index()];
        let State::Blocked(b) = p.state else {
            return None;
        };
        p.state = State::Ready;
        let carry = std::mem::take(&mut p.carry);
        if let Wait::Reply { server, .. } = b.wait {
            // The caller stops waiting: its server no longer inherits its priority.
            self.procs[pid.index()].state = State::Ready;
            self.inherit_priority(server);
        }
        if let Carry::Msg(Message { cap: Some(c), .. }) = &carry {
            self.drop_cap_silently(*c);
        }
        Some((b, carry))
    }

    /// Completes a wait that was already unlinked: stores the result and makes the process ready.
    #[inline]
    pub(crate) fn finish_wait(&mut self, pid: Pid, res: SysResult, record: bool) {
        if record {
            self.record(pid, || EventKind::Wake {
                error: res.as_ref().err().copied(),
            });
        }
        // Woken exactly once: a second result for one wait would be lost.
        debug_assert!(
            self.procs[pid.index()].result.is_none(),
            "a process woken twice for one wait"
        );
        self.procs[pid.index()].result = Some(res);
        self.make_ready(pid);
    }

    /// Wakes a process blocked in a queue with a result: unlinks, stores, readies.
    pub(crate) fn wake(&mut self, pid: Pid, res: SysResult) {
        if self.procs[pid.index()].blocked().is_none() {
            return;
        }
        let carry = self.unblock(pid).map(|(_, c)| c);
        // A write cut short (a signal, the reader gone) after some of its
        // bytes went in returns their count, as Linux's write does.
        let res = match (&res, partial_write(carry.as_ref())) {
            (Err(Error::Interrupted | Error::BrokenPipe), Some(done)) => Ok(done),
            _ => res,
        };
        self.finish_wait(pid, res, true);
    }

    // ----- queries ---------------------------------------------------------------------

    /// The current virtual time.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The running process.
    pub fn current(&self) -> Option<Pid> {
        self.current
    }

    /// Takes the result of a call that completed while the process was off the CPU.
    pub fn take_result(&mut self, pid: Pid) -> Option<SysResult> {
        self.procs.get_mut(pid.index())?.result.take()
    }

    /// Number of processes ever created.
    pub fn process_count(&self) -> usize {
        self.procs.len()
    }

    /// A process's name.
    pub fn process_name(&self, pid: Pid) -> &str {
        self.procs.get(pid.index()).map_or("?", |p| &p.name)
    }

    /// The process with this name: the newest live one, else the newest ended one.
    pub fn find_process(&self, name: &str) -> Option<Pid> {
        let mut ended = None;
        for (i, p) in self.procs.iter().enumerate().rev() {
            if &*p.name == name {
                if !p.is_ended() {
                    return Some(Pid(i as u32));
                }
                ended.get_or_insert(Pid(i as u32));
            }
        }
        ended
    }

    /// A process's identity and flags.
    pub fn process_info(&self, pid: Pid) -> Option<ProcessInfo> {
        let p = self.procs.get(pid.index())?;
        Some(ProcessInfo {
            // Not `to_string()`: on a shared string that goes through `Display`.
            name: String::from(&*p.name),
            priority: p.base_priority,
            uid: p.uid,
            gid: p.gid,
            daemon: p.daemon,
            parent: p.parent,
        })
    }

    /// How a process ended, if it has.
    pub fn ending(&self, pid: Pid) -> Option<Ending> {
        match self.procs.get(pid.index())?.state {
            State::Ended(e) => Some(e),
            _ => None,
        }
    }

    /// What a blocked process waits for: (kind, object, deadline).
    pub fn waiting_on(&self, pid: Pid) -> Option<(crate::WaitKind, Option<ObjId>, Option<Time>)> {
        let b = self.procs.get(pid.index())?.blocked()?;
        Some((b.wait.kind(), b.obj, b.deadline))
    }

    /// CPU ticks the process has consumed: its computes and the cost model's
    /// charges (system calls, switches, copies, polls). Blocking and sleeping cost none.
    pub fn cpu_time(&self, pid: Pid) -> u64 {
        self.procs.get(pid.index()).map_or(0, |p| p.cpu)
    }

    /// Whether the process is stopped (SIGSTOP).
    pub fn is_stopped(&self, pid: Pid) -> bool {
        self.procs.get(pid.index()).is_some_and(|p| p.stopped)
    }

    /// An object's label.
    pub fn object_label(&self, obj: ObjId) -> &str {
        match self.objs.get(obj.0) {
            Some(o) => &o.label,
            None => self.gone_labels.get(&obj).map_or("?", |l| l),
        }
    }

    /// An object's kind.
    pub fn object_kind(&self, obj: ObjId) -> Option<ObjectKind> {
        self.objs.get(obj.0).map(|o| o.kind)
    }

    /// The host a live object belongs to.
    pub fn object_host(&self, obj: ObjId) -> Option<crate::HostId> {
        self.objs.get(obj.0).map(|o| o.host)
    }

    /// The object and rights behind a capability held by `pid`.
    pub fn cap_info(&self, pid: Pid, cap: CapId) -> Option<(ObjId, ObjectKind, Rights, u64)> {
        let n = self.caps.get(cap.0)?;
        if n.owner != Some(pid) {
            return None;
        }
        let kind = self.objs.get(n.obj.0)?.kind;
        Some((n.obj, kind, n.rights, n.badge))
    }

    /// Timers in the timer queue, stale ones included (they are swept out
    /// once they outnumber the processes: the queue stays O(processes)).
    pub fn timers_queued(&self) -> usize {
        self.timers.len()
    }

    /// Every capability a process holds now, in no promised order (a
    /// deletion moves the last one into its place).
    pub fn held_caps(&self, pid: Pid) -> &[CapId] {
        self.procs.get(pid.index()).map_or(&[], |p| &p.caps)
    }

    /// The capabilities a process was given by [`Kernel::grant`] or at its
    /// spawn (the program's grants, then the shared copies), in that order,
    /// by id: a name bound to one designates that capability or, once it is
    /// deleted or revoked, nothing (`InvalidCap`), never another one.
    pub fn boot_caps(&self, pid: Pid) -> &[CapId] {
        self.procs.get(pid.index()).map_or(&[], |p| &p.boot_caps)
    }

    /// Events recorded in all.
    pub fn log_total(&self) -> u64 {
        self.log.total()
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The event log.
    pub fn log(&mut self) -> &mut EventLog {
        &mut self.log
    }

    /// Events recorded and not yet drained (see [`EventLog::pending`]).
    pub fn pending_events(&mut self) -> &[Event] {
        self.log.pending()
    }

    /// The pending events already settled (see [`EventLog::settled`]): for a
    /// reader that holds the kernel shared, after `log().settle()`.
    pub fn settled_events(&self) -> &[Event] {
        self.log.settled()
    }

    /// Deadlocks detected so far.
    pub fn deadlocks(&self) -> &[DeadlockReport] {
        &self.deadlocks
    }

    /// The configuration.
    pub fn config(&self) -> &KernelConfig {
        &self.cfg
    }

    /// Contents of a file of the simulated file system.
    pub fn file_contents(&self, path: &str) -> Option<&[u8]> {
        self.file_contents_on(crate::HostId::LOCAL, path)
    }

    /// The contents of the file at `path` on host `host`.
    pub fn file_contents_on(&self, host: crate::HostId, path: &str) -> Option<&[u8]> {
        match self.fs.get(&(host, path.to_string()))? {
            FsNode::File(id) => match &self.objs.get(id.0)?.body {
                crate::object::Body::File { contents } => Some(contents),
                _ => None,
            },
            FsNode::Fifo(_) | FsNode::Socket { .. } => None,
        }
    }

    /// Semaphore units a process holds (taken and not posted), per semaphore.
    pub fn sem_held(&self, pid: Pid) -> Vec<(ObjId, u64)> {
        self.procs
            .get(pid.index())
            .map(|p| p.sem_held.clone())
            .unwrap_or_default()
    }

    /// Records a user-level line (`print`); not a system call.
    pub fn note(&mut self, pid: Pid, text: String) {
        self.record(pid, || EventKind::Print { text });
    }

    // ----- helpers ------------------------------------------------------------------------

    pub(crate) fn proc_live(&self, pid: Pid) -> KResult<&Process> {
        match self.procs.get(pid.index()) {
            Some(p) if !p.is_ended() => Ok(p),
            _ => Err(Error::NotFound),
        }
    }

    /// Records an event; `kind` is only built when someone listens (the log, or
    /// a `tracing` subscriber at TRACE), so an unobserved run pays one branch.
    ///
    /// A `tracing` subscriber installed while the kernel runs is noticed at the
    /// next system call or scheduling decision.
    #[inline(always)]
    pub(crate) fn record(&mut self, pid: Pid, kind: impl FnOnce() -> EventKind) {
        // Always inlined so that, with nobody listening, an event costs one
        // flag test at its call site and its kind is never built.
        if self.observed {
            self.log_event(pid, kind);
        }
    }

    /// [`Kernel::record`] for a fast path, which comes in two copies: with
    /// `MAYBE` false its caller knows nobody observes and every event site
    /// vanishes; with `MAYBE` true the event is stored inline (see `emit`).
    #[inline(always)]
    pub(crate) fn record_if<const MAYBE: bool>(&mut self, pid: Pid, kind: impl FnOnce() -> EventKind) {
        if MAYBE && self.observed {
            self.emit(pid, kind);
        }
    }

    /// A fast path's entry, recorded event by event (when the `tracing`
    /// mirror listens, or the log is off).
    #[cold]
    #[inline(never)]
    pub(crate) fn record_each(&mut self, entry: Entry) {
        let mut events = Vec::with_capacity(4);
        entry.expand(0, &mut events);
        for e in events {
            self.emit(e.pid, || e.kind);
        }
    }

    /// Out of line, but one copy per call site (most sites are on slow paths,
    /// where the code size of an inlined `emit` would cost the unobserved run).
    #[inline(never)]
    fn log_event(&mut self, pid: Pid, kind: impl FnOnce() -> EventKind) {
        self.emit(pid, kind);
    }

    /// Stores an event, mirrors it. Where this is inlined the event's kind is
    /// known, so only its fields are stored, straight into the buffer's slot,
    /// and whether it owns heap memory folds to a constant. (Out of line, a
    /// call's register saving and argument moves cost as much as the stores.)
    #[inline(always)]
    fn emit(&mut self, pid: Pid, kind: impl FnOnce() -> EventKind) {
        if !self.log.enabled {
            self.mirror(pid, &kind());
            return;
        }
        let time = self.now;
        if self.mirroring {
            let kind = kind();
            self.mirror(pid, &kind);
            self.log.push_with(|| Entry::One { time, pid, kind });
        } else {
            self.log.push_with(|| Entry::One {
                time,
                pid,
                kind: kind(),
            });
        }
    }

    /// Looks up whether anyone listens to events now (see `observed`).
    #[inline]
    pub(crate) fn refresh_observed(&mut self) {
        self.mirroring = tracing::level_enabled!(tracing::Level::TRACE);
        self.observed = self.log.enabled || self.mirroring;
    }

    /// Mirrors an event as a `tracing` event (when TRACE is on for the kernel's target).
    #[cold]
    #[inline(never)]
    fn mirror(&self, pid: Pid, kind: &EventKind) {
        if tracing::enabled!(target: "ipcsim::kernel", tracing::Level::TRACE) {
            tracing::trace!(target: "ipcsim::kernel", time = self.now, pid = pid.0, event = ?kind);
        }
    }

    pub(crate) fn copies(&self) -> u8 {
        if self.cfg.copy_remap {
            1
        } else {
            2
        }
    }

    /// Charges the cost of copying `bytes` to the running process.
    pub(crate) fn charge_copy(&mut self, pid: Pid, bytes: usize, copies: u8) {
        let per = self.cfg.costs.copy_per_byte_ticks;
        if per > 0 {
            // Costs come from the scenario: saturate rather than overflow.
            let ticks = per.saturating_mul(bytes as u64).saturating_mul(u64::from(copies));
            let p = &mut self.procs[pid.index()];
            p.compute_left = p.compute_left.saturating_add(ticks);
        }
    }

    pub(crate) fn next_nonce(&mut self) -> u64 {
        self.nonce += 1;
        self.nonce
    }
}

/// Identity of a process, for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Name.
    pub name: String,
    /// Base priority.
    pub priority: i64,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Daemon.
    pub daemon: bool,
    /// Spawner.
    pub parent: Option<Pid>,
}

/// Owner and mode of an object created by a process.
pub(crate) fn perm_for(p: &Process, mode: u32) -> IpcPerm {
    IpcPerm {
        uid: p.uid,
        gid: p.gid,
        mode: mode & 0o777,
    }
}
