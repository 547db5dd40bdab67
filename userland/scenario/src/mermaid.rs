//! The Mermaid view: a `sequenceDiagram` of the run. Messages are arrows
//! (calls solid, replies dashed); blocking, control-flow transfer, timeouts,
//! signals and endings are notes. Long runs are cut after a bounded number of
//! lines, with a note saying so, so a diagram stays readable and small.

use std::fmt::Write;

use ipcsim_kernel::{Data, Event, EventKind, Kernel, Pid, SwitchReason};

use crate::text::wait_words;

/// Most diagram lines kept.
pub const LINES_MAX: usize = 2000;
/// Most participants drawn (a diagram of more is unreadable, and a run that
/// spawns a million processes must not make one column each).
pub const PARTICIPANTS_MAX: usize = 200;

/// A diagram being built from events.
#[derive(Default)]
pub struct Mermaid {
    participants: Vec<Pid>,
    lines: Vec<String>,
    cut: bool,
}

fn short(d: &Data) -> String {
    let s = d.to_string();
    let s = if s.chars().count() > 40 {
        format!("{}…", s.chars().take(39).collect::<String>())
    } else {
        s
    };
    // Mermaid text may not hold `;` or `#` unescaped, and quotes read badly: use typographic ones.
    s.replace(';', ",").replace('#', "♯").replace('"', "”")
}

fn id(p: Pid) -> String {
    format!("p{}", p.0)
}

impl Mermaid {
    fn see(&mut self, p: Pid) {
        if !self.participants.contains(&p) {
            if self.participants.len() >= PARTICIPANTS_MAX {
                self.cut = true;
                return;
            }
            self.participants.push(p);
        }
    }

    /// A note on `p`'s lifeline about data at a place: `what` has a `{}` for
    /// the data and is followed by the place ("stores {} in" -> "stores 7 in box").
    fn data_note(&mut self, p: Pid, what: &str, data: &Data, place: &str, time: u64) {
        let what = what.replacen("{}", &short(data), 1);
        self.push(format!("    Note over {}: {what} {place} (t={time})", id(p)));
    }

    fn push(&mut self, line: String) {
        if self.lines.len() >= LINES_MAX {
            self.cut = true;
            return;
        }
        // `#` starts an entity and `;` ends a statement in Mermaid: neither may reach
        // it raw from a name (`worker#2`) or a wait description.
        self.lines.push(line.replace('#', "♯").replace(';', ","));
    }

    /// Adds one event.
    pub fn event(&mut self, k: &Kernel, e: &Event) {
        if self.cut {
            return;
        }
        let p = e.pid;
        match &e.kind {
            EventKind::Start { .. } => self.see(p),
            EventKind::Deliver {
                from,
                obj,
                data,
                call,
                badge,
                ..
            } => {
                self.see(*from);
                self.see(p);
                let via = obj.map_or(String::new(), |o| format!(" via {}", k.object_label(o)));
                let what = if *call { "call " } else { "" };
                let b = if *badge != 0 {
                    format!(" [badge {badge}]")
                } else {
                    String::new()
                };
                self.push(format!(
                    "    {}->>{}: {what}{}{via}{b} (t={})",
                    id(*from),
                    id(p),
                    short(data),
                    e.time
                ));
            }
            EventKind::Reply { to, data } => {
                self.see(*to);
                self.push(format!(
                    "    {}-->>{}: reply {} (t={})",
                    id(p),
                    id(*to),
                    short(data),
                    e.time
                ));
            }
            // Shared memory carries no messages: its stores and loads are the conversation.
            EventKind::Syscall {
                name: "store" | "poke",
                obj,
                data: Some(data),
                ..
            } => self.data_note(
                p,
                "stores {} in",
                data,
                obj.map_or("memory", |o| k.object_label(o)),
                e.time,
            ),
            EventKind::Loaded { obj, data } => self.data_note(p, "reads {} from", data, k.object_label(*obj), e.time),
            EventKind::Enqueue { obj, data } => self.data_note(p, "{} buffered in", data, k.object_label(*obj), e.time),
            EventKind::Block { wait, obj, deadline } => {
                let d = deadline.map_or(String::new(), |d| format!(", timeout at t={d}"));
                self.push(format!(
                    "    Note over {}: blocks: {}{d} (t={})",
                    id(p),
                    wait_words(k, *wait, *obj),
                    e.time
                ));
            }
            EventKind::Switch {
                from: Some(f),
                reason: SwitchReason::Transfer,
            } => {
                self.push(format!(
                    "    Note over {},{}: control-flow transfer (t={})",
                    id(*f),
                    id(p),
                    e.time
                ));
            }
            EventKind::Switch {
                from: Some(f),
                reason: SwitchReason::Preempt,
            } => {
                self.push(format!(
                    "    Note over {}: preempts {} (t={})",
                    id(p),
                    k.process_name(*f),
                    e.time
                ));
            }
            EventKind::Timeout => self.push(format!("    Note over {}: TimedOut (t={})", id(p), e.time)),
            EventKind::Wake { error: Some(err) } => {
                self.push(format!("    Note over {}: wakes: {err} (t={})", id(p), e.time))
            }
            EventKind::Fail { error } => self.push(format!("    Note over {}: fails: {error} (t={})", id(p), e.time)),
            EventKind::SignalSent { from, signal, action } => {
                if let Some(f) = from {
                    self.see(*f);
                    self.push(format!("    {}-)>{}: {signal} ({action})", id(*f), id(p)).replace("-)>", "-)"));
                } else {
                    self.push(format!("    Note over {}: {signal} from the kernel ({action})", id(p)));
                }
            }
            EventKind::Fault { delay, .. } => self.push(format!(
                "    Note over {}: FAULT injected: {} (t={})",
                id(p),
                if *delay == 0 {
                    "killed".to_string()
                } else {
                    format!("stalls {delay} ticks")
                },
                e.time
            )),
            EventKind::End { ending } => self.push(format!("    Note over {}: {ending} (t={})", id(p), e.time)),
            EventKind::Priority { priority, inherited } => {
                let what = if *inherited {
                    "inherits priority"
                } else {
                    "priority back to"
                };
                self.push(format!("    Note over {}: {what} {priority} (t={})", id(p), e.time));
            }
            EventKind::Deadlock { members } => {
                let a = members.first().copied().unwrap_or(p);
                let b = members.last().copied().unwrap_or(p);
                let names: Vec<&str> = members.iter().map(|m| k.process_name(*m)).collect();
                self.push(format!(
                    "    Note over {},{}: DEADLOCK: {} (t={})",
                    id(a),
                    id(b),
                    names.join(", "),
                    e.time
                ));
            }
            EventKind::Net(n) => self.net(k, p, n, e.time),
            EventKind::Print { text } => {
                let t = short(&Data::str(text));
                self.push(format!("    Note over {}: print {t}", id(p)));
            }
            // What the kernel gives back for a process that ends is part of the story.
            EventKind::SemUndo { obj, num, delta } => self.push(format!(
                "    Note over {}: undo: semaphore {num} of {} {delta:+} (t={})",
                id(p),
                k.object_label(*obj),
                e.time
            )),
            _ => {}
        }
    }

