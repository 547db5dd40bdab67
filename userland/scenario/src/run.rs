//! Running a checked scenario: boot the kernel from the declarations, start the
//! processes, run, and judge the outcome by the contract's rules.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use ipcsim_kernel::{
    Ending, Event, HostId, Kernel, KernelConfig, ObjId, ObjectKind, ObjectOptions, Pid, ProcessSpec, Rights,
};
use ipcsim_runtime::{ProcState, Report, Runtime};

use crate::ast::{BinOp, ProcExpect, Scenario, TopExpect};
use crate::facts::FactWatch;
use crate::interp::{body, World};
use crate::names;
use crate::value::Value;

/// A consumer of events as the run goes (views stream through one).
pub type Sink = Box<dyn FnMut(&Kernel, &[Event])>;

/// How to run a scenario.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Overrides `config seed`.
    pub seed: Option<u64>,
    /// Record events (needed for any trace view).
    pub record: bool,
    /// Stop after this many process steps (livelock guard).
    pub steps_max: Option<u64>,
    /// How a seeded scheduler uses its seed.
    pub strategy: ipcsim_kernel::Strategy,
    /// Replay these scheduler choices (a decoded schedule string).
    pub replay: Option<Vec<u32>>,
    /// Record the scheduler's choices (`Kernel::choices` after the run).
    pub record_choices: bool,
    /// Faults to inject (with a seed or a replayed schedule); the process an
    /// injected kill ends is excused from the scenario's expectations.
    pub faults: ipcsim_kernel::Faults,
    /// Take the kernel's general paths only, never its fast paths (for tests
    /// that the fast paths change nothing but speed).
    pub slow_paths: bool,
    /// The loss stream's seed (a replayed schedule's; default: the seed).
    pub loss_seed: Option<u64>,
}

/// One expectation's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The expectation as written.
    pub text: String,
    /// Whether it holds.
    pub holds: bool,
    /// What was found instead, when it does not.
    pub found: String,
    /// It names the process an injected fault killed, so it is not judged.
    pub excused: bool,
}

/// The judged end of a run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The kernel's closing report.
    pub report: Report,
    /// Scenario-level expectations, in order.
    pub verdicts: Vec<Verdict>,
    /// Unexpected endings, each named.
    pub unexpected: Vec<String>,
    /// Pids of the naming services, one per host that has one, `local`'s
    /// first (left out of outcome rules).
    pub services: Vec<Pid>,
}

impl Outcome {
    /// Whether `pid` is a naming service (no outcome rule names it).
    pub fn is_service(&self, pid: Pid) -> bool {
        self.services.contains(&pid)
    }

    /// The exit status: 0 all well, 1 an expectation failed or something unexpected happened.
    pub fn exit_code(&self) -> i32 {
        if self.verdicts.iter().all(|v| v.holds) && self.unexpected.is_empty() {
            0
        } else {
            1
        }
    }
}

/// Runs a checked scenario. `sink` sees every event as the run goes. Pass an
/// `Rc<Scenario>` to run one scenario many times without copying it.
pub fn run(sc: impl Into<Rc<Scenario>>, file: &str, opts: &RunOptions, sink: Option<Sink>) -> (Outcome, Runtime) {
    let sc: Rc<Scenario> = sc.into();
    let mut rt = Runtime::new(config(&sc, opts));
    let outcome = boot_and_run(&mut rt, sc, file, opts, sink);
    (outcome, rt)
}

/// [`run`] on a runtime that ran something before: it is
/// [reset](Runtime::reset) first, so the run is exactly what [`run`] gives,
/// but the kernel's tables are not allocated again. What an explorer calls
/// once per schedule, with one runtime per thread. The runtime is left as the
/// run ended (its kernel can be queried, e.g. for the choices made).
pub fn run_in(
    rt: &mut Runtime,
    sc: impl Into<Rc<Scenario>>,
    file: &str,
    opts: &RunOptions,
    sink: Option<Sink>,
) -> Outcome {
    let sc: Rc<Scenario> = sc.into();
    rt.reset(config(&sc, opts));
    boot_and_run(rt, sc, file, opts, sink)
}

