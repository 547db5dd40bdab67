//! The checker: everything that can be found wrong before a run starts.
//!
//! Duplicate declarations, unknown names, rights a kind does not have,
//! operations on the wrong kind of object (where the object is known without
//! running), capability names a process cannot hold, `break` outside a loop,
//! `spawn` of something that is not a program. It also resolves every variable
//! to a slot of its process, so the interpreter never looks names up.

use std::collections::{BTreeMap, BTreeSet};

use ipcsim_kernel::{ObjectKind, Rights};

use crate::ast::*;
use crate::diag::{Diagnostic, Span};

mod hosts;

/// Checks a parsed scenario and resolves its variables; returns every error found.
pub fn check(sc: &mut Scenario) -> Vec<Diagnostic> {
    let mut c = Checker {
        errs: Vec::new(),
        objects: BTreeMap::new(),
        procs: BTreeMap::new(),
    };
    c.run(sc);
    hosts::check_hosts(sc, &mut c.errs);
    sc.uses_names = uses_names(sc);
    c.errs
}

/// Whether a statement of some process registers or looks up a name.
fn uses_names(sc: &Scenario) -> bool {
    fn any(stmts: &[crate::ast::Stmt]) -> bool {
        stmts.iter().any(|s| match &s.kind {
            StmtKind::Op(op) => matches!(
                op.kind,
                crate::ast::OpKind::Register { .. } | crate::ast::OpKind::Lookup { .. }
            ),
            StmtKind::Try(i) => any(std::slice::from_ref(i)),
            StmtKind::If(_, a, b) => any(a) || any(b),
            StmtKind::Repeat(_, b) | StmtKind::Loop(b) | StmtKind::On(_, _, b) => any(b),
            _ => false,
        })
    }
    sc.procs.iter().any(|p| any(&p.body))
}

struct Checker {
    errs: Vec<Diagnostic>,
    objects: BTreeMap<String, ObjectKind>,
    /// Process or program name -> is program.
    procs: BTreeMap<String, bool>,
}

/// What the checker knows of a process's names.
#[derive(Default)]
struct Scope {
    slots: BTreeMap<String, u32>,
    names: Vec<String>,
    /// Statically known object kind of a capability slot (None: unknown or mixed).
    kinds: BTreeMap<u32, Option<ObjectKind>>,
}

impl Scope {
    fn slot(&mut self, name: &str) -> u32 {
        if let Some(s) = self.slots.get(name) {
            return *s;
        }
        let s = self.names.len() as u32;
        self.names.push(name.to_string());
        self.slots.insert(name.to_string(), s);
        s
    }
    fn set_kind(&mut self, slot: u32, k: Option<ObjectKind>) {
        match self.kinds.get(&slot) {
            None => {
                self.kinds.insert(slot, k);
            }
            Some(old) if *old != k => {
                self.kinds.insert(slot, None);
            }
            _ => {}
        }
    }
}

fn op_kinds(op: &OpKind) -> Option<(&'static [ObjectKind], &'static str)> {
    use ObjectKind::*;
    Some(match op {
        OpKind::Send { .. } | OpKind::Recv { .. } => (&[Endpoint, Mailbox], "an endpoint or a mailbox"),
        OpKind::Call { .. } | OpKind::ReplyRecv { .. } => (&[Endpoint], "an endpoint"),
        OpKind::Signal { .. } | OpKind::Wait { .. } | OpKind::Watch { .. } => (&[Notification], "a notification"),
        OpKind::MsgSnd { .. }
        | OpKind::MsgRcv { .. }
        | OpKind::MsgStat { .. }
        | OpKind::MsgSet { .. }
        | OpKind::MsgRemove { .. } => (&[MsgQueue], "a msgqueue"),
        OpKind::Write { .. } | OpKind::Read { .. } => (&[Pipe, Socket], "a pipe or a stream socket"),
        OpKind::Net(n) if n.cap().is_some() => (&[Socket], "a socket"),
        OpKind::SemWait { .. } | OpKind::SemPost { .. } | OpKind::SemOp { .. } | OpKind::SemCtl { .. } => {
            (&[Semaphore], "a semaphore")
        }
        OpKind::ShmAt { .. } | OpKind::ShmDt { .. } | OpKind::ShmRemove { .. } => (&[Shm], "a shm segment"),
        OpKind::Store { .. } | OpKind::Load { .. } => (&[Shm, File], "a shm segment or a mapped file"),
        OpKind::Msync { .. } | OpKind::Munmap { .. } => (&[File], "a mapped file"),
        _ => return None,
    })
}

