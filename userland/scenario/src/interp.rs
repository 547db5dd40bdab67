//! The interpreter: each scenario process is one async process over the
//! runtime, running its statements with an explicit frame stack (no recursion,
//! so no allocation per statement). Signal handlers run after the system call
//! during which they arrived completes, before its result is used.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use ipcsim_kernel::{
    CapId, Data, Disposition, Error, GetFlags, Message, ObjId, ObjectKind, ProcessSpec, Ret, Rights, Signal, Syscall,
    Timeout,
};
use ipcsim_runtime::{ProcResult, Sys};

use crate::ast::*;
use crate::diag::Span;
use crate::limits::STRING_VALUE_BYTES_MAX;
use crate::names;
use crate::value::Value;

mod builtin;
mod net;
mod sem;

/// What every interpreted process shares: the scenario and the boot-time tables.
pub(crate) struct World {
    /// Shared, so explorers run one checked scenario many times without copying it.
    pub sc: std::rc::Rc<Scenario>,
    /// The kernel object of each declared object, in declaration order
    /// (None if the kernel refused to create it).
    pub objects: Vec<Option<ObjId>>,
    pub spawn_counts: RefCell<BTreeMap<String, u32>>,
    /// Each host's naming service endpoint, if the scenario uses one.
    pub names_eps: Vec<Option<ObjId>>,
    /// Program of each spawned instance (for the naming service's `allow` lists).
    pub instances: RefCell<BTreeMap<ipcsim_kernel::Pid, String>>,
    pub file: String,
}

impl World {
    /// The naming service endpoint of host `h`, if it has one.
    pub fn names_ep_on(&self, h: usize) -> Option<ObjId> {
        self.names_eps.get(h).copied().flatten()
    }

    /// The declaration of the process or program called `name`. A search
    /// rather than a map built per run: it is asked only when spawning.
    pub fn proc_index(&self, name: &str) -> Option<usize> {
        self.sc.procs.iter().position(|p| p.name.name == name)
    }

    /// The kernel object declared as `name`.
    pub fn object(&self, name: &str) -> Option<ObjId> {
        let i = self.sc.objects.iter().position(|o| o.name.name == name)?;
        self.objects.get(i).copied().flatten()
    }

    /// The object a `caps(...)` entry names and the rights it gives (`all`:
    /// every right of the object's kind); None if the object does not exist.
    pub fn declared_cap(&self, c: &CapDecl, k: &ipcsim_kernel::Kernel) -> Option<(ObjId, Rights)> {
        let obj = self.object(&c.object.name)?;
        let rights = if c.all { k.object_kind(obj)?.rights() } else { c.rights };
        Some((obj, rights))
    }
}

/// Why a process stops running its statements.
enum Stop {
    Exit,
    Fail(Error),
}

type Flow = Result<(), Stop>;

enum FrameKind {
    Block,
    Loop,
    Repeat(u64),
}

struct Frame<'w> {
    stmts: &'w [Stmt],
    pc: usize,
    kind: FrameKind,
}

struct Interp<'w> {
    sys: Sys,
    w: &'w World,
    rc: Rc<World>,
    vars: Vec<Value>,
    handlers: Vec<(Signal, &'w [Stmt])>,
    /// Capability to the naming service's endpoint, once looked up.
    names_cap: Option<CapId>,
    /// Statements run since the last system call (see [`SPIN_STATEMENTS_MAX`]).
    spin: u64,
    /// Operations completed since the process last left the CPU (or paused).
    inline_ops: u32,
}

/// Statements a process may run without a system call before it is failed with
/// `LimitReached`: such a loop never lets the kernel schedule anyone else, and
/// virtual time cannot move, so the run would otherwise never end.
pub(crate) const SPIN_STATEMENTS_MAX: u64 = 1_000_000;

/// Operations a process may complete in a row without leaving the CPU
/// before it gives the executor a step ([`ipcsim_runtime::Sys::pause`]).
const INLINE_OPS_MAX: u32 = 4096;

/// The body of process `index` of the scenario; `passed` names the capabilities
/// a spawner passed (they follow the program's own in the child's table).
pub(crate) fn body(
    w: Rc<World>,
    index: usize,
    passed: Vec<String>,
) -> impl FnOnce(Sys) -> Pin<Box<dyn Future<Output = ProcResult>>> {
    move |sys: Sys| {
        Box::pin(async move {
            let decl = &w.sc.procs[index];
            let mut it = Interp {
                sys,
                w: &w,
                rc: w.clone(),
                vars: vec![Value::Unit; decl.slots.len()],
                handlers: Vec::new(),
                names_cap: None,
                spin: 0,
                inline_ops: 0,
            };
            it.bind_boot_caps(decl, &passed);
            match it.run_block(&decl.body).await {
                Ok(()) | Err(Stop::Exit) => Ok(()),
                Err(Stop::Fail(e)) => Err(e),
            }
        })
    }
}

fn slot_of(decl: &ProcDecl, name: &str) -> Option<usize> {
    decl.slots.iter().position(|n| n == name)
}

/// An operation as a statement, in the async function that runs it: build
/// the call and submit it without a future of its own (most calls complete at
/// once; [`Interp::op_now`], a plain function, does that part), await only
/// when the process was switched out, run the handlers of signals that
/// arrived, then bind the result (or, under `try`, the error).
/// A macro rather than an `async fn` so the statement loop builds no future
/// per operation (an `async fn` here costs 6-10% per step, callgrind);
/// `exec` (plain operations) and `simple` (under `try`) expand the one text.
macro_rules! op_statement {
    ($self:ident, $op:expr, $tried:expr) => {{
        let op = $op;
        // Again only when a handler set with `restart` (SA_RESTART) ran
        // after the call was interrupted, and the call is one Linux restarts.
        loop {
            let r = match $self.op_now(op) {
                OpNow::Quiet => None,
                OpNow::Ready(r) => r,
                OpNow::Switched => {
                    $self.inline_ops = 0;
                    let r = $self.sys.result().await;
                    $self.call_result(op, r)
                }
                OpNow::Other(built) => Some($self.op_built(op, built).await.unwrap_or_else(Err)),
            };
            // Calls that all complete at once never return to the executor: every
            // so many, give it a step, so the step limit sees a loop of them.
            $self.inline_ops += 1;
            if $self.inline_ops >= INLINE_OPS_MAX {
                $self.inline_ops = 0;
                $self.sys.pause().await;
            }
            // No handlers (the usual case): bind, as before restarts existed.
            if $self.handlers.is_empty() {
                break match r {
                    Some(r) => $self.finish(op, r, $tried),
                    None => Ok(()),
                };
            }
            let handled = $self.run_handlers().await;
            break match (handled, r) {
                (Err(stop), _) => Err(stop),
                (Ok(true), Some(Err(Error::Interrupted))) if $self.restartable(op) => continue,
                (Ok(_), Some(r)) => $self.finish(op, r, $tried),
                (Ok(_), None) => Ok(()),
            };
        }
    }};
}

