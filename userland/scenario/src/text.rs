//! The text views: the timeline a student reads, and the closing report.
//!
//! One line per kernel event: virtual time, process, what happened. The
//! format is stable (golden tests pin it) and holds no wall-clock figure.

use std::fmt::Write;

use ipcsim_kernel::{Event, EventKind, Kernel, ObjectKind, SwitchReason, WaitKind};
use ipcsim_runtime::ProcState;

use crate::run::Outcome;

fn obj(k: &Kernel, o: Option<ipcsim_kernel::ObjId>) -> String {
    o.map_or(String::new(), |o| k.object_label(o).to_string())
}

/// What a blocked process waits for, in words, with its object.
pub fn wait_words(k: &Kernel, wait: WaitKind, o: Option<ipcsim_kernel::ObjId>) -> String {
    match wait {
        WaitKind::Reply(s) => format!("waits for the reply from {}", k.process_name(s)),
        w => {
            let on = obj(k, o);
            if on.is_empty() {
                w.describe().to_string()
            } else {
                format!("{} on {on}", w.describe())
            }
        }
    }
}

/// A process's name as the views print it: `host/name` where the scenario
/// has hosts (the sockets contract), else its name.
pub fn who(k: &Kernel, pid: ipcsim_kernel::Pid) -> std::borrow::Cow<'_, str> {
    if k.host_count() > 1 {
        format!("{}/{}", k.host_name(k.host_of(pid)), k.process_name(pid)).into()
    } else {
        k.process_name(pid).into()
    }
}

/// A network event in words: "-> 5 bytes to beta (arrives t=15)".
fn net_words(k: &Kernel, pid: ipcsim_kernel::Pid, n: &ipcsim_kernel::NetEvent, out: &mut String) -> std::fmt::Result {
    use ipcsim_kernel::NetStep;
    let host = k.host_name(n.host);
    let data = n.data.as_ref().map_or(String::new(), |d| format!(" {d}"));
    match &n.step {
        NetStep::Leaves { at: Some(t) } if k.host_of(pid) != n.at => {
            write!(
                out,
                "~> {}{data} to {host} (arrives t={t}), from {}",
                n.what,
                k.host_name(n.at)
            )
        }
        NetStep::Leaves { at: Some(t) } => write!(out, "~> {}{data} to {host} (arrives t={t})", n.what),
        NetStep::Leaves { at: None } => write!(out, "~> {}{data} to {host}: held by a partition for ever", n.what),
        // Named for a process of another host (nobody where it arrived holds
        // the socket it reached): say where it arrived.
        NetStep::Arrives if k.host_of(pid) != n.at => {
            write!(
                out,
                "<~ {}{data} from {host}, at {} (nobody there takes it)",
                n.what,
                k.host_name(n.at)
            )
        }
        NetStep::Arrives => write!(out, "<~ {}{data} from {host}", n.what),
        NetStep::Lost(why) => write!(out, "LOST {}{data} to {host}: {why}", n.what),
        NetStep::Held { ticks } => write!(
            out,
            "FAULT injected: {}{data} to {host} held back {ticks} more ticks (--reorder-random)",
            n.what
        ),
        NetStep::Cut { until } => write!(
            out,
            "FAULT injected: link {}-{host} cut until t={until} (--partition-random)",
            k.host_name(n.at)
        ),
    }
}

/// One event as a line of text (without the newline).
pub fn event_line(k: &Kernel, e: &Event, out: &mut String) {
    let name = who(k, e.pid);
    let _ = write!(out, "{:>6}  {:<12} ", e.time, name);
    event_words(k, e, out);
}

