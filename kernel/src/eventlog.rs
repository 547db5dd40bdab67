//! The event log's buffer: where recorded events wait for their reader.
//!
//! Most events are stored as they come, as an [`EventKind`] with its time
//! and process. The message-passing fast paths store their fixed run of
//! events as one entry instead: a `call` that hands the CPU to a waiting
//! receiver is always `syscall`, `deliver`, `block`, `switch`, and a
//! `reply_recv` that answers a waiting caller is always `syscall`, `reply`,
//! `block`, `switch`, all at one instant. The log expands such an entry into
//! exactly those events when they are read, so a reader sees the same
//! [`Event`]s, numbered the same, either way. Recording a fast round trip is
//! then two entries of a few words, not eight events built one by one: that
//! was most of what the log cost a round trip.
//!
//! Entries are written into slots that already exist (`slots[..len]` are
//! recorded, the rest spare), so that an entry is built where it is stored.
//!
//! Invariants: `next_seq` is the number of events recorded in all (an entry
//! counts as the events it expands to); `base` is the sequence number of the
//! first event not yet drained or cleared; the events of `expanded` come
//! before those of every recorded entry; `heap` is true whenever a recorded
//! entry or an expanded event owns heap memory (it may be true when none
//! does); a spare slot owns no heap memory.

use std::mem::ManuallyDrop;

use crate::event::{Event, EventKind, SwitchReason, WaitKind};
use crate::{Data, ObjId, Pid, Time};

/// One entry of the buffer.
#[derive(Debug)]
pub(crate) enum Entry {
    /// One event.
    One {
        /// When.
        time: Time,
        /// The process it concerns.
        pid: Pid,
        /// What happened.
        kind: EventKind,
    },
    /// The `call` fast path's events.
    Call(FastCall),
    /// The `reply_recv` fast path's events.
    ReplyRecv(FastReplyRecv),
    /// A spare slot: no events.
    Spare,
}

/// A `call` that found its receiver waiting and switched to it: the
/// caller's `syscall` event (when the typed entry recorded it here),
/// `deliver` to the server, the caller's `block` for the reply, and the
/// `switch` to the server.
#[derive(Debug)]
pub(crate) struct FastCall {
    pub(crate) time: Time,
    pub(crate) caller: Pid,
    pub(crate) server: Pid,
    pub(crate) obj: ObjId,
    pub(crate) data: Data,
    pub(crate) badge: u64,
    pub(crate) deadline: Option<Time>,
    pub(crate) copies: u8,
    pub(crate) syscall: bool,
}

/// A `reply_recv` that answered a waiting caller: the server's `syscall`
/// event (when the typed entry recorded it here), `reply` to the caller,
/// the server's `block` in `recv`, and the `switch` to the caller (absent
/// when something was recorded between the block and the switch, which then
/// has an entry of its own).
#[derive(Debug)]
pub(crate) struct FastReplyRecv {
    pub(crate) time: Time,
    pub(crate) server: Pid,
    pub(crate) caller: Pid,
    pub(crate) obj: ObjId,
    pub(crate) data: Data,
    pub(crate) deadline: Option<Time>,
    pub(crate) switch: Option<SwitchReason>,
    pub(crate) syscall: bool,
}

impl Entry {
    /// How many events it stands for.
    #[inline(always)]
    pub(crate) fn events(&self) -> u64 {
        match self {
            Entry::One { .. } => 1,
            Entry::Call(c) => 3 + u64::from(c.syscall),
            Entry::ReplyRecv(r) => 2 + u64::from(r.syscall) + u64::from(r.switch.is_some()),
            Entry::Spare => 0,
        }
    }

    /// Whether it owns heap memory (then dropping it does something).
    #[inline(always)]
    pub(crate) fn owns_heap(&self) -> bool {
        match self {
            Entry::One { kind, .. } => kind.owns_heap(),
            Entry::Call(FastCall { data, .. }) | Entry::ReplyRecv(FastReplyRecv { data, .. }) => {
                matches!(data, Data::Str(_))
            }
            Entry::Spare => false,
        }
    }

