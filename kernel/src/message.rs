//! Messages: the data a process hands the kernel, and what a receiver gets back.
//!
//! Data keeps its type across the kernel (an integer sent is an integer
//! received). Strings are reference-counted so that copying a message between
//! queues never allocates; the kernel still *counts* the copies a real kernel
//! would make (see [`crate::stats`]).

use std::fmt;
use std::sync::Arc;

use crate::CapId;

/// The payload of a message.
// A word-sized tag: with the default one-byte tag, a `Bool`'s payload sits
// at byte 1 and every move of a message copied bytes 1-7 apart from the
// rest, so a message stored a moment before and read back whole (a call's
// result, taken by the process it woke) missed the processor's store
// forwarding and waited. Same size (24 bytes), same niches for the
// `Option`/`Result` layers around it; a runtime round trip went from about
// 98 ns to 61 ns.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
#[repr(u64)]
pub enum Data {
    /// No data (`ok`).
    #[default]
    Unit,
    /// A 64-bit integer; counts 8 bytes.
    Int(i64),
    /// A boolean; counts 1 byte.
    Bool(bool),
    /// A string; counts its UTF-8 bytes.
    Str(Arc<str>),
}

impl Data {
    /// Size in bytes, as the kernel charges it (`m.len`).
    pub fn len_bytes(&self) -> usize {
        match self {
            Data::Unit => 0,
            Data::Int(_) => 8,
            Data::Bool(_) => 1,
            Data::Str(s) => s.len(),
        }
    }

    /// A string datum.
    pub fn str(s: &str) -> Data {
        Data::Str(Arc::from(s))
    }

    /// The bytes this datum stands for in a byte stream or memory: a string's
    /// UTF-8, an integer's decimal text, a boolean's `true`/`false`.
    pub fn to_stream_bytes(&self) -> Vec<u8> {
        match self {
            Data::Unit => Vec::new(),
            Data::Int(i) => i.to_string().into_bytes(),
            Data::Bool(b) => b.to_string().into_bytes(),
            Data::Str(s) => s.as_bytes().to_vec(),
        }
    }
}

impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Displays data as a scenario literal: strings quoted and escaped.
impl fmt::Display for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Data::Unit => f.write_str("ok"),
            Data::Int(i) => write!(f, "{i}"),
            Data::Bool(b) => write!(f, "{b}"),
            Data::Str(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        '\t' => f.write_str("\\t")?,
                        '\0' => f.write_str("\\0")?,
                        c if c.is_control() => write!(f, "\\u{{{:x}}}", c as u32)?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
        }
    }
}

/// A message as it travels through the kernel and as the receiver sees it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Message {
    /// The payload.
    pub data: Data,
    /// The badge of the capability the sender used (0 if none); set by the kernel.
    pub badge: u64,
    /// The System V message type (`msgsnd`), or the `type N` option; 0 otherwise.
    pub mtype: i64,
    /// Whether the sender used `call` (so the receiver holds a reply right); set by the kernel.
    pub is_call: bool,
    /// A capability carried with the message (`with`); the receiver's own copy on delivery.
    pub cap: Option<CapId>,
}

impl Message {
    /// A message with this data and nothing else.
    #[inline]
    pub fn new(data: Data) -> Self {
        Message {
            data,
            badge: 0,
            mtype: 0,
            is_call: false,
            cap: None,
        }
    }

    /// Size of the data in bytes.
    pub fn len_bytes(&self) -> usize {
        self.data.len_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_the_contract() {
        assert_eq!(Data::Int(-1).len_bytes(), 8);
        assert_eq!(Data::str("four").len_bytes(), 4);
        assert_eq!(Data::Unit.len_bytes(), 0);
    }

    #[test]
    fn display_escapes_strings() {
        assert_eq!(Data::str("a\"b\n").to_string(), "\"a\\\"b\\n\"");
        assert_eq!(Data::Int(42).to_string(), "42");
    }
}
