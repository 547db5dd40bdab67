//! Where a channel's slots lie in a segment, and the bytes of one slot.
//!
//! A slot is `HEADER` bytes of header then `capacity` bytes of message:
//! byte 0 is the status flag (`F` full; anything else, including the zero a
//! fresh segment holds, empty), bytes 1..9 the message length as eight ASCII
//! digits (the simulated memory is read back as text, so the length is kept
//! as text too). Slots follow each other with no gap.

/// Bytes of a slot's header: the flag, the length, padding to 16.
pub const HEADER: usize = 16;
/// Digits of the length field.
pub(crate) const LEN_DIGITS: usize = 8;
/// The flag byte of a full slot.
pub(crate) const FULL: &str = "F";
/// The flag byte of an empty slot.
pub(crate) const EMPTY: &str = "E";

/// The shape of a channel inside a segment: where it starts, how many slots,
/// how many message bytes each holds. Both ends must use the same layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Offset of the first slot in the segment.
    pub offset: usize,
    /// Number of slots (at least 1).
    pub slots: usize,
    /// Message bytes per slot.
    pub capacity: usize,
}

impl Layout {
    /// One slot at `offset`: each message must be taken before the next is written.
    pub fn one_slot(offset: usize, capacity: usize) -> Layout {
        Layout::ring(offset, 1, capacity)
    }

    /// A ring of `slots` slots (at least 1) at `offset`.
    pub fn ring(offset: usize, slots: usize, capacity: usize) -> Layout {
        Layout {
            offset,
            slots: slots.max(1),
            capacity,
        }
    }

    /// Bytes of one slot.
    pub fn slot_bytes(&self) -> usize {
        HEADER.saturating_add(self.capacity)
    }

    /// Bytes the channel occupies, from `offset`.
    pub fn span(&self) -> usize {
        self.slots.saturating_mul(self.slot_bytes())
    }

    /// Segment size needed to hold the channel: `offset + span`.
    pub fn bytes(&self) -> usize {
        self.offset.saturating_add(self.span())
    }

    /// Offset of slot `i`'s flag.
    pub(crate) fn slot(&self, i: usize) -> usize {
        // Saturating: an absurd layout addresses past every mapping (SegFault), never overflows.
        self.offset
            .saturating_add((i % self.slots).saturating_mul(self.slot_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_each_other() {
        let l = Layout::ring(8, 3, 24);
        assert_eq!(l.slot_bytes(), 40);
        assert_eq!((l.slot(0), l.slot(1), l.slot(2), l.slot(3)), (8, 48, 88, 8));
        assert_eq!(l.bytes(), 8 + 120);
        assert_eq!(Layout::one_slot(0, 10).slots, 1);
        assert_eq!(Layout::ring(0, 0, 10).slots, 1);
        let absurd = Layout::ring(usize::MAX, 3, usize::MAX);
        assert_eq!((absurd.bytes(), absurd.slot(2)), (usize::MAX, usize::MAX));
    }
}
