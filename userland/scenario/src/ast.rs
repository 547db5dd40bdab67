//! The syntax tree of a scenario file.
//!
//! Names of variables carry a slot number that the checker fills in, so the
//! interpreter indexes a process's variables instead of looking names up.

use std::cell::Cell;

use ipcsim_kernel::{Error, ObjectKind, ObjectOptions, Rights, Signal};

use crate::diag::Span;

/// A name as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// A variable reference, resolved to a slot of its process by the checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    /// The name.
    pub name: String,
    /// Where.
    pub span: Span,
    /// The process-local slot (set by the checker).
    pub slot: Cell<u32>,
}

impl Var {
    /// An unresolved variable.
    pub fn new(name: String, span: Span) -> Self {
        Var {
            name,
            span,
            slot: Cell::new(u32::MAX),
        }
    }
}

/// A whole scenario.
#[derive(Clone, Debug, Default)]
pub struct Scenario {
    /// Declared objects, in order.
    pub objects: Vec<ObjectDecl>,
    /// `config` lines.
    pub config: Config,
    /// Processes and programs, in order.
    pub procs: Vec<ProcDecl>,
    /// Scenario-level expectations.
    pub expects: Vec<TopExpect>,
    /// Some process registers or looks up a name, so a run starts the naming
    /// service (set by the checker, read by every run).
    pub uses_names: bool,
    /// Hosts other than `local` (`host NAME { ... }`), in declaration order:
    /// host i+1 of the kernel is `hosts[i]`.
    pub hosts: Vec<Ident>,
    /// `link A B [latency T] [loss P]`.
    pub links: Vec<LinkDecl>,
    /// `partition A B from T [until T2]`.
    pub partitions: Vec<PartitionDecl>,
    /// `hosts` by name, for [`Scenario::add_host`]'s hosts (a name looked up
    /// at every `connect` and `sendto`, and once per link and process at
    /// boot, must not cost a walk of 1,000 hosts).
    pub(crate) host_by_name: std::collections::BTreeMap<String, usize>,
}

impl Scenario {
    /// The host index of a name (0 is `local`).
    pub fn host_index(&self, name: &str) -> Option<usize> {
        if name == "local" {
            return Some(0);
        }
        if let Some(&i) = self.host_by_name.get(name) {
            return Some(i);
        }
        // A host pushed onto `hosts` directly is not in the index.
        self.hosts.iter().position(|h| h.name == name).map(|i| i + 1)
    }

    /// Declares host `name` (not `local`, not already declared); its index.
    pub fn add_host(&mut self, name: Ident) -> usize {
        self.host_by_name.insert(name.name.clone(), self.hosts.len() + 1);
        self.hosts.push(name);
        self.hosts.len()
    }

    /// A host's name by index.
    pub fn host_name(&self, i: usize) -> &str {
        if i == 0 {
            "local"
        } else {
            self.hosts.get(i - 1).map_or("?", |h| h.name.as_str())
        }
    }
}

/// `link A B [latency T] [loss P]`.
#[derive(Clone, Debug)]
pub struct LinkDecl {
    /// The two hosts.
    pub a: Ident,
    /// The other.
    pub b: Ident,
    /// Ticks (at least 1; default 1).
    pub latency: u64,
    /// Percent of datagrams lost (0..=100).
    pub loss: u8,
}

/// `partition A B from T [until T2]`.
#[derive(Clone, Debug)]
pub struct PartitionDecl {
    /// The two hosts.
    pub a: Ident,
    /// The other.
    pub b: Ident,
    /// From.
    pub from: u64,
    /// Until (None: for ever).
    pub until: Option<u64>,
}

/// `config` settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// `config seed N`.
    pub seed: Option<u64>,
    /// `config max_time T`.
    pub max_time: Option<u64>,
    /// `config priority_inheritance on`.
    pub priority_inheritance: bool,
    /// `config cost ...`.
    pub costs: ipcsim_kernel::Costs,
    /// `config copy remap`.
    pub copy_remap: bool,
    /// `config msgmax N`: Linux's `kernel.msgmax` sysctl, the largest System V message.
    pub msgmax: Option<u64>,
}