/// How far an operation got without waiting.
enum OpNow {
    /// It completed at once with nothing to bind (the usual answer, told
    /// by its tag alone).
    Quiet,
    /// Its result, as [`Interp::call_result`] gives it.
    Ready(Option<Result<Value, Error>>),
    /// The call was submitted and the process switched out: await the result.
    Switched,
    /// Not a plain system call (spawn, naming service), or not built.
    Other(Result<Built, Error>),
}

/// What a typed entry did with an operation.
enum Entered {
    /// Completed with success and the statement binds nothing.
    Quiet,
    /// Completed: this result, to bind or to fail with.
    Result(ipcsim_kernel::SysResult),
    /// The process was switched out: the result comes when it runs again.
    Switched,
    /// An argument was bad; nothing was issued.
    Failed(Error),
}

impl Entered {
    /// Sorts the kernel's answer where it was returned, before anything
    /// moves it: the usual one (success, nothing to bind) is then read by
    /// its tag alone. (Moving the whole answer just after the kernel wrote
    /// it field by field made the processor wait for its stores, on every
    /// operation.)
    #[inline(always)]
    fn of(out: ipcsim_kernel::Outcome, quiet: bool) -> Entered {
        match out {
            ipcsim_kernel::Outcome::Switched => Entered::Switched,
            ipcsim_kernel::Outcome::Done(Ok(_)) if quiet => Entered::Quiet,
            ipcsim_kernel::Outcome::Done(r) => Entered::Result(r),
        }
    }
}

impl<'w> Interp<'w> {
    /// Binds the capabilities the process started with: its declared ones, the
    /// naming service's (when the scenario has one), then those a spawner passed.
    fn bind_boot_caps(&mut self, decl: &ProcDecl, passed: &[String]) {
        // Bound while the kernel's list is borrowed (no copy of it).
        let (sys, vars) = (&self.sys, &mut self.vars);
        let w = self.w;
        self.names_cap = sys.with_kernel(|k| {
            let names = w.names_ep_on(k.host_of(sys.pid()).index()).is_some();
            let mut it = k.boot_caps(sys.pid()).iter().copied();
            for c in &decl.caps {
                let cap = it.next()?;
                if let Some(s) = slot_of(decl, &c.local.name) {
                    vars[s] = Value::Cap(cap);
                }
            }
            let names_cap = if names { it.next() } else { None };
            for (name, cap) in passed.iter().zip(it) {
                if let Some(s) = slot_of(decl, name) {
                    vars[s] = Value::Cap(cap);
                }
            }
            names_cap
        });
    }

    /// The part of an operation statement that needs no waiting: build the
    /// call, submit it, and take its result if it completed at once. A plain
    /// function, so the usual case runs in an ordinary frame rather than in
    /// the statement loop's future.
    fn op_now(&mut self, op: &'w Op) -> OpNow {
        // A memory access that completes at once lets nobody else run and
        // no time pass: a loop of them (polling with no sleep) is the
        // endless loop the spin limit stops, unless one switches the process out.
        let memory = matches!(
            op.kind,
            OpKind::Store { .. } | OpKind::Load { .. } | OpKind::Poke { .. } | OpKind::Peek { .. }
        );
        if !memory {
            self.spin = 0;
        }
        if let Some(entered) = self.typed_entry(op) {
            return match entered {
                Entered::Quiet => OpNow::Quiet,
                Entered::Result(r) => OpNow::Ready(self.call_result(op, r)),
                Entered::Switched => {
                    self.spin = 0;
                    OpNow::Switched
                }
                Entered::Failed(e) => OpNow::Other(Err(e)),
            };
        }
        match self.build(op) {
            Ok(Built::Call(call)) => match self.sys.submit(call) {
                Some(r) => OpNow::Ready(self.call_result(op, r)),
                None => {
                    self.spin = 0;
                    OpNow::Switched
                }
            },
            built => OpNow::Other(built),
        }
    }

    /// The operations processes loop on, issued through the kernel's typed
    /// entries (no `Syscall` built): `Some` with what the call did, `None`
    /// for any other operation. Arguments are evaluated in the order
    /// [`Interp::build`] evaluates them (the timeout first), so a bad one is
    /// reported the same way.
    #[inline]
    fn typed_entry(&mut self, op: &'w Op) -> Option<Entered> {
        let quiet = op.bind.is_none();
        let entered = match &op.kind {
            OpKind::SemWait { cap } => self.timeout(op).and_then(|to| {
                let cap = self.cap(cap)?;
                Ok(self.sys.enter(|k, pid| Entered::of(k.sem_wait(pid, cap, to), quiet)))
            }),
            OpKind::SemPost { cap } => self.timeout(op).and_then(|_| {
                let cap = self.cap(cap)?;
                Ok(self.sys.enter(|k, pid| Entered::of(k.sem_post(pid, cap), quiet)))
            }),
            OpKind::Call { cap, value } => self.timeout(op).and_then(|to| {
                let cap = self.cap(cap)?;
                let msg = self.message(value, op)?;
                Ok(self.sys.enter(|k, pid| Entered::of(k.call(pid, cap, msg, to), quiet)))
            }),
            OpKind::ReplyRecv { cap, value } => self.timeout(op).and_then(|to| {
                let cap = self.cap(cap)?;
                let msg = self.message(value, op)?;
                Ok(self
                    .sys
                    .enter(|k, pid| Entered::of(k.reply_recv(pid, cap, msg, to), quiet)))
            }),
            _ => return None,
        };
        Some(entered.unwrap_or_else(Entered::Failed))
    }

