//! The closing report of a run: how each process ended or what it waits on,
//! deadlocks, virtual time and counters. Every view prints from this.

use std::fmt;

use ipcsim_kernel::stats::Stats;
use ipcsim_kernel::{DeadlockReport, Ending, Finish, Kernel, ObjId, Pid, Time, WaitKind};

/// Where a process stands at the end of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcState {
    /// It ended.
    Ended(Ending),
    /// It is blocked.
    Blocked {
        /// On what.
        wait: WaitKind,
        /// Through which object (label).
        object: Option<String>,
        /// The object itself.
        obj: Option<ObjId>,
        /// When its timeout would fire.
        deadline: Option<Time>,
    },
    /// It could still run (the run ended for another reason).
    Ready,
    /// It is stopped (SIGSTOP).
    Stopped,
}

impl fmt::Display for ProcState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcState::Ended(e) => write!(f, "{e}"),
            ProcState::Blocked {
                wait, object, deadline, ..
            } => {
                write!(f, "blocked: {}", wait.describe())?;
                if let Some(o) = object {
                    write!(f, " on {o}")?;
                }
                if let Some(d) = deadline {
                    write!(f, " (until t={d})")?;
                }
                Ok(())
            }
            ProcState::Ready => f.write_str("ready"),
            ProcState::Stopped => f.write_str("stopped"),
        }
    }
}

/// One process in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessReport {
    /// Its pid.
    pub pid: Pid,
    /// Its name.
    pub name: String,
    /// Whether it is a daemon.
    pub daemon: bool,
    /// Its state.
    pub state: ProcState,
    /// The server it waits for a reply from, by name.
    pub reply_from: Option<String>,
    /// CPU ticks it consumed (computes and the cost model's charges).
    pub cpu: u64,
}

/// The closing report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Why the run ended.
    pub finish: Finish,
    /// Virtual time at the end.
    pub time: Time,
    /// Every process, in pid order.
    pub processes: Vec<ProcessReport>,
    /// Counters.
    pub stats: Stats,
    /// Deadlocks detected, in the order they formed.
    pub deadlocks: Vec<DeadlockReport>,
    /// Events recorded.
    pub events: u64,
}

impl Report {
    /// Builds the report from a kernel at the end of a run.
    pub fn build(k: &Kernel, finish: Finish) -> Report {
        let processes = (0..k.process_count())
            .map(|i| {
                let pid = Pid(i as u32);
                let info = k.process_info(pid);
                let state = if let Some(e) = k.ending(pid) {
                    ProcState::Ended(e)
                } else if let Some((wait, obj, deadline)) = k.waiting_on(pid) {
                    ProcState::Blocked {
                        wait,
                        object: obj.map(|o| k.object_label(o).to_string()),
                        obj,
                        deadline,
                    }
                } else if k.is_stopped(pid) {
                    ProcState::Stopped
                } else {
                    ProcState::Ready
                };
                let reply_from = match &state {
                    ProcState::Blocked {
                        wait: WaitKind::Reply(s),
                        ..
                    } => Some(k.process_name(*s).to_string()),
                    _ => None,
                };
                let daemon = info.as_ref().is_some_and(|i| i.daemon);
                ProcessReport {
                    pid,
                    name: info.map(|i| i.name).unwrap_or_default(),
                    daemon,
                    state,
                    reply_from,
                    cpu: k.cpu_time(pid),
                }
            })
            .collect();
        Report {
            finish,
            time: k.now(),
            processes,
            stats: k.stats().clone(),
            deadlocks: k.deadlocks().to_vec(),
            events: k.log_total(),
        }
    }

    /// The report of one process.
    pub fn process(&self, pid: Pid) -> Option<&ProcessReport> {
        self.processes.get(pid.index())
    }

    /// The report of the process with this name.
    pub fn by_name(&self, name: &str) -> Option<&ProcessReport> {
        self.processes.iter().find(|p| p.name == name)
    }
}
