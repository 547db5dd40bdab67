//! Signal numbers, dispositions and per-process signal state.
//!
//! Standard signals (below [`Signal::RTMIN`]) are pending bits: a second one
//! before delivery collapses into the first. Real-time signals queue, in order.
//! SIGKILL and SIGSTOP can be neither caught, blocked nor ignored.

use std::collections::VecDeque;
use std::fmt;

/// A signal number (Linux numbering).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Signal(pub u8);

impl Signal {
    /// Interrupt.
    pub const SIGINT: Signal = Signal(2);
    /// Kill (cannot be caught, blocked or ignored).
    pub const SIGKILL: Signal = Signal(9);
    /// User signal 1.
    pub const SIGUSR1: Signal = Signal(10);
    /// User signal 2.
    pub const SIGUSR2: Signal = Signal(12);
    /// Write to a pipe with no reader.
    pub const SIGPIPE: Signal = Signal(13);
    /// Terminate (the default for `kill`).
    pub const SIGTERM: Signal = Signal(15);
    /// A child ended (ignored by default).
    pub const SIGCHLD: Signal = Signal(17);
    /// Continue a stopped process.
    pub const SIGCONT: Signal = Signal(18);
    /// Stop (cannot be caught, blocked or ignored).
    pub const SIGSTOP: Signal = Signal(19);
    /// The first real-time signal.
    pub const RTMIN: u8 = 34;
    /// The last real-time signal.
    pub const RTMAX: u8 = 64;
    /// Signal 0: `kill PID 0` sends nothing; it checks that the target exists
    /// and may be signalled (Linux's `kill(pid, 0)`).
    pub const NONE: Signal = Signal(0);

    /// Parses `SIGTERM`, `SIGRTMIN+3`, ...
    pub fn from_name(name: &str) -> Option<Signal> {
        let named = [
            ("SIGTERM", Signal::SIGTERM),
            ("SIGINT", Signal::SIGINT),
            ("SIGKILL", Signal::SIGKILL),
            ("SIGSTOP", Signal::SIGSTOP),
            ("SIGCONT", Signal::SIGCONT),
            ("SIGCHLD", Signal::SIGCHLD),
            ("SIGPIPE", Signal::SIGPIPE),
            ("SIGUSR1", Signal::SIGUSR1),
            ("SIGUSR2", Signal::SIGUSR2),
        ];
        if let Some((_, s)) = named.iter().find(|(n, _)| *n == name) {
            return Some(*s);
        }
        let rest = name.strip_prefix("SIGRTMIN")?;
        let n: u8 = if rest.is_empty() {
            0
        } else {
            rest.strip_prefix('+')?.parse().ok()?
        };
        let num = Signal::RTMIN.checked_add(n)?;
        (num <= Signal::RTMAX).then_some(Signal(num))
    }

    /// Whether this is a real-time (queued) signal.
    pub fn is_realtime(self) -> bool {
        self.0 >= Signal::RTMIN && self.0 <= Signal::RTMAX
    }

    /// Whether it is a number the kernel knows.
    pub fn is_valid(self) -> bool {
        self.0 >= 1 && self.0 <= Signal::RTMAX
    }

    /// SIGKILL and SIGSTOP: never caught, blocked or ignored.
    pub fn is_unstoppable(self) -> bool {
        self == Signal::SIGKILL || self == Signal::SIGSTOP
    }

    /// What happens when the disposition is `default`.
    pub fn default_action(self) -> DefaultAction {
        match self {
            Signal::SIGCHLD => DefaultAction::Ignore,
            Signal::SIGSTOP => DefaultAction::Stop,
            Signal::SIGCONT => DefaultAction::Continue,
            _ => DefaultAction::Terminate,
        }
    }

    fn bit(self) -> u64 {
        1u64 << (self.0 as u64 & 63)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Signal::SIGTERM => "SIGTERM",
            Signal::SIGINT => "SIGINT",
            Signal::SIGKILL => "SIGKILL",
            Signal::SIGSTOP => "SIGSTOP",
            Signal::SIGCONT => "SIGCONT",
            Signal::SIGCHLD => "SIGCHLD",
            Signal::SIGPIPE => "SIGPIPE",
            Signal::SIGUSR1 => "SIGUSR1",
            Signal::SIGUSR2 => "SIGUSR2",
            s if s.0 == Signal::RTMIN => "SIGRTMIN",
            s if s.is_realtime() => return write!(f, "SIGRTMIN+{}", s.0 - Signal::RTMIN),
            Signal::NONE => "0",
            s => return write!(f, "SIG{}", s.0),
        };
        f.write_str(name)
    }
}

/// The default action of a signal.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DefaultAction {
    /// End the process as `killed SIGNAL`.
    Terminate,
    /// Drop the signal.
    Ignore,
    /// Stop the process until SIGCONT.
    Stop,
    /// Continue a stopped process.
    Continue,
}