    /// Appends its events to `out`, numbered from `seq`.
    pub(crate) fn expand(self, seq: u64, out: &mut Vec<Event>) {
        let mut seq = seq;
        let mut put = |time: Time, pid: Pid, kind: EventKind| {
            out.push(Event { seq, time, pid, kind });
            seq += 1;
        };
        match self {
            Entry::Spare => {}
            Entry::One { time, pid, kind } => put(time, pid, kind),
            Entry::Call(c) => {
                if c.syscall {
                    put(c.time, c.caller, syscall("call", c.obj, &c.data));
                }
                put(
                    c.time,
                    c.server,
                    EventKind::Deliver {
                        from: c.caller,
                        obj: Some(c.obj),
                        data: c.data,
                        badge: c.badge,
                        call: true,
                        copies: c.copies,
                    },
                );
                put(
                    c.time,
                    c.caller,
                    EventKind::Block {
                        wait: WaitKind::Reply(c.server),
                        obj: None,
                        deadline: c.deadline,
                    },
                );
                put(
                    c.time,
                    c.server,
                    EventKind::Switch {
                        from: Some(c.caller),
                        reason: SwitchReason::Transfer,
                    },
                );
            }
            Entry::ReplyRecv(r) => {
                if r.syscall {
                    put(r.time, r.server, syscall("reply_recv", r.obj, &r.data));
                }
                put(
                    r.time,
                    r.server,
                    EventKind::Reply {
                        to: r.caller,
                        data: r.data,
                    },
                );
                put(
                    r.time,
                    r.server,
                    EventKind::Block {
                        wait: WaitKind::Recv,
                        obj: Some(r.obj),
                        deadline: r.deadline,
                    },
                );
                if let Some(reason) = r.switch {
                    put(
                        r.time,
                        r.caller,
                        EventKind::Switch {
                            from: Some(r.server),
                            reason,
                        },
                    );
                }
            }
        }
    }
}

/// The `syscall` event of a typed entry's message call (as `record_typed` writes it).
fn syscall(name: &'static str, obj: ObjId, data: &Data) -> EventKind {
    EventKind::Syscall {
        name,
        obj: Some(obj),
        data: Some(data.clone()),
        arg: None,
    }
}

/// Where recorded events go.
#[derive(Debug, Default)]
pub struct EventLog {
    pub(crate) enabled: bool,
    /// `slots[..len]` are the entries recorded; the rest are spare (empty,
    /// or entries already read that own no heap memory). Not dropped on
    /// their own: writing an entry over a spare then runs no drop glue
    /// (which switches on the old entry's kind); `clear` and `Drop` drop
    /// what owns memory.
    slots: Vec<ManuallyDrop<Entry>>,
    len: usize,
    expanded: Vec<Event>,
    base: u64,
    next_seq: u64,
    heap: bool,
}

impl EventLog {
    /// An empty log, recording or not, that reuses `room`'s memory.
    pub(crate) fn reusing(enabled: bool, room: EventLog) -> EventLog {
        let mut log = room;
        log.clear();
        log.slots.truncate(crate::kernel::RESET_ROOM * 16);
        log.slots.shrink_to(crate::kernel::RESET_ROOM * 16);
        log.expanded.shrink_to(crate::kernel::RESET_ROOM * 16);
        EventLog {
            enabled,
            slots: std::mem::take(&mut log.slots),
            expanded: std::mem::take(&mut log.expanded),
            ..EventLog::default()
        }
    }