/// What happened, in words: an event's line without its time and process
/// columns (what a trace fact, `expect trace PROC "TEXT"`, is matched against).
pub fn event_words(k: &Kernel, e: &Event, out: &mut String) {
    let _ = match &e.kind {
        EventKind::Start { parent: None } => write!(out, "starts"),
        EventKind::Start { parent: Some(p) } => {
            write!(out, "starts (spawned by {})", k.process_name(*p))
        }
        EventKind::Syscall {
            name,
            obj: o,
            data,
            arg,
        } => {
            let _ = write!(out, "{name}");
            if let Some(o) = o {
                let _ = write!(out, " {}", k.object_label(*o));
            }
            if *name == "kill" {
                if let Some(a) = arg {
                    let (target, signal) = ipcsim_kernel::event::kill_of(*a);
                    let _ = write!(out, " {} {signal}", k.process_name(target));
                }
            } else if *name == "close" {
                if let Some(a) = arg {
                    let _ = write!(out, " ({})", ipcsim_kernel::event::pipe_end_words(*a));
                }
            } else if *name == "watch" {
                if let Some(a) = arg {
                    let _ = write!(out, " {}", k.process_name(ipcsim_kernel::Pid(*a as u32)));
                }
            } else if let Some(a) = arg {
                let _ = write!(out, " {a}");
            }
            match data {
                // A semop's operations are words, not a string sent anywhere.
                Some(ipcsim_kernel::Data::Str(s)) if *name == "semop" => {
                    let _ = write!(out, " {s}");
                }
                Some(d) => {
                    let _ = write!(out, " {d}");
                }
                None => {}
            }
            Ok(())
        }
        EventKind::Block { wait, obj: o, deadline } => {
            let _ = write!(out, "blocks: {}", wait_words(k, *wait, *o));
            match deadline {
                Some(d) => write!(out, " (timeout at t={d})"),
                None => Ok(()),
            }
        }
        EventKind::Deliver {
            from,
            obj: o,
            data,
            badge,
            call,
            copies,
        } => {
            let _ = write!(out, "<- {data} from {}", k.process_name(*from));
            if let Some(o) = o {
                let _ = write!(out, " via {}", k.object_label(*o));
            }
            let mut notes = Vec::new();
            if *call {
                notes.push("call".to_string());
            }
            if *badge != 0 {
                notes.push(format!("badge {badge}"));
            }
            notes.push(format!("{copies} {}", if *copies == 1 { "copy" } else { "copies" }));
            write!(out, " ({})", notes.join(", "))
        }
        EventKind::Loaded { obj: o, data } => write!(out, "reads {data} from {}", k.object_label(*o)),
        EventKind::SemUndo { obj, num, delta } => {
            write!(out, "undo: semaphore {num} of {} {delta:+}", k.object_label(*obj))
        }
        EventKind::Enqueue { obj: o, data } => {
            write!(out, "-> {data} buffered in {}", k.object_label(*o))
        }
        EventKind::Reply { to, data } => write!(out, "replies {data} to {}", k.process_name(*to)),
        EventKind::ReplyDropped { caller } => {
            write!(
                out,
                "receives again: its unused reply right to {} is dropped",
                k.process_name(*caller)
            )
        }
        EventKind::Wake { error: None } => write!(out, "wakes"),
        EventKind::Wake { error: Some(err) } => write!(out, "wakes: {err}"),
        EventKind::Timeout => write!(out, "times out: TimedOut"),
        EventKind::Fail { error } => write!(out, "fails: {error}"),
        EventKind::Switch { from, reason } => {
            let _ = write!(out, "runs");
            match (reason, from) {
                (SwitchReason::Transfer, Some(f)) => {
                    write!(out, " (control-flow transfer from {})", k.process_name(*f))
                }
                (SwitchReason::Preempt, Some(f)) => {
                    write!(out, " (preempts {})", k.process_name(*f))
                }
                (SwitchReason::Seeded, Some(f)) => {
                    write!(out, " (seeded scheduler preempts {})", k.process_name(*f))
                }
                _ => Ok(()),
            }
        }
        EventKind::SignalSent { from, signal, action } => {
            let by = from.map_or("the kernel".to_string(), |f| k.process_name(f).to_string());
            write!(out, "gets {signal} from {by}: {action}")
        }
        EventKind::Discarded { obj: o, data } => {
            let list: Vec<String> = data.iter().map(|d| d.to_string()).collect();
            write!(
                out,
                "destroys {}: {} queued message(s) discarded: {}",
                k.object_label(*o),
                data.len(),
                list.join(", ")
            )
        }
        EventKind::Print { text } => write!(out, "print: {text}"),
        EventKind::Priority {
            priority,
            inherited: true,
        } => write!(out, "inherits priority {priority}"),
        EventKind::Priority {
            priority,
            inherited: false,
        } => write!(out, "priority back to {priority}"),
        EventKind::Net(n) => net_words(k, e.pid, n, out),
        EventKind::Fault { delay: 0, .. } => write!(out, "FAULT injected: killed (--kill-random)"),
        EventKind::Fault { delay, .. } => write!(out, "FAULT injected: stalls {delay} ticks (--delay)"),
        EventKind::End { ending } => write!(out, "ends: {ending}"),
        EventKind::Deadlock { members } => {
            let names: Vec<&str> = members.iter().map(|p| k.process_name(*p)).collect();
            write!(out, "DEADLOCK forms: {}", names.join(", "))
        }
    };
}