/// An object declaration.
#[derive(Clone, Debug)]
pub struct ObjectDecl {
    /// Its name.
    pub name: Ident,
    /// Its host (0: `local`).
    pub host: usize,
    /// Its kind.
    pub kind: ObjectKind,
    /// Its options.
    pub opts: ObjectOptions,
}

/// A capability in `caps(...)`.
#[derive(Clone, Debug)]
pub struct CapDecl {
    /// The object.
    pub object: Ident,
    /// Rights (resolved; `all` becomes every right of the kind).
    pub rights: Rights,
    /// Whether `all` was written.
    pub all: bool,
    /// The right words as written, with spans (checked against the kind).
    pub words: Vec<Ident>,
    /// Badge.
    pub badge: u64,
    /// Local name.
    pub local: Ident,
}

/// A process or program.
#[derive(Clone, Debug)]
pub struct ProcDecl {
    /// Its name.
    pub name: Ident,
    /// Its host (0: `local`); a program is spawned on its spawner's.
    pub host: usize,
    /// A `program` (started only by `spawn`).
    pub program: bool,
    /// Priority.
    pub priority: i64,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Daemon.
    pub daemon: bool,
    /// Capabilities.
    pub caps: Vec<CapDecl>,
    /// Body.
    pub body: Vec<Stmt>,
    /// Slot names (filled by the checker): slot i is the variable `slots[i]`.
    pub slots: Vec<String>,
}

/// What a scenario-level `expect` says of a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcExpect {
    /// `exited`.
    Exited,
    /// `failed [ERROR]`.
    Failed(Option<Error>),
    /// `blocked`.
    Blocked,
    /// `killed [SIGNAL]`.
    Killed(Option<Signal>),
}

/// A scenario-level expectation.
#[derive(Clone, Debug)]
pub enum TopExpect {
    /// `expect NAME ...`.
    Proc {
        /// The process (a name, or a quoted instance name).
        name: Ident,
        /// What.
        what: ProcExpect,
        /// Where.
        span: Span,
    },
    /// `expect deadlock` (true) or `expect no deadlock` (false).
    Deadlock(bool, Span),
    /// `expect file NAME == VALUE`.
    File {
        /// The file.
        name: Ident,
        /// The value.
        value: Expr,
        /// Where.
        span: Span,
    },
    /// `expect now OP T`: the virtual time at which the run ended.
    Now {
        /// The comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`).
        op: BinOp,
        /// The time compared with.
        time: u64,
        /// Where.
        span: Span,
    },
    /// `expect [no] trace [PROC] "TEXT" [at T]`: a trace fact.
    Trace(TraceFact),
}

/// A trace fact (`expect trace client "times out" at 15`): some event (of
/// `proc`, if named) whose words in the text trace contain `text` (at time
/// `at`, if given); negated, no such event.
#[derive(Clone, Debug)]
pub struct TraceFact {
    /// `expect no trace ...`.
    pub negated: bool,
    /// The process whose events are searched; every process's if `None`.
    pub proc: Option<Ident>,
    /// What the event's words must contain.
    pub text: String,
    /// The virtual time the event must have.
    pub at: Option<u64>,
    /// Where.
    pub span: Span,
}

impl TraceFact {
    /// The fact as a scenario would write it (`trace client "times out" at 15`).
    pub fn describe(&self) -> String {
        let mut s = String::from(if self.negated { "no trace" } else { "trace" });
        if let Some(p) = &self.proc {
            s.push(' ');
            s.push_str(&p.name);
        }
        s.push_str(&format!(" {:?}", self.text));
        if let Some(t) = self.at {
            s.push_str(&format!(" at {t}"));
        }
        s
    }
}

/// A statement.
#[derive(Clone, Debug)]
pub struct Stmt {
    /// What.
    pub kind: StmtKind,
    /// Where.
    pub span: Span,
}

/// Statements. An explicit tag (no niche in a field) makes the statement
/// loop's dispatch one load and a jump.
#[derive(Clone, Debug)]
#[repr(u8)]
pub enum StmtKind {
    /// An operation that reaches the kernel (or the naming service).
    Op(Box<Op>),
    /// `let VAR = EXPR`.
    Let(Var, Expr),
    /// `if EXPR { } else { }`.
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `repeat N { }`.
    Repeat(Expr, Vec<Stmt>),
    /// `loop { }`.
    Loop(Vec<Stmt>),
    /// `break`.
    Break,
    /// `exit`.
    Exit,
    /// `expect EXPR` (with its source text).
    Expect(Expr, String),
    /// `print EXPR, ...`.
    Print(Vec<Expr>),
    /// `try STATEMENT`.
    Try(Box<Stmt>),
    /// `on SIGNAL { }`.
    On(Signal, ipcsim_kernel::SaFlags, Vec<Stmt>),
}

