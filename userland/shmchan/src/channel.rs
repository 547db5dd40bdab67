//! The two ends of a polling channel: [`Sender`] and [`Receiver`].
//!
//! Invariants: each end owns its index (the sender's next slot to fill, the
//! receiver's next slot to drain) and advances it only after its flag store,
//! so slot `i` is written by the sender only while its flag reads empty and
//! by the receiver only while it reads full. The flag is always stored last
//! (after the bytes and the length), so a reader that sees `F` sees the whole
//! message: each store is one atomic step of the simulated machine.

use std::cell::Cell;

use ipcsim_kernel::{CapId, Data, Error, Timeout};
use ipcsim_runtime::Sys;
use thiserror::Error;

use crate::layout::{Layout, EMPTY, FULL, HEADER, LEN_DIGITS};

/// The segment offset `base + off` as the kernel takes it: past `i64::MAX`
/// it becomes -1, which the kernel refuses with `SegFault` like any offset
/// outside the mapping.
fn at(base: usize, off: usize) -> i64 {
    i64::try_from(base.saturating_add(off)).unwrap_or(-1)
}

/// How an end waits between two looks at a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// Sleep this many ticks between looks (the poll interval); 0 behaves as [`Poll::Yield`].
    Sleep(u64),
    /// Give the CPU to the next ready process of equal priority, then look again.
    /// On one CPU, with nobody else ready, this spins: virtual time moves only
    /// by the cost model's charges.
    Yield,
}

/// What one end has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages sent or received.
    pub messages: u64,
    /// Loads of a flag.
    pub polls: u64,
    /// Of which found the slot not ready (the polling overhead).
    pub idle_polls: u64,
}

/// Why a channel operation failed.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum ChanError {
    /// A memory access or a sleep failed in the kernel (the segment was
    /// detached or removed, a wait timed out, ...).
    #[error("{0}")]
    Kernel(#[from] Error),
    /// The message does not fit a slot.
    #[error("message of {len} bytes does not fit a slot of {capacity}")]
    TooLarge {
        /// The message's bytes.
        len: usize,
        /// The slot's capacity.
        capacity: usize,
    },
    /// A full slot's length field is not a length that fits the slot: the
    /// two ends disagree on the layout, or someone else wrote the segment.
    #[error("slot at offset {offset} holds a bad length {found:?}")]
    Corrupt {
        /// The slot's offset.
        offset: usize,
        /// What the length field held.
        found: String,
    },
}

/// So that a process body (which returns the kernel's [`enum@Error`]) can use `?`.
impl From<ChanError> for Error {
    fn from(e: ChanError) -> Error {
        match e {
            ChanError::Kernel(e) => e,
            ChanError::TooLarge { .. } => Error::MessageTooLarge,
            ChanError::Corrupt { .. } => Error::InvalidArgument,
        }
    }
}

/// What both ends share: the segment, the layout, the poll policy, an index.
struct End {
    sys: Sys,
    cap: CapId,
    layout: Layout,
    poll: Poll,
    next: Cell<usize>,
    stats: Cell<Stats>,
}

impl End {
    async fn attach(sys: &Sys, cap: CapId, layout: Layout, poll: Poll) -> Result<End, ChanError> {
        sys.shmat(cap, false).await?;
        Ok(End {
            sys: sys.clone(),
            cap,
            layout,
            poll,
            next: Cell::new(0),
            stats: Cell::new(Stats::default()),
        })
    }

    fn bump(&self, f: impl FnOnce(&mut Stats)) {
        let mut s = self.stats.get();
        f(&mut s);
        self.stats.set(s);
    }

    async fn load_text(&self, offset: usize, len: usize) -> Result<String, ChanError> {
        match self
            .sys
            .load(self.cap, at(offset, 0), i64::try_from(len).unwrap_or(i64::MAX))
            .await?
        {
            Data::Str(s) => Ok(s.to_string()),
            other => Err(ChanError::Corrupt {
                offset,
                found: other.to_string(),
            }),
        }
    }