/// The kernel configuration of a run: the scenario's `config` lines with the options over them.
fn config(sc: &Scenario, opts: &RunOptions) -> KernelConfig {
    KernelConfig {
        seed: opts.seed.or(sc.config.seed),
        strategy: opts.strategy,
        replay: opts.replay.clone(),
        record_choices: opts.record_choices,
        max_time: sc.config.max_time.unwrap_or(1_000_000),
        // Trace facts are judged from the events, so a scenario with one records them.
        record_events: opts.record || sc.expects.iter().any(|e| matches!(e, TopExpect::Trace(_))),
        priority_inheritance: sc.config.priority_inheritance,
        copy_remap: sc.config.copy_remap,
        costs: sc.config.costs,
        faults: opts.faults,
        fast_paths: !opts.slow_paths,
        loss_seed: opts.loss_seed,
        limits: ipcsim_kernel::Limits {
            msgmax: sc
                .config
                .msgmax
                .map_or(ipcsim_kernel::Limits::default().msgmax, |m| m as usize),
            ..ipcsim_kernel::Limits::default()
        },
    }
}

/// Boots the scenario's declarations on a fresh runtime, runs it and judges the outcome.
fn boot_and_run(rt: &mut Runtime, sc: Rc<Scenario>, file: &str, opts: &RunOptions, sink: Option<Sink>) -> Outcome {
    let facts = FactWatch::new(&sc).map(|w| Rc::new(RefCell::new(w)));
    match (sink, &facts) {
        (sink, Some(w)) => {
            let (w, mut sink) = (w.clone(), sink);
            rt.set_sink(Box::new(move |k: &Kernel, evs: &[Event]| {
                if let Some(s) = sink.as_mut() {
                    s(k, evs);
                }
                w.borrow_mut().observe(k, evs);
            }));
        }
        (Some(s), None) => rt.set_sink(s),
        (None, None) => {}
    }
    if let Some(m) = opts.steps_max {
        rt.set_steps_max(m);
    }
    boot_network(rt, &sc);
    let objects = boot_objects(rt, &sc);
    let names_eps = if sc.uses_names {
        (0..=sc.hosts.len())
            .map(|h| {
                let opts = ObjectOptions {
                    host: HostId(h as u16),
                    ..ObjectOptions::default()
                };
                rt.kernel_mut().create_object(ObjectKind::Endpoint, "names", &opts).ok()
            })
            .collect()
    } else {
        Vec::new()
    };
    let world = Rc::new(World {
        sc,
        objects,
        spawn_counts: RefCell::new(BTreeMap::new()),
        names_eps,
        instances: RefCell::new(BTreeMap::new()),
        file: file.to_string(),
    });
    // Rights some program could bring when spawned: the deadlock detector counts them as obtainable.
    for p in world.sc.procs.iter().filter(|p| p.program) {
        for c in &p.caps {
            let declared = world.declared_cap(c, &rt.kernel());
            if let Some((id, r)) = declared {
                rt.kernel_mut().set_spawnable(id, r);
            }
        }
    }
    let services = start_names(rt, &world);
    start_processes(rt, &world);
    let report = rt.run();
    let files: BTreeMap<String, Vec<u8>> = world
        .sc
        .objects
        .iter()
        .filter(|o| o.kind == ObjectKind::File)
        .filter_map(|o| {
            rt.kernel()
                .file_contents_on(HostId(o.host as u16), &o.name.name)
                .map(|c| (o.name.name.clone(), c.to_vec()))
        })
        .collect();
    let victim = rt.kernel().injected_kill();
    let facts = facts.map(|w| w.borrow().verdicts());
    judge(&world.sc, report, services, victim, &files, facts.unwrap_or_default())
}

/// The hosts, links and partitions (the sockets extension).
fn boot_network(rt: &mut Runtime, sc: &Scenario) {
    let mut k = rt.kernel_mut();
    for h in &sc.hosts {
        if let Err(e) = k.add_host(&h.name) {
            eprintln!("warning: could not add host `{}`: {e}", h.name);
        }
    }
    let host = |n: &str| HostId(sc.host_index(n).unwrap_or(0) as u16);
    for l in &sc.links {
        if let Err(e) = k.add_link(host(&l.a.name), host(&l.b.name), l.latency, l.loss) {
            eprintln!("warning: could not link `{}` and `{}`: {e}", l.a.name, l.b.name);
        }
    }
    for p in &sc.partitions {
        if let Err(e) = k.add_partition(host(&p.a.name), host(&p.b.name), p.from, p.until) {
            eprintln!("warning: could not partition `{}` and `{}`: {e}", p.a.name, p.b.name);
        }
    }
}

/// The declared objects, on their hosts.
fn boot_objects(rt: &mut Runtime, sc: &Scenario) -> Vec<Option<ObjId>> {
    let mut objects = Vec::with_capacity(sc.objects.len());
    for o in &sc.objects {
        let mut opts = o.opts.clone();
        opts.host = HostId(o.host as u16);
        if o.kind == ObjectKind::File {
            opts.path = Some(o.name.name.clone());
        }
        // Declarations were checked; a kernel refusal here (a duplicate key) is reported as a failed boot.
        match rt.kernel_mut().create_object(o.kind, &o.name.name, &opts) {
            Ok(id) => objects.push(Some(id)),
            Err(e) => {
                objects.push(None);
                eprintln!("warning: could not create {} `{}`: {e}", o.kind.name(), o.name.name);
            }
        }
    }
    objects
}

