//! The Chrome Trace Event view (Perfetto, chrome://tracing): a track per
//! process, a slice per running or blocked interval, flow arrows for messages.
//!
//! Virtual time has no sub-tick resolution, yet many events share a tick; so a
//! tick is drawn as 1000 µs and the events within one tick are spread across
//! it in the order they happened (up to 999 per tick), keeping order visible.

use ipcsim_kernel::{Event, EventKind, Kernel, Pid};
use serde_json::{json, Value as J};

use crate::text::wait_words;

/// Most trace events kept: past them the trace is cut, and says so (a
/// 100-million-step run would otherwise build tens of gigabytes).
pub const EVENTS_MAX: usize = 200_000;

/// A trace being built from events.
#[derive(Default)]
pub struct Chrome {
    out: Vec<J>,
    running: Option<Pid>,
    blocked: Vec<bool>,
    seen: Vec<bool>,
    tick: u64,
    within: u64,
    flow: u64,
    cut: bool,
    /// Each process's track (its host's: pid 1 for `local`).
    tracks: Vec<u64>,
    /// Hosts named so far (a host is a process track of the trace).
    hosts_named: Vec<bool>,
    /// Packets that left and have not arrived: their flows end where the
    /// run does ("still on its way").
    open_flows: std::collections::BTreeMap<u64, (u64, u32)>,
}

impl Chrome {
    fn ts(&mut self, time: u64) -> u64 {
        if time != self.tick {
            self.tick = time;
            self.within = 0;
        } else if self.within < 999 {
            self.within += 1;
        }
        time * 1000 + self.within
    }

    /// The trace's process (track) of a simulated process: its host's.
    fn track(&self, p: Pid) -> u64 {
        self.tracks.get(p.index()).copied().unwrap_or(1)
    }

    fn meta(&mut self, k: &Kernel, p: Pid) {
        let i = p.index();
        if self.seen.len() <= i {
            self.seen.resize(i + 1, false);
            self.blocked.resize(i + 1, false);
            self.tracks.resize(i + 1, 1);
        }
        if !self.seen[i] {
            self.seen[i] = true;
            let h = k.host_of(p).index();
            self.tracks[i] = h as u64 + 1;
            if k.host_count() > 1 {
                if self.hosts_named.len() <= h {
                    self.hosts_named.resize(h + 1, false);
                }
                if !self.hosts_named[h] {
                    self.hosts_named[h] = true;
                    self.out.push(json!({"name": "process_name", "ph": "M", "pid": h + 1, "args": {"name": k.host_name(k.host_of(p))}}));
                }
            }
            self.out.push(
                json!({"name": "thread_name", "ph": "M", "pid": self.track(p), "tid": p.0, "args": {"name": k.process_name(p)}}),
            );
            self.out.push(
                json!({"name": "thread_sort_index", "ph": "M", "pid": self.track(p), "tid": p.0, "args": {"sort_index": p.0}}),
            );
        }
    }

    fn end_blocked(&mut self, p: Pid, ts: u64) {
        if self.blocked.get(p.index()).copied().unwrap_or(false) {
            self.blocked[p.index()] = false;
            self.out
                .push(json!({"ph": "E", "pid": self.track(p), "tid": p.0, "ts": ts}));
        }
    }