/// An operation with its options.
#[derive(Clone, Debug)]
pub struct Op {
    /// Which.
    pub kind: OpKind,
    /// `timeout T`.
    pub timeout: Option<Expr>,
    /// `nowait`.
    pub nowait: bool,
    /// `type N`.
    pub mtype: Option<Expr>,
    /// `with CAP`.
    pub with: Option<Expr>,
    /// `-> VAR`.
    pub bind: Option<Var>,
}

/// The target of `kill`.
#[derive(Clone, Debug)]
pub enum Target {
    /// A process name, or a variable holding a pid.
    Name(Var),
    /// A quoted instance name (`"worker#2"`).
    Str(String, Span),
}

/// Operations.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum OpKind {
    Send {
        cap: Expr,
        value: Expr,
    },
    Recv {
        cap: Expr,
    },
    Call {
        cap: Expr,
        value: Expr,
    },
    Reply {
        value: Expr,
    },
    ReplyRecv {
        cap: Expr,
        value: Expr,
    },
    Signal {
        cap: Expr,
        bits: Expr,
    },
    Wait {
        cap: Expr,
    },
    MsgGet {
        key: Expr,
        create: bool,
        exclusive: bool,
        mode: Option<Expr>,
    },
    MsgSnd {
        cap: Expr,
        mtype: Expr,
        value: Expr,
    },
    MsgRcv {
        cap: Expr,
        mtype: Expr,
        /// `size N`: the receive buffer's bytes (Linux's msgsz).
        size: Option<Expr>,
        /// `noerror` (MSG_NOERROR): a longer message is taken, cut.
        noerror: bool,
        /// `except` (MSG_EXCEPT): with a type > 0, any other type.
        except: bool,
    },
    MsgStat {
        cap: Expr,
    },
    /// `msgctl CAP set [bytes N] [mode M]` (IPC_SET).
    MsgSet {
        cap: Expr,
        bytes: Option<Expr>,
        mode: Option<Expr>,
    },
    MsgRemove {
        cap: Expr,
    },
    Mkfifo {
        path: Expr,
        mode: Option<Expr>,
    },
    Open {
        path: Expr,
        write: bool,
    },
    Write {
        cap: Expr,
        value: Expr,
    },
    Read {
        cap: Expr,
        n: Expr,
    },
    Close {
        cap: Expr,
    },
    Destroy {
        cap: Expr,
    },
    SemGet {
        key: Expr,
        create: bool,
        exclusive: bool,
        value: Option<Expr>,
        /// **(ipcsim extension, as `semget`'s nsems)** semaphores in the set.
        count: Option<Expr>,
        mode: Option<Expr>,
    },
    /// `semop CAP NUM:OP ... [undo]`: applied together, or waited for.
    SemOp {
        cap: Expr,
        /// (semaphore, operation) pairs, in order.
        ops: Vec<(Expr, Expr)>,
        /// `undo` (SEM_UNDO on every operation).
        undo: bool,
    },
    /// `semctl CAP getval|setval|getncnt|getzcnt [N] [VALUE]` or `semctl CAP remove`.
    SemCtl {
        cap: Expr,
        cmd: SemCtlCmd,
        /// Which semaphore (default 0).
        num: Option<Expr>,
        /// `setval`'s value.
        value: Option<Expr>,
    },
    SemWait {
        cap: Expr,
    },
    SemPost {
        cap: Expr,
    },
    Derive {
        cap: Expr,
        rights: Option<(Rights, Vec<Ident>, bool)>,
        badge: Option<Expr>,
    },
    Revoke {
        cap: Expr,
    },
    Delete {
        cap: Expr,
    },
    Register {
        name: Expr,
        cap: Expr,
        allow: Option<Vec<Ident>>,
    },
    Lookup {
        name: Expr,
    },
    Spawn {
        program: Ident,
        as_name: Option<String>,
        share: Vec<Expr>,
        inherit: bool,
    },
    WaitChild,
    Kill {
        target: Target,
        signal: Signal,
    },
    Watch {
        target: Target,
        cap: Expr,
        bits: Expr,
    },
    Ignore(Signal),
    Default(Signal),
    Block(Signal),
    Unblock(Signal),
    /// `sigpending SIGNAL -> VAR`: whether SIGNAL waits, blocked.
    SigPending(Signal),
    ShmGet {
        key: Expr,
        size: Expr,
        create: bool,
        exclusive: bool,
        mode: Option<Expr>,
    },
    ShmAt {
        cap: Expr,
        readonly: bool,
    },
    ShmDt {
        cap: Expr,
    },
    ShmRemove {
        cap: Expr,
    },
    Store {
        cap: Expr,
        offset: Expr,
        value: Expr,
    },
    /// `load CAP OFFSET LEN` (bytes, a string) or `load CAP OFFSET int` (8 bytes as an integer).
    Load {
        cap: Expr,
        offset: Expr,
        /// None: `int`.
        len: Option<Expr>,
    },
    Poke {
        addr: Expr,
        value: Expr,
    },
    /// `peek ADDR LEN` or `peek ADDR int`.
    Peek {
        addr: Expr,
        /// None: `int`.
        len: Option<Expr>,
    },
    Mmap {
        file: Expr,
        shared: bool,
    },
    Msync {
        cap: Expr,
    },
    Munmap {
        cap: Expr,
    },
    Sleep {
        t: Expr,
    },
    Compute {
        t: Expr,
    },
    Yield,
    /// A socket statement.
    Net(NetOp),
}