/// The naming service of each host that has one: its pids (`local`'s first).
fn start_names(rt: &mut Runtime, world: &Rc<World>) -> Vec<Pid> {
    let mut services = Vec::new();
    let top = world.sc.procs.iter().map(|p| p.priority).max().unwrap_or(0);
    for (h, ep) in world.names_eps.iter().enumerate() {
        let Some(ep) = *ep else { continue };
        let spec = ProcessSpec {
            name: "names".into(),
            priority: top.saturating_add(1),
            uid: 0,
            gid: 0,
            daemon: true,
        };
        let w = world.clone();
        let identify: Rc<dyn Fn(Pid) -> Vec<String>> = Rc::new(move |pid| {
            let mut v = Vec::new();
            if let Some(prog) = w.instances.borrow().get(&pid) {
                v.push(prog.clone());
            }
            v
        });
        // The body reads its capability when it first runs: the grant below
        // comes after the spawn that builds the body.
        let body = move |sys: ipcsim_runtime::Sys| -> ipcsim_runtime::ProcFuture {
            Box::pin(async move {
                let ep_cap = sys.boot_cap(0);
                names::serve(sys, ep_cap, identify).await
            })
        };
        if let Ok(pid) = rt.spawn_boxed_on(HostId(h as u16), spec, body) {
            let _ = rt.kernel_mut().grant(pid, ep, Rights::RECV, 0);
            services.push(pid);
        }
    }
    services
}

/// The processes (not programs), on their hosts, each given its capabilities.
fn start_processes(rt: &mut Runtime, world: &Rc<World>) {
    for (i, p) in world.sc.procs.iter().enumerate() {
        if p.program {
            continue;
        }
        let spec = ProcessSpec {
            name: p.name.name.clone(),
            priority: p.priority,
            uid: p.uid,
            gid: p.gid,
            daemon: p.daemon,
        };
        let Ok(pid) = rt.spawn_boxed_on(HostId(p.host as u16), spec, body(world.clone(), i, Vec::new())) else {
            continue;
        };
        // Names are bound by position in the granted list: a process missing
        // one of its capabilities must not start with the others shifted.
        let mut granted = Ok(());
        for c in &p.caps {
            let declared = world
                .declared_cap(c, &rt.kernel())
                .ok_or(ipcsim_kernel::Error::NotFound);
            granted = declared.and_then(|(id, r)| rt.kernel_mut().grant(pid, id, r, c.badge).map(drop));
            if granted.is_err() {
                break;
            }
        }
        if let (Some(ep), Ok(())) = (world.names_ep_on(p.host), granted) {
            granted = rt
                .kernel_mut()
                .grant(pid, ep, Rights::SEND | Rights::GRANT, names::badge_of(pid))
                .map(drop);
        }
        if let Err(e) = granted {
            eprintln!("warning: `{}` could not be given its capabilities: {e}", p.name.name);
            rt.kernel_mut().exit(pid, Ending::Failed(e));
        }
    }
}

