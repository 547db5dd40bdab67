//! The same processes written async and blocking give the same run: a
//! proptest over random small protocols (calls, receives and replies with
//! timeouts, a mailbox, a pipe, sleeps, kills), under schedules drawn as
//! `search` draws them (seeded preemption, PCT, injected kills and delays).
//! Each process is async or blocking as a drawn mask says; every mix must
//! give the all-async run's events, choices and report, and leave no thread.

use ipcsim_check::{run_under, schedules, Config, Run, Schedule};
use ipcsim_kernel::{Data, Message, ObjectKind, ObjectOptions, Pid, ProcessSpec, Rights, Signal, Syscall, Timeout};
use ipcsim_runtime::{BlockingSys, Runtime, Sys};
use proptest::prelude::*;

/// One step of a process (capabilities: 0 endpoint, 1 mailbox, 2 pipe).
#[derive(Clone, Debug)]
enum Op {
    Call(i64, Timeout),
    Recv(Timeout),
    Reply(i64),
    ReplyRecv(i64, Timeout),
    Post(i64, Timeout),
    Take(Timeout),
    Write(u8),
    Read(u64, Timeout),
    Sleep(u64),
    Yield,
    Kill(u32),
}

const PROCS: usize = 3;

fn timeout() -> impl Strategy<Value = Timeout> {
    prop_oneof![Just(Timeout::Never), (0u64..4).prop_map(Timeout::Ticks)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0i64..9, timeout()).prop_map(|(v, t)| Op::Call(v, t)),
        3 => timeout().prop_map(Op::Recv),
        2 => (0i64..9).prop_map(Op::Reply),
        2 => (0i64..9, timeout()).prop_map(|(v, t)| Op::ReplyRecv(v, t)),
        2 => (0i64..9, timeout()).prop_map(|(v, t)| Op::Post(v, t)),
        2 => timeout().prop_map(Op::Take),
        2 => (1u8..4).prop_map(Op::Write),
        2 => (1u64..4, timeout()).prop_map(|(n, t)| Op::Read(n, t)),
        1 => (0u64..4).prop_map(Op::Sleep),
        1 => Just(Op::Yield),
        1 => (0u32..PROCS as u32).prop_map(Op::Kill),
    ]
}

/// What `op` asks of the kernel, as a generic call (the typed ones are
/// issued by their methods below, so both doors are exercised).
fn syscall(sys_caps: [ipcsim_kernel::CapId; 3], op: &Op) -> Syscall {
    let [ep, mb, pipe] = sys_caps;
    match *op {
        Op::Call(v, timeout) => Syscall::Call {
            cap: ep,
            msg: Message::new(Data::Int(v)),
            timeout,
        },
        Op::Recv(timeout) => Syscall::Recv { cap: ep, timeout },
        Op::Reply(v) => Syscall::Reply {
            msg: Message::new(Data::Int(v)),
        },
        Op::ReplyRecv(v, timeout) => Syscall::ReplyRecv {
            cap: ep,
            msg: Message::new(Data::Int(v)),
            timeout,
        },
        Op::Post(v, timeout) => Syscall::Send {
            cap: mb,
            msg: Message::new(Data::Int(v)),
            timeout,
        },
        Op::Take(timeout) => Syscall::Recv { cap: mb, timeout },
        Op::Write(n) => Syscall::Write {
            cap: pipe,
            data: Data::str(&"x".repeat(usize::from(n))),
            timeout: Timeout::Ticks(2),
        },
        Op::Read(max, timeout) => Syscall::Read {
            cap: pipe,
            max,
            timeout,
        },
        Op::Sleep(ticks) => Syscall::Sleep { ticks },
        Op::Yield => Syscall::Yield,
        Op::Kill(p) => Syscall::Kill {
            target: Pid(p),
            signal: Signal::SIGKILL,
        },
    }
}

async fn run_async(sys: Sys, ops: Vec<Op>) -> ipcsim_runtime::ProcResult {
    let caps = [sys.boot_cap(0), sys.boot_cap(1), sys.boot_cap(2)];
    for (i, op) in ops.iter().enumerate() {
        let r = match *op {
            Op::Call(v, t) => format!("{:?}", sys.call(caps[0], Data::Int(v), t).await.map(|m| m.data)),
            Op::ReplyRecv(v, t) => format!("{:?}", sys.reply_recv(caps[0], Data::Int(v), t).await.map(|m| m.data)),
            Op::Sleep(t) => format!("{:?}", sys.sleep(t).await),
            _ => format!("{:?}", sys.syscall(syscall(caps, op)).await),
        };
        sys.print(format!("{i} {op:?} -> {r}"));
    }
    Ok(())
}