    /// Stores the entry `make` builds, straight into a spare slot. Inlined
    /// where the entry is built: only its fields are written, and its count
    /// and heap ownership fold to constants there. (Through `Vec::push`, which
    /// the compiler does not always inline, the entry was built on the stack
    /// and copied, and reading back its pieces whole stalled the processor.)
    #[inline(always)]
    pub(crate) fn push_with(&mut self, make: impl FnOnce() -> Entry) {
        if self.len == self.slots.len() {
            self.grow();
        }
        if let Some(slot) = self.slots.get_mut(self.len) {
            let entry = make();
            // Taken from the entry as built, where they fold to constants,
            // not read back from the slot.
            let (events, heap) = (entry.events(), entry.owns_heap());
            // A spare slot owns no heap memory: nothing to drop.
            *slot = ManuallyDrop::new(entry);
            self.next_seq += events;
            self.heap |= heap;
            self.len += 1;
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let more = self.slots.len().max(32);
        self.slots
            .resize_with(self.slots.len() + more, || ManuallyDrop::new(Entry::Spare));
    }

    /// Turns the stored entries into events (kept as pending).
    pub fn settle(&mut self) {
        let mut seq = self.base + self.expanded.len() as u64;
        for slot in &mut self.slots[..self.len] {
            let e = ManuallyDrop::into_inner(std::mem::replace(slot, ManuallyDrop::new(Entry::Spare)));
            let n = e.events();
            e.expand(seq, &mut self.expanded);
            seq += n;
        }
        self.len = 0;
    }

    /// Events recorded and not yet drained, in order.
    pub fn pending(&mut self) -> &[Event] {
        self.settle();
        &self.expanded
    }

    /// The pending events that [`EventLog::settle`] (or `pending`) has
    /// already turned into events: all of them if nothing was recorded since.
    /// For a reader that holds the kernel only shared, after settling it.
    pub fn settled(&self) -> &[Event] {
        &self.expanded
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0 && self.expanded.is_empty()
    }

    /// Takes the events recorded since the last drain (the buffer keeps its memory).
    pub fn drain(&mut self) -> std::vec::Drain<'_, Event> {
        self.settle();
        self.heap = false;
        self.base = self.next_seq;
        self.expanded.drain(..)
    }

    /// Drops the events recorded since the last drain (the buffer keeps its memory).
    ///
    /// The usual case (entries that own no heap memory, none expanded) is
    /// inline and costs a few stores: a runtime with the log on and nobody
    /// reading clears after every step, and as a call the clear cost more in
    /// saving and restoring registers than in clearing.
    #[inline]
    pub fn clear(&mut self) {
        self.base = self.next_seq;
        if self.heap || !self.expanded.is_empty() {
            self.clear_rest();
        }
        self.len = 0;
    }

    /// [`EventLog::clear`]'s work on entries that own heap memory and on
    /// expanded events.
    #[cold]
    #[inline(never)]
    fn clear_rest(&mut self) {
        if std::mem::take(&mut self.heap) {
            for slot in &mut self.slots[..self.len] {
                drop(ManuallyDrop::into_inner(std::mem::replace(
                    slot,
                    ManuallyDrop::new(Entry::Spare),
                )));
            }
            self.expanded.clear();
        } else {
            // Nothing owns memory, so dropping an entry would do nothing: the
            // entries stay in their slots as spares, to be overwritten, and
            // the events are forgotten. (Dropping them one by one switches on
            // each one's kind, and that jump, different every time, was most
            // of what clearing cost.) A forgotten `Drain` leaves the vector
            // empty with its memory kept: `drain` sets the length first.
            std::mem::forget(self.expanded.drain(..));
        }
    }

    /// Number of events recorded in all.
    pub fn total(&self) -> u64 {
        self.next_seq
    }
}

impl Drop for EventLog {
    fn drop(&mut self) {
        // Drops what recorded entries own (spares own nothing).
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::event::{NetEvent, NetStep};
    use crate::HostId;

    fn net_event(data: Data) -> Entry {
        Entry::One {
            time: 0,
            pid: Pid(0),
            kind: EventKind::Net(Box::new(NetEvent {
                step: NetStep::Arrives,
                what: "datagram".into(),
                host: HostId(1),
                at: HostId(0),
                data: Some(data),
                sender: None,
                id: 1,
            })),
        }
    }

    /// Regression (found by the scenario fuzz target's leak check on
    /// host_race_fixed.ipc): a network event was taken to own no memory,
    /// so clearing the log forgot it, its box and the datagram it carried.
    #[test]
    fn clearing_a_log_drops_the_network_events_it_holds() {
        let text: Arc<str> = Arc::from("from alpha");
        let mut log = EventLog::reusing(true, EventLog::default());
        log.push_with(|| net_event(Data::Str(text.clone())));
        assert_eq!(Arc::strong_count(&text), 2);
        log.clear();
        assert_eq!(
            Arc::strong_count(&text),
            1,
            "the cleared event still holds the datagram"
        );
        log.push_with(|| net_event(Data::Str(text.clone())));
        log.settle();
        log.clear();
        assert_eq!(
            Arc::strong_count(&text),
            1,
            "the cleared, expanded event still holds it"
        );
        log.push_with(|| net_event(Data::Str(text.clone())));
        drop(log);
        assert_eq!(Arc::strong_count(&text), 1, "the dropped log still holds it");
    }
}
