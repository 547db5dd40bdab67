//! One run of a protocol under one schedule: its report, events and choices.

use std::cell::RefCell;
use std::rc::Rc;

use ipcsim_kernel::{Event, EventKind, Pid};
use ipcsim_runtime::{ProcState, Report, Runtime};

use crate::Schedule;

/// What a run of the protocol left behind, for a property to judge.
#[derive(Clone, Debug)]
pub struct Run {
    /// The schedule it ran under.
    pub schedule: Schedule,
    /// The closing report: each process's end, deadlocks, counters.
    pub report: Report,
    /// Every kernel event, in order.
    pub events: Vec<Event>,
    /// The scheduler's choices (as `KernelConfig::replay` takes them).
    pub choices: Vec<u32>,
    /// The process an injected kill ended, if one did.
    pub killed: Option<Pid>,
}

impl Run {
    /// Ok if every non-daemon process exited (the victim of an injected kill
    /// excused) and no deadlock formed; otherwise a message naming who did not.
    pub fn expect_all_exited(&self) -> Result<(), String> {
        let mut bad = Vec::new();
        for p in &self.report.processes {
            if p.daemon || Some(p.pid) == self.killed {
                continue;
            }
            if !matches!(p.state, ProcState::Ended(ipcsim_kernel::Ending::Exited)) {
                bad.push(format!("{} {}", p.name, p.state));
            }
        }
        if !self.report.deadlocks.is_empty() {
            bad.push(format!("{} deadlock(s)", self.report.deadlocks.len()));
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(bad.join("; "))
        }
    }

    /// The lines the processes printed (`Sys::print`), in order.
    pub fn prints(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Print { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Runs `setup`'s processes under `schedule`: the same schedule gives the same run.
pub fn run_under(schedule: &Schedule, setup: impl Fn(&mut Runtime)) -> Run {
    let mut rt = Runtime::new(schedule.kernel_config());
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    rt.set_sink(move |_, evs| sink.borrow_mut().extend_from_slice(evs));
    rt.set_steps_max(schedule.steps_max);
    setup(&mut rt);
    let report = rt.run();
    let k = rt.kernel();
    Run {
        schedule: schedule.clone(),
        report,
        events: events.take(),
        choices: k.choices().to_vec(),
        killed: k.injected_kill(),
    }
}
