//! The built-in functions of strings and integers (`contains`, `field`,
//! `fields`, `trim`, `str`, `int`): what a homework pipeline needs to take
//! lines apart and count. Each refuses a value of the wrong kind with an
//! error at its position (the process fails `InvalidArgument`).

use ipcsim_kernel::Error;

use super::Interp;
use crate::ast::{Builtin, Expr};
use crate::value::Value;

impl Interp<'_> {
    /// A string argument's value (a message's string data counts).
    fn string_arg(&self, b: Builtin, e: &Expr) -> Result<std::sync::Arc<str>, Error> {
        match self.eval(e)?.scalar() {
            Value::Str(s) => Ok(s),
            v => Err(self.bad(
                e.span(),
                format!("`{}` needs a string here, not {}", b.name(), v.kind()),
            )),
        }
    }

    /// A separator: a non-empty string.
    fn separator(&self, b: Builtin, e: &Expr) -> Result<std::sync::Arc<str>, Error> {
        let sep = self.string_arg(b, e)?;
        if sep.is_empty() {
            return Err(self.bad(e.span(), format!("`{}` needs a separator that is not empty", b.name())));
        }
        Ok(sep)
    }

    /// Evaluates a built-in call (the parser checked the argument count).
    pub(super) fn call(&self, b: Builtin, args: &[Expr]) -> Result<Value, Error> {
        let arg = |i: usize| &args[i];
        Ok(match b {
            Builtin::Contains => {
                let (s, t) = (self.string_arg(b, arg(0))?, self.string_arg(b, arg(1))?);
                Value::Bool(s.contains(&*t))
            }
            Builtin::Field => {
                let (s, sep) = (self.string_arg(b, arg(0))?, self.separator(b, arg(1))?);
                let n = self.int(arg(2))?;
                if n < 1 {
                    return Err(self.bad(arg(2).span(), format!("fields count from 1, not {n}")));
                }
                let piece = if s.is_empty() {
                    None
                } else {
                    usize::try_from(n - 1).ok().and_then(|i| s.split(&*sep).nth(i))
                };
                Value::Str(piece.unwrap_or("").into())
            }
            Builtin::Fields => {
                let (s, sep) = (self.string_arg(b, arg(0))?, self.separator(b, arg(1))?);
                let n = if s.is_empty() { 0 } else { s.split(&*sep).count() };
                Value::Int(n as i64)
            }
            Builtin::Trim => Value::Str(self.string_arg(b, arg(0))?.trim().into()),
            Builtin::Str => match self.eval(arg(0))?.scalar() {
                Value::Int(i) => Value::Str(i.to_string().into()),
                Value::Bool(x) => Value::Str(x.to_string().into()),
                Value::Str(s) => Value::Str(s),
                v => return Err(self.bad(arg(0).span(), format!("`str` of {} has no text", v.kind()))),
            },
            Builtin::Int => match self.eval(arg(0))?.scalar() {
                Value::Int(i) => Value::Int(i),
                Value::Str(s) => match s.trim().parse::<i64>() {
                    Ok(i) => Value::Int(i),
                    Err(_) => {
                        let shown: String = s.chars().take(40).collect();
                        return Err(self.bad(arg(0).span(), format!("`int` of {shown:?}: not an integer")));
                    }
                },
                v => return Err(self.bad(arg(0).span(), format!("`int` needs a string, not {}", v.kind()))),
            },
        })
    }
}
