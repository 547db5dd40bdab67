//! Recording a run for the classroom view: each event as a step (its trace
//! line, its arrow or mark in the diagram) and, after each batch of events,
//! the state a student steps through: every process (state, capabilities)
//! and every object (value, contents, waiters). States are kept only when
//! they change, so a long quiet stretch costs one.

use ipcsim_kernel::{Event, EventKind, Kernel, Pid};
use ipcsim_scenario::text;
use serde_json::{json, Value};

/// Most events a page holds: beyond it the page says where it was cut (a
/// page of a million steps would not open).
pub(crate) const STEPS_MAX: usize = 2000;
/// Most processes drawn as columns.
pub(crate) const PARTICIPANTS_MAX: usize = 40;

/// How one event is drawn in the diagram.
#[derive(Clone, Debug)]
pub(crate) enum Mark {
    /// A message, reply or signal from one process to another.
    Arrow {
        from: Pid,
        to: Pid,
        label: String,
        dashed: bool,
    },
    /// Something that happened to one process.
    Dot { label: String, alarm: bool },
    /// A deadlock among these processes.
    Deadlock { members: Vec<Pid> },
}

/// One event of the run.
pub(crate) struct Step {
    pub time: u64,
    pub pid: Pid,
    pub line: String,
    pub mark: Mark,
    /// Index into [`Recorder::states`]: the state after this event's batch.
    pub state: usize,
    /// For a deadlock: its members, what each waits for, and its cycle, by name.
    pub deadlock: Option<Value>,
}

/// The run as the page shows it.
#[derive(Default)]
pub(crate) struct Recorder {
    pub steps: Vec<Step>,
    pub states: Vec<Value>,
    /// Processes in the order they first appear (the diagram's columns).
    pub participants: Vec<Pid>,
    /// Events left out after [`STEPS_MAX`].
    pub cut: u64,
}

impl Recorder {
    /// Adds a batch of events and the state after it.
    pub(crate) fn batch(&mut self, k: &Kernel, evs: &[Event]) {
        if evs.is_empty() {
            return;
        }
        let room = STEPS_MAX.saturating_sub(self.steps.len());
        if room < evs.len() {
            self.cut += (evs.len() - room) as u64;
        }
        let evs = &evs[..room.min(evs.len())];
        if evs.is_empty() {
            return;
        }
        let state = snapshot(k);
        if self.states.last() != Some(&state) {
            self.states.push(state);
        }
        let at = self.states.len() - 1;
        for e in evs {
            let mut line = String::new();
            text::event_line(k, e, &mut line);
            let mark = self.mark(k, e);
            let deadlock = match &e.kind {
                EventKind::Deadlock { members } => Some(deadlock_json(k, members)),
                _ => None,
            };
            self.steps.push(Step {
                time: e.time,
                pid: e.pid,
                line,
                mark,
                state: at,
                deadlock,
            });
        }
    }

    fn see(&mut self, p: Pid) {
        if !self.participants.contains(&p) && self.participants.len() < PARTICIPANTS_MAX {
            self.participants.push(p);
        }
    }

    fn mark(&mut self, k: &Kernel, e: &Event) -> Mark {
        self.see(e.pid);
        let mut words = String::new();
        text::event_words(k, e, &mut words);
        match &e.kind {
            EventKind::Deliver { from, .. } if *from != e.pid => {
                self.see(*from);
                Mark::Arrow {
                    from: *from,
                    to: e.pid,
                    label: words,
                    dashed: false,
                }
            }
            EventKind::Reply { to, .. } => {
                self.see(*to);
                Mark::Arrow {
                    from: e.pid,
                    to: *to,
                    label: words,
                    dashed: true,
                }
            }
            EventKind::SignalSent { from: Some(f), .. } if *f != e.pid => {
                self.see(*f);
                Mark::Arrow {
                    from: *f,
                    to: e.pid,
                    label: words,
                    dashed: true,
                }
            }
            EventKind::Deadlock { members } => {
                for m in members {
                    self.see(*m);
                }
                Mark::Deadlock {
                    members: members.clone(),
                }
            }
            EventKind::Fail { .. } | EventKind::Timeout | EventKind::Fault { .. } => Mark::Dot {
                label: words,
                alarm: true,
            },
            EventKind::End { ending } => Mark::Dot {
                alarm: !matches!(ending, ipcsim_kernel::Ending::Exited),
                label: words,
            },
            _ => Mark::Dot {
                label: words,
                alarm: false,
            },
        }
    }
}

/// What a process is doing now, in words.
fn process_state(k: &Kernel, pid: Pid) -> String {
    if let Some(e) = k.ending(pid) {
        return format!("ended: {e}");
    }
    if k.is_stopped(pid) {
        return "stopped".into();
    }
    if let Some((wait, obj, deadline)) = k.waiting_on(pid) {
        let until = deadline.map_or(String::new(), |d| format!(" (until t={d})"));
        return format!("blocked: {}{until}", text::wait_words(k, wait, obj));
    }
    if k.current() == Some(pid) {
        "running".into()
    } else {
        "ready".into()
    }
}

/// Every process and object now, as the page's state panel shows them.
fn snapshot(k: &Kernel) -> Value {
    let procs: Vec<Value> = (0..k.process_count() as u32)
        .map(Pid)
        .take(PARTICIPANTS_MAX * 4)
        .map(|pid| {
            let caps: Vec<String> = k
                .held_caps(pid)
                .iter()
                .filter_map(|c| k.cap_info(pid, *c))
                .map(|(obj, kind, rights, badge)| {
                    let b = if badge != 0 {
                        format!(" badge {badge}")
                    } else {
                        String::new()
                    };
                    format!("{} ({}): {}{b}", k.object_label(obj), kind.name(), rights.words())
                })
                .collect();
            json!([text::who(k, pid), process_state(k, pid), caps])
        })
        .collect();
    let objs: Vec<Value> = k
        .object_ids()
        .into_iter()
        .filter_map(|o| k.object_state(o))
        .take(PARTICIPANTS_MAX * 4)
        .map(|s| {
            let waiters: Vec<String> = s
                .waiters
                .iter()
                .map(|(p, what)| format!("{} {what}", text::who(k, *p)))
                .collect();
            json!([s.label, s.kind.name(), s.value, s.contents, waiters])
        })
        .collect();
    json!({ "t": k.now(), "procs": procs, "objs": objs })
}

/// A deadlock as the page draws it: members, each one's wait, the cycle.
fn deadlock_json(k: &Kernel, members: &[Pid]) -> Value {
    let report = k.deadlocks().iter().rev().find(|d| d.members == members);
    let names: Vec<String> = members.iter().map(|m| text::who(k, *m).into_owned()).collect();
    let waits: Vec<String> = report.map_or(Vec::new(), |r| {
        r.waits
            .iter()
            .map(|(p, w, o)| format!("{} {}", text::who(k, *p), text::wait_words(k, *w, *o)))
            .collect()
    });
    let cycle: Vec<String> = report.map_or(Vec::new(), |r| {
        r.cycle.iter().map(|p| text::who(k, *p).into_owned()).collect()
    });
    json!({ "members": names, "waits": waits, "cycle": cycle })
}