    /// A system call's result as the statement binds it: None when there is
    /// nothing left to bind (a success with no variable, or a received
    /// message already moved into its variable).
    #[inline(always)]
    fn call_result(&mut self, op: &Op, r: ipcsim_kernel::SysResult) -> Option<Result<Value, Error>> {
        // The usual answer, decided at the call site: a success with nothing to bind.
        if op.bind.is_none() && r.is_ok() {
            return None;
        }
        self.bound_result(op, r)
    }

    /// [`Interp::call_result`] when there is something to bind (or an error).
    #[inline(never)]
    fn bound_result(&mut self, op: &Op, r: ipcsim_kernel::SysResult) -> Option<Result<Value, Error>> {
        match (&op.bind, r) {
            (None, Ok(_)) => None,
            // `sigpending` answers yes or no.
            (_, Ok(Ret::Int(i))) if matches!(op.kind, OpKind::SigPending(_)) => Some(Ok(Value::Bool(i != 0))),
            (_, r) => self.bind_in_place(op, r).map(|r| r.map(|v| self.ret_value(v))),
        }
    }

    /// Notes an evaluation error in the trace and fails with InvalidArgument.
    fn bad(&self, span: Span, msg: impl Into<String>) -> Error {
        self.sys.print(format!(
            "error at {}:{}:{}: {}",
            self.w.file,
            span.line,
            span.col,
            msg.into()
        ));
        Error::InvalidArgument
    }

    /// Runs a block of statements, boxed: for a signal handler's body, which
    /// runs inside the statement loop that caught the signal (async recursion
    /// needs a box at the recursive call).
    fn exec<'s>(&'s mut self, body: &'w [Stmt]) -> Pin<Box<dyn Future<Output = Flow> + 's>> {
        Box::pin(self.run_block(body))
    }

    /// Runs a block of statements: the statement loop. A process's body
    /// awaits it directly (one future per process, polled without a second
    /// indirection).
    async fn run_block(&mut self, body: &'w [Stmt]) -> Flow {
        // Room for a few nested blocks and loops without growing.
        let mut stack = Vec::with_capacity(8);
        stack.push(Frame {
            stmts: body,
            pc: 0,
            kind: FrameKind::Block,
        });
        while let Some(f) = stack.last_mut() {
            self.spin += 1;
            if self.spin > SPIN_STATEMENTS_MAX {
                self.sys.print(format!(
                    "{SPIN_STATEMENTS_MAX} statements without a system call (memory accesses do not count): an endless loop? (it never lets another process run)"
                ));
                return Err(Stop::Fail(Error::LimitReached));
            }
            if f.pc >= f.stmts.len() {
                match &mut f.kind {
                    FrameKind::Loop => f.pc = 0,
                    FrameKind::Repeat(n) if *n > 1 => {
                        *n -= 1;
                        f.pc = 0;
                    }
                    _ => {
                        stack.pop();
                    }
                }
                continue;
            }
            let stmt = &f.stmts[f.pc];
            f.pc += 1;
            match &stmt.kind {
                StmtKind::If(c, t, e) => {
                    let b = if self.truth(c)? { t } else { e };
                    if !b.is_empty() {
                        stack.push(Frame {
                            stmts: b,
                            pc: 0,
                            kind: FrameKind::Block,
                        });
                    }
                }
                StmtKind::Loop(b) => stack.push(Frame {
                    stmts: b,
                    pc: 0,
                    kind: FrameKind::Loop,
                }),
                StmtKind::Repeat(n, b) => {
                    let n = self.int(n).map_err(Stop::Fail)?;
                    if n > 0 && !b.is_empty() {
                        stack.push(Frame {
                            stmts: b,
                            pc: 0,
                            kind: FrameKind::Repeat(n as u64),
                        });
                    }
                }
                StmtKind::Break => {
                    while let Some(f) = stack.pop() {
                        if matches!(f.kind, FrameKind::Loop | FrameKind::Repeat(_)) {
                            break;
                        }
                    }
                    if stack.is_empty() {
                        return Ok(());
                    }
                }
                StmtKind::Op(op) => op_statement!(self, op, false)?,
                _ => self.simple(stmt, false).await?,
            }
        }
        Ok(())
    }

    /// A statement that opens no block.
    async fn simple(&mut self, stmt: &'w Stmt, tried: bool) -> Flow {
        match &stmt.kind {
            StmtKind::Exit => Err(Stop::Exit),
            StmtKind::Let(v, e) => {
                let x = self.eval(e).map_err(Stop::Fail)?;
                self.vars[v.slot.get() as usize] = x;
                Ok(())
            }
            StmtKind::Expect(e, text) => {
                if self.truth(e)? || tried {
                    return Ok(());
                }
                let s = stmt.span;
                self.sys
                    .print(format!("expect failed at {}:{}:{}: {text}", self.w.file, s.line, s.col));
                Err(Stop::Fail(Error::ExpectationFailed))
            }
            StmtKind::Print(es) => {
                let mut parts = Vec::with_capacity(es.len());
                for e in es {
                    parts.push(self.eval(e).map_err(Stop::Fail)?.to_string());
                }
                self.sys.print(parts.join(" "));
                Ok(())
            }
            StmtKind::Try(inner) => Box::pin(self.simple(inner, true)).await,
            StmtKind::On(sig, flags, b) => {
                self.handlers.retain(|(s, _)| s != sig);
                self.handlers.push((*sig, b));
                self.kernel_op(
                    Syscall::SigAction {
                        flags: *flags,
                        signal: *sig,
                        action: Disposition::Catch,
                    },
                    None,
                    tried,
                )
                .await
            }
            StmtKind::Op(op) => op_statement!(self, op, tried),
            StmtKind::If(..) | StmtKind::Loop(_) | StmtKind::Repeat(..) | StmtKind::Break => Ok(()),
        }
    }