fn op_cap(op: &OpKind) -> Option<&Expr> {
    match op {
        OpKind::Send { cap, .. }
        | OpKind::Recv { cap }
        | OpKind::Call { cap, .. }
        | OpKind::ReplyRecv { cap, .. }
        | OpKind::Signal { cap, .. }
        | OpKind::Watch { cap, .. }
        | OpKind::Wait { cap }
        | OpKind::MsgSnd { cap, .. }
        | OpKind::MsgRcv { cap, .. }
        | OpKind::MsgStat { cap }
        | OpKind::MsgSet { cap, .. }
        | OpKind::MsgRemove { cap }
        | OpKind::Write { cap, .. }
        | OpKind::Read { cap, .. }
        | OpKind::Close { cap }
        | OpKind::Destroy { cap }
        | OpKind::SemWait { cap }
        | OpKind::SemPost { cap }
        | OpKind::SemOp { cap, .. }
        | OpKind::SemCtl { cap, .. }
        | OpKind::Derive { cap, .. }
        | OpKind::Revoke { cap }
        | OpKind::Delete { cap }
        | OpKind::Register { cap, .. }
        | OpKind::ShmAt { cap, .. }
        | OpKind::ShmDt { cap }
        | OpKind::ShmRemove { cap }
        | OpKind::Store { cap, .. }
        | OpKind::Load { cap, .. }
        | OpKind::Msync { cap }
        | OpKind::Munmap { cap } => Some(cap),
        OpKind::Net(n) => n.cap(),
        _ => None,
    }
}

/// Every expression an operation evaluates, in order.
fn op_exprs(op: &Op) -> Vec<&Expr> {
    let mut v: Vec<&Expr> = Vec::new();
    match &op.kind {
        OpKind::Send { cap, value } | OpKind::Call { cap, value } | OpKind::ReplyRecv { cap, value } => {
            v.extend([cap, value])
        }
        OpKind::Recv { cap }
        | OpKind::Wait { cap }
        | OpKind::MsgStat { cap }
        | OpKind::MsgRemove { cap }
        | OpKind::Close { cap }
        | OpKind::Destroy { cap }
        | OpKind::SemWait { cap }
        | OpKind::SemPost { cap }
        | OpKind::Revoke { cap }
        | OpKind::Delete { cap }
        | OpKind::ShmAt { cap, .. }
        | OpKind::ShmDt { cap }
        | OpKind::ShmRemove { cap }
        | OpKind::Msync { cap }
        | OpKind::Munmap { cap } => v.push(cap),
        OpKind::Reply { value } => v.push(value),
        OpKind::Signal { cap, bits } | OpKind::Watch { cap, bits, .. } => v.extend([cap, bits]),
        OpKind::MsgGet { key, mode, .. } => {
            v.push(key);
            v.extend(mode.iter());
        }
        OpKind::MsgSnd { cap, mtype, value } => v.extend([cap, mtype, value]),
        OpKind::MsgSet { cap, bytes, mode } => {
            v.push(cap);
            v.extend(bytes.iter().chain(mode.iter()));
        }
        OpKind::MsgRcv { cap, mtype, size, .. } => {
            v.extend([cap, mtype]);
            v.extend(size.iter());
        }
        OpKind::Mkfifo { path, mode } => {
            v.push(path);
            v.extend(mode.iter());
        }
        OpKind::Open { path, .. } => v.push(path),
        OpKind::Lookup { name } => v.push(name),
        OpKind::Write { cap, value } => v.extend([cap, value]),
        OpKind::Read { cap, n } => v.extend([cap, n]),
        OpKind::SemGet {
            key,
            value,
            count,
            mode,
            ..
        } => {
            v.push(key);
            v.extend(value.iter().chain(count.iter()).chain(mode.iter()));
        }
        OpKind::SemOp { cap, ops, .. } => {
            v.push(cap);
            for (num, op) in ops {
                v.extend([num, op]);
            }
        }
        OpKind::SemCtl { cap, num, value, .. } => {
            v.push(cap);
            v.extend(num.iter().chain(value.iter()));
        }
        OpKind::Derive { cap, badge, .. } => {
            v.push(cap);
            v.extend(badge.iter());
        }
        OpKind::Register { name, cap, .. } => v.extend([name, cap]),
        OpKind::Spawn { share, .. } => v.extend(share.iter()),
        OpKind::ShmGet { key, size, mode, .. } => {
            v.extend([key, size]);
            v.extend(mode.iter());
        }
        OpKind::Store { cap, offset, value } => v.extend([cap, offset, value]),
        OpKind::Load { cap, offset, len } => {
            v.extend([cap, offset]);
            v.extend(len.iter());
        }
        OpKind::Poke { addr, value } => v.extend([addr, value]),
        OpKind::Peek { addr, len } => {
            v.push(addr);
            v.extend(len.iter());
        }
        OpKind::Sleep { t } | OpKind::Compute { t } => v.push(t),
        OpKind::Mmap { .. }
        | OpKind::WaitChild
        | OpKind::Kill { .. }
        | OpKind::Ignore(_)
        | OpKind::Default(_)
        | OpKind::Block(_)
        | OpKind::Unblock(_)
        | OpKind::SigPending(_)
        | OpKind::Yield => {}
        OpKind::Net(n) => v.extend(n.exprs()),
    }
    v.extend(op.timeout.iter());
    v.extend(op.mtype.iter());
    v.extend(op.with.iter());
    v
}

