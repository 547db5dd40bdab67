//! The parser: tokens to a [`Scenario`], reporting every syntax error it can
//! find (it skips to the next line after one and goes on).

use ipcsim_kernel::{Error, ObjectKind, ObjectOptions, Rights, Signal};

use crate::ast::*;
use crate::diag::{Diagnostic, Span};
use crate::lexer::{lex, Tok, Token};

mod expect;
mod net;
mod sem;
use crate::limits::{BLOCK_DEPTH_MAX, DIAGNOSTICS_KEPT_MAX, EXPR_OPERATORS_MAX, NAME_BYTES_MAX};

/// Parses a scenario; returns it with every syntax error found.
pub fn parse(src: &str) -> (Scenario, Vec<Diagnostic>) {
    let (toks, mut errs) = lex(src);
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        errs: Vec::new(),
        lex_errors: errs.len(),
        sc: Scenario::default(),
        block_depth: 0,
        expr_ops: 0,
        host: 0,
    };
    if p.lex_errors < DIAGNOSTICS_KEPT_MAX {
        p.file();
    }
    errs.append(&mut p.errs);
    (p.sc, errs)
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pos: usize,
    errs: Vec<Diagnostic>,
    /// Errors the lexer found: with ours, at most `DIAGNOSTICS_KEPT_MAX`.
    lex_errors: usize,
    sc: Scenario,
    /// Blocks (and `try`, `else if`) open around the statement being parsed.
    block_depth: u32,
    /// Operators, parentheses and fields in the statement being parsed.
    expr_ops: u32,
    /// The host whose block is being parsed (0: `local`, outside every block).
    host: usize,
}

/// A syntax error already recorded; the caller skips to the end of the line.
struct Bail;

type P<T> = Result<T, Bail>;

const OBJECT_WORDS: [&str; 8] = [
    "endpoint",
    "mailbox",
    "notification",
    "msgqueue",
    "pipe",
    "semaphore",
    "shm",
    "file",
];