fn run_blocking(sys: &BlockingSys, ops: Vec<Op>) -> ipcsim_runtime::ProcResult {
    let caps = [sys.boot_cap(0), sys.boot_cap(1), sys.boot_cap(2)];
    for (i, op) in ops.iter().enumerate() {
        let r = match *op {
            Op::Call(v, t) => format!("{:?}", sys.call(caps[0], Data::Int(v), t).map(|m| m.data)),
            Op::ReplyRecv(v, t) => format!("{:?}", sys.reply_recv(caps[0], Data::Int(v), t).map(|m| m.data)),
            Op::Sleep(t) => format!("{:?}", sys.sleep(t)),
            _ => format!("{:?}", sys.syscall(syscall(caps, op))),
        };
        sys.print(format!("{i} {op:?} -> {r}"));
    }
    Ok(())
}

/// The protocol: an endpoint, a mailbox of 2, a pipe of 4 bytes; process `i`
/// blocking when bit `i` of `mask` is set.
fn setup(rt: &mut Runtime, programs: &[Vec<Op>], mask: u8) {
    let mut k = rt.kernel_mut();
    let ep = k.create_object(ObjectKind::Endpoint, "ep", &ObjectOptions::default());
    let mb = k.create_object(
        ObjectKind::Mailbox,
        "mb",
        &ObjectOptions {
            capacity: Some(2),
            ..ObjectOptions::default()
        },
    );
    let pipe = k.create_object(
        ObjectKind::Pipe,
        "pipe",
        &ObjectOptions {
            capacity: Some(4),
            ..ObjectOptions::default()
        },
    );
    drop(k);
    let objs = [
        (ep.unwrap(), Rights::SEND | Rights::RECV),
        (mb.unwrap(), Rights::SEND | Rights::RECV),
        (pipe.unwrap(), Rights::READ | Rights::WRITE),
    ];
    for (i, ops) in programs.iter().enumerate() {
        let spec = ProcessSpec::new(format!("p{i}"));
        let ops = ops.clone();
        let pid = if mask & (1 << i) != 0 {
            rt.spawn_blocking(spec, move |sys: &BlockingSys| run_blocking(sys, ops))
        } else {
            rt.spawn(spec, move |sys: Sys| run_async(sys, ops))
        }
        .expect("spawn");
        for (obj, rights) in objs {
            rt.kernel_mut().grant(pid, obj, rights, 0).expect("grant");
        }
    }
}

fn same_run(a: &Run, b: &Run) -> Result<(), TestCaseError> {
    prop_assert_eq!(&a.events, &b.events);
    prop_assert_eq!(&a.choices, &b.choices);
    prop_assert_eq!(&a.report, &b.report);
    prop_assert_eq!(a.killed, b.killed);
    Ok(())
}

/// The run with no sink (threads hand the baton to each other directly):
/// its report and choices, and the threads left.
fn direct(schedule: &Schedule, programs: &[Vec<Op>], mask: u8) -> (ipcsim_runtime::Report, Vec<u32>, usize) {
    let mut rt = Runtime::new(schedule.kernel_config());
    rt.set_steps_max(schedule.steps_max);
    setup(&mut rt, programs, mask);
    let report = rt.run();
    let choices = rt.kernel().choices().to_vec();
    (report, choices, rt.blocking_threads())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn async_and_blocking_processes_give_the_same_run(
        programs in proptest::collection::vec(proptest::collection::vec(op(), 0..7), PROCS),
        mask in 1u8..(1 << PROCS),
        schedule in schedules(&Config { kill_random: true, fault_steps: 12, ..Config::default() }),
    ) {
        let all_async = run_under(&schedule, |rt| setup(rt, &programs, 0));
        let mixed = run_under(&schedule, |rt| setup(rt, &programs, mask));
        same_run(&all_async, &mixed)?;
        let all_blocking = run_under(&schedule, |rt| setup(rt, &programs, (1 << PROCS) - 1));
        same_run(&all_async, &all_blocking)?;
        let (report, choices, threads) = direct(&schedule, &programs, (1 << PROCS) - 1);
        prop_assert_eq!(&report, &all_async.report);
        prop_assert_eq!(&choices, &all_async.choices);
        prop_assert_eq!(threads, 0);
    }
}
