//! The JSON Lines view: one object per kernel event, then one `report` object.
//!
//! Every event object has `seq`, `time`, `pid`, `process` and `event`, plus
//! the fields of its kind (documented in docs/cli.md). Data keeps its type:
//! integers are numbers, strings are strings, `ok` is null.

use ipcsim_kernel::{Data, Event, EventKind, Kernel, ObjId};
use ipcsim_runtime::ProcState;
use serde_json::{json, Map, Value as J};

use crate::run::Outcome;
use crate::text::wait_words;

fn data(d: &Data) -> J {
    match d {
        Data::Unit => J::Null,
        Data::Int(i) => json!(i),
        Data::Bool(b) => json!(b),
        Data::Str(s) => json!(&**s),
    }
}

fn label(k: &Kernel, o: ObjId) -> J {
    json!(k.object_label(o))
}

/// One event as a JSON object on one line (appended to `out`, no newline).
pub fn event_json(k: &Kernel, e: &Event, out: &mut String) {
    let mut m = Map::new();
    m.insert("seq".into(), json!(e.seq));
    m.insert("time".into(), json!(e.time));
    m.insert("pid".into(), json!(e.pid.0));
    m.insert("process".into(), json!(k.process_name(e.pid)));
    if k.host_count() > 1 {
        m.insert("host".into(), json!(k.host_name(k.host_of(e.pid))));
    }
    let mut put = |key: &str, v: J| {
        m.insert(key.into(), v);
    };
    match &e.kind {
        EventKind::Start { parent } => {
            put("event", json!("start"));
            put("parent", parent.map_or(J::Null, |p| json!(k.process_name(p))));
        }
        EventKind::Syscall {
            name,
            obj,
            data: d,
            arg,
        } => {
            put("event", json!("syscall"));
            put("call", json!(name));
            if let Some(o) = obj {
                put("object", label(k, *o));
            }
            if let Some(d) = d {
                put("data", data(d));
            }
            if let Some(a) = arg {
                if *name == "kill" {
                    let (target, signal) = ipcsim_kernel::event::kill_of(*a);
                    put("target", json!(k.process_name(target)));
                    put("signal", json!(signal.to_string()));
                } else if *name == "close" {
                    let end = match *a {
                        ipcsim_kernel::event::PIPE_READ_END => "read",
                        ipcsim_kernel::event::PIPE_WRITE_END => "write",
                        3 => "both",
                        _ => "none",
                    };
                    put("end", json!(end));
                } else if *name == "watch" {
                    put("target", json!(k.process_name(ipcsim_kernel::Pid(*a as u32))));
                } else {
                    put("arg", json!(a));
                }
            }
        }
        EventKind::Block { wait, obj, deadline } => {
            put("event", json!("block"));
            put("waits", json!(wait_words(k, *wait, *obj)));
            if let Some(o) = obj {
                put("object", label(k, *o));
            }
            put("deadline", deadline.map_or(J::Null, |d| json!(d)));
        }
        EventKind::Deliver {
            from,
            obj,
            data: d,
            badge,
            call,
            copies,
        } => {
            put("event", json!("deliver"));
            put("from", json!(k.process_name(*from)));
            if let Some(o) = obj {
                put("object", label(k, *o));
            }
            put("data", data(d));
            put("badge", json!(badge));
            put("call", json!(call));
            put("copies", json!(copies));
            put("bytes", json!(d.len_bytes()));
        }
        EventKind::Loaded { obj, data: d } => {
            put("event", json!("loaded"));
            put("object", label(k, *obj));
            put("data", data(d));
        }
        EventKind::SemUndo { obj, num, delta } => {
            put("event", json!("sem_undo"));
            put("object", label(k, *obj));
            put("semaphore", json!(num));
            put("delta", json!(delta));
        }
        EventKind::Enqueue { obj, data: d } => {
            put("event", json!("enqueue"));
            put("object", label(k, *obj));
            put("data", data(d));
        }
        EventKind::Reply { to, data: d } => {
            put("event", json!("reply"));
            put("to", json!(k.process_name(*to)));
            put("data", data(d));
        }
        EventKind::ReplyDropped { caller } => {
            put("event", json!("reply_dropped"));
            put("caller", json!(k.process_name(*caller)));
        }
        EventKind::Wake { error } => {
            put("event", json!("wake"));
            put("outcome", error.map_or(json!("ok"), |e| json!(e.name())));
        }
        EventKind::Timeout => {
            put("event", json!("timeout"));
            put("outcome", json!("TimedOut"));
        }
        EventKind::Fail { error } => {
            put("event", json!("fail"));
            put("outcome", json!(error.name()));
        }
        EventKind::Switch { from, reason } => {
            put("event", json!("switch"));
            put("from", from.map_or(J::Null, |f| json!(k.process_name(f))));
            put("reason", json!(format!("{reason:?}").to_lowercase()));
        }
        EventKind::SignalSent { from, signal, action } => {
            put("event", json!("signal"));
            put("signal", json!(signal.to_string()));
            put("from", from.map_or(J::Null, |f| json!(k.process_name(f))));
            put("action", json!(action));
        }
        EventKind::Discarded { obj, data: d } => {
            put("event", json!("discard"));
            put("object", label(k, *obj));
            put("data", J::Array(d.iter().map(data).collect()));
        }
        EventKind::Print { text } => {
            put("event", json!("print"));
            put("text", json!(text));
        }
        EventKind::Priority { priority, inherited } => {
            put("event", json!("priority"));
            put("priority", json!(priority));
            put("inherited", json!(inherited));
        }
        EventKind::Net(n) => {
            use ipcsim_kernel::NetStep;
            let (ev, at, why) = match &n.step {
                NetStep::Leaves { at } => ("segment_leaves", *at, None),
                NetStep::Arrives => ("segment_arrives", None, None),
                NetStep::Lost(why) => ("segment_lost", None, Some(*why)),
                NetStep::Held { ticks } => {
                    put("fault", json!("reorder"));
                    put("ticks", json!(ticks));
                    ("fault", None, None)
                }
                NetStep::Cut { until } => {
                    put("fault", json!("partition"));
                    put("until", json!(until));
                    ("fault", None, None)
                }
            };
            put("event", json!(ev));
            put("what", json!(n.what));
            put("peer_host", json!(k.host_name(n.host)));
            put("at", json!(k.host_name(n.at)));
            if let NetStep::Leaves { .. } = n.step {
                put("arrives", at.map_or(J::Null, |t| json!(t)));
            }
            if let Some(w) = why {
                put("why", json!(w));
            }
            if let Some(d) = &n.data {
                put("data", data(d));
            }
        }
        EventKind::Fault { delay, .. } => {
            put("event", json!("fault"));
            put("fault", json!(if *delay == 0 { "kill" } else { "delay" }));
            put("ticks", json!(delay));
        }
        EventKind::End { ending } => {
            put("event", json!("end"));
            put("ending", json!(ending.to_string()));
        }
        EventKind::Deadlock { members } => {
            put("event", json!("deadlock"));
            put(
                "members",
                J::Array(members.iter().map(|p| json!(k.process_name(*p))).collect()),
            );
        }
    }
    out.push_str(&J::Object(m).to_string());
}