impl OpKind {
    /// The statement keyword.
    pub fn keyword(&self) -> &'static str {
        match self {
            OpKind::Send { .. } => "send",
            OpKind::Recv { .. } => "recv",
            OpKind::Call { .. } => "call",
            OpKind::Reply { .. } => "reply",
            OpKind::ReplyRecv { .. } => "reply_recv",
            OpKind::Signal { .. } => "signal",
            OpKind::Wait { .. } => "wait",
            OpKind::MsgGet { .. } => "msgget",
            OpKind::MsgSnd { .. } => "msgsnd",
            OpKind::MsgRcv { .. } => "msgrcv",
            OpKind::MsgStat { .. } | OpKind::MsgSet { .. } | OpKind::MsgRemove { .. } => "msgctl",
            OpKind::Mkfifo { .. } => "mkfifo",
            OpKind::Open { .. } => "open",
            OpKind::Write { .. } => "write",
            OpKind::Read { .. } => "read",
            OpKind::Close { .. } => "close",
            OpKind::Destroy { .. } => "destroy",
            OpKind::SemGet { .. } => "semget",
            OpKind::SemWait { .. } => "sem_wait",
            OpKind::SemPost { .. } => "sem_post",
            OpKind::SemOp { .. } => "semop",
            OpKind::SemCtl { .. } => "semctl",
            OpKind::Derive { .. } => "derive",
            OpKind::Revoke { .. } => "revoke",
            OpKind::Delete { .. } => "delete",
            OpKind::Register { .. } => "register",
            OpKind::Lookup { .. } => "lookup",
            OpKind::Spawn { .. } => "spawn",
            OpKind::WaitChild => "wait_child",
            OpKind::Kill { .. } => "kill",
            OpKind::Watch { .. } => "watch",
            OpKind::Ignore(_) => "ignore",
            OpKind::Default(_) => "default",
            OpKind::Block(_) => "block",
            OpKind::SigPending(_) => "sigpending",
            OpKind::Unblock(_) => "unblock",
            OpKind::ShmGet { .. } => "shmget",
            OpKind::ShmAt { .. } => "shmat",
            OpKind::ShmDt { .. } => "shmdt",
            OpKind::ShmRemove { .. } => "shmctl",
            OpKind::Store { .. } => "store",
            OpKind::Load { .. } => "load",
            OpKind::Poke { .. } => "poke",
            OpKind::Peek { .. } => "peek",
            OpKind::Mmap { .. } => "mmap",
            OpKind::Msync { .. } => "msync",
            OpKind::Munmap { .. } => "munmap",
            OpKind::Sleep { .. } => "sleep",
            OpKind::Compute { .. } => "compute",
            OpKind::Net(n) => n.keyword(),
            OpKind::Yield => "yield",
        }
    }

    /// Whether the operation can block (and so takes `timeout`/`nowait`).
    pub fn can_block(&self) -> bool {
        matches!(
            self,
            OpKind::Send { .. }
                | OpKind::Recv { .. }
                | OpKind::Call { .. }
                | OpKind::ReplyRecv { .. }
                | OpKind::Wait { .. }
                | OpKind::MsgSnd { .. }
                | OpKind::MsgRcv { .. }
                | OpKind::Open { .. }
                | OpKind::Write { .. }
                | OpKind::Read { .. }
                | OpKind::SemWait { .. }
                | OpKind::SemOp { .. }
                | OpKind::Lookup { .. }
                | OpKind::WaitChild
                | OpKind::Net(NetOp::Accept { .. } | NetOp::Connect { .. } | NetOp::RecvFrom { .. })
        )
    }
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