/// Calls `f` on every statement, depth first, with whether it sits in a loop.
fn walk<'a>(stmts: &'a [Stmt], in_loop: bool, f: &mut dyn FnMut(&'a Stmt, bool)) {
    for s in stmts {
        f(s, in_loop);
        match &s.kind {
            StmtKind::If(_, a, b) => {
                walk(a, in_loop, f);
                walk(b, in_loop, f);
            }
            StmtKind::Repeat(_, b) | StmtKind::Loop(b) => walk(b, true, f),
            StmtKind::On(_, _, b) => walk(b, false, f),
            StmtKind::Try(inner) => walk(std::slice::from_ref(inner), in_loop, f),
            _ => {}
        }
    }
}

/// Variables bound by a statement (`let`, `-> VAR`).
fn binds(s: &Stmt) -> Option<&Var> {
    match &s.kind {
        StmtKind::Let(v, _) => Some(v),
        StmtKind::Op(op) => op.bind.as_ref(),
        _ => None,
    }
}

/// A second variable a statement binds (`socketpair stream -> A B`).
fn second_bind(s: &Stmt) -> Option<&Var> {
    match &s.kind {
        StmtKind::Op(op) => match &op.kind {
            OpKind::Net(NetOp::SocketPair { second }) => second.as_ref(),
            _ => None,
        },
        _ => None,
    }
}

