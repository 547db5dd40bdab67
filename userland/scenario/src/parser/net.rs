//! The parser's part for the sockets extension: `host NAME { ... }`,
//! `link`, `partition`, and the socket statements.

use super::{Bail, Parser, P};
use crate::ast::*;
use crate::diag::Span;
use crate::lexer::Tok;

/// The socket statements' keywords.
pub(super) const NET_WORDS: [&str; 10] = [
    "socket",
    "socketpair",
    "bind",
    "listen",
    "accept",
    "connect",
    "shutdown",
    "sendto",
    "recvfrom",
    "unlink",
];

impl Parser<'_> {
    /// `host NAME { DECLARATIONS }`: what is declared inside belongs to NAME
    /// (`host local { }` adds to `local`).
    pub(super) fn host_block(&mut self) -> P<()> {
        self.bump();
        let name = self.ident("a host name")?;
        let index = match self.sc.host_index(&name.name) {
            Some(i) => i,
            None => self.sc.add_host(name.clone()),
        };
        self.expect_sym("{")?;
        let outer = self.host;
        self.host = index;
        let r = self.host_items();
        self.host = outer;
        r
    }

    fn host_items(&mut self) -> P<()> {
        loop {
            self.skip_newlines();
            if self.eat_sym("}") {
                return Ok(());
            }
            if matches!(self.peek(), Tok::Eof) {
                let s = self.span();
                return self.err(s, "missing `}` at end of file (a `host` block is open)");
            }
            if self.top_item().is_err() {
                self.recover();
            }
        }
    }

    /// `link HOST HOST [latency T] [loss P]`.
    pub(super) fn link_decl(&mut self) -> P<()> {
        self.bump();
        let a = self.ident("a host name")?;
        let b = self.ident("a host name")?;
        let mut link = LinkDecl {
            a,
            b,
            latency: 1,
            loss: 0,
        };
        while !self.at_end() {
            let w = self.ident("`latency T`, `loss P` or end of line")?;
            match w.name.as_str() {
                "latency" => {
                    let s = self.span();
                    link.latency = self.uint("a latency in ticks")?;
                    if link.latency == 0 {
                        return self.err(s, "a link's latency is at least 1 tick");
                    }
                }
                "loss" => {
                    let s = self.span();
                    let p = self.uint("a loss in percent")?;
                    if p > 100 {
                        return self.err(s, "a link's loss is a percentage, 0 to 100");
                    }
                    link.loss = p as u8;
                }
                _ => return self.err(w.span, format!("unknown link option `{}` (latency, loss)", w.name)),
            }
        }
        self.sc.links.push(link);
        Ok(())
    }

    /// `partition HOST HOST from T [until T2]`.
    pub(super) fn partition_decl(&mut self) -> P<()> {
        self.bump();
        let a = self.ident("a host name")?;
        let b = self.ident("a host name")?;
        let w = self.ident("`from T`")?;
        if w.name != "from" {
            return self.err(w.span, "expected `from T` (the partition's start)");
        }
        let from = self.uint("a time")?;
        let mut until = None;
        if self.eat_word("until") {
            let s = self.span();
            let t = self.uint("a time")?;
            if t <= from {
                return self.err(s, "a partition ends after it starts (`until` > `from`)");
            }
            until = Some(t);
        }
        self.sc.partitions.push(PartitionDecl { a, b, from, until });
        Ok(())
    }

    /// A HOST operand: a bare name, or a field or parenthesised expression.
    fn host_ref(&mut self) -> P<HostRef> {
        if let Tok::Ident(_) = self.peek() {
            if !matches!(self.peek_at(1), Tok::Sym(".")) {
                return Ok(HostRef::Name(self.ident("a host")?));
            }
        }
        Ok(HostRef::Expr(self.operand()?))
    }

    /// Where a `connect` or `sendto` goes: "PATH", or HOST PORT.
    fn dest(&mut self) -> P<Dest> {
        if let Tok::Str(_) = self.peek() {
            return Ok(Dest::Path(self.operand()?));
        }
        let host = self.host_ref()?;
        Ok(Dest::Inet(host, self.operand()?))
    }

    /// A socket statement (its keyword taken).
    pub(super) fn net_op(&mut self, word: &str, at: Span) -> P<Op> {
        let net = match word {
            "socket" => {
                let ty = self.ident("`stream` or `dgram`")?;
                let stream = match ty.name.as_str() {
                    "stream" => true,
                    "dgram" => false,
                    _ => return self.err(ty.span, "expected `stream` or `dgram`"),
                };
                NetOp::Socket {
                    stream,
                    unix: self.eat_word("unix"),
                }
            }
            "socketpair" => return self.socketpair(at),
            "bind" => {
                let cap = self.operand()?;
                let addr = self.operand()?;
                let mut op = Self::new_op(OpKind::Net(NetOp::Bind { cap, addr, mode: None }));
                let mut m = None;
                self.options(&mut op, &mut |p, w| {
                    if w.name != "mode" {
                        return Ok(false);
                    }
                    m = Some(p.operand()?);
                    Ok(true)
                })?;
                if let OpKind::Net(NetOp::Bind { mode, .. }) = &mut op.kind {
                    *mode = m;
                }
                return Ok(op);
            }
            "listen" => {
                let cap = self.operand()?;
                let mut op = Self::new_op(OpKind::Net(NetOp::Listen { cap, backlog: None }));
                let mut b = None;
                self.options(&mut op, &mut |p, w| {
                    if w.name != "backlog" {
                        return Ok(false);
                    }
                    b = Some(p.operand()?);
                    Ok(true)
                })?;
                if let OpKind::Net(NetOp::Listen { backlog, .. }) = &mut op.kind {
                    *backlog = b;
                }
                return Ok(op);
            }
            "accept" => NetOp::Accept { cap: self.operand()? },
            "connect" => NetOp::Connect {
                cap: self.operand()?,
                to: self.dest()?,
            },
            "shutdown" => NetOp::Shutdown { cap: self.operand()? },
            "sendto" => NetOp::SendTo {
                cap: self.operand()?,
                to: self.dest()?,
                value: self.operand()?,
            },
            "recvfrom" => NetOp::RecvFrom { cap: self.operand()? },
            _ => NetOp::Unlink { path: self.operand()? },
        };
        let mut op = Self::new_op(OpKind::Net(net));
        self.options(&mut op, &mut |_, _| Ok(false))?;
        Ok(op)
    }

    /// `socketpair stream -> A B`.
    fn socketpair(&mut self, at: Span) -> P<Op> {
        let ty = self.ident("`stream`")?;
        if ty.name != "stream" {
            return self.err(ty.span, "a socketpair is `stream` (two connected unix stream sockets)");
        }
        if !self.eat_sym("->") {
            return self.err(at, "`socketpair stream -> A B` names its two ends");
        }
        let a = self.ident("the first end's name")?;
        let b = self.ident("the second end's name")?;
        let mut op = Self::new_op(OpKind::Net(NetOp::SocketPair {
            second: Some(Var::new(b.name, b.span)),
        }));
        op.bind = Some(Var::new(a.name, a.span));
        if !self.at_end() {
            return self.unexpected("end of statement");
        }
        let _ = Bail;
        Ok(op)
    }
}