/// Expressions.
#[derive(Clone, Debug)]
pub enum Expr {
    /// Integer literal.
    Int(i64, Span),
    /// String literal.
    Str(String, Span),
    /// `true` / `false`.
    Bool(bool, Span),
    /// `now`.
    Now(Span),
    /// A variable or capability name.
    Var(Var),
    /// `X.field`.
    Field(Box<Expr>, Ident),
    /// `-X`.
    Neg(Box<Expr>, Span),
    /// `not X`.
    Not(Box<Expr>, Span),
    /// `X op Y`.
    Bin(BinOp, Box<Expr>, Box<Expr>, Span),
    /// `X is ok` (None) or `X is ERROR`.
    Is(Box<Expr>, Option<Error>, Span),
    /// **(ipcsim)** A built-in function: `contains(S, T)`, `field(S, SEP, N)`, ...
    Call(Builtin, Vec<Expr>, Span),
}

/// What a `semctl` asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemCtlCmd {
    /// `getval`.
    GetVal,
    /// `setval`.
    SetVal,
    /// `getncnt`.
    GetNcnt,
    /// `getzcnt`.
    GetZcnt,
    /// `remove` (IPC_RMID).
    Remove,
}

/// The built-in functions of strings and integers (an ipcsim extension):
/// what a pipeline or a parser in a homework needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `contains(S, T)`: whether T occurs in S.
    Contains,
    /// `field(S, SEP, N)`: the Nth (from 1) piece of S split at SEP, `""` past the last.
    Field,
    /// `fields(S, SEP)`: how many pieces S splits into at SEP (0 for `""`).
    Fields,
    /// `trim(S)`: S without leading and trailing spaces, tabs and newlines.
    Trim,
    /// `str(X)`: an integer or boolean as a string (a string as itself).
    Str,
    /// `int(S)`: a string of decimal digits (optional sign, spaces trimmed) as an integer.
    Int,
}

impl Builtin {
    /// Every built-in, for error messages.
    pub const ALL: [Builtin; 6] = [
        Builtin::Contains,
        Builtin::Field,
        Builtin::Fields,
        Builtin::Trim,
        Builtin::Str,
        Builtin::Int,
    ];

    /// The built-in of this name.
    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Contains => "contains",
            Builtin::Field => "field",
            Builtin::Fields => "fields",
            Builtin::Trim => "trim",
            Builtin::Str => "str",
            Builtin::Int => "int",
        }
    }

    /// Its arguments, as its error messages name them.
    pub fn params(self) -> &'static [&'static str] {
        match self {
            Builtin::Contains => &["TEXT", "PART"],
            Builtin::Field => &["TEXT", "SEPARATOR", "N"],
            Builtin::Fields => &["TEXT", "SEPARATOR"],
            Builtin::Trim | Builtin::Int => &["TEXT"],
            Builtin::Str => &["VALUE"],
        }
    }
}

