//! Model-based property test of signals: random dispositions, masks and kills
//! against a reference model of dispositions, the blocked mask, pending sets
//! (standard signals collapse, real-time ones queue in order), handlers to
//! run, and the target's fate (killed by which signal, stopped, continued).

use std::collections::VecDeque;

use ipcsim_kernel::*;
use proptest::prelude::*;
// Explicit, so it wins over the kernel's own `Strategy` enum from the glob above.
use proptest::strategy::Strategy;

const SIGS: [Signal; 8] = [
    Signal::SIGTERM,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGCHLD,
    Signal::SIGSTOP,
    Signal::SIGCONT,
    Signal(Signal::RTMIN),
    Signal(Signal::RTMIN + 1),
];

#[derive(Clone, Debug)]
enum Op {
    Action(u8, u8),
    Mask(u8, bool),
    Kill(u8),
    /// `sigpending`: must agree with the model's pending set.
    Pending(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..8, 0u8..3).prop_map(|(s, d)| Op::Action(s, d)),
        3 => (0u8..8, any::<bool>()).prop_map(|(s, b)| Op::Mask(s, b)),
        4 => (0u8..8).prop_map(Op::Kill),
        2 => (0u8..8).prop_map(Op::Pending),
    ]
}

#[derive(Default, Debug)]
struct Model {
    disp: [u8; 8],
    masked: [bool; 8],
    pending_std: [bool; 8],
    pending_rt: VecDeque<usize>,
    handle: VecDeque<Signal>,
    killed: Option<Signal>,
    stopped: bool,
}