    /// Adds one event.
    pub fn event(&mut self, k: &Kernel, e: &Event) {
        if self.cut {
            return;
        }
        if self.out.len() >= EVENTS_MAX {
            self.cut = true;
            let ts = self.ts(e.time);
            self.out.push(json!({"name": format!("trace cut after {EVENTS_MAX} events"), "ph": "i", "s": "g", "pid": 1, "tid": 0, "ts": ts}));
            return;
        }
        let ts = self.ts(e.time);
        let p = e.pid;
        self.meta(k, p);
        match &e.kind {
            EventKind::Switch { .. } => {
                if let Some(r) = self.running.take() {
                    self.out
                        .push(json!({"ph": "E", "pid": self.track(r), "tid": r.0, "ts": ts}));
                }
                self.end_blocked(p, ts);
                self.running = Some(p);
                self.out.push(
                    json!({"name": "running", "cat": "cpu", "ph": "B", "pid": self.track(p), "tid": p.0, "ts": ts}),
                );
            }
            EventKind::Block { wait, obj, .. } => {
                if self.running == Some(p) {
                    self.running = None;
                    self.out
                        .push(json!({"ph": "E", "pid": self.track(p), "tid": p.0, "ts": ts}));
                }
                self.end_blocked(p, ts);
                self.blocked[p.index()] = true;
                let name = format!("blocked: {}", wait_words(k, *wait, *obj));
                self.out
                    .push(json!({"name": name, "cat": "wait", "ph": "B", "pid": self.track(p), "tid": p.0, "ts": ts}));
            }
            EventKind::Wake { .. } | EventKind::Timeout => self.end_blocked(p, ts),
            EventKind::Deliver { from, data, .. } => {
                self.meta(k, *from);
                self.flow += 1;
                let name = format!("message {data}");
                self.out.push(json!({"name": name, "cat": "message", "ph": "s", "id": self.flow, "pid": self.track(*from), "tid": from.0, "ts": ts}));
                self.out.push(json!({"name": name, "cat": "message", "ph": "f", "bp": "e", "id": self.flow, "pid": self.track(p), "tid": p.0, "ts": ts}));
                self.out
                    .push(json!({"name": name, "cat": "message", "ph": "i", "s": "t", "pid": self.track(p), "tid": p.0, "ts": ts}));
            }
            EventKind::Reply { to, data } => {
                self.meta(k, *to);
                self.flow += 1;
                let name = format!("reply {data}");
                self.out.push(
                    json!({"name": name, "cat": "message", "ph": "s", "id": self.flow, "pid": self.track(p), "tid": p.0, "ts": ts}),
                );
                self.out.push(json!({"name": name, "cat": "message", "ph": "f", "bp": "e", "id": self.flow, "pid": self.track(*to), "tid": to.0, "ts": ts}));
                self.end_blocked(*to, ts);
            }
            EventKind::Net(n) => self.net(p, n, ts),
            EventKind::End { ending } => {
                self.end_blocked(p, ts);
                if self.running == Some(p) {
                    self.running = None;
                    self.out
                        .push(json!({"ph": "E", "pid": self.track(p), "tid": p.0, "ts": ts}));
                }
                self.out
                    .push(json!({"name": ending.to_string(), "ph": "i", "s": "t", "pid": self.track(p), "tid": p.0, "ts": ts}));
            }
            _ => {}
        }
    }

    /// A packet: a flow from its leaving to its arrival (ids apart from the
    /// messages'), an instant where it arrives or is lost.
    fn net(&mut self, p: Pid, n: &ipcsim_kernel::NetEvent, ts: u64) {
        use ipcsim_kernel::NetStep;
        let track = self.track(p);
        let flow = (1 << 40) + n.id;
        match &n.step {
            NetStep::Leaves { .. } if n.id != 0 => {
                self.open_flows.insert(flow, (track, p.0));
                self.out.push(json!({"name": n.what, "cat": "network", "ph": "s", "id": flow, "pid": track, "tid": p.0, "ts": ts}));
            }
            NetStep::Arrives => {
                if n.id != 0 && self.open_flows.remove(&flow).is_some() {
                    self.out.push(json!({"name": n.what, "cat": "network", "ph": "f", "bp": "e", "id": flow, "pid": track, "tid": p.0, "ts": ts}));
                }
                self.out.push(
                    json!({"name": n.what, "cat": "network", "ph": "i", "s": "t", "pid": track, "tid": p.0, "ts": ts}),
                );
            }
            NetStep::Lost(why) => {
                self.out.push(json!({"name": format!("LOST {}: {why}", n.what), "cat": "network", "ph": "i", "s": "t", "pid": track, "tid": p.0, "ts": ts}));
            }
            NetStep::Held { ticks } => {
                let name = format!("FAULT: {} held back {ticks} ticks", n.what);
                self.out.push(
                    json!({"name": name, "cat": "fault", "ph": "i", "s": "t", "pid": track, "tid": p.0, "ts": ts}),
                );
            }
            NetStep::Cut { until } => {
                let name = format!("FAULT: link cut until t={until}");
                self.out.push(
                    json!({"name": name, "cat": "fault", "ph": "i", "s": "g", "pid": track, "tid": p.0, "ts": ts}),
                );
            }
            _ => {}
        }
    }

    /// The trace file: `{"traceEvents": [...]}`, with every open slice closed at the end.
    pub fn render(&mut self, k: &Kernel) -> String {
        let ts = k.now() * 1000 + 999;
        if let Some(r) = self.running.take() {
            self.out
                .push(json!({"ph": "E", "pid": self.track(r), "tid": r.0, "ts": ts}));
        }
        for i in 0..self.blocked.len() {
            if self.blocked[i] {
                self.blocked[i] = false;
                let track = self.tracks.get(i).copied().unwrap_or(1);
                self.out.push(json!({"ph": "E", "pid": track, "tid": i, "ts": ts}));
            }
        }
        for (flow, (track, tid)) in std::mem::take(&mut self.open_flows) {
            self.out.push(json!({"name": "still on its way", "cat": "network", "ph": "f", "bp": "e", "id": flow, "pid": track, "tid": tid, "ts": ts}));
        }
        let mut events = if k.host_count() > 1 {
            Vec::new()
        } else {
            vec![json!({"name": "process_name", "ph": "M", "pid": 1, "args": {"name": "ipcsim"}})]
        };
        events.append(&mut self.out);
        json!({"traceEvents": events, "displayTimeUnit": "ms", "otherData": {"tick_us": 1000}}).to_string()
    }
}