impl Expr {
    /// Where the expression starts.
    pub fn span(&self) -> Span {
        match self {
            Expr::Int(_, s) | Expr::Str(_, s) | Expr::Bool(_, s) | Expr::Now(s) => *s,
            Expr::Var(v) => v.span,
            Expr::Field(e, _) => e.span(),
            Expr::Neg(_, s) | Expr::Not(_, s) | Expr::Bin(_, _, _, s) | Expr::Is(_, _, s) | Expr::Call(_, _, s) => *s,
        }
    }
}

/// A HOST operand: a bare host name (checked before the run), or an
/// expression giving a host-name string (looked up when it runs).
#[derive(Clone, Debug)]
pub enum HostRef {
    /// A bare name.
    Name(Ident),
    /// A field or parenthesised expression.
    Expr(Expr),
}

/// Where a `connect` or `sendto` goes.
#[derive(Clone, Debug)]
pub enum Dest {
    /// HOST PORT.
    Inet(HostRef, Expr),
    /// "PATH" (unix).
    Path(Expr),
}

/// The socket statements (the sockets extension).
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum NetOp {
    Socket {
        stream: bool,
        unix: bool,
    },
    /// `socketpair stream -> A B`: A is the op's bind, B this.
    SocketPair {
        second: Option<Var>,
    },
    /// `bind CAP PORT` or `bind CAP "PATH" [mode M]`: a string is a path.
    Bind {
        cap: Expr,
        addr: Expr,
        mode: Option<Expr>,
    },
    Listen {
        cap: Expr,
        backlog: Option<Expr>,
    },
    Accept {
        cap: Expr,
    },
    Connect {
        cap: Expr,
        to: Dest,
    },
    Shutdown {
        cap: Expr,
    },
    SendTo {
        cap: Expr,
        to: Dest,
        value: Expr,
    },
    RecvFrom {
        cap: Expr,
    },
    Unlink {
        path: Expr,
    },
}

impl NetOp {
    /// The socket capability it uses, if any.
    pub fn cap(&self) -> Option<&Expr> {
        match self {
            NetOp::Bind { cap, .. }
            | NetOp::Listen { cap, .. }
            | NetOp::Accept { cap }
            | NetOp::Connect { cap, .. }
            | NetOp::Shutdown { cap }
            | NetOp::SendTo { cap, .. }
            | NetOp::RecvFrom { cap } => Some(cap),
            NetOp::Socket { .. } | NetOp::SocketPair { .. } | NetOp::Unlink { .. } => None,
        }
    }

    /// The statement keyword.
    pub fn keyword(&self) -> &'static str {
        match self {
            NetOp::Socket { .. } => "socket",
            NetOp::SocketPair { .. } => "socketpair",
            NetOp::Bind { .. } => "bind",
            NetOp::Listen { .. } => "listen",
            NetOp::Accept { .. } => "accept",
            NetOp::Connect { .. } => "connect",
            NetOp::Shutdown { .. } => "shutdown",
            NetOp::SendTo { .. } => "sendto",
            NetOp::RecvFrom { .. } => "recvfrom",
            NetOp::Unlink { .. } => "unlink",
        }
    }

    /// Every expression it evaluates, in order.
    pub fn exprs(&self) -> Vec<&Expr> {
        fn dest(d: &Dest) -> Vec<&Expr> {
            match d {
                Dest::Inet(HostRef::Expr(h), p) => vec![h, p],
                Dest::Inet(HostRef::Name(_), p) => vec![p],
                Dest::Path(p) => vec![p],
            }
        }
        let mut v: Vec<&Expr> = self.cap().into_iter().collect();
        match self {
            NetOp::Bind { addr, mode, .. } => {
                v.push(addr);
                v.extend(mode.iter());
            }
            NetOp::Listen { backlog, .. } => v.extend(backlog.iter()),
            NetOp::Connect { to, .. } => v.extend(dest(to)),
            NetOp::SendTo { to, value, .. } => {
                v.extend(dest(to));
                v.push(value);
            }
            NetOp::Unlink { path } => v.push(path),
            _ => {}
        }
        v
    }

    /// The bare host names it names (checked before the run).
    pub fn host_names(&self) -> Vec<&Ident> {
        match self {
            NetOp::Connect {
                to: Dest::Inet(HostRef::Name(h), _),
                ..
            }
            | NetOp::SendTo {
                to: Dest::Inet(HostRef::Name(h), _),
                ..
            } => vec![h],
            _ => Vec::new(),
        }
    }
}