impl Model {
    fn rt(i: usize) -> bool {
        SIGS[i].is_realtime()
    }
    fn unstoppable(i: usize) -> bool {
        SIGS[i].is_unstoppable()
    }
    /// What an unmasked, non-ignored signal does.
    fn act(&mut self, i: usize) {
        match self.disp[i] {
            // A standard signal already waiting for its handler merges with it.
            2 if !Self::rt(i) && self.handle.contains(&SIGS[i]) => {}
            2 => self.handle.push_back(SIGS[i]),
            1 => {}
            _ => match SIGS[i].default_action() {
                DefaultAction::Terminate => self.killed = Some(SIGS[i]),
                DefaultAction::Stop => self.stopped = true,
                DefaultAction::Ignore | DefaultAction::Continue => {}
            },
        }
    }
    fn kill(&mut self, i: usize) {
        let s = SIGS[i];
        if s == Signal::SIGKILL {
            self.killed = Some(s);
            return;
        }
        if s == Signal::SIGSTOP {
            self.stopped = true;
            return;
        }
        if s == Signal::SIGCONT && self.stopped {
            // What it was sent while stopped is acted on now (Linux), before SIGCONT itself.
            self.stopped = false;
            self.release();
            if self.killed.is_some() {
                return;
            }
        }
        let ignored = self.disp[i] == 1
            || (self.disp[i] == 0 && matches!(s.default_action(), DefaultAction::Ignore | DefaultAction::Continue));
        if ignored {
            return;
        }
        // A stopped process acts on nothing but SIGKILL and SIGCONT.
        if self.masked[i] || self.stopped {
            if Self::rt(i) {
                self.pending_rt.push_back(i);
            } else {
                self.pending_std[i] = true;
            }
            return;
        }
        self.act(i);
    }
    fn unmask(&mut self, i: usize) {
        self.masked[i] = false;
        if !self.stopped {
            self.release();
        }
    }
    /// Acts on every pending signal no mask blocks now.
    fn release(&mut self) {
        // Standard signals in number order, then real-time ones in arrival order.
        let mut order: Vec<usize> = (0..8).filter(|j| self.pending_std[*j] && !self.masked[*j]).collect();
        order.sort_by_key(|j| SIGS[*j].0);
        for j in &order {
            self.pending_std[*j] = false;
        }
        let mut rest = VecDeque::new();
        for j in self.pending_rt.drain(..) {
            if self.masked[j] {
                rest.push_back(j);
            } else {
                order.push(j);
            }
        }
        self.pending_rt = rest;
        for j in order {
            if self.killed.is_none() {
                self.act(j);
            }
        }
    }
    fn pending(&self) -> Vec<Signal> {
        let mut v: Vec<Signal> = (0..8).filter(|j| self.pending_std[*j]).map(|j| SIGS[j]).collect();
        v.sort();
        v.extend(self.pending_rt.iter().map(|j| SIGS[*j]));
        v
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn signals_follow_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        let mut k = Kernel::new(KernelConfig::default());
        let t = k.create_process(&ProcessSpec::new("target"), None).unwrap();
        let s = k.create_process(&ProcessSpec::new("sender"), None).unwrap();
        let mut m = Model::default();
        // The target's changes are issued while it runs; the sender's kills while it runs.
        // Both keep yielding, so the two alternate unless the target is stopped or dead.
        for op in ops {
            let target_op = !matches!(op, Op::Kill(_));
            if target_op && (m.killed.is_some() || m.stopped) {
                continue;
            }
            let me = if target_op { t } else { s };
            // Run until `me` holds the CPU (the other one yields).
            let mut guard = 0;
            loop {
                guard += 1;
                prop_assert!(guard < 10, "could not schedule {:?}", me);
                match k.schedule() {
                    Next::Run(p) if p == me => {
                        let _ = k.take_result(p);
                        break;
                    }
                    Next::Run(p) => {
                        let _ = k.take_result(p);
                        let _ = k.syscall(p, Syscall::Yield);
                    }
                    Next::Finished(f) => prop_assert!(false, "run finished early: {:?}", f),
                }
            }
            if me == t {
                // Handlers the kernel queued for the target are taken when it runs.
                while let Some(sig) = k.take_signal(t) {
                    prop_assert_eq!(Some(sig), m.handle.pop_front(), "handler order");
                }
                prop_assert!(m.handle.is_empty(), "kernel lost a handler: {:?}", m.handle);
            }
            let r = match op {
                Op::Action(i, d) => {
                    let i = i as usize;
                    let action = [Disposition::Default, Disposition::Ignore, Disposition::Catch][d as usize];
                    let r = k.syscall(t, Syscall::SigAction { flags: ipcsim_kernel::SaFlags::empty(), signal: SIGS[i], action });
                    if !Model::unstoppable(i) {
                        m.disp[i] = d;
                        if d == 1 {
                            m.pending_std[i] = false;
                            m.pending_rt.retain(|j| *j != i);
                        }
                    }
                    r
                }
                Op::Mask(i, block) => {
                    let i = i as usize;
                    let r = k.syscall(t, Syscall::SigMask { signal: SIGS[i], block });
                    if !Model::unstoppable(i) {
                        if block {
                            m.masked[i] = true;
                        } else {
                            m.unmask(i);
                        }
                    }
                    r
                }
                Op::Pending(i) => {
                    let sig = SIGS[i as usize];
                    let r = k.syscall(t, Syscall::SigPending { signal: sig });
                    let want = i64::from(m.pending().contains(&sig));
                    prop_assert_eq!(&r, &Outcome::Done(Ok(Ret::Int(want))), "sigpending {}", sig);
                    r
                }
                Op::Kill(i) => {
                    let i = i as usize;
                    let r = k.syscall(s, Syscall::Kill { target: t, signal: SIGS[i] });
                    if m.killed.is_none() {
                        m.kill(i);
                    } else {
                        prop_assert_eq!(&r, &Outcome::Done(Err(Error::NotFound)));
                    }
                    r
                }
            };
            if let Op::Action(i, _) | Op::Mask(i, _) = op {
                if Model::unstoppable(i as usize) {
                    prop_assert_eq!(&r, &Outcome::Done(Err(Error::InvalidArgument)), "SIGSTOP/SIGKILL are not configurable");
                }
            }
            k.check_invariants().map_err(TestCaseError::fail)?;
            prop_assert_eq!(k.ending(t), m.killed.map(Ending::Killed), "target's fate");
            if m.killed.is_none() {
                prop_assert_eq!(k.is_stopped(t), m.stopped, "stopped");
                let st = k.signal_state(t).expect("state");
                prop_assert_eq!(st.pending(), m.pending(), "pending set");
                for (i, sig) in SIGS.iter().enumerate() {
                    if !Model::unstoppable(i) {
                        prop_assert_eq!(st.is_blocked(*sig), m.masked[i]);
                    }
                }
            }
            // The actor yields so the other can run next.
            if k.current() == Some(me) {
                let _ = k.syscall(me, Syscall::Yield);
            }
            // Handlers queued by a kill run when the target next runs (checked above).
            if me == t {
                while let Some(sig) = k.take_signal(t) {
                    prop_assert_eq!(Some(sig), m.handle.pop_front(), "handler order");
                }
            }
        }
    }
}