impl<'s> Parser<'s> {
    // ----- token helpers --------------------------------------------------------------

    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }
    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }
    fn span(&self) -> Span {
        self.toks[self.pos].span
    }
    fn prev_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].span.end
        }
    }
    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Tok::Sym(x) if *x == s)
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Ident(x) if x == w)
    }
    fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn eat_word(&mut self, w: &str) -> bool {
        if self.is_word(w) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn err<T>(&mut self, span: Span, msg: impl Into<String>) -> P<T> {
        if self.errs.len() + self.lex_errors < DIAGNOSTICS_KEPT_MAX {
            self.errs.push(Diagnostic::new(span, msg));
        }
        if self.errs.len() + self.lex_errors >= DIAGNOSTICS_KEPT_MAX {
            // A file this broken says nothing more worth reading: stop.
            self.pos = self.toks.len() - 1;
        }
        Err(Bail)
    }
    /// Runs `f` one block deeper, refusing to go past [`BLOCK_DEPTH_MAX`]
    /// (the caller's recovery then skips the whole nested block).
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> P<T>) -> P<T> {
        if self.block_depth >= BLOCK_DEPTH_MAX {
            let s = self.span();
            return self.err(
                s,
                format!("blocks nest deeper than {BLOCK_DEPTH_MAX} here; move the inner part into a program"),
            );
        }
        self.block_depth += 1;
        let r = f(self);
        self.block_depth -= 1;
        r
    }
    /// Counts one operator of the statement's expressions, refusing more than
    /// [`EXPR_OPERATORS_MAX`] (so no expression is too deep to check or evaluate).
    fn count_op(&mut self, at: Span) -> P<()> {
        self.expr_ops += 1;
        if self.expr_ops > EXPR_OPERATORS_MAX {
            return self.err(
                at,
                format!("more than {EXPR_OPERATORS_MAX} operators in one statement; split it with `let`"),
            );
        }
        Ok(())
    }
    fn unexpected<T>(&mut self, what: &str) -> P<T> {
        let t = self.peek().describe();
        let s = self.span();
        // `contains (x)` reads as a variable `contains`, then a stray `(`.
        let hint = match (self.pos.checked_sub(1).map(|i| &self.toks[i].tok), self.peek()) {
            (Some(Tok::Ident(w)), Tok::Sym("(")) if Builtin::from_name(w).is_some() => {
                format!(" (a built-in function is called with no space before its `(`: `{w}(...)`)")
            }
            _ => String::new(),
        };
        self.err(s, format!("expected {what}, found {t}{hint}"))
    }
    fn expect_sym(&mut self, s: &str) -> P<Span> {
        if self.is_sym(s) {
            Ok(self.bump().span)
        } else {
            self.unexpected(&format!("`{s}`"))
        }
    }
    fn ident(&mut self, what: &str) -> P<Ident> {
        match self.peek().clone() {
            Tok::Ident(name) => {
                let span = self.bump().span;
                Ok(Ident { name, span })
            }
            _ => self.unexpected(what),
        }
    }
    fn string(&mut self, what: &str) -> P<(String, Span)> {
        match self.peek().clone() {
            Tok::Str(s) => {
                let span = self.bump().span;
                Ok((s, span))
            }
            _ => self.unexpected(what),
        }
    }
    /// A string operand: a literal, or (for computed paths and names) any
    /// operand; a literal of another kind is refused here, where it is written.
    fn text_operand(&mut self, what: &str) -> P<Expr> {
        match self.peek() {
            Tok::Int(_) | Tok::Sym("-") => self.unexpected(what),
            Tok::Ident(w) if w == "true" || w == "false" => self.unexpected(what),
            _ => self.operand(),
        }
    }
    /// The length of a `load`/`peek`: an operand, or the word `int` (None:
    /// an 8-byte little-endian integer).
    fn length_or_int(&mut self) -> P<Option<Expr>> {
        if self.eat_word("int") {
            Ok(None)
        } else {
            Ok(Some(self.operand()?))
        }
    }
    /// A literal integer, with an optional leading `-`.
    fn int(&mut self, what: &str) -> P<i64> {
        let neg = self.eat_sym("-");
        match *self.peek() {
            Tok::Int(v) => {
                self.bump();
                Ok(if neg { -v } else { v })
            }
            _ => self.unexpected(what),
        }
    }
    fn uint(&mut self, what: &str) -> P<u64> {
        let s = self.span();
        let v = self.int(what)?;
        u64::try_from(v).or_else(|_| self.err(s, format!("{what} must not be negative")))
    }
    fn u32v(&mut self, what: &str) -> P<u32> {
        let s = self.span();
        let v = self.int(what)?;
        u32::try_from(v).or_else(|_| self.err(s, format!("{what} out of range")))
    }
    fn at_end(&self) -> bool {
        matches!(self.peek(), Tok::Newline | Tok::Eof) || self.is_sym(";") || self.is_sym("}")
    }
    fn end_of_statement(&mut self) -> P<()> {
        if self.at_end() {
            Ok(())
        } else {
            self.unexpected("end of statement")
        }
    }
    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Tok::Newline) || self.is_sym(";") {
            self.bump();
        }
    }
    /// Skips to the end of the line (or an unmatched `}`), after an error.
    fn recover(&mut self) {
        let mut depth = 0;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Newline if depth == 0 => return,
                Tok::Sym("{") => depth += 1,
                Tok::Sym("}") => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                _ => {}
            }
            self.bump();
        }
    }

    // ----- top level ------------------------------------------------------------------

    fn file(&mut self) {
        loop {
            self.skip_newlines();
            if matches!(self.peek(), Tok::Eof) {
                return;
            }
            if self.top_item().is_err() {
                self.recover();
                if self.is_sym("}") {
                    self.bump();
                }
            }
        }
    }

    fn top_item(&mut self) -> P<()> {
        let Tok::Ident(word) = self.peek().clone() else {
            return self.unexpected("a declaration (endpoint, process, expect, ...)");
        };
        match word.as_str() {
            w if OBJECT_WORDS.contains(&w) => self.object_decl(),
            "config" | "expect" | "host" | "link" | "partition" if self.host != 0 => {
                let s = self.span();
                self.err(
                    s,
                    format!("`{word}` is a top-level declaration: it cannot sit inside a `host` block"),
                )
            }
            "config" => self.config(),
            "process" | "program" => self.proc_decl(),
            "expect" => self.top_expect(),
            "host" => self.host_block(),
            "link" => self.link_decl(),
            "partition" => self.partition_decl(),
            _ => {
                let s = self.span();
                self.err(
                    s,
                    format!("expected a declaration (an object, `config`, `process`, `program` or `expect`), found `{word}`"),
                )
            }
        }
    }

    fn object_decl(&mut self) -> P<()> {
        let kw = self.ident("an object kind")?;
        let kind = match kw.name.as_str() {
            "endpoint" => ObjectKind::Endpoint,
            "mailbox" => ObjectKind::Mailbox,
            "notification" => ObjectKind::Notification,
            "msgqueue" => ObjectKind::MsgQueue,
            "pipe" => ObjectKind::Pipe,
            "semaphore" => ObjectKind::Semaphore,
            "shm" => ObjectKind::Shm,
            _ => ObjectKind::File,
        };
        let name = self.ident("the object's name")?;
        let mut opts = ObjectOptions::default();
        let mut perm_mode = None;
        let mut owner = None;
        let mut has_value = false;
        let mut has_size = false;
        while !self.at_end() {
            let w = self.ident("an option")?;
            match (kind, w.name.as_str()) {
                (ObjectKind::Mailbox, "capacity") => {
                    if self.eat_word("unbounded") {
                        opts.unbounded = true;
                    } else {
                        opts.capacity = Some(self.uint("a capacity")?);
                    }
                }
                (ObjectKind::Mailbox, "unbounded") => opts.unbounded = true,
                (ObjectKind::Pipe, "capacity") => {
                    let s = self.span();
                    let c = self.uint("a capacity in bytes")?;
                    if c == 0 {
                        return self.err(s, "a pipe needs a capacity of at least 1 byte");
                    }
                    opts.capacity = Some(c);
                }
                (ObjectKind::MsgQueue | ObjectKind::Semaphore | ObjectKind::Shm, "key") => {
                    opts.key = Some(self.int("a key")?)
                }
                (ObjectKind::MsgQueue | ObjectKind::Semaphore | ObjectKind::Shm | ObjectKind::File, "mode") => {
                    perm_mode = Some(self.u32v("a mode")?)
                }
                (ObjectKind::MsgQueue | ObjectKind::Semaphore | ObjectKind::Shm | ObjectKind::File, "owner") => {
                    let u = self.u32v("a uid")?;
                    let g = self.u32v("a gid")?;
                    owner = Some((u, g));
                }
                (ObjectKind::MsgQueue, "bytes") => opts.size = Some(self.uint("a byte limit")?),
                (ObjectKind::Semaphore, "value") => {
                    opts.value = self.uint("a value")?;
                    has_value = true;
                }
                (ObjectKind::Semaphore, "count") => {
                    let s = self.span();
                    let n = self.uint("how many semaphores")?;
                    if n == 0 || n > u64::from(ipcsim_kernel::semop::SEMMSL) {
                        return self.err(
                            s,
                            format!("a semaphore set holds 1 to {} semaphores", ipcsim_kernel::semop::SEMMSL),
                        );
                    }
                    opts.nsems = n as u32;
                }
                (ObjectKind::Shm, "size") => {
                    let s = self.span();
                    let v = self.uint("a size in bytes")?;
                    if v == 0 || v > ipcsim_kernel::objects::SEGMENT_BYTES_MAX {
                        return self.err(s, "a segment's size must be between 1 byte and 64 MiB");
                    }
                    opts.size = Some(v);
                    has_size = true;
                }
                (ObjectKind::File, "contents") => {
                    opts.contents = self.string("the contents (a string)")?.0.into_bytes()
                }
                _ => return self.err(w.span, format!("`{}` is not an option of a {}", w.name, kind.name())),
            }
        }
        if kind == ObjectKind::Semaphore && !has_value {
            return self.err(name.span, "a semaphore needs `value N`");
        }
        if kind == ObjectKind::Shm && !has_size {
            return self.err(name.span, "a shm segment needs `size N`");
        }
        if matches!(
            kind,
            ObjectKind::MsgQueue | ObjectKind::Semaphore | ObjectKind::Shm | ObjectKind::File
        ) {
            let default_mode = if kind == ObjectKind::File { 0o644 } else { 0o600 };
            let (uid, gid) = owner.unwrap_or((1000, 1000));
            opts.perm = Some(ipcsim_kernel::IpcPerm {
                uid,
                gid,
                mode: perm_mode.unwrap_or(default_mode) & 0o777,
            });
        }
        self.end_of_statement()?;
        let host = self.host;
        self.sc.objects.push(ObjectDecl { name, host, kind, opts });
        Ok(())
    }

    fn config(&mut self) -> P<()> {
        self.bump();
        let w = self.ident("a setting")?;
        match w.name.as_str() {
            "seed" => self.sc.config.seed = Some(self.uint("a seed")?),
            "max_time" => self.sc.config.max_time = Some(self.uint("a time")?),
            "msgmax" => {
                let s = self.span();
                let v = self.uint("bytes")?;
                let most = ipcsim_kernel::Limits::default().message_bytes_max as u64;
                if v > most {
                    return self.err(
                        s,
                        format!("msgmax is at most {most} bytes (the kernel's message limit)"),
                    );
                }
                self.sc.config.msgmax = Some(v);
            }
            "priority_inheritance" => {
                let v = self.ident("`on` or `off`")?;
                self.sc.config.priority_inheritance = match v.name.as_str() {
                    "on" => true,
                    "off" => false,
                    _ => return self.err(v.span, "expected `on` or `off`"),
                };
            }
            "copy" => {
                let v = self.ident("`remap`")?;
                if v.name != "remap" {
                    return self.err(v.span, "expected `remap` (`config copy remap`)");
                }
                self.sc.config.copy_remap = true;
            }
            "cost" => {
                while !self.at_end() {
                    let k = self.ident("a cost name")?;
                    self.expect_sym("=")?;
                    let v = self.uint("ticks")?;
                    let c = &mut self.sc.config.costs;
                    match k.name.as_str() {
                        "syscall" => c.syscall_ticks = v,
                        "switch" => c.switch_ticks = v,
                        "copy_per_byte" => c.copy_per_byte_ticks = v,
                        "poll" => c.poll_ticks = v,
                        _ => return self.err(k.span, "costs are `syscall`, `switch`, `copy_per_byte` and `poll`"),
                    }
                }
            }
            _ => {
                return self.err(
                    w.span,
                    format!(
                        "unknown setting `{}` (seed, max_time, priority_inheritance, cost, copy, msgmax)",
                        w.name
                    ),
                )
            }
        }
        self.end_of_statement()
    }

    fn proc_decl(&mut self) -> P<()> {
        let kw = self.bump();
        let program = matches!(&kw.tok, Tok::Ident(w) if w == "program");
        let name = self.ident("the process's name")?;
        let mut d = ProcDecl {
            host: self.host,
            name,
            program,
            priority: 0,
            uid: 1000,
            gid: 1000,
            daemon: false,
            caps: Vec::new(),
            body: Vec::new(),
            slots: Vec::new(),
        };
        while !self.is_sym("{") {
            let w = self.ident("`{` or a process option (priority, uid, gid, daemon, caps)")?;
            match w.name.as_str() {
                "priority" => d.priority = self.int("a priority")?,
                "uid" => d.uid = self.u32v("a uid")?,
                "gid" => d.gid = self.u32v("a gid")?,
                "daemon" => d.daemon = true,
                "caps" => {
                    self.expect_sym("(")?;
                    while !self.is_sym(")") {
                        d.caps.push(self.cap_decl()?);
                        if !self.eat_sym(",") {
                            break;
                        }
                    }
                    self.expect_sym(")")?;
                }
                _ => return self.err(w.span, format!("unknown process option `{}`", w.name)),
            }
        }
        d.body = self.block()?;
        self.sc.procs.push(d);
        Ok(())
    }

    fn rights(&mut self) -> P<(Rights, Vec<Ident>, bool)> {
        let mut words = Vec::new();
        let mut all = false;
        let mut r = Rights::empty();
        loop {
            let w = self.ident("a right (send, recv, grant, signal, wait, post, read, write, all)")?;
            if w.name == "all" {
                all = true;
            } else if let Some(x) = Rights::from_word(&w.name) {
                r |= x;
            } else {
                return self.err(w.span, format!("unknown right `{}`", w.name));
            }
            words.push(w);
            if !self.eat_sym("+") {
                break;
            }
        }
        Ok((r, words, all))
    }

    fn cap_decl(&mut self) -> P<CapDecl> {
        let object = self.ident("an object name")?;
        self.expect_sym(":")?;
        let (rights, words, all) = self.rights()?;
        let mut badge = 0;
        let mut local = object.clone();
        loop {
            if self.eat_word("badge") {
                badge = self.uint("a badge")?;
            } else if self.eat_word("as") {
                local = self.ident("a local name")?;
            } else {
                break;
            }
        }
        Ok(CapDecl {
            object,
            rights,
            all,
            words,
            badge,
            local,
        })
    }

    fn signal(&mut self) -> P<Signal> {
        let w = self.ident("a signal name (SIGTERM, SIGUSR1, SIGRTMIN+N, ...)")?;
        let mut name = w.name.clone();
        if name == "SIGRTMIN" && self.is_sym("+") {
            self.bump();
            let n = self.int("a number")?;
            name = format!("SIGRTMIN+{n}");
        }
        match Signal::from_name(&name) {
            Some(s) => Ok(s),
            None => self.err(w.span, format!("unknown signal `{name}`")),
        }
    }

    // ----- blocks and statements ---------------------------------------------------------

    fn block(&mut self) -> P<Vec<Stmt>> {
        self.nested(Self::block_inner)
    }

    fn block_inner(&mut self) -> P<Vec<Stmt>> {
        self.expect_sym("{")?;
        let mut out = Vec::new();
        loop {
            self.skip_newlines();
            if self.eat_sym("}") {
                return Ok(out);
            }
            if matches!(self.peek(), Tok::Eof) {
                let s = self.span();
                return self.err(s, "missing `}` at end of file");
            }
            match self.stmt() {
                Ok(s) => {
                    out.push(s);
                    if !self.at_end() {
                        let _ = self.unexpected::<()>("end of statement");
                        self.recover();
                    }
                }
                Err(Bail) => self.recover(),
            }
        }
    }

    fn stmt(&mut self) -> P<Stmt> {
        self.expr_ops = 0;
        let span = self.span();
        let Tok::Ident(word) = self.peek().clone() else {
            return self.unexpected("a statement");
        };
        let kind = match word.as_str() {
            "let" => {
                self.bump();
                let v = self.ident("a variable name")?;
                self.expect_sym("=")?;
                let e = self.expr()?;
                StmtKind::Let(Var::new(v.name, v.span), e)
            }
            "if" => {
                self.bump();
                self.if_rest()?
            }
            "repeat" => {
                self.bump();
                let n = self.operand()?;
                StmtKind::Repeat(n, self.block()?)
            }
            "loop" => {
                self.bump();
                StmtKind::Loop(self.block()?)
            }
            "break" => {
                self.bump();
                StmtKind::Break
            }
            "exit" => {
                self.bump();
                StmtKind::Exit
            }
            "expect" => {
                self.bump();
                let start = self.span().start;
                let e = self.expr()?;
                let text = self.src.get(start..self.prev_end()).unwrap_or("").trim().to_string();
                StmtKind::Expect(e, text)
            }
            "print" => {
                self.bump();
                let mut v = vec![self.expr()?];
                while self.eat_sym(",") {
                    v.push(self.expr()?);
                }
                StmtKind::Print(v)
            }
            "try" => {
                self.bump();
                let inner = self.nested(Self::stmt)?;
                if !matches!(inner.kind, StmtKind::Op(_) | StmtKind::Expect(..)) {
                    return self.err(inner.span, "`try` takes an operation (send, recv, call, ...)");
                }
                StmtKind::Try(Box::new(inner))
            }
            "on" => {
                self.bump();
                let s = self.signal()?;
                let mut flags = ipcsim_kernel::SaFlags::empty();
                loop {
                    if self.eat_word("nodefer") {
                        flags |= ipcsim_kernel::SaFlags::NODEFER;
                    } else if self.eat_word("resethand") {
                        flags |= ipcsim_kernel::SaFlags::RESETHAND;
                    } else if self.eat_word("restart") {
                        flags |= ipcsim_kernel::SaFlags::RESTART;
                    } else {
                        break;
                    }
                }
                StmtKind::On(s, flags, self.block()?)
            }
            _ => StmtKind::Op(Box::new(self.op(&word)?)),
        };
        Ok(Stmt { kind, span })
    }

    fn if_rest(&mut self) -> P<StmtKind> {
        let cond = self.expr()?;
        let then = self.block()?;
        // `else` may follow the closing brace on the same line or the next.
        let save = self.pos;
        while matches!(self.peek(), Tok::Newline) {
            self.bump();
        }
        if self.eat_word("else") {
            if self.is_word("if") {
                let span = self.bump().span;
                let k = self.nested(Self::if_rest)?;
                return Ok(StmtKind::If(cond, then, vec![Stmt { kind: k, span }]));
            }
            let els = self.block()?;
            return Ok(StmtKind::If(cond, then, els));
        }
        self.pos = save;
        Ok(StmtKind::If(cond, then, Vec::new()))
    }

    fn new_op(kind: OpKind) -> Op {
        Op {
            kind,
            timeout: None,
            nowait: false,
            mtype: None,
            with: None,
            bind: None,
        }
    }

    /// Parses the options common to all operations; `extra` handles the words
    /// particular to one (returns false for a word it does not know).
    fn options(&mut self, op: &mut Op, extra: &mut dyn FnMut(&mut Self, &Ident) -> P<bool>) -> P<()> {
        while !self.at_end() {
            if self.eat_sym("->") {
                let v = self.ident("a variable name after `->`")?;
                op.bind = Some(Var::new(v.name, v.span));
                continue;
            }
            let w = self.ident("an option or end of statement")?;
            match w.name.as_str() {
                "timeout" if op.kind.can_block() => op.timeout = Some(self.operand()?),
                "nowait" if op.kind.can_block() => op.nowait = true,
                "type"
                    if matches!(
                        op.kind,
                        OpKind::Send { .. } | OpKind::Call { .. } | OpKind::Reply { .. } | OpKind::ReplyRecv { .. }
                    ) =>
                {
                    op.mtype = Some(self.operand()?)
                }
                "with"
                    if matches!(
                        op.kind,
                        OpKind::Send { .. } | OpKind::Call { .. } | OpKind::Reply { .. } | OpKind::ReplyRecv { .. }
                    ) =>
                {
                    op.with = Some(self.operand()?)
                }
                "timeout" | "nowait" => {
                    return self.err(
                        w.span,
                        format!("`{}` cannot block, so it takes no `{}`", op.kind.keyword(), w.name),
                    )
                }
                _ => {
                    if !extra(self, &w)? {
                        return self.err(
                            w.span,
                            format!("`{}` is not an option of `{}`", w.name, op.kind.keyword()),
                        );
                    }
                }
            }
        }
        if op.timeout.is_some() && op.nowait {
            let s = self.span();
            return self.err(s, "`timeout` and `nowait` together: choose one");
        }
        Ok(())
    }

    fn op(&mut self, word: &str) -> P<Op> {
        let kw = self.bump();
        let none = &mut |_: &mut Self, _: &Ident| -> P<bool> { Ok(false) };
        let kind = match word {
            "send" => OpKind::Send {
                cap: self.operand()?,
                value: self.operand()?,
            },
            "recv" => OpKind::Recv { cap: self.operand()? },
            "call" => OpKind::Call {
                cap: self.operand()?,
                value: self.operand()?,
            },
            "reply" => OpKind::Reply { value: self.operand()? },
            "reply_recv" => OpKind::ReplyRecv {
                cap: self.operand()?,
                value: self.operand()?,
            },
            "signal" => OpKind::Signal {
                cap: self.operand()?,
                bits: self.operand()?,
            },
            "wait" => OpKind::Wait { cap: self.operand()? },
            "msgget" => {
                let key = self.operand()?;
                return self.keyed_get(
                    OpKind::MsgGet {
                        key,
                        create: false,
                        exclusive: false,
                        mode: None,
                    },
                    false,
                );
            }
            "msgsnd" => OpKind::MsgSnd {
                cap: self.operand()?,
                mtype: self.operand()?,
                value: self.operand()?,
            },
            "msgrcv" => {
                let (cap, mtype) = (self.operand()?, self.operand()?);
                let (mut size, mut noerror, mut except) = (None, false, false);
                loop {
                    if size.is_none() && self.eat_word("size") {
                        size = Some(self.operand()?);
                    } else if !noerror && self.eat_word("noerror") {
                        noerror = true;
                    } else if !except && self.eat_word("except") {
                        except = true;
                    } else {
                        break;
                    }
                }
                OpKind::MsgRcv {
                    cap,
                    mtype,
                    size,
                    noerror,
                    except,
                }
            }
            "msgctl" | "shmctl" => {
                let cap = self.operand()?;
                let w = self.ident("`stat`, `set` or `remove`")?;
                match (word, w.name.as_str()) {
                    ("msgctl", "stat") => OpKind::MsgStat { cap },
                    ("msgctl", "set") => {
                        let (mut bytes, mut mode) = (None, None);
                        loop {
                            if bytes.is_none() && self.eat_word("bytes") {
                                bytes = Some(self.operand()?);
                            } else if mode.is_none() && self.eat_word("mode") {
                                mode = Some(self.operand()?);
                            } else {
                                break;
                            }
                        }
                        if bytes.is_none() && mode.is_none() {
                            return self.err(w.span, "`msgctl set` needs `bytes N`, `mode M` or both");
                        }
                        OpKind::MsgSet { cap, bytes, mode }
                    }
                    ("msgctl", "remove") => OpKind::MsgRemove { cap },
                    ("shmctl", "remove") => OpKind::ShmRemove { cap },
                    _ => {
                        return self.err(
                            w.span,
                            format!(
                                "`{word}` takes `{}`",
                                if word == "msgctl" {
                                    "stat`, `set` or `remove"
                                } else {
                                    "remove"
                                }
                            ),
                        )
                    }
                }
            }
            "mkfifo" => {
                let path = self.text_operand("a path (a string)")?;
                let mut op = Self::new_op(OpKind::Mkfifo { path, mode: None });
                let mut m = None;
                self.options(&mut op, &mut |p, w| {
                    if w.name == "mode" {
                        m = Some(p.operand()?);
                        Ok(true)
                    } else {
                        Ok(false)
                    }
                })?;
                if let OpKind::Mkfifo { mode, .. } = &mut op.kind {
                    *mode = m;
                }
                return Ok(op);
            }
            "open" => {
                let path = self.text_operand("a path (a string)")?;
                let w = self.ident("`read` or `write`")?;
                let write = match w.name.as_str() {
                    "read" => false,
                    "write" => true,
                    _ => return self.err(w.span, "expected `read` or `write`"),
                };
                OpKind::Open { path, write }
            }
            "write" => OpKind::Write {
                cap: self.operand()?,
                value: self.operand()?,
            },
            "read" => OpKind::Read {
                cap: self.operand()?,
                n: self.operand()?,
            },
            "close" => OpKind::Close { cap: self.operand()? },
            "destroy" => OpKind::Destroy { cap: self.operand()? },
            "semget" => {
                let key = self.operand()?;
                return self.keyed_get(
                    OpKind::SemGet {
                        key,
                        create: false,
                        exclusive: false,
                        value: None,
                        count: None,
                        mode: None,
                    },
                    true,
                );
            }
            "sem_wait" => OpKind::SemWait { cap: self.operand()? },
            "sem_post" => OpKind::SemPost { cap: self.operand()? },
            "derive" => {
                let cap = self.operand()?;
                let mut op = Self::new_op(OpKind::Derive {
                    cap,
                    rights: None,
                    badge: None,
                });
                let (mut r, mut b) = (None, None);
                self.options(&mut op, &mut |p, w| {
                    match w.name.as_str() {
                        "rights" => r = Some(p.rights()?),
                        "badge" => b = Some(p.operand()?),
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                if let OpKind::Derive { rights, badge, .. } = &mut op.kind {
                    (*rights, *badge) = (r, b);
                }
                return Ok(op);
            }
            "revoke" => OpKind::Revoke { cap: self.operand()? },
            "delete" => OpKind::Delete { cap: self.operand()? },
            "register" => {
                let name = self.text_operand("a service name (a string)")?;
                let cap = self.operand()?;
                let mut op = Self::new_op(OpKind::Register { name, cap, allow: None });
                let mut al = None;
                self.options(&mut op, &mut |p, w| {
                    if w.name != "allow" {
                        return Ok(false);
                    }
                    let mut v = vec![p.proc_name()?];
                    while p.eat_sym(",") {
                        v.push(p.proc_name()?);
                    }
                    al = Some(v);
                    Ok(true)
                })?;
                if let OpKind::Register { allow, .. } = &mut op.kind {
                    *allow = al;
                }
                return Ok(op);
            }
            "lookup" => OpKind::Lookup {
                name: self.text_operand("a service name (a string)")?,
            },
            "spawn" => {
                let program = self.ident("a program name")?;
                let mut op = Self::new_op(OpKind::Spawn {
                    program,
                    as_name: None,
                    share: Vec::new(),
                    inherit: false,
                });
                let (mut a, mut sh, mut inh) = (None, Vec::new(), false);
                self.options(&mut op, &mut |p, w| {
                    match w.name.as_str() {
                        "as" => a = Some(p.proc_name()?.name),
                        "share" => {
                            sh.push(p.operand()?);
                            while p.eat_sym(",") {
                                sh.push(p.operand()?);
                            }
                        }
                        "inherit" => inh = true,
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                if inh && !sh.is_empty() {
                    return self.err(
                        kw.span,
                        "`share` and `inherit` together: `inherit` already passes everything",
                    );
                }
                if let OpKind::Spawn {
                    as_name,
                    share,
                    inherit,
                    ..
                } = &mut op.kind
                {
                    (*as_name, *share, *inherit) = (a, sh, inh);
                }
                return Ok(op);
            }
            "wait_child" => OpKind::WaitChild,
            "kill" => {
                let target = self.target()?;
                let signal = if matches!(self.peek(), Tok::Ident(w) if w.starts_with("SIG")) {
                    self.signal()?
                } else if let Tok::Int(n) = *self.peek() {
                    // `kill PROC 0`: the existence and permission check.
                    let s = self.span();
                    if n != 0 {
                        return self.err(
                            s,
                            "a signal is named (SIGTERM, SIGUSR1, ...); the only number is 0, which sends none",
                        );
                    }
                    self.bump();
                    Signal::NONE
                } else {
                    Signal::SIGTERM
                };
                OpKind::Kill { target, signal }
            }
            "watch" => {
                let target = self.target()?;
                OpKind::Watch {
                    target,
                    cap: self.operand()?,
                    bits: self.operand()?,
                }
            }
            "ignore" => OpKind::Ignore(self.signal()?),
            "default" => OpKind::Default(self.signal()?),
            "block" => OpKind::Block(self.signal()?),
            "sigpending" => OpKind::SigPending(self.signal()?),
            "unblock" => OpKind::Unblock(self.signal()?),
            "shmget" => {
                let key = self.operand()?;
                let w = self.ident("`size N`")?;
                if w.name != "size" {
                    return self.err(w.span, "expected `size N` after the key");
                }
                let size = self.operand()?;
                return self.keyed_get(
                    OpKind::ShmGet {
                        key,
                        size,
                        create: false,
                        exclusive: false,
                        mode: None,
                    },
                    false,
                );
            }
            "shmat" => {
                let cap = self.operand()?;
                let mut op = Self::new_op(OpKind::ShmAt { cap, readonly: false });
                let mut ro = false;
                self.options(&mut op, &mut |_, w| {
                    if w.name == "readonly" {
                        ro = true;
                        Ok(true)
                    } else {
                        Ok(false)
                    }
                })?;
                if let OpKind::ShmAt { readonly, .. } = &mut op.kind {
                    *readonly = ro;
                }
                return Ok(op);
            }
            "shmdt" => OpKind::ShmDt { cap: self.operand()? },
            "store" => OpKind::Store {
                cap: self.operand()?,
                offset: self.operand()?,
                value: self.operand()?,
            },
            "load" => OpKind::Load {
                cap: self.operand()?,
                offset: self.operand()?,
                len: self.length_or_int()?,
            },
            "poke" => OpKind::Poke {
                addr: self.operand()?,
                value: self.operand()?,
            },
            "peek" => OpKind::Peek {
                addr: self.operand()?,
                len: self.length_or_int()?,
            },
            "mmap" => {
                let file = self.operand()?;
                let mut op = Self::new_op(OpKind::Mmap { file, shared: true });
                let mut sh = true;
                self.options(&mut op, &mut |_, w| {
                    match w.name.as_str() {
                        "shared" => sh = true,
                        "private" => sh = false,
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                if let OpKind::Mmap { shared, .. } = &mut op.kind {
                    *shared = sh;
                }
                return Ok(op);
            }
            "msync" => OpKind::Msync { cap: self.operand()? },
            "munmap" => OpKind::Munmap { cap: self.operand()? },
            "sleep" => OpKind::Sleep { t: self.operand()? },
            "compute" => OpKind::Compute { t: self.operand()? },
            "yield" => OpKind::Yield,
            w if net::NET_WORDS.contains(&w) => return self.net_op(w, kw.span),
            "semop" => return self.semop(),
            "semctl" => return self.semctl(),
            _ => return self.err(kw.span, format!("unknown statement `{word}`")),
        };
        let mut op = Self::new_op(kind);
        self.options(&mut op, none)?;
        Ok(op)
    }

    /// The process operand of `kill` and `watch`: a name, a PID variable, or a quoted instance name.
    fn target(&mut self) -> P<Target> {
        match self.peek().clone() {
            Tok::Str(s) => {
                let sp = self.bump().span;
                Ok(Target::Str(s, sp))
            }
            _ => {
                let i = self.ident("a process name")?;
                Ok(Target::Name(Var::new(i.name, i.span)))
            }
        }
    }

    /// The options of a keyed get (`msgget`, `semget`, `shmget`): `create`,
    /// `exclusive`, `mode M`, and for `semget` `value N`, in any order.
    fn keyed_get(&mut self, kind: OpKind, with_value: bool) -> P<Op> {
        let mut op = Self::new_op(kind);
        let (mut c, mut x, mut v, mut n, mut m) = (false, false, None, None, None);
        self.options(&mut op, &mut |p, w| {
            match w.name.as_str() {
                "create" => c = true,
                "exclusive" => x = true,
                "value" if with_value => v = Some(p.operand()?),
                "count" if with_value => n = Some(p.operand()?),
                "mode" => m = Some(p.operand()?),
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        match &mut op.kind {
            OpKind::MsgGet {
                create,
                exclusive,
                mode,
                ..
            }
            | OpKind::ShmGet {
                create,
                exclusive,
                mode,
                ..
            } => {
                (*create, *exclusive, *mode) = (c, x, m);
            }
            OpKind::SemGet {
                create,
                exclusive,
                value,
                count,
                mode,
                ..
            } => {
                (*create, *exclusive, *value, *count, *mode) = (c, x, v, n, m);
            }
            _ => {}
        }
        Ok(op)
    }

    fn proc_name(&mut self) -> P<Ident> {
        match self.peek().clone() {
            Tok::Str(s) => {
                let span = self.bump().span;
                if s.len() > NAME_BYTES_MAX {
                    return self.err(
                        span,
                        format!(
                            "this name is {} bytes long; a name holds at most {NAME_BYTES_MAX}",
                            s.len()
                        ),
                    );
                }
                Ok(Ident { name: s, span })
            }
            _ => self.ident("a process name"),
        }
    }

    // ----- expressions ----------------------------------------------------------------------

    /// One term: a literal (with its leading `-`), a name, a field, `now`, or `( expr )`.
    fn operand(&mut self) -> P<Expr> {
        if self.is_sym("-") {
            let s = self.span();
            if let Tok::Int(v) = *self.peek_at(1) {
                self.bump();
                self.bump();
                return Ok(Expr::Int(-v, s));
            }
        }
        self.postfix()
    }

    fn expr(&mut self) -> P<Expr> {
        let mut l = self.and_expr()?;
        while self.is_word("or") {
            let s = self.bump().span;
            self.count_op(s)?;
            let r = self.and_expr()?;
            l = Expr::Bin(BinOp::Or, Box::new(l), Box::new(r), s);
        }
        Ok(l)
    }

    fn and_expr(&mut self) -> P<Expr> {
        let mut l = self.not_expr()?;
        while self.is_word("and") {
            let s = self.bump().span;
            self.count_op(s)?;
            let r = self.not_expr()?;
            l = Expr::Bin(BinOp::And, Box::new(l), Box::new(r), s);
        }
        Ok(l)
    }

    fn not_expr(&mut self) -> P<Expr> {
        if self.is_word("not") {
            let s = self.bump().span;
            self.count_op(s)?;
            let e = self.not_expr()?;
            return Ok(Expr::Not(Box::new(e), s));
        }
        self.cmp_expr()
    }

    fn cmp_expr(&mut self) -> P<Expr> {
        let l = self.add_expr()?;
        let op = match self.peek() {
            Tok::Sym("==") => BinOp::Eq,
            Tok::Sym("!=") => BinOp::Ne,
            Tok::Sym("<") => BinOp::Lt,
            Tok::Sym("<=") => BinOp::Le,
            Tok::Sym(">") => BinOp::Gt,
            Tok::Sym(">=") => BinOp::Ge,
            Tok::Ident(w) if w == "is" => {
                let s = self.bump().span;
                self.count_op(s)?;
                let w = self.ident("`ok` or an error name")?;
                if w.name == "ok" {
                    return Ok(Expr::Is(Box::new(l), None, s));
                }
                return match Error::from_name(&w.name) {
                    Some(e) => Ok(Expr::Is(Box::new(l), Some(e), s)),
                    None => self.err(
                        w.span,
                        format!("unknown error `{}` (after `is`: `ok` or an error name)", w.name),
                    ),
                };
            }
            _ => return Ok(l),
        };
        let s = self.bump().span;
        self.count_op(s)?;
        let r = self.add_expr()?;
        Ok(Expr::Bin(op, Box::new(l), Box::new(r), s))
    }

    fn add_expr(&mut self) -> P<Expr> {
        let mut l = self.mul_expr()?;
        loop {
            let op = match self.peek() {
                Tok::Sym("+") => BinOp::Add,
                Tok::Sym("-") => BinOp::Sub,
                _ => return Ok(l),
            };
            let s = self.bump().span;
            self.count_op(s)?;
            let r = self.mul_expr()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r), s);
        }
    }

    fn mul_expr(&mut self) -> P<Expr> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Sym("*") => BinOp::Mul,
                Tok::Sym("/") => BinOp::Div,
                Tok::Sym("%") => BinOp::Rem,
                _ => return Ok(l),
            };
            let s = self.bump().span;
            self.count_op(s)?;
            let r = self.unary()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r), s);
        }
    }

    fn unary(&mut self) -> P<Expr> {
        if self.is_sym("-") {
            let s = self.bump().span;
            if let Tok::Int(v) = *self.peek() {
                self.bump();
                return Ok(Expr::Int(-v, s));
            }
            self.count_op(s)?;
            let e = self.unary()?;
            return Ok(Expr::Neg(Box::new(e), s));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> P<Expr> {
        let mut e = self.atom()?;
        while self.is_sym(".") {
            let s = self.bump().span;
            self.count_op(s)?;
            let f = self.ident("a field name")?;
            e = Expr::Field(Box::new(e), f);
        }
        Ok(e)
    }

    fn atom(&mut self) -> P<Expr> {
        let s = self.span();
        match self.peek().clone() {
            Tok::Int(v) => {
                self.bump();
                Ok(Expr::Int(v, s))
            }
            Tok::Str(v) => {
                self.bump();
                Ok(Expr::Str(v, s))
            }
            Tok::Sym("(") => {
                self.bump();
                self.count_op(s)?;
                let e = self.expr()?;
                self.expect_sym(")")?;
                Ok(e)
            }
            Tok::Ident(w) if self.is_call(&w) => self.call(s, &w),
            Tok::Ident(w) => {
                self.bump();
                Ok(match w.as_str() {
                    "true" => Expr::Bool(true, s),
                    "false" => Expr::Bool(false, s),
                    "now" => Expr::Now(s),
                    _ => Expr::Var(Var::new(w, s)),
                })
            }
            _ => self.unexpected("a value"),
        }
    }

    /// A built-in's name written right against `(`: `field(x, " ", 2)`. With
    /// a space it stays a name and an operand (`send m (x)` sends `x` on `m`).
    fn is_call(&self, w: &str) -> bool {
        let next = &self.toks[(self.pos + 1).min(self.toks.len() - 1)];
        Builtin::from_name(w).is_some() && next.tok == Tok::Sym("(") && next.span.start == self.span().end
    }

    /// `NAME(ARG, ...)`, its argument count checked where it is written.
    fn call(&mut self, s: Span, w: &str) -> P<Expr> {
        let b = Builtin::from_name(w).expect("is_call checked the name");
        self.bump();
        self.bump();
        self.count_op(s)?;
        let mut args = Vec::new();
        if !self.is_sym(")") {
            args.push(self.expr()?);
            while self.eat_sym(",") {
                args.push(self.expr()?);
            }
        }
        self.expect_sym(")")?;
        let want = b.params();
        if args.len() != want.len() {
            return self.err(
                s,
                format!(
                    "`{}` takes {} argument{} ({}), found {}",
                    b.name(),
                    want.len(),
                    if want.len() == 1 { "" } else { "s" },
                    want.join(", "),
                    args.len()
                ),
            );
        }
        Ok(Expr::Call(b, args, s))
    }
}
