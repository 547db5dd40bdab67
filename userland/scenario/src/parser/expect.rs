//! The parser's part for scenario-level expectations: outcomes, deadlock,
//! files, the time the run ends (`expect now == T`) and trace facts
//! (`expect trace PROC "TEXT" at T`), the forms a prediction is written in.

use ipcsim_kernel::Error;

use super::{Bail, Parser, P};
use crate::ast::*;
use crate::diag::Span;
use crate::lexer::Tok;

/// The comparison a symbol names, for `expect now OP T`.
fn compare_op(s: &str) -> Option<BinOp> {
    Some(match s {
        "==" => BinOp::Eq,
        "!=" => BinOp::Ne,
        "<" => BinOp::Lt,
        "<=" => BinOp::Le,
        ">" => BinOp::Gt,
        ">=" => BinOp::Ge,
        _ => return None,
    })
}

impl Parser<'_> {
    pub(super) fn top_expect(&mut self) -> P<()> {
        let kw = self.bump();
        let span = kw.span;
        if self.eat_word("deadlock") {
            self.end_of_statement()?;
            self.sc.expects.push(TopExpect::Deadlock(true, span));
            return Ok(());
        }
        if self.is_word("no") && matches!(self.peek_at(1), Tok::Ident(w) if w == "deadlock") {
            self.bump();
            self.bump();
            self.end_of_statement()?;
            self.sc.expects.push(TopExpect::Deadlock(false, span));
            return Ok(());
        }
        if self.is_word("now") && matches!(self.peek_at(1), Tok::Sym(s) if compare_op(s).is_some()) {
            self.bump();
            let op = match self.bump().tok {
                Tok::Sym(s) => compare_op(s).ok_or(Bail)?,
                _ => return Err(Bail),
            };
            let time = self.uint("a time (an integer)")?;
            self.end_of_statement()?;
            self.sc.expects.push(TopExpect::Now { op, time, span });
            return Ok(());
        }
        let negated = self.is_word("no") && matches!(self.peek_at(1), Tok::Ident(w) if w == "trace");
        if negated || (self.is_word("trace") && self.trace_fact_follows()) {
            if negated {
                self.bump();
            }
            self.bump();
            let fact = self.trace_fact(negated, span)?;
            self.sc.expects.push(TopExpect::Trace(fact));
            return Ok(());
        }
        if self.is_word("file") && matches!(self.peek_at(1), Tok::Ident(_)) && matches!(self.peek_at(2), Tok::Sym("=="))
        {
            self.bump();
            let name = self.ident("a file name")?;
            self.expect_sym("==")?;
            let value = self.expr()?;
            self.end_of_statement()?;
            self.sc.expects.push(TopExpect::File { name, value, span });
            return Ok(());
        }
        let name = match self.peek().clone() {
            Tok::Str(s) => {
                let sp = self.bump().span;
                Ident { name: s, span: sp }
            }
            Tok::Ident(_) => self.ident("a process name")?,
            _ => return self.unexpected("a process name, `deadlock`, `no deadlock`, `file`, `now` or `trace`"),
        };
        let w = self.ident("exited, failed, blocked or killed")?;
        let what = match w.name.as_str() {
            "exited" => ProcExpect::Exited,
            "blocked" => ProcExpect::Blocked,
            "failed" => {
                if let Tok::Ident(e) = self.peek().clone() {
                    let sp = self.bump().span;
                    match Error::from_name(&e) {
                        Some(err) => ProcExpect::Failed(Some(err)),
                        None => return self.err(sp, format!("unknown error `{e}`")),
                    }
                } else {
                    ProcExpect::Failed(None)
                }
            }
            "killed" => {
                if matches!(self.peek(), Tok::Ident(_)) {
                    ProcExpect::Killed(Some(self.signal()?))
                } else {
                    ProcExpect::Killed(None)
                }
            }
            _ => {
                return self.err(
                    w.span,
                    format!("expected exited, failed, blocked or killed, found `{}`", w.name),
                )
            }
        };
        self.end_of_statement()?;
        self.sc.expects.push(TopExpect::Proc { name, what, span });
        Ok(())
    }

    /// Whether `trace` starts a trace fact (`trace "TEXT"` or `trace PROC "TEXT"`)
    /// rather than naming a process called `trace`.
    fn trace_fact_follows(&self) -> bool {
        matches!(self.peek_at(1), Tok::Str(_))
            || (matches!(self.peek_at(1), Tok::Ident(_)) && matches!(self.peek_at(2), Tok::Str(_)))
    }

    /// The rest of `expect [no] trace [PROC] "TEXT" [at T]`.
    fn trace_fact(&mut self, negated: bool, span: Span) -> P<TraceFact> {
        let proc = match self.peek().clone() {
            Tok::Ident(_) => Some(self.ident("a process name")?),
            _ => None,
        };
        let (text, text_span) = self.string("the text of an event, in quotes")?;
        if text.is_empty() {
            return self.err(
                text_span,
                "an empty text matches every event: write what the event says",
            );
        }
        let at = if self.eat_word("at") {
            Some(self.uint("a time (an integer)")?)
        } else {
            None
        };
        self.end_of_statement()?;
        Ok(TraceFact {
            negated,
            proc,
            text,
            at,
            span,
        })
    }
}