    /// Binds a received message into the variable's own allocation when the
    /// variable holds the only reference to the previous message (a server
    /// loop's `recv ... -> m`): no allocation per message. Returns the result
    /// when it was not bound here.
    fn bind_in_place(&mut self, op: &Op, r: ipcsim_kernel::SysResult) -> Option<ipcsim_kernel::SysResult> {
        let (Ok(Ret::Msg(_)), Some(b)) = (&r, &op.bind) else {
            return Some(r);
        };
        let Some(Value::Msg(rc)) = self.vars.get_mut(b.slot.get() as usize) else {
            return Some(r);
        };
        let Some(slot) = Rc::get_mut(rc) else {
            return Some(r);
        };
        if let Ok(Ret::Msg(m)) = r {
            *slot = m;
        }
        None
    }

    /// Binds an operation's result (or, under `try`, its error); an error without `try` fails the process.
    fn finish(&mut self, op: &Op, r: Result<Value, Error>, tried: bool) -> Flow {
        match r {
            // `socketpair stream -> A B`: two names.
            Ok(Value::CapPair(a, b)) => {
                if let Some(v) = &op.bind {
                    self.vars[v.slot.get() as usize] = Value::Cap(a);
                }
                if let OpKind::Net(crate::ast::NetOp::SocketPair { second: Some(v) }) = &op.kind {
                    self.vars[v.slot.get() as usize] = Value::Cap(b);
                }
                Ok(())
            }
            Ok(v) => {
                if let Some(b) = &op.bind {
                    self.vars[b.slot.get() as usize] = v;
                }
                Ok(())
            }
            Err(e) if tried => {
                if let Some(b) = &op.bind {
                    self.vars[b.slot.get() as usize] = Value::Err(e);
                }
                Ok(())
            }
            Err(e) => Err(Stop::Fail(e)),
        }
    }

    async fn kernel_op(&mut self, call: Syscall, bind: Option<&Var>, tried: bool) -> Flow {
        self.spin = 0;
        let r = loop {
            let r = self.sys.syscall(call.clone()).await;
            let restart = self.run_handlers().await?;
            if !(restart && r == Err(Error::Interrupted) && call.restartable()) {
                break r;
            }
        };
        let v = r.map(|v| self.ret_value(v));
        match (v, bind) {
            (Ok(v), Some(b)) => {
                self.vars[b.slot.get() as usize] = v;
                Ok(())
            }
            (Ok(_), None) => Ok(()),
            (Err(e), Some(b)) if tried => {
                self.vars[b.slot.get() as usize] = Value::Err(e);
                Ok(())
            }
            (Err(_), None) if tried => Ok(()),
            (Err(e), _) => Err(Stop::Fail(e)),
        }
    }

    /// Runs the handlers of caught signals that arrived, in order; whether
    /// some ran and every one was set with `restart` (SA_RESTART), so that a
    /// call they interrupted resumes.
    async fn run_handlers(&mut self) -> Result<bool, Stop> {
        let (mut ran, mut restart) = (false, true);
        // Each handler runs with its signal blocked (unless `nodefer`): one
        // that arrives meanwhile waits and runs after it, not inside it.
        while let Some((sig, restarts)) = self.sys.begin_handler() {
            ran = true;
            restart &= restarts;
            if let Some((_, b)) = self.handlers.iter().find(|(s, _)| *s == sig) {
                let b: &'w [Stmt] = b;
                let r = self.exec(b).await;
                self.sys.end_handler(sig);
                r?;
            } else {
                self.sys.end_handler(sig);
            }
        }
        Ok(ran && restart)
    }

    /// Whether `op`'s call is one a `restart` handler resumes ([`Syscall::restartable`]).
    fn restartable(&mut self, op: &'w Op) -> bool {
        matches!(self.build(op), Ok(Built::Call(c)) if c.restartable())
    }

    // ----- expressions ---------------------------------------------------------------

    fn truth(&self, e: &Expr) -> Result<bool, Stop> {
        match self.eval(e).map_err(Stop::Fail)? {
            Value::Bool(b) => Ok(b),
            v => Err(Stop::Fail(
                self.bad(e.span(), format!("a condition must be a boolean, not {}", v.kind())),
            )),
        }
    }

    fn int(&self, e: &Expr) -> Result<i64, Error> {
        match self.eval(e)? {
            Value::Int(i) => Ok(i),
            Value::Msg(m) if matches!(m.data, Data::Int(_)) => match m.data {
                Data::Int(i) => Ok(i),
                _ => Err(Error::InvalidArgument),
            },
            v => Err(self.bad(e.span(), format!("expected an integer, found {} ({v})", v.kind()))),
        }
    }

    fn uint(&self, e: &Expr) -> Result<u64, Error> {
        let i = self.int(e)?;
        u64::try_from(i).map_err(|_| self.bad(e.span(), format!("expected a number not below 0, found {i}")))
    }

    #[inline]
    fn cap(&self, e: &Expr) -> Result<CapId, Error> {
        // The common case, a variable holding a capability, without copying the value.
        if let Expr::Var(v) = e {
            if let Some(Value::Cap(c)) = self.vars.get(v.slot.get() as usize) {
                return Ok(*c);
            }
        }
        self.cap_slow(e)
    }

    fn cap_slow(&self, e: &Expr) -> Result<CapId, Error> {
        match self.eval(e)? {
            Value::Cap(c) => Ok(c),
            v => Err(self.bad(e.span(), format!("expected a capability, found {} ({v})", v.kind()))),
        }
    }