/// What a process does with a signal.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Disposition {
    /// The signal's default action.
    #[default]
    Default,
    /// Drop it.
    Ignore,
    /// Run the process's handler (interrupting a blocked call).
    Catch,
}

bitflags::bitflags! {
    /// `sigaction` flags a handler is set with.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct SaFlags: u8 {
        /// `SA_NODEFER`: the signal is not blocked while its own handler runs.
        const NODEFER = 1;
        /// `SA_RESETHAND`: the disposition goes back to the default as the handler starts.
        const RESETHAND = 2;
        /// `SA_RESTART`: a call the signal interrupted resumes after the handler
        /// (for the calls Linux restarts: see `Syscall::restartable`).
        const RESTART = 4;
    }
}

/// Real-time signals queued for one process (pending and accepted for a
/// handler): one more fails the `kill` with `LimitReached`, as Linux's
/// `RLIMIT_SIGPENDING` makes it fail `EAGAIN` (its default is in the
/// thousands; 1024 bounds a spammer's queue).
pub const RT_SIGNALS_QUEUED_MAX: usize = 1024;

/// A process's signal state: dispositions, mask, pending set, and signals
/// accepted for delivery that user space has not yet taken.
#[derive(Clone, Debug, Default)]
pub struct SignalState {
    caught: u64,
    ignored: u64,
    mask: u64,
    pending_std: u64,
    pending_rt: VecDeque<Signal>,
    /// Caught signals the process must run handlers for, in arrival order.
    pub(crate) to_handle: VecDeque<Signal>,
    /// Signals whose handler runs now: blocked until it ends (POSIX:
    /// `sigaction` adds the signal to the mask during its handler).
    handling: u64,
    /// Signals caught with `SA_NODEFER` and with `SA_RESETHAND`.
    nodefer: u64,
    resethand: u64,
    restart: u64,
}

impl SignalState {
    /// Real-time signals queued for this process (pending, or accepted for a handler).
    pub(crate) fn rt_queued(&self) -> usize {
        self.pending_rt.len() + self.to_handle.iter().filter(|s| s.is_realtime()).count()
    }

    /// The disposition of a signal.
    pub fn disposition(&self, s: Signal) -> Disposition {
        if self.caught & s.bit() != 0 {
            Disposition::Catch
        } else if self.ignored & s.bit() != 0 {
            Disposition::Ignore
        } else {
            Disposition::Default
        }
    }

    pub(crate) fn set_disposition(&mut self, s: Signal, d: Disposition, flags: SaFlags) {
        self.caught &= !s.bit();
        self.ignored &= !s.bit();
        self.nodefer &= !s.bit();
        self.resethand &= !s.bit();
        self.restart &= !s.bit();
        if d == Disposition::Catch {
            if flags.contains(SaFlags::RESTART) {
                self.restart |= s.bit();
            }
            if flags.contains(SaFlags::NODEFER) {
                self.nodefer |= s.bit();
            }
            if flags.contains(SaFlags::RESETHAND) {
                self.resethand |= s.bit();
            }
        }
        match d {
            Disposition::Catch => self.caught |= s.bit(),
            Disposition::Ignore => {
                self.ignored |= s.bit();
                // POSIX: setting a pending signal to SIG_IGN discards it.
                self.pending_std &= !s.bit();
                self.pending_rt.retain(|p| *p != s);
            }
            Disposition::Default => {}
        }
    }

    /// Whether a signal is blocked.
    pub fn is_blocked(&self, s: Signal) -> bool {
        (self.mask | self.handling) & s.bit() != 0
    }

    /// Takes the next caught signal to handle and starts its handler: the
    /// signal is blocked until [`SignalState::end_handler`] (unless caught
    /// with `SA_NODEFER`), and a `SA_RESETHAND` disposition goes back to the default.
    /// Returns the signal and whether its handler was set with `SA_RESTART`.
    pub(crate) fn begin_handler(&mut self) -> Option<(Signal, bool)> {
        let s = self.to_handle.pop_front()?;
        let restart = self.restart & s.bit() != 0;
        if self.nodefer & s.bit() == 0 {
            self.handling |= s.bit();
        }
        if self.resethand & s.bit() != 0 {
            self.set_disposition(s, Disposition::Default, SaFlags::empty());
        }
        Some((s, restart))
    }

    /// A handler for `s` ended: `s` is no longer blocked by it.
    pub(crate) fn end_handler(&mut self, s: Signal) {
        self.handling &= !s.bit();
    }

    pub(crate) fn set_blocked(&mut self, s: Signal, blocked: bool) {
        if blocked {
            self.mask |= s.bit();
        } else {
            self.mask &= !s.bit();
        }
    }

    pub(crate) fn make_pending(&mut self, s: Signal) {
        if s.is_realtime() {
            self.pending_rt.push_back(s);
        } else {
            self.pending_std |= s.bit();
        }
    }