/// Judges a run by the contract. `victim`, the process an injected kill
/// ended, is excused: its expectations hold and its ending is not unexpected;
/// the survivors are judged as usual.
fn judge(
    sc: &Scenario,
    report: Report,
    services: Vec<Pid>,
    victim: Option<Pid>,
    files: &BTreeMap<String, Vec<u8>>,
    facts: Vec<Verdict>,
) -> Outcome {
    let mut verdicts = Vec::new();
    let mut facts = facts.into_iter();
    let mut named: Vec<&str> = Vec::new();
    let mut expect_deadlock = false;
    for e in &sc.expects {
        match e {
            TopExpect::Proc { name, what, .. } => {
                named.push(&name.name);
                let p = report
                    .processes
                    .iter()
                    .filter(|p| !services.contains(&p.pid))
                    .rev()
                    .find(|p| p.name == name.name);
                let excused = p.is_some_and(|p| Some(p.pid) == victim);
                let (holds, found) = match p {
                    None => (false, "never started".to_string()),
                    Some(p) if excused => (true, format!("{} by an injected fault", p.state)),
                    Some(p) => {
                        let ok = match (what, &p.state) {
                            (ProcExpect::Exited, ProcState::Ended(Ending::Exited)) => true,
                            (ProcExpect::Failed(None), ProcState::Ended(Ending::Failed(_))) => true,
                            (ProcExpect::Failed(Some(e)), ProcState::Ended(Ending::Failed(g))) => e == g,
                            (ProcExpect::Killed(None), ProcState::Ended(Ending::Killed(_))) => true,
                            (ProcExpect::Killed(Some(s)), ProcState::Ended(Ending::Killed(g))) => s == g,
                            (ProcExpect::Blocked, ProcState::Blocked { .. }) => true,
                            _ => false,
                        };
                        (ok, p.state.to_string())
                    }
                };
                let what_s = match what {
                    ProcExpect::Exited => "exited".to_string(),
                    ProcExpect::Blocked => "blocked".to_string(),
                    ProcExpect::Failed(e) => e.map_or("failed".into(), |e| format!("failed {e}")),
                    ProcExpect::Killed(s) => s.map_or("killed".into(), |s| format!("killed {s}")),
                };
                verdicts.push(Verdict {
                    text: format!("{} {what_s}", name.name),
                    holds,
                    found,
                    excused,
                });
            }
            TopExpect::Deadlock(want, _) => {
                expect_deadlock |= *want;
                let got = !report.deadlocks.is_empty();
                verdicts.push(Verdict {
                    text: if *want { "deadlock".into() } else { "no deadlock".into() },
                    holds: got == *want,
                    found: if got { "a deadlock".into() } else { "no deadlock".into() },
                    excused: false,
                });
            }
            TopExpect::Now { op, time, .. } => verdicts.push(now_verdict(*op, *time, report.time)),
            TopExpect::Trace(_) => verdicts.extend(facts.next()),
            TopExpect::File { name, value, .. } => {
                let want = match value {
                    crate::ast::Expr::Str(s, _) => Value::Str(s.as_str().into()),
                    crate::ast::Expr::Int(i, _) => Value::Int(*i),
                    crate::ast::Expr::Bool(b, _) => Value::Bool(*b),
                    _ => Value::Unit,
                };
                let got = files
                    .get(&name.name)
                    .map(|c| Value::Str(String::from_utf8_lossy(c).into_owned().into()));
                let holds = got
                    .as_ref()
                    .is_some_and(|g| g.equals(&want) || g.to_string() == want.to_string());
                verdicts.push(Verdict {
                    text: format!("file {} == {want}", name.name),
                    holds,
                    found: got.map_or("no such file".into(), |g| format!("\"{g}\"")),
                    excused: false,
                });
            }
        }
    }
    let in_deadlock = |pid: Pid| report.deadlocks.iter().any(|d| d.members.contains(&pid));
    let mut unexpected = Vec::new();
    for p in &report.processes {
        if services.contains(&p.pid) || Some(p.pid) == victim {
            continue;
        }
        let is_named = named.contains(&p.name.as_str());
        match &p.state {
            ProcState::Ended(Ending::Failed(e)) if !is_named => {
                unexpected.push(format!("{} failed {e} (no scenario-level expect names it)", p.name))
            }
            ProcState::Ended(Ending::Killed(s)) if !is_named => unexpected.push(format!(
                "{} was killed by {s} (no scenario-level expect names it)",
                p.name
            )),
            ProcState::Blocked { .. } | ProcState::Stopped
                if !(p.daemon || is_named || (expect_deadlock && in_deadlock(p.pid))) =>
            {
                unexpected.push(format!("{} was left {} (not a daemon)", p.name, p.state));
            }
            _ => {}
        }
    }
    if !report.deadlocks.is_empty() && !expect_deadlock {
        unexpected.push(format!(
            "a deadlock formed ({} of them; `expect deadlock` would name it)",
            report.deadlocks.len()
        ));
    }
    match report.finish {
        ipcsim_kernel::Finish::TimeLimit => unexpected.push(format!("max_time reached at t={}", report.time)),
        ipcsim_kernel::Finish::StepLimit => unexpected.push(format!(
            "step limit reached at t={}: possibly a livelock (processes that keep running without progress)",
            report.time
        )),
        _ => {}
    }
    Outcome {
        report,
        verdicts,
        unexpected,
        services,
    }
}

/// The verdict of `expect now OP T` on a run that ended at `ended`.
fn now_verdict(op: BinOp, time: u64, ended: u64) -> Verdict {
    let (holds, sym) = match op {
        BinOp::Eq => (ended == time, "=="),
        BinOp::Ne => (ended != time, "!="),
        BinOp::Lt => (ended < time, "<"),
        BinOp::Le => (ended <= time, "<="),
        BinOp::Gt => (ended > time, ">"),
        _ => (ended >= time, ">="),
    };
    Verdict {
        text: format!("now {sym} {time}"),
        holds,
        found: format!("the run ended at t={ended}"),
        excused: false,
    }
}