/// The closing report as one JSON object (`"event": "report"`).
pub fn report_json(o: &Outcome, k: &Kernel) -> String {
    let r = &o.report;
    let procs: Vec<J> = r
        .processes
        .iter()
        .map(|p| {
            let (state, detail) = match &p.state {
                ProcState::Ended(e) => (e.word().to_string(), json!(e.to_string())),
                ProcState::Blocked {
                    wait, obj, deadline, ..
                } => (
                    "blocked".into(),
                    json!({"waits": wait_words(k, *wait, *obj), "deadline": deadline}),
                ),
                s => (s.to_string(), J::Null),
            };
            json!({
                "pid": p.pid.0, "name": p.name, "daemon": p.daemon,
                "service": o.is_service(p.pid), "state": state, "detail": detail,
                "cpu": p.cpu
            })
        })
        .collect();
    let deadlocks: Vec<J> = r
        .deadlocks
        .iter()
        .map(|d| {
            json!({
                "time": d.time,
                "members": d.members.iter().map(|p| k.process_name(*p)).collect::<Vec<_>>(),
                "cycle": d.cycle.iter().map(|p| k.process_name(*p)).collect::<Vec<_>>(),
                "waits": d.waits.iter().map(|(p, w, ob)| json!({"process": k.process_name(*p), "waits": wait_words(k, *w, *ob)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let st = &r.stats;
    let kinds = [
        ipcsim_kernel::ObjectKind::Endpoint,
        ipcsim_kernel::ObjectKind::Mailbox,
        ipcsim_kernel::ObjectKind::MsgQueue,
        ipcsim_kernel::ObjectKind::Pipe,
        ipcsim_kernel::ObjectKind::Shm,
    ];
    let mut per = Map::new();
    // Sockets only where used: a scenario without them reports as before.
    let socket = (st.of(ipcsim_kernel::ObjectKind::Socket).messages > 0).then_some(ipcsim_kernel::ObjectKind::Socket);
    for kind in kinds.into_iter().chain(socket) {
        let m = st.of(kind);
        per.insert(
            kind.name().into(),
            json!({"messages": m.messages, "copies": m.copies, "bytes_copied": m.bytes_copied}),
        );
    }
    let finish = match r.finish {
        ipcsim_kernel::Finish::AllEnded => "all_ended",
        ipcsim_kernel::Finish::Idle => "idle",
        ipcsim_kernel::Finish::TimeLimit => "max_time",
        ipcsim_kernel::Finish::StepLimit => "step_limit",
    };
    json!({
        "event": "report",
        "finish": finish,
        "time": r.time,
        "processes": procs,
        "deadlocks": deadlocks,
        "counters": {
            "syscalls": st.syscalls, "memory_accesses": st.memory_accesses, "switches": st.switches, "transfers": st.transfers,
            "messages": st.messages(), "bytes_copied": st.bytes_copied(), "copies": st.copies(),
            "per_mechanism": per,
        },
        "expectations": o.verdicts.iter().map(|v| json!({"expect": v.text, "holds": v.holds, "found": v.found, "excused": v.excused})).collect::<Vec<_>>(),
        "unexpected": o.unexpected,
        "exit": o.exit_code(),
    })
    .to_string()
}
