//! What a view that shows state step by step (the HTML classroom view) may
//! read of the kernel: each object's buffered contents, counted value and
//! waiters, as words, without reaching into the object's fields. Read-only.

use crate::object::{Body, WaitQueue};
use crate::{Data, Kernel, ObjId, ObjectKind, Pid};

/// Items of a buffer shown; the rest are counted.
pub const CONTENTS_SHOWN_MAX: usize = 8;
/// Characters of one item shown.
const ITEM_CHARS_MAX: usize = 40;

/// One object as a view shows it at a moment of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectState {
    /// Its kind.
    pub kind: ObjectKind,
    /// Its name in the scenario.
    pub label: String,
    /// Its counted state in words: a semaphore's value, a notification's
    /// pending bits, the bytes in a pipe, a queue's bytes.
    pub value: Option<String>,
    /// What it buffers, oldest first, as the trace prints data (cut to
    /// [`CONTENTS_SHOWN_MAX`] items, then "… N more").
    pub contents: Vec<String>,
    /// Processes waiting on it, in queue order, each with what it waits for.
    pub waiters: Vec<(Pid, &'static str)>,
}

fn cut(s: String) -> String {
    if s.chars().count() > ITEM_CHARS_MAX {
        format!("{}…", s.chars().take(ITEM_CHARS_MAX - 1).collect::<String>())
    } else {
        s
    }
}

fn shown<I: ExactSizeIterator<Item = String>>(items: I) -> Vec<String> {
    let n = items.len();
    let mut v: Vec<String> = items.take(CONTENTS_SHOWN_MAX).map(cut).collect();
    if n > CONTENTS_SHOWN_MAX {
        v.push(format!("… {} more", n - CONTENTS_SHOWN_MAX));
    }
    v
}

fn waiting(out: &mut Vec<(Pid, &'static str)>, q: &WaitQueue, what: &'static str) {
    out.extend(q.iter().map(|p| (p, what)));
}

fn bytes_text(b: impl Iterator<Item = u8>) -> String {
    let v: Vec<u8> = b.take(ITEM_CHARS_MAX * 4).collect();
    Data::str(&String::from_utf8_lossy(&v)).to_string()
}

impl Kernel {
    /// Every live object, in creation order of its slot.
    pub fn object_ids(&self) -> Vec<ObjId> {
        self.objs.iter().map(|(h, _)| ObjId(h)).collect()
    }

    /// The object as a view shows it now; None if it is gone.
    pub fn object_state(&self, obj: ObjId) -> Option<ObjectState> {
        let o = self.objs.get(obj.0)?;
        let mut waiters = Vec::new();
        let (value, contents) = match &o.body {
            Body::Endpoint { senders, receivers } => {
                waiting(&mut waiters, senders, "to send");
                waiting(&mut waiters, receivers, "to receive");
                (None, Vec::new())
            }
            Body::Mailbox {
                buf,
                capacity,
                senders,
                receivers,
            } => {
                waiting(&mut waiters, senders, "for room");
                waiting(&mut waiters, receivers, "to receive");
                let cap = capacity.map_or("unbounded".to_string(), |c| format!("of {c}"));
                let value = format!("{} messages {cap}", buf.len());
                (Some(value), shown(buf.iter().map(|(_, m)| m.data.to_string())))
            }
            Body::Notification { word, waiters: w } => {
                waiting(&mut waiters, w, "for a signal");
                (Some(format!("bits {word:#x}")), Vec::new())
            }
            Body::MsgQueue {
                msgs,
                bytes,
                limit_bytes,
                senders,
                receivers,
            } => {
                waiting(&mut waiters, senders, "for room");
                waiting(&mut waiters, receivers, "for a message");
                let value = format!("{} messages, {bytes} of {limit_bytes} bytes", msgs.len());
                let items = msgs.iter().map(|(_, m)| format!("type {}: {}", m.mtype, m.data));
                (Some(value), shown(items))
            }
            Body::Pipe {
                buf,
                capacity,
                readers_waiting,
                writers_waiting,
                openers,
                ..
            } => {
                waiting(&mut waiters, readers_waiting, "for data");
                waiting(&mut waiters, writers_waiting, "for room");
                waiting(&mut waiters, openers, "for the other end");
                let contents = if buf.is_empty() {
                    Vec::new()
                } else {
                    vec![cut(bytes_text(buf.iter().copied()))]
                };
                (Some(format!("{} of {capacity} bytes", buf.len())), contents)
            }
            Body::Semaphore {
                value,
                others,
                waiters: w,
            } => {
                waiting(&mut waiters, w, if others.is_empty() { "to P" } else { "in semop" });
                let shown = if others.is_empty() {
                    format!("value {value}")
                } else {
                    let all: Vec<String> = std::iter::once(value).chain(others).map(|v| v.to_string()).collect();
                    format!("values {}", all.join(" "))
                };
                (Some(shown), Vec::new())
            }
            Body::Shm { mem, attached, removed } => {
                let gone = if *removed { ", marked for removal" } else { "" };
                let value = format!("{} bytes, attached {attached}{gone}", mem.len());
                (Some(value), Vec::new())
            }
            Body::File { contents } => (
                Some(format!("{} bytes", contents.len())),
                vec![cut(bytes_text(contents.iter().copied()))],
            ),
            Body::Socket(_) => (None, Vec::new()),
        };
        Some(ObjectState {
            kind: o.kind,
            label: o.label.to_string(),
            value,
            contents,
            waiters,
        })
    }
}
