//! The interpreter's part for System V semaphore sets: the `semop` and
//! `semctl` system calls, their operands checked and converted (a semaphore
//! number from 0, an operation within Linux's `short`).

use ipcsim_kernel::{Error, SemCmd, SemOp, Syscall, Timeout};

use super::{Built, Interp};
use crate::ast::{Expr, Op, OpKind, SemCtlCmd};

impl Interp<'_> {
    /// A semaphore number or count operand: 0 to `u32::MAX`.
    fn sem_number(&self, e: &Expr) -> Result<u32, Error> {
        let n = self.uint(e)?;
        u32::try_from(n).map_err(|_| self.bad(e.span(), format!("no semaphore set has {n} semaphores")))
    }

    /// `semget ... count N`: at least 1.
    pub(super) fn sem_count(&self, e: &Expr) -> Result<u32, Error> {
        match self.sem_number(e)? {
            0 => Err(self.bad(e.span(), "a semaphore set holds at least 1 semaphore")),
            n => Ok(n),
        }
    }

    /// The system call of a `semop` or `semctl` statement.
    pub(super) fn build_sem(&mut self, op: &Op, to: Timeout) -> Result<Built, Error> {
        Ok(Built::Call(match &op.kind {
            OpKind::SemOp { cap, ops, undo } => {
                let mut v = Vec::with_capacity(ops.len());
                for (num, o) in ops {
                    let x = self.int(o)?;
                    // Linux's sem_op is a short.
                    if i64::from(i16::MIN) > x || x > i64::from(i16::MAX) {
                        return Err(self.bad(o.span(), format!("a semaphore operation is -32768 to 32767, not {x}")));
                    }
                    v.push(SemOp {
                        num: self.sem_number(num)?,
                        op: x,
                    });
                }
                Syscall::SemOp {
                    cap: self.cap(cap)?,
                    ops: v.into(),
                    undo: *undo,
                    timeout: to,
                }
            }
            OpKind::SemCtl { cap, cmd, num, value } => {
                let cap = self.cap(cap)?;
                let num = match num {
                    Some(n) => self.sem_number(n)?,
                    None => 0,
                };
                let cmd = match cmd {
                    SemCtlCmd::Remove => return Ok(Built::Call(Syscall::Remove { cap })),
                    SemCtlCmd::GetVal => SemCmd::GetVal,
                    SemCtlCmd::GetNcnt => SemCmd::GetNcnt,
                    SemCtlCmd::GetZcnt => SemCmd::GetZcnt,
                    // The parser makes sure `setval` has its value.
                    SemCtlCmd::SetVal => SemCmd::SetVal(value.as_ref().map_or(Ok(0), |v| self.uint(v))?),
                };
                Syscall::SemCtl { cap, num, cmd }
            }
            _ => return Err(Error::InvalidArgument),
        }))
    }
}