    /// Polls the current slot's flag until it reads `full` (or not), within `timeout`.
    async fn wait_flag(&self, full: bool, timeout: Timeout) -> Result<usize, ChanError> {
        let slot = self.layout.slot(self.next.get());
        let start = self.sys.now();
        loop {
            let flag = self.load_text(slot, 1).await?;
            self.bump(|s| s.polls += 1);
            if (flag == FULL) == full {
                return Ok(slot);
            }
            self.bump(|s| s.idle_polls += 1);
            let left = match timeout {
                Timeout::Never => None,
                Timeout::Ticks(0) => return Err(Error::WouldBlock.into()),
                Timeout::Ticks(t) => {
                    let spent = self.sys.now().saturating_sub(start);
                    if spent >= t {
                        return Err(Error::TimedOut.into());
                    }
                    Some(t - spent)
                }
            };
            match self.poll {
                // Never sleep past the deadline: the last look is at it exactly.
                Poll::Sleep(n) if n > 0 => self.sys.sleep(left.map_or(n, |l| n.min(l))).await?,
                _ => self.sys.yield_now().await?,
            }
        }
    }

    fn advance(&self) {
        self.next.set((self.next.get() + 1) % self.layout.slots);
        self.bump(|s| s.messages += 1);
    }
}

/// The writing end of a channel.
pub struct Sender {
    end: End,
}

impl Sender {
    /// Attaches the segment `cap` (read-write) and returns the sending end of
    /// the channel laid out as `layout`.
    pub async fn attach(sys: &Sys, cap: CapId, layout: Layout, poll: Poll) -> Result<Sender, ChanError> {
        Ok(Sender {
            end: End::attach(sys, cap, layout, poll).await?,
        })
    }

    /// Sends `msg`: polls until the next slot is empty (within `timeout`),
    /// writes the bytes and the length, then raises the flag.
    pub async fn send(&self, msg: &str, timeout: Timeout) -> Result<(), ChanError> {
        let e = &self.end;
        if msg.len() > e.layout.capacity {
            return Err(ChanError::TooLarge {
                len: msg.len(),
                capacity: e.layout.capacity,
            });
        }
        let slot = e.wait_flag(false, timeout).await?;
        if !msg.is_empty() {
            e.sys.store(e.cap, at(slot, HEADER), Data::str(msg)).await?;
        }
        let len = format!("{:0width$}", msg.len(), width = LEN_DIGITS);
        e.sys.store(e.cap, at(slot, 1), Data::str(&len)).await?;
        // The flag last: a receiver that sees it sees the message.
        e.sys.store(e.cap, at(slot, 0), Data::str(FULL)).await?;
        e.advance();
        Ok(())
    }

    /// What this end has done so far.
    pub fn stats(&self) -> Stats {
        self.end.stats.get()
    }
}

/// The reading end of a channel.
pub struct Receiver {
    end: End,
}

impl Receiver {
    /// Attaches the segment `cap` (read-write: the receiver clears flags) and
    /// returns the receiving end of the channel laid out as `layout`.
    pub async fn attach(sys: &Sys, cap: CapId, layout: Layout, poll: Poll) -> Result<Receiver, ChanError> {
        Ok(Receiver {
            end: End::attach(sys, cap, layout, poll).await?,
        })
    }

    /// Receives the next message: polls until the next slot is full (within
    /// `timeout`), reads it, then clears the flag so the sender may reuse it.
    pub async fn recv(&self, timeout: Timeout) -> Result<String, ChanError> {
        let e = &self.end;
        let slot = e.wait_flag(true, timeout).await?;
        let digits = e.load_text(slot.saturating_add(1), LEN_DIGITS).await?;
        let len = digits
            .parse::<usize>()
            .ok()
            .filter(|&n| n <= e.layout.capacity)
            .ok_or_else(|| ChanError::Corrupt {
                offset: slot,
                found: digits.clone(),
            })?;
        let msg = if len == 0 {
            String::new()
        } else {
            e.load_text(slot.saturating_add(HEADER), len).await?
        };
        e.sys.store(e.cap, at(slot, 0), Data::str(EMPTY)).await?;
        e.advance();
        Ok(msg)
    }

    /// What this end has done so far.
    pub fn stats(&self) -> Stats {
        self.end.stats.get()
    }
}
