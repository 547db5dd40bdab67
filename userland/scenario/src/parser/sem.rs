//! The parser's part for System V semaphore sets (an ipcsim extension, as
//! Linux's `semop` and `semctl`): `semop CAP NUM:OP ... [undo]` and
//! `semctl CAP getval|setval|getncnt|getzcnt|remove`.

use super::{Parser, P};
use crate::ast::*;
use crate::lexer::Tok;
use ipcsim_kernel::semop::SEMOPM;

impl Parser<'_> {
    /// `semop CAP NUM:OP [NUM:OP ...] [undo] [nowait] [timeout T] [-> VAR]`.
    pub(super) fn semop(&mut self) -> P<Op> {
        let cap = self.operand()?;
        let mut ops = Vec::new();
        // A pair starts with a term followed by `:`; a word not followed by
        // `:` is an option (`undo`, `nowait`, `timeout`).
        while !self.at_end() && !self.is_sym("->") && !self.at_option_word() {
            let s = self.span();
            if ops.len() == SEMOPM {
                return self.err(s, format!("a semop holds at most {SEMOPM} operations (Linux's SEMOPM)"));
            }
            let num = self.operand()?;
            self.expect_sym(":")?;
            let op = self.operand()?;
            ops.push((num, op));
        }
        if ops.is_empty() {
            let s = self.span();
            return self.err(
                s,
                "`semop` needs at least one operation `NUM:OP` (`0:-1` takes a unit of semaphore 0)",
            );
        }
        let mut op = Self::new_op(OpKind::SemOp { cap, ops, undo: false });
        let mut undo = false;
        self.options(&mut op, &mut |_, w| {
            Ok(w.name == "undo" && !std::mem::replace(&mut undo, true))
        })?;
        if let OpKind::SemOp { undo: u, .. } = &mut op.kind {
            *u = undo;
        }
        Ok(op)
    }

    /// A word that is not the start of a `NAME:OP` pair.
    fn at_option_word(&self) -> bool {
        matches!(self.peek(), Tok::Ident(_)) && *self.peek_at(1) != Tok::Sym(":")
    }

    /// `semctl CAP getval|getncnt|getzcnt [N] -> VAR`, `semctl CAP setval [N] VALUE`,
    /// `semctl CAP remove`.
    pub(super) fn semctl(&mut self) -> P<Op> {
        let cap = self.operand()?;
        let w = self.ident("`getval`, `setval`, `getncnt`, `getzcnt` or `remove`")?;
        let cmd = match w.name.as_str() {
            "getval" => SemCtlCmd::GetVal,
            "setval" => SemCtlCmd::SetVal,
            "getncnt" => SemCtlCmd::GetNcnt,
            "getzcnt" => SemCtlCmd::GetZcnt,
            "remove" => SemCtlCmd::Remove,
            _ => {
                return self.err(
                    w.span,
                    "`semctl` takes `getval`, `setval`, `getncnt`, `getzcnt` or `remove`",
                )
            }
        };
        let more = |p: &Self| !p.at_end() && !p.is_sym("->");
        let (mut num, mut value) = (None, None);
        match cmd {
            SemCtlCmd::Remove => {}
            SemCtlCmd::SetVal => {
                if !more(self) {
                    let s = self.span();
                    return self.err(
                        s,
                        "`semctl setval` needs a value (`setval V`, or `setval N V` for semaphore N)",
                    );
                }
                let first = self.operand()?;
                if more(self) {
                    num = Some(first);
                    value = Some(self.operand()?);
                } else {
                    value = Some(first);
                }
            }
            _ if more(self) => num = Some(self.operand()?),
            _ => {}
        }
        let mut op = Self::new_op(OpKind::SemCtl { cap, cmd, num, value });
        self.options(&mut op, &mut |_, _| Ok(false))?;
        Ok(op)
    }
}