    /// Takes pending signals that are no longer blocked, lowest standard first, then real-time in order.
    pub(crate) fn take_unblocked_pending(&mut self) -> Vec<Signal> {
        let mut out = Vec::new();
        let blocked = self.mask | self.handling;
        let ready = self.pending_std & !blocked;
        for n in 1..64u8 {
            if ready & (1u64 << n) != 0 {
                out.push(Signal(n));
            }
        }
        self.pending_std &= !ready;
        let mask = blocked;
        let mut kept = VecDeque::new();
        for s in self.pending_rt.drain(..) {
            if mask & s.bit() == 0 {
                out.push(s);
            } else {
                kept.push_back(s);
            }
        }
        self.pending_rt = kept;
        out
    }

    /// Pending (blocked) signals, for reports.
    pub fn pending(&self) -> Vec<Signal> {
        let mut out: Vec<Signal> = (1..64u8)
            .filter(|n| self.pending_std & (1u64 << n) != 0)
            .map(Signal)
            .collect();
        out.extend(self.pending_rt.iter().copied());
        out
    }

    /// Whether some caught, unblocked signal could interrupt this process (for deadlock analysis).
    pub fn has_unblocked_handler(&self) -> bool {
        self.caught & !self.mask != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for n in ["SIGTERM", "SIGKILL", "SIGUSR1", "SIGRTMIN", "SIGRTMIN+5", "SIGCHLD"] {
            let s = Signal::from_name(n).unwrap();
            assert_eq!(s.to_string(), n);
        }
        assert_eq!(Signal::from_name("SIGRTMIN+40"), None);
        assert_eq!(Signal::from_name("SIGFOO"), None);
    }

    #[test]
    fn standard_signals_collapse_realtime_queue() {
        let mut st = SignalState::default();
        st.set_blocked(Signal::SIGUSR1, true);
        st.set_blocked(Signal(Signal::RTMIN), true);
        st.make_pending(Signal::SIGUSR1);
        st.make_pending(Signal::SIGUSR1);
        st.make_pending(Signal(Signal::RTMIN));
        st.make_pending(Signal(Signal::RTMIN));
        assert!(st.take_unblocked_pending().is_empty());
        st.set_blocked(Signal::SIGUSR1, false);
        st.set_blocked(Signal(Signal::RTMIN), false);
        let got = st.take_unblocked_pending();
        assert_eq!(got, vec![Signal::SIGUSR1, Signal(Signal::RTMIN), Signal(Signal::RTMIN)]);
    }

    #[test]
    fn a_handler_says_whether_it_restarts_and_a_new_disposition_forgets_it() {
        let mut st = SignalState::default();
        st.set_disposition(
            Signal::SIGUSR1,
            Disposition::Catch,
            SaFlags::RESTART | SaFlags::RESETHAND,
        );
        st.set_disposition(Signal::SIGUSR2, Disposition::Catch, SaFlags::empty());
        st.to_handle.extend([Signal::SIGUSR1, Signal::SIGUSR2]);
        // Told before SA_RESETHAND puts the default back.
        assert_eq!(st.begin_handler(), Some((Signal::SIGUSR1, true)));
        assert_eq!(st.disposition(Signal::SIGUSR1), Disposition::Default);
        assert_eq!(st.begin_handler(), Some((Signal::SIGUSR2, false)));
        st.set_disposition(Signal::SIGUSR1, Disposition::Catch, SaFlags::empty());
        st.to_handle.push_back(Signal::SIGUSR1);
        assert_eq!(st.begin_handler(), Some((Signal::SIGUSR1, false)));
    }

    #[test]
    fn the_calls_linux_restarts_and_those_it_never_does() {
        use crate::{CapId, Syscall, Timeout};
        let cap = CapId::NONE;
        let read = |timeout| Syscall::Read { cap, max: 1, timeout };
        assert!(read(Timeout::Never).restartable());
        // A call with a timeout is not restarted (as a socket call with SO_RCVTIMEO).
        assert!(!read(Timeout::Ticks(5)).restartable());
        assert!(Syscall::WaitChild {
            timeout: Timeout::Never
        }
        .restartable());
        assert!(!Syscall::Sleep { ticks: 3 }.restartable());
        let rcv = Syscall::MsgRcv {
            cap,
            mtype: 0,
            opts: crate::RcvOpts::default(),
            timeout: Timeout::Never,
        };
        assert!(!rcv.restartable());
        let write = Syscall::Write {
            cap,
            data: crate::Data::Unit,
            timeout: Timeout::Never,
        };
        // One interrupted after some bytes returns their count: restarted only with none written.
        assert!(write.restartable());
        assert!(!Syscall::SemWait {
            cap,
            timeout: Timeout::Never
        }
        .restartable());
    }
}