/// The closing report as text.
pub fn report_text(o: &Outcome, k: &Kernel) -> String {
    let r = &o.report;
    let mut s = String::new();
    let why = match r.finish {
        ipcsim_kernel::Finish::AllEnded => "every non-daemon process ended",
        ipcsim_kernel::Finish::Idle => "no process can run and no timer is due",
        ipcsim_kernel::Finish::TimeLimit => "max_time reached",
        ipcsim_kernel::Finish::StepLimit => "step limit reached (possible livelock)",
    };
    let _ = writeln!(s, "== report ==");
    let _ = writeln!(s, "run ended at t={}: {why}", r.time);
    let _ = writeln!(s, "processes:");
    // Padded to the longest name, up to a name's limit (a longer one, from a
    // Rust process, is printed whole and unpadded: a format width has a ceiling).
    let width = r
        .processes
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(4)
        .clamp(4, crate::limits::NAME_BYTES_MAX);
    for p in &r.processes {
        let tag = if o.is_service(p.pid) {
            "service"
        } else if p.daemon {
            "daemon"
        } else {
            ""
        };
        let state = match &p.state {
            ProcState::Blocked {
                wait,
                obj: ob,
                deadline,
                ..
            } => {
                let mut t = format!("blocked: {}", wait_words(k, *wait, *ob));
                if let Some(d) = deadline {
                    let _ = write!(t, " (until t={d})");
                }
                t
            }
            st => st.to_string(),
        };
        let _ = write!(s, "  {:<width$}  {:<7}  {state}", p.name, tag);
        if p.cpu > 0 {
            let _ = write!(s, " (cpu {} ticks)", p.cpu);
        }
        s.push('\n');
    }
    if r.deadlocks.is_empty() {
        let _ = writeln!(s, "deadlocks: none");
    }
    for d in &r.deadlocks {
        let names: Vec<&str> = d.members.iter().map(|p| k.process_name(*p)).collect();
        let _ = writeln!(s, "deadlock at t={}: {}", d.time, names.join(", "));
        for (p, w, ob) in &d.waits {
            let _ = writeln!(s, "  {} {}", k.process_name(*p), wait_words(k, *w, *ob));
            for (sem, n) in k.sem_held(*p) {
                let _ = writeln!(s, "    holds {n} unit(s) of {}", k.object_label(sem));
            }
        }
        if !d.cycle.is_empty() {
            let c: Vec<&str> = d.cycle.iter().map(|p| k.process_name(*p)).collect();
            let _ = writeln!(s, "  cycle: {}", c.join(" -> "));
        }
    }
    let st = &r.stats;
    let _ = writeln!(
        s,
        "counters: {} system calls, {} context switches ({} control-flow transfers), {} messages, {} bytes copied in {} copies",
        st.syscalls,
        st.switches,
        st.transfers,
        st.messages(),
        st.bytes_copied(),
        st.copies()
    );
    if st.memory_accesses > 0 {
        let _ = writeln!(
            s,
            "  {} loads/stores of mapped memory (not system calls)",
            st.memory_accesses
        );
    }
    let kinds = [
        ObjectKind::Endpoint,
        ObjectKind::Mailbox,
        ObjectKind::MsgQueue,
        ObjectKind::Pipe,
        ObjectKind::Shm,
        ObjectKind::Socket,
    ];
    for kind in kinds {
        let m = st.of(kind);
        if m.messages > 0 {
            let unit = if matches!(kind, ObjectKind::Pipe | ObjectKind::Socket) {
                "writes"
            } else if kind == ObjectKind::Shm {
                "stores"
            } else {
                "messages"
            };
            let _ = writeln!(
                s,
                "  {:<9} {} {unit}, {} copies, {} bytes copied",
                kind.name(),
                m.messages,
                m.copies,
                m.bytes_copied
            );
        }
    }
    if !o.verdicts.is_empty() {
        let _ = writeln!(s, "expectations:");
        for v in &o.verdicts {
            if v.excused {
                let _ = writeln!(s, "  excused expect {} ({})", v.text, v.found);
            } else if v.holds {
                let _ = writeln!(s, "  ok      expect {}", v.text);
            } else {
                let _ = writeln!(s, "  FAILED  expect {} (found: {})", v.text, v.found);
            }
        }
    }
    if !o.unexpected.is_empty() {
        let _ = writeln!(s, "unexpected:");
        for u in &o.unexpected {
            let _ = writeln!(s, "  {u}");
        }
    }
    let _ = writeln!(s, "result: {}", if o.exit_code() == 0 { "PASS" } else { "FAIL" });
    s
}
