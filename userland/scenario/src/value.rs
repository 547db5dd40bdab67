//! Values of the scenario language and their comparisons.
//!
//! Values of different kinds compare unequal, never an error; a message
//! compares equal to a string or integer by its data.

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use ipcsim_kernel::{CapId, Data, Error, Message, Pid};

/// A datagram as a scenario sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// Its data.
    pub data: Data,
    /// The sender's host name.
    pub host: Arc<str>,
    /// The sender's port (0 for a unix sender).
    pub port: u16,
    /// A unix sender's path.
    pub path: Option<Arc<str>>,
}

/// A value.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Value {
    /// `ok`: an operation that returns nothing.
    #[default]
    Unit,
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(Arc<str>),
    /// A received message.
    Msg(Rc<Message>),
    /// A capability.
    Cap(CapId),
    /// An error (bound by `try ... -> VAR`).
    Err(Error),
    /// A process id (`spawn ... -> PID`).
    Pid(Pid),
    /// A reaped child (`wait_child`): name and state.
    Child(Rc<(String, ipcsim_kernel::Ending)>),
    /// A datagram received (`recvfrom`): compares by its data.
    Dgram(Rc<Datagram>),
    /// The two ends `socketpair` made (bound to two names at once).
    CapPair(CapId, CapId),
    /// `msgctl stat`.
    Stat {
        /// Messages queued.
        count: u64,
        /// Data bytes queued.
        bytes: u64,
        /// The byte limit (`msg_qbytes`).
        qbytes: u64,
    },
}

impl Value {
    /// The value carried as message data.
    pub fn from_data(d: &Data) -> Value {
        match d {
            Data::Unit => Value::Unit,
            Data::Int(i) => Value::Int(*i),
            Data::Bool(b) => Value::Bool(*b),
            Data::Str(s) => Value::Str(s.clone()),
        }
    }

    /// The data a value sends: a message sends its data; capabilities and errors cannot be sent as data.
    pub fn to_data(&self) -> Option<Data> {
        Some(match self {
            Value::Unit => Data::Unit,
            Value::Int(i) => Data::Int(*i),
            Value::Bool(b) => Data::Bool(*b),
            Value::Str(s) => Data::Str(s.clone()),
            Value::Msg(m) => m.data.clone(),
            Value::Pid(p) => Data::Int(i64::from(p.0)),
            _ => return None,
        })
    }

    /// What kind of value this is, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Unit => "ok",
            Value::Int(_) => "an integer",
            Value::Bool(_) => "a boolean",
            Value::Str(_) => "a string",
            Value::Msg(_) => "a message",
            Value::Cap(_) => "a capability",
            Value::Err(_) => "an error",
            Value::Pid(_) => "a process",
            Value::Child(_) => "a child",
            Value::Stat { .. } => "queue statistics",
            Value::Dgram(_) => "a datagram",
            Value::CapPair(..) => "two capabilities",
        }
    }

    /// Scalar view: a message stands for its data.
    pub(crate) fn scalar(&self) -> Value {
        match self {
            Value::Msg(m) => Value::from_data(&m.data),
            Value::Dgram(d) => Value::from_data(&d.data),
            v => v.clone(),
        }
    }

    /// Equality as the language defines it.
    pub fn equals(&self, other: &Value) -> bool {
        self.scalar() == other.scalar()
    }

    /// Ordering: integers with integers, strings with strings; anything else is not ordered.
    pub fn compare(&self, other: &Value) -> Option<std::cmp::Ordering> {
        match (self.scalar(), other.scalar()) {
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(&b)),
            (Value::Str(a), Value::Str(b)) => Some(a.cmp(&b)),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Unit => f.write_str("ok"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Str(s) => f.write_str(s),
            Value::Msg(m) => match &m.data {
                Data::Str(s) => f.write_str(s),
                d => write!(f, "{d}"),
            },
            Value::Cap(c) => write!(f, "cap#{}", c.0.index()),
            Value::Err(e) => write!(f, "{e}"),
            Value::Pid(p) => write!(f, "pid {p}"),
            Value::Child(c) => write!(f, "{} {}", c.0, c.1.word()),
            Value::Stat { count, bytes, qbytes } => write!(f, "{count} messages, {bytes} of {qbytes} bytes"),
            Value::Dgram(d) => write!(f, "{}", Value::from_data(&d.data)),
            Value::CapPair(a, b) => write!(f, "{a:?} {b:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_equals_its_data_and_kinds_never_mix() {
        let m = Value::Msg(Rc::new(Message::new(Data::Int(42))));
        assert!(m.equals(&Value::Int(42)));
        assert!(!m.equals(&Value::Str("42".into())));
        assert!(!Value::Int(1).equals(&Value::Bool(true)));
        assert_eq!(Value::Int(1).compare(&Value::Str("a".into())), None);
    }
}