impl Checker {
    fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.errs.push(Diagnostic::new(span, msg));
    }

    fn run(&mut self, sc: &mut Scenario) {
        let mut keys = BTreeMap::new();
        for o in &sc.objects {
            if self.objects.insert(o.name.name.clone(), o.kind).is_some() {
                self.err(o.name.span, format!("`{}` is declared twice", o.name.name));
            }
            if let Some(k) = o.opts.key {
                if let Some(first) = keys.insert((o.kind, k), o.name.name.clone()) {
                    self.err(
                        o.name.span,
                        format!("key {k:#x} is already the key of {} `{first}`", o.kind.name()),
                    );
                }
            }
            // The kernel's own rule, so check refuses exactly what boot would.
            let mut opts = o.opts.clone();
            if o.kind == ObjectKind::File {
                opts.path = Some(o.name.name.clone());
            }
            if let Some((_, why)) = ipcsim_kernel::objects::refusal(o.kind, &opts, &ipcsim_kernel::Limits::default()) {
                self.err(o.name.span, why);
            }
        }
        for p in &sc.procs {
            if self.procs.insert(p.name.name.clone(), p.program).is_some() {
                self.err(p.name.span, format!("`{}` is declared twice", p.name.name));
            }
            if p.name.name == "names" {
                self.err(p.name.span, "`names` is the naming service's name; choose another");
            }
        }
        // Names each process may hold as capabilities: its caps(...) and what it binds;
        // a program also what its spawners pass it (to a fixpoint, as programs spawn programs).
        let mut own: Vec<BTreeSet<String>> = Vec::new();
        for p in &sc.procs {
            let mut names: BTreeSet<String> = p.caps.iter().map(|c| c.local.name.clone()).collect();
            walk(&p.body, false, &mut |s, _| {
                for v in binds(s).into_iter().chain(second_bind(s)) {
                    names.insert(v.name.clone());
                }
            });
            own.push(names);
        }
        let index: BTreeMap<String, usize> = sc
            .procs
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.name.clone(), i))
            .collect();
        let mut passed: Vec<BTreeSet<String>> = vec![BTreeSet::new(); sc.procs.len()];
        loop {
            let mut changed = false;
            for (i, p) in sc.procs.iter().enumerate() {
                let mut adds: Vec<(usize, Vec<String>)> = Vec::new();
                walk(&p.body, false, &mut |s, _| {
                    if let StmtKind::Op(op) = &s.kind {
                        if let OpKind::Spawn {
                            program,
                            share,
                            inherit,
                            ..
                        } = &op.kind
                        {
                            if let Some(&t) = index.get(&program.name) {
                                let names: Vec<String> = if *inherit {
                                    own[i].iter().chain(passed[i].iter()).cloned().collect()
                                } else {
                                    share
                                        .iter()
                                        .filter_map(|e| {
                                            if let Expr::Var(v) = e {
                                                Some(v.name.clone())
                                            } else {
                                                None
                                            }
                                        })
                                        .collect()
                                };
                                adds.push((t, names));
                            }
                        }
                    }
                });
                for (t, names) in adds {
                    for n in names {
                        changed |= passed[t].insert(n);
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let file_names: BTreeSet<String> = sc
            .objects
            .iter()
            .filter(|o| o.kind == ObjectKind::File)
            .map(|o| o.name.name.clone())
            .collect();
        for (i, p) in sc.procs.iter_mut().enumerate() {
            self.check_proc(p, &passed[i], &file_names);
        }
        for e in &sc.expects {
            match e {
                TopExpect::Proc { name, .. } => self.check_proc_name(&name.name, name.span, sc),
                TopExpect::File { name, value, .. } => {
                    if !file_names.contains(&name.name) {
                        self.err(name.span, format!("`{}` is not a declared file", name.name));
                    }
                    self.expr_consts(value);
                }
                TopExpect::Trace(f) => {
                    if let Some(p) = &f.proc {
                        self.check_proc_name(&p.name, p.span, sc);
                    }
                }
                TopExpect::Deadlock(..) | TopExpect::Now { .. } => {}
            }
        }
    }

    /// A process name in `expect`, `kill` or `allow`: a process, a program, or an instance name.
    fn check_proc_name(&mut self, name: &str, span: Span, sc: &Scenario) {
        if self.procs.contains_key(name) {
            return;
        }
        if let Some((prog, n)) = name.rsplit_once('#') {
            if self.procs.get(prog) == Some(&true) && n.parse::<u32>().is_ok_and(|n| n >= 1) {
                return;
            }
        }
        let spawned_as = sc.procs.iter().any(|p| {
            let mut found = false;
            walk(&p.body, false, &mut |s, _| {
                if let StmtKind::Op(op) = &s.kind {
                    if let OpKind::Spawn { as_name: Some(a), .. } = &op.kind {
                        found |= a == name;
                    }
                }
            });
            found
        });
        if !spawned_as {
            self.err(span, format!("no process or program is named `{name}`"));
        }
    }

    /// Expressions outside a process may use literals only.
    fn expr_consts(&mut self, e: &Expr) {
        if let Expr::Var(v) = e {
            self.err(v.span, format!("`{}`: only literal values are allowed here", v.name));
        }
    }

    fn check_proc(&mut self, p: &mut ProcDecl, passed: &BTreeSet<String>, files: &BTreeSet<String>) {
        let mut scope = Scope::default();
        let mut locals = BTreeSet::new();
        for c in &p.caps {
            let Some(&kind) = self.objects.get(&c.object.name) else {
                self.err(c.object.span, format!("no object is named `{}`", c.object.name));
                continue;
            };
            for w in &c.words {
                if w.name == "all" {
                    continue;
                }
                let r = Rights::from_word(&w.name).unwrap_or(Rights::empty());
                if !kind.rights().contains(r) {
                    self.err(
                        w.span,
                        format!(
                            "a {} has no right `{}` (its rights: {})",
                            kind.name(),
                            w.name,
                            kind.rights().words()
                        ),
                    );
                }
            }
            if !locals.insert(c.local.name.clone()) {
                self.err(c.local.span, format!("`{}` is named twice in caps(...)", c.local.name));
            }
            let s = scope.slot(&c.local.name);
            scope.set_kind(s, Some(kind));
        }
        for n in passed {
            scope.slot(n);
        }
        // Every bound variable gets a slot; kinds follow what binds them.
        // Taken for the walks and put back after (cloning them for each
        // process made checking 1,000 hosts' processes quadratic).
        let objects = std::mem::take(&mut self.objects);
        walk(&p.body, false, &mut |s, _| {
            if let Some(v) = second_bind(s) {
                let slot = scope.slot(&v.name);
                scope.set_kind(slot, Some(ObjectKind::Socket));
            }
            let Some(v) = binds(s) else { return };
            let slot = scope.slot(&v.name);
            let k = match &s.kind {
                StmtKind::Op(op) => match &op.kind {
                    OpKind::MsgGet { .. } => Some(ObjectKind::MsgQueue),
                    OpKind::SemGet { .. } => Some(ObjectKind::Semaphore),
                    OpKind::ShmGet { .. } => Some(ObjectKind::Shm),
                    OpKind::Open { .. } => Some(ObjectKind::Pipe),
                    OpKind::Mmap { .. } => Some(ObjectKind::File),
                    OpKind::Net(NetOp::Socket { .. } | NetOp::SocketPair { .. } | NetOp::Accept { .. }) => {
                        Some(ObjectKind::Socket)
                    }
                    OpKind::Derive {
                        cap: Expr::Var(src), ..
                    } => {
                        // Only a name bound in caps(...) has a kind we can trust here.
                        p.caps
                            .iter()
                            .find(|c| c.local.name == src.name)
                            .and_then(|c| objects.get(&c.object.name).copied())
                    }
                    _ => None,
                },
                _ => None,
            };
            scope.set_kind(slot, k);
        });
        let mut errs: Vec<(Span, String)> = Vec::new();
        let procs = std::mem::take(&mut self.procs);
        walk(&p.body, false, &mut |s, in_loop| {
            let resolve = |e: &Expr, errs: &mut Vec<(Span, String)>| resolve_expr(e, &scope, &objects, errs);
            match &s.kind {
                StmtKind::Break if !in_loop => errs.push((s.span, "`break` outside `loop` or `repeat`".into())),
                StmtKind::Let(v, e) => {
                    resolve(e, &mut errs);
                    v.slot.set(scope.slots[&v.name]);
                }
                StmtKind::If(c, _, _) | StmtKind::Repeat(c, _) | StmtKind::Expect(c, _) => resolve(c, &mut errs),
                StmtKind::Print(es) => es.iter().for_each(|e| resolve(e, &mut errs)),
                StmtKind::Op(op) => {
                    for e in op_exprs(op) {
                        if let (OpKind::Mmap { .. }, Expr::Var(v)) = (&op.kind, e) {
                            if files.contains(&v.name) && !scope.slots.contains_key(&v.name) {
                                continue;
                            }
                        }
                        resolve(e, &mut errs);
                    }
                    if let OpKind::Mmap { file: Expr::Var(v), .. } = &op.kind {
                        if !files.contains(&v.name) {
                            resolve(&Expr::Var(v.clone()), &mut errs);
                        }
                    }
                    for v in op.bind.iter().chain(second_bind(s)) {
                        v.slot.set(scope.slots[&v.name]);
                    }
                    if let (Some(Expr::Var(v)), Some((kinds, what))) = (op_cap(&op.kind), op_kinds(&op.kind)) {
                        if let Some(Some(k)) = scope.slots.get(&v.name).and_then(|s| scope.kinds.get(s)) {
                            if !kinds.contains(k) {
                                let article = if k.name().starts_with(['a', 'e', 'i', 'o', 'u']) {
                                    "an"
                                } else {
                                    "a"
                                };
                                let msg = format!(
                                    "`{}` needs {what}, but `{}` is {article} {}",
                                    op.kind.keyword(),
                                    v.name,
                                    k.name()
                                );
                                errs.push((v.span, msg));
                            }
                        }
                    }
                    match &op.kind {
                        OpKind::Spawn { program, .. } => match procs.get(&program.name) {
                            Some(true) => {}
                            Some(false) => errs.push((
                                program.span,
                                format!(
                                    "`{}` is a process, not a program: only programs can be spawned",
                                    program.name
                                ),
                            )),
                            None => errs.push((program.span, format!("no program is named `{}`", program.name))),
                        },
                        OpKind::Kill {
                            target: Target::Name(v),
                            ..
                        }
                        | OpKind::Watch {
                            target: Target::Name(v),
                            ..
                        } => {
                            if let Some(&slot) = scope.slots.get(&v.name) {
                                v.slot.set(slot);
                            } else if !procs.contains_key(&v.name) {
                                errs.push((v.span, format!("no process is named `{}`", v.name)));
                            }
                        }
                        OpKind::Register { allow: Some(list), .. } => {
                            for a in list {
                                if !procs.contains_key(&a.name) && !a.name.contains('#') {
                                    errs.push((a.span, format!("no process or program is named `{}`", a.name)));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        });
        self.objects = objects;
        self.procs = procs;
        for (s, m) in errs {
            self.err(s, m);
        }
        p.slots = scope.names;
    }
}

fn resolve_expr(e: &Expr, scope: &Scope, objects: &BTreeMap<String, ObjectKind>, errs: &mut Vec<(Span, String)>) {
    match e {
        Expr::Var(v) => match scope.slots.get(&v.name) {
            Some(s) => v.slot.set(*s),
            None if objects.contains_key(&v.name) => errs.push((
                v.span,
                format!(
                    "this process holds no capability `{}` (add it to caps(...), or bind it with -> {})",
                    v.name, v.name
                ),
            )),
            None => errs.push((v.span, format!("unknown name `{}`", v.name))),
        },
        Expr::Field(x, f) => {
            const FIELDS: [&str; 15] = [
                "data", "badge", "type", "len", "is_call", "cap", "name", "state", "signal", "count", "qbytes",
                "bytes", "host", "port", "path",
            ];
            if !FIELDS.contains(&f.name.as_str()) {
                errs.push((
                    f.span,
                    format!("unknown field `{}` (fields: {})", f.name, FIELDS.join(", ")),
                ));
            }
            resolve_expr(x, scope, objects, errs);
        }
        Expr::Neg(x, _) | Expr::Not(x, _) | Expr::Is(x, _, _) => resolve_expr(x, scope, objects, errs),
        Expr::Bin(_, a, b, _) => {
            resolve_expr(a, scope, objects, errs);
            resolve_expr(b, scope, objects, errs);
        }
        Expr::Call(_, args, _) => {
            for a in args {
                resolve_expr(a, scope, objects, errs);
            }
        }
        Expr::Int(..) | Expr::Str(..) | Expr::Bool(..) | Expr::Now(_) => {}
    }
}