    /// A segment or datagram: an arrow from its sender when it arrives, a
    /// note where it is lost or held for ever (room updates are left out).
    fn net(&mut self, k: &Kernel, p: Pid, n: &ipcsim_kernel::NetEvent, time: u64) {
        use ipcsim_kernel::NetStep;
        if n.what.starts_with("room for") {
            return;
        }
        let data = n.data.as_ref().map_or(String::new(), |d| format!(" {}", short(d)));
        match (&n.step, n.sender) {
            (NetStep::Arrives, Some(from)) if from != p => {
                self.see(from);
                self.see(p);
                self.push(format!("    {}-){}: {}{data} (t={time})", id(from), id(p), n.what));
            }
            (NetStep::Lost(why), _) => {
                self.see(p);
                let to = k.host_name(n.host);
                self.push(format!(
                    "    Note over {}: LOST {}{data} to {to}: {why} (t={time})",
                    id(p),
                    n.what
                ));
            }
            (NetStep::Held { ticks }, _) => {
                self.see(p);
                let to = k.host_name(n.host);
                self.push(format!(
                    "    Note over {}: FAULT injected: {}{data} to {to} held back {ticks} ticks (t={time})",
                    id(p),
                    n.what
                ));
            }
            (NetStep::Cut { until }, _) => {
                self.see(p);
                let (a, b) = (k.host_name(n.at), k.host_name(n.host));
                self.push(format!(
                    "    Note over {}: FAULT injected: link {a}-{b} cut until t={until} (t={time})",
                    id(p)
                ));
            }
            (NetStep::Leaves { at: None }, _) => {
                self.see(p);
                self.push(format!(
                    "    Note over {}: {}{data} held by a partition for ever (t={time})",
                    id(p),
                    n.what
                ));
            }
            _ => {}
        }
    }

    /// The diagram text.
    pub fn render(&self, k: &Kernel) -> String {
        let mut s = String::from("sequenceDiagram\n");
        let participant = |s: &mut String, p: Pid| {
            let _ = writeln!(
                s,
                "    participant {} as {}",
                id(p),
                k.process_name(p).replace('#', "♯")
            );
        };
        if k.host_count() > 1 {
            // Each host's processes in a box of their own.
            for h in 0..k.host_count() {
                let host = ipcsim_kernel::HostId(h as u16);
                let mine: Vec<Pid> = self
                    .participants
                    .iter()
                    .copied()
                    .filter(|p| k.host_of(*p) == host)
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                let _ = writeln!(s, "    box rgb(245,245,245) {}", k.host_name(host).replace('#', "♯"));
                for p in mine {
                    participant(&mut s, p);
                }
                let _ = writeln!(s, "    end");
            }
        } else {
            for p in &self.participants {
                participant(&mut s, *p);
            }
        }
        for l in &self.lines {
            s.push_str(l);
            s.push('\n');
        }
        if self.cut {
            let first = self.participants.first().copied().unwrap_or(Pid(0));
            let _ = writeln!(
                s,
                "    Note over {}: diagram cut after {} lines and {} participants",
                id(first),
                self.lines.len(),
                self.participants.len()
            );
        }
        s
    }
}