    #[inline]
    fn data(&self, e: &Expr) -> Result<Data, Error> {
        // The common cases (a literal, a variable, `m.data`) without building a Value.
        let quick = match e {
            Expr::Int(i, _) => Some(Data::Int(*i)),
            Expr::Var(v) => self.vars.get(v.slot.get() as usize).and_then(Value::to_data),
            Expr::Field(x, f) if f.name == "data" => match &**x {
                Expr::Var(v) => match self.vars.get(v.slot.get() as usize) {
                    Some(Value::Msg(m)) => Some(m.data.clone()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        match quick {
            Some(d) => Ok(d),
            None => self.data_slow(e),
        }
    }

    fn data_slow(&self, e: &Expr) -> Result<Data, Error> {
        let v = self.eval(e)?;
        v.to_data().ok_or_else(|| {
            self.bad(
                e.span(),
                format!("{} cannot be sent as data (use `with` for a capability)", v.kind()),
            )
        })
    }

    fn eval(&self, e: &Expr) -> Result<Value, Error> {
        Ok(match e {
            Expr::Int(i, _) => Value::Int(*i),
            Expr::Str(s, _) => Value::Str(s.as_str().into()),
            Expr::Bool(b, _) => Value::Bool(*b),
            Expr::Now(_) => Value::Int(self.sys.now() as i64),
            Expr::Var(v) => self.vars.get(v.slot.get() as usize).cloned().unwrap_or_default(),
            Expr::Field(x, f) => {
                let v = self.eval(x)?;
                self.field(&v, f)?
            }
            Expr::Neg(x, s) => {
                let i = self.int(x)?;
                Value::Int(i.checked_neg().ok_or_else(|| self.bad(*s, "integer overflow"))?)
            }
            Expr::Not(x, s) => match self.eval(x)? {
                Value::Bool(b) => Value::Bool(!b),
                v => return Err(self.bad(*s, format!("`not` needs a boolean, found {}", v.kind()))),
            },
            Expr::Call(b, args, _) => self.call(*b, args)?,
            Expr::Is(x, what, _) => {
                let v = self.eval(x)?;
                Value::Bool(match (what, &v) {
                    (None, Value::Err(_)) => false,
                    (None, _) => true,
                    (Some(e), Value::Err(got)) => e == got,
                    (Some(_), _) => false,
                })
            }
            Expr::Bin(op, a, b, s) => self.binary(*op, a, b, *s)?,
        })
    }

    fn binary(&self, op: BinOp, a: &Expr, b: &Expr, s: Span) -> Result<Value, Error> {
        match op {
            BinOp::And | BinOp::Or => {
                let l = match self.eval(a)? {
                    Value::Bool(x) => x,
                    v => return Err(self.bad(s, format!("`and`/`or` need booleans, found {}", v.kind()))),
                };
                if (op == BinOp::And && !l) || (op == BinOp::Or && l) {
                    return Ok(Value::Bool(l));
                }
                match self.eval(b)? {
                    Value::Bool(x) => Ok(Value::Bool(x)),
                    v => Err(self.bad(s, format!("`and`/`or` need booleans, found {}", v.kind()))),
                }
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let (l, r) = (self.eval(a)?, self.eval(b)?);
                use std::cmp::Ordering::*;
                Ok(Value::Bool(match op {
                    BinOp::Eq => l.equals(&r),
                    BinOp::Ne => !l.equals(&r),
                    BinOp::Lt => l.compare(&r) == Some(Less),
                    BinOp::Le => matches!(l.compare(&r), Some(Less | Equal)),
                    BinOp::Gt => l.compare(&r) == Some(Greater),
                    _ => matches!(l.compare(&r), Some(Greater | Equal)),
                }))
            }
            _ => {
                let l = self.eval(a)?;
                let r = self.eval(b)?;
                if op == BinOp::Add {
                    if let (Some(Data::Str(x)), Some(Data::Str(y))) = (l.to_data(), r.to_data()) {
                        if x.len() + y.len() > STRING_VALUE_BYTES_MAX {
                            self.bad(
                                s,
                                format!("a string of more than {STRING_VALUE_BYTES_MAX} bytes (LimitReached)"),
                            );
                            return Err(Error::LimitReached);
                        }
                        return Ok(Value::Str(format!("{x}{y}").into()));
                    }
                }
                let (Some(Data::Int(x)), Some(Data::Int(y))) = (l.to_data(), r.to_data()) else {
                    return Err(self.bad(
                        s,
                        format!("arithmetic needs integers, found {} and {}", l.kind(), r.kind()),
                    ));
                };
                let v = match op {
                    BinOp::Add => x.checked_add(y),
                    BinOp::Sub => x.checked_sub(y),
                    BinOp::Mul => x.checked_mul(y),
                    BinOp::Div => x.checked_div(y),
                    _ => x.checked_rem(y),
                };
                v.map(Value::Int)
                    .ok_or_else(|| self.bad(s, if y == 0 { "division by zero" } else { "integer overflow" }))
            }
        }
    }

    fn field(&self, v: &Value, f: &Ident) -> Result<Value, Error> {
        let out = match (v, f.name.as_str()) {
            (Value::Msg(m), "data") => Some(Value::from_data(&m.data)),
            (Value::Msg(m), "badge") => Some(Value::Int(m.badge as i64)),
            (Value::Msg(m), "type") => Some(Value::Int(m.mtype)),
            (Value::Msg(m), "len") => Some(Value::Int(m.len_bytes() as i64)),
            (Value::Msg(m), "is_call") => Some(Value::Bool(m.is_call)),
            (Value::Msg(m), "cap") => Some(m.cap.map_or(Value::Unit, Value::Cap)),
            (Value::Str(s), "len") => Some(Value::Int(s.len() as i64)),
            (Value::Str(_) | Value::Int(_) | Value::Bool(_), "data") => Some(v.clone()),
            (Value::Child(c), "name") => Some(Value::Str(c.0.as_str().into())),
            (Value::Child(c), "state") => Some(Value::Str(c.1.word().into())),
            // WTERMSIG: the signal that killed it ("" if it was not killed).
            (Value::Child(c), "signal") => Some(Value::Str(match c.1 {
                ipcsim_kernel::Ending::Killed(s) => s.to_string().into(),
                _ => "".into(),
            })),
            (Value::Stat { count, .. }, "count") => Some(Value::Int(*count as i64)),
            (Value::Stat { bytes, .. }, "bytes") => Some(Value::Int(*bytes as i64)),
            (Value::Stat { qbytes, .. }, "qbytes") => Some(Value::Int(*qbytes as i64)),
            (Value::Dgram(d), "data") => Some(Value::from_data(&d.data)),
            (Value::Dgram(d), "len") => Some(Value::Int(d.data.len_bytes() as i64)),
            (Value::Dgram(d), "host") => Some(Value::Str(d.host.clone())),
            (Value::Dgram(d), "port") => Some(Value::Int(i64::from(d.port))),
            (Value::Dgram(d), "path") => Some(Value::Str(d.path.clone().unwrap_or_else(|| "".into()))),
            _ => None,
        };
        out.ok_or_else(|| self.bad(f.span, format!("{} has no field `{}`", v.kind(), f.name)))
    }

    fn timeout(&self, op: &Op) -> Result<Timeout, Error> {
        if op.nowait {
            return Ok(Timeout::NOWAIT);
        }
        match &op.timeout {
            Some(t) => Ok(Timeout::Ticks(self.uint(t)?)),
            None => Ok(Timeout::Never),
        }
    }

    fn message(&self, value: &Expr, op: &Op) -> Result<Message, Error> {
        let mut m = Message::new(self.data(value)?);
        if let Some(t) = &op.mtype {
            m.mtype = self.int(t)?;
        }
        if let Some(c) = &op.with {
            m.cap = Some(self.cap(c)?);
        }
        Ok(m)
    }

    fn mode(&self, m: &Option<Expr>, default: u32) -> Result<u32, Error> {
        match m {
            Some(e) => Ok((self.uint(e)? & 0o777) as u32),
            None => Ok(default),
        }
    }

    // ----- operations ------------------------------------------------------------------

    /// Runs an operation already built.
    async fn op_built(&mut self, op: &'w Op, built: Result<Built, Error>) -> Result<Result<Value, Error>, Error> {
        let call = match built {
            Ok(Built::Call(c)) => c,
            Ok(Built::Value(v)) => return Ok(Ok(v)),
            // Boxed: rare operations whose futures would otherwise make every
            // process's statement loop future larger (and a slower allocation).
            Ok(Built::Spawn(prog, name, share, names)) => {
                return Ok(Box::pin(self.spawn(prog, name, share, names)).await)
            }
            Ok(Built::Names(req)) => return Ok(Box::pin(self.names_call(req, op)).await),
            Err(e) => return Ok(Err(e)),
        };
        let r = self.sys.syscall(call).await;
        Ok(r.map(|v| self.ret_value(v)))
    }

    /// Builds the system call (or other request) an operation makes. The
    /// operations processes loop on come first, each in a small arm: one match
    /// over every kind made the compiler assemble every variant's fields on
    /// every call (70 instructions for a `sem_wait`). (`op_now` issues
    /// `sem_wait`, `sem_post`, `call` and `reply_recv` through
    /// [`Interp::typed_entry`] before it gets here; their arms keep `build`
    /// whole for any other caller.)
    fn build(&mut self, op: &'w Op) -> Result<Built, Error> {
        let to = self.timeout(op)?;
        Ok(Built::Call(match &op.kind {
            OpKind::Send { cap, value } => Syscall::Send {
                cap: self.cap(cap)?,
                msg: self.message(value, op)?,
                timeout: to,
            },
            OpKind::Recv { cap } => Syscall::Recv {
                cap: self.cap(cap)?,
                timeout: to,
            },
            OpKind::Call { cap, value } => Syscall::Call {
                cap: self.cap(cap)?,
                msg: self.message(value, op)?,
                timeout: to,
            },
            OpKind::Reply { value } => Syscall::Reply {
                msg: self.message(value, op)?,
            },
            OpKind::ReplyRecv { cap, value } => Syscall::ReplyRecv {
                cap: self.cap(cap)?,
                msg: self.message(value, op)?,
                timeout: to,
            },
            OpKind::Signal { cap, bits } => Syscall::Signal {
                cap: self.cap(cap)?,
                bits: self.uint(bits)?,
            },
            OpKind::Wait { cap } => Syscall::Wait {
                cap: self.cap(cap)?,
                timeout: to,
            },
            OpKind::MsgSnd { cap, mtype, value } => Syscall::MsgSnd {
                cap: self.cap(cap)?,
                mtype: self.int(mtype)?,
                data: self.data(value)?,
                timeout: to,
            },
            OpKind::MsgRcv {
                cap,
                mtype,
                size,
                noerror,
                except,
            } => Syscall::MsgRcv {
                cap: self.cap(cap)?,
                mtype: self.int(mtype)?,
                opts: ipcsim_kernel::RcvOpts {
                    // Linux: a negative msgsz is EINVAL.
                    max: size.as_ref().map(|e| self.uint(e)).transpose()?,
                    noerror: *noerror,
                    except: *except,
                },
                timeout: to,
            },
            OpKind::Write { cap, value } => Syscall::Write {
                cap: self.cap(cap)?,
                data: self.data(value)?,
                timeout: to,
            },
            OpKind::Read { cap, n } => Syscall::Read {
                cap: self.cap(cap)?,
                max: self.uint(n)?,
                timeout: to,
            },
            OpKind::SemWait { cap } => Syscall::SemWait {
                cap: self.cap(cap)?,
                timeout: to,
            },
            OpKind::SemPost { cap } => Syscall::SemPost { cap: self.cap(cap)? },
            OpKind::Store { cap, offset, value } => Syscall::Store {
                cap: self.cap(cap)?,
                offset: self.int(offset)?,
                data: self.data(value)?,
            },
            OpKind::Load {
                cap,
                offset,
                len: Some(len),
            } => Syscall::Load {
                cap: self.cap(cap)?,
                offset: self.int(offset)?,
                len: self.int(len)?,
            },
            OpKind::Load { cap, offset, len: None } => Syscall::LoadInt {
                cap: self.cap(cap)?,
                offset: self.int(offset)?,
            },
            OpKind::Sleep { t } => Syscall::Sleep { ticks: self.uint(t)? },
            OpKind::Compute { t } => Syscall::Compute { ticks: self.uint(t)? },
            OpKind::Yield => Syscall::Yield,
            _ => return self.build_other(op, to),
        }))
    }

    #[inline(never)]
    fn build_other(&mut self, op: &'w Op, to: Timeout) -> Result<Built, Error> {
        let flags = |create: bool, exclusive: bool, mode: u32, mode_asked: bool| GetFlags {
            create,
            exclusive,
            mode,
            mode_asked,
            nsems: 0,
        };
        Ok(Built::Call(match &op.kind {
            OpKind::Net(n) => return self.build_net(n, to),
            OpKind::MsgGet {
                key,
                create,
                exclusive,
                mode,
            } => Syscall::Get {
                kind: ObjectKind::MsgQueue,
                key: self.int(key)?,
                flags: flags(*create, *exclusive, self.mode(mode, 0o600)?, mode.is_some()),
                size: 0,
            },
            OpKind::MsgStat { cap } => Syscall::MsgStat { cap: self.cap(cap)? },
            OpKind::MsgSet { cap, bytes, mode } => Syscall::MsgSet {
                cap: self.cap(cap)?,
                bytes: bytes.as_ref().map(|e| self.uint(e)).transpose()?,
                // Read as every other mode is (its low 9 bits).
                mode: mode.as_ref().map(|_| self.mode(mode, 0)).transpose()?,
            },
            OpKind::MsgRemove { cap } | OpKind::ShmRemove { cap } => Syscall::Remove { cap: self.cap(cap)? },
            OpKind::Mkfifo { path, mode } => Syscall::Mkfifo {
                path: self.text(path)?,
                mode: self.mode(mode, 0o644)?,
            },
            OpKind::Open { path, write } => Syscall::Open {
                path: self.text(path)?,
                write: *write,
                timeout: to,
            },
            OpKind::Close { cap } => Syscall::Close { cap: self.cap(cap)? },
            OpKind::Destroy { cap } => Syscall::Destroy { cap: self.cap(cap)? },
            OpKind::SemGet {
                key,
                create,
                exclusive,
                value,
                count,
                mode,
            } => Syscall::Get {
                kind: ObjectKind::Semaphore,
                key: self.int(key)?,
                flags: GetFlags {
                    nsems: match count {
                        Some(c) => self.sem_count(c)?,
                        None => 0,
                    },
                    ..flags(*create, *exclusive, self.mode(mode, 0o600)?, mode.is_some())
                },
                size: match value {
                    Some(v) => self.uint(v)?,
                    None => 0,
                },
            },
            OpKind::SemOp { .. } | OpKind::SemCtl { .. } => return self.build_sem(op, to),
            OpKind::Derive { cap, rights, badge } => {
                let c = self.cap(cap)?;
                let rights = match rights {
                    None => None,
                    Some((r, _, true)) => {
                        let kind = self.sys.with_kernel(|k| k.cap_info(self.sys.pid(), c).map(|i| i.1));
                        Some(*r | kind.map_or(Rights::empty(), |k| k.rights()))
                    }
                    Some((r, _, false)) => Some(*r),
                };
                let badge = match badge {
                    Some(b) => Some(self.uint(b)?),
                    None => None,
                };
                Syscall::Derive { cap: c, rights, badge }
            }
            OpKind::Revoke { cap } => Syscall::Revoke { cap: self.cap(cap)? },
            OpKind::Delete { cap } => Syscall::Delete { cap: self.cap(cap)? },
            OpKind::Register { name, cap, allow } => {
                let c = self.cap(cap)?;
                let allow = allow.as_ref().map(|l| l.iter().map(|i| i.name.clone()).collect());
                return Ok(Built::Names(names::Request::Register {
                    name: self.text(name)?,
                    cap: c,
                    allow,
                }));
            }
            OpKind::Lookup { name } => {
                return Ok(Built::Names(names::Request::Lookup {
                    name: self.text(name)?,
                    timeout: to,
                }))
            }
            OpKind::Spawn {
                program,
                as_name,
                share,
                inherit,
            } => {
                let idx = self.w.proc_index(&program.name).ok_or(Error::NotFound)?;
                let mut pass = Vec::new();
                if *inherit {
                    let decl = self.decl();
                    for (i, v) in self.vars.iter().enumerate() {
                        if let Value::Cap(c) = v {
                            pass.push((decl.slots[i].clone(), *c));
                        }
                    }
                } else {
                    for e in share {
                        let c = self.cap(e)?;
                        let n = match e {
                            Expr::Var(v) => v.name.clone(),
                            _ => return Err(self.bad(e.span(), "`share` takes capability names")),
                        };
                        pass.push((n, c));
                    }
                }
                let (names, caps): (Vec<String>, Vec<CapId>) = pass.into_iter().unzip();
                return Ok(Built::Spawn(idx, as_name.clone(), caps, names));
            }
            OpKind::WaitChild => Syscall::WaitChild { timeout: to },
            OpKind::Kill { target, signal } => Syscall::Kill {
                target: self.target_pid(target, "kill")?,
                signal: *signal,
            },
            OpKind::Watch { target, cap, bits } => Syscall::Watch {
                target: self.target_pid(target, "watch")?,
                cap: self.cap(cap)?,
                bits: self.uint(bits)?,
            },
            OpKind::Ignore(s) => Syscall::SigAction {
                flags: ipcsim_kernel::SaFlags::empty(),
                signal: *s,
                action: Disposition::Ignore,
            },
            OpKind::Default(s) => Syscall::SigAction {
                flags: ipcsim_kernel::SaFlags::empty(),
                signal: *s,
                action: Disposition::Default,
            },
            OpKind::Block(s) => Syscall::SigMask {
                signal: *s,
                block: true,
            },
            OpKind::SigPending(s) => Syscall::SigPending { signal: *s },
            OpKind::Unblock(s) => Syscall::SigMask {
                signal: *s,
                block: false,
            },
            OpKind::ShmGet {
                key,
                size,
                create,
                exclusive,
                mode,
            } => Syscall::Get {
                kind: ObjectKind::Shm,
                key: self.int(key)?,
                flags: flags(*create, *exclusive, self.mode(mode, 0o600)?, mode.is_some()),
                size: self.uint(size)?,
            },
            OpKind::ShmAt { cap, readonly } => Syscall::Attach {
                cap: self.cap(cap)?,
                readonly: *readonly,
            },
            OpKind::ShmDt { cap } => Syscall::Detach { cap: self.cap(cap)? },
            OpKind::Poke { addr, value } => Syscall::Poke {
                addr: self.int(addr)?,
                data: self.data(value)?,
            },
            OpKind::Peek { addr, len: Some(len) } => Syscall::Peek {
                addr: self.int(addr)?,
                len: self.int(len)?,
            },
            OpKind::Peek { addr, len: None } => Syscall::PeekInt { addr: self.int(addr)? },
            OpKind::Mmap { file, shared } => {
                // A declared file's name needs no capability (its owner and mode are checked).
                match file {
                    Expr::Var(v) if v.slot.get() == u32::MAX => Syscall::Mmap {
                        path: Some(v.name.clone()),
                        cap: None,
                        shared: *shared,
                    },
                    e => Syscall::Mmap {
                        path: None,
                        cap: Some(self.cap(e)?),
                        shared: *shared,
                    },
                }
            }
            OpKind::Msync { cap } => Syscall::Msync { cap: self.cap(cap)? },
            OpKind::Munmap { cap } => Syscall::Detach { cap: self.cap(cap)? },
            // No wildcard: a new kind of operation must be placed in one of the two.
            OpKind::Send { .. }
            | OpKind::Recv { .. }
            | OpKind::Call { .. }
            | OpKind::Reply { .. }
            | OpKind::ReplyRecv { .. }
            | OpKind::Signal { .. }
            | OpKind::Wait { .. }
            | OpKind::MsgSnd { .. }
            | OpKind::MsgRcv { .. }
            | OpKind::Write { .. }
            | OpKind::Read { .. }
            | OpKind::SemWait { .. }
            | OpKind::SemPost { .. }
            | OpKind::Store { .. }
            | OpKind::Load { .. }
            | OpKind::Sleep { .. }
            | OpKind::Compute { .. }
            | OpKind::Yield => unreachable!("`build` takes these"),
        }))
    }

    /// The process a `kill` or `watch` names: a PID variable, or a process by name.
    fn target_pid(&self, target: &Target, what: &str) -> Result<ipcsim_kernel::Pid, Error> {
        match target {
            Target::Name(v) if v.slot.get() != u32::MAX => match self.eval(&Expr::Var(v.clone()))? {
                Value::Pid(p) => Ok(p),
                other => Err(self.bad(v.span, format!("`{what}` needs a process, found {}", other.kind()))),
            },
            Target::Name(v) => self.sys.with_kernel(|k| k.find_process(&v.name)).ok_or(Error::NotFound),
            Target::Str(s, _) => self.sys.with_kernel(|k| k.find_process(s)).ok_or(Error::NotFound),
        }
    }

    fn decl(&self) -> &'w ProcDecl {
        let name = self.sys.with_kernel(|k| k.process_name(self.sys.pid()).to_string());
        let base = name.split('#').next().unwrap_or("");
        let idx = self
            .w
            .proc_index(&name)
            .or_else(|| self.w.proc_index(base))
            .unwrap_or(0);
        &self.w.sc.procs[idx]
    }

    async fn spawn(
        &mut self,
        idx: usize,
        as_name: Option<String>,
        share: Vec<CapId>,
        names: Vec<String>,
    ) -> Result<Value, Error> {
        let p = &self.w.sc.procs[idx];
        let name = match as_name {
            Some(n) => n,
            None => {
                let mut counts = self.w.spawn_counts.borrow_mut();
                let n = counts.entry(p.name.name.clone()).or_insert(0);
                *n += 1;
                format!("{}#{}", p.name.name, n)
            }
        };
        let spec = ProcessSpec {
            name,
            priority: p.priority,
            uid: p.uid,
            gid: p.gid,
            daemon: p.daemon,
        };
        let mut grants = Vec::with_capacity(p.caps.len() + 1);
        for c in &p.caps {
            let (obj, rights) = self
                .sys
                .with_kernel(|k| self.w.declared_cap(c, k))
                .ok_or(Error::NotFound)?;
            grants.push((obj, rights, c.badge));
        }
        let host = self.sys.with_kernel(|k| k.host_of(self.sys.pid()).index());
        if let Some(ep) = self.w.names_ep_on(host) {
            // The child's own badge, so the naming service knows who calls: pids are
            // dense, so the child will be the next one created.
            let child = ipcsim_kernel::Pid(self.sys.with_kernel(|k| k.process_count()) as u32);
            grants.push((ep, Rights::SEND | Rights::GRANT, names::badge_of(child)));
        }
        let rc = self.rc.clone();
        let r = self.sys.spawn_boxed(spec, share, grants, body(rc, idx, names)).await;
        if let Ok(pid) = r {
            if self.w.names_ep_on(host).is_some() {
                // The name service tells callers apart by badge: give the child its own.
                self.w.instances.borrow_mut().insert(pid, p.name.name.clone());
            }
        }
        r.map(Value::Pid)
    }

    /// A request to the naming service: a call through its endpoint, as IPC.
    async fn names_call(&mut self, req: names::Request, op: &Op) -> Result<Value, Error> {
        let _ = op;
        let cap = self.names_cap.ok_or(Error::NotFound)?;
        names::request(&self.sys, cap, req)
            .await
            .map(|c| c.map_or(Value::Unit, Value::Cap))
    }

    /// The value a successful system call gives a scenario.
    fn ret_value(&self, r: Ret) -> Value {
        match r {
            Ret::Child { pid, ending } => {
                let name = self.sys.with_kernel(|k| k.process_name(pid).to_string());
                Value::Child(Rc::new((name, ending)))
            }
            Ret::Datagram { data, host, port, path } => Value::Dgram(Rc::new(crate::value::Datagram {
                data,
                host: self.w.sc.host_name(host.index()).into(),
                port,
                path: path.map(|p| p.to_string().into()),
            })),
            r => ret_value(r),
        }
    }
}

enum Built {
    Call(Syscall),
    #[allow(dead_code)]
    Value(Value),
    Spawn(usize, Option<String>, Vec<CapId>, Vec<String>),
    Names(names::Request),
}

/// The value a successful system call gives a scenario.
fn ret_value(r: Ret) -> Value {
    match r {
        Ret::Unit => Value::Unit,
        Ret::Msg(m) => Value::Msg(Rc::new(m)),
        Ret::Word(w) => Value::Int(w as i64),
        Ret::Cap(c) => Value::Cap(c),
        Ret::Pid(p) => Value::Pid(p),
        Ret::Int(i) => Value::Int(i),
        Ret::Bytes(d) => Value::from_data(&d),
        Ret::Stat { count, bytes, qbytes } => Value::Stat { count, bytes, qbytes },
        Ret::Child { pid, ending } => Value::Child(Rc::new((format!("{pid}"), ending))),
        Ret::Pair(a, b) => Value::CapPair(a, b),
        Ret::Datagram { data, port, path, .. } => Value::Dgram(Rc::new(crate::value::Datagram {
            data,
            host: "?".into(),
            port,
            path: path.map(|p| p.to_string().into()),
        })),
    }
}
