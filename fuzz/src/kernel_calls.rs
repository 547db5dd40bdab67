//! Target 2: arbitrary system-call sequences from several processes
//! straight into the kernel, with `check_invariants()` after every step.
//!
//! The bytes choose the seed, the processes (priority, uid, the rights and
//! badge of a capability to each object), then, whenever the kernel runs a
//! process, the call it makes: any call, on a capability it holds, one it
//! made up, or one that names nothing. Limits are small, so every bound is
//! reached often. An input that starts with `H` may add a second host
//! (`net_calls.rs`): each host gets its own objects, under the same keys and
//! paths, and its own processes, and no process may act on another host's
//! objects. (A prefix, so that saved inputs of one host decode as before.)

use ipcsim_kernel::*;
use libfuzzer_sys::arbitrary::{Result, Unstructured};

/// Steps driven per input.
const STEPS: usize = 300;

/// Runs one input as a system-call sequence.
pub fn check(data: &[u8]) {
    let (hosts, data) = match data.split_first() {
        Some((b'H', rest)) => (true, rest),
        _ => (false, data),
    };
    let mut u = Unstructured::new(data);
    let _ = drive(&mut u, hosts);
}

fn limits() -> Limits {
    Limits {
        processes_max: 24,
        caps_per_process_max: 48,
        message_bytes_max: 64,
        queue_len_max: 8,
        memory_bytes_max: 1 << 16,
        buffered_messages_max: 16,
        msgmax: 48,
    }
}

/// One object of every kind, with small buffers.
fn objects(k: &mut Kernel, host: HostId) -> Vec<ObjId> {
    let mut v = Vec::new();
    let perm = Some(IpcPerm {
        uid: 1000,
        gid: 1000,
        mode: 0o640,
    });
    let specs: [(ObjectKind, ObjectOptions); 10] = [
        (ObjectKind::Endpoint, ObjectOptions::default()),
        (
            ObjectKind::Mailbox,
            ObjectOptions {
                capacity: Some(2),
                ..Default::default()
            },
        ),
        (
            ObjectKind::Mailbox,
            ObjectOptions {
                capacity: Some(0),
                ..Default::default()
            },
        ),
        (
            ObjectKind::Mailbox,
            ObjectOptions {
                unbounded: true,
                ..Default::default()
            },
        ),
        (ObjectKind::Notification, ObjectOptions::default()),
        (
            ObjectKind::MsgQueue,
            ObjectOptions {
                key: Some(1),
                perm,
                size: Some(32),
                ..Default::default()
            },
        ),
        (
            ObjectKind::Pipe,
            ObjectOptions {
                capacity: Some(8),
                path: Some("/fifo".into()),
                ..Default::default()
            },
        ),
        (
            ObjectKind::Semaphore,
            ObjectOptions {
                key: Some(2),
                perm,
                value: 1,
                ..Default::default()
            },
        ),
        (
            ObjectKind::Shm,
            ObjectOptions {
                key: Some(3),
                perm,
                size: Some(64),
                ..Default::default()
            },
        ),
        (
            ObjectKind::File,
            ObjectOptions {
                path: Some("/file".into()),
                contents: b"abc".to_vec(),
                perm,
                ..Default::default()
            },
        ),
    ];
    for (i, (kind, o)) in specs.iter().enumerate() {
        let o = ObjectOptions { host, ..o.clone() };
        if let Ok(id) = k.create_object(*kind, &format!("o{i}"), &o) {
            v.push(id);
        }
    }
    v
}

fn drive(u: &mut Unstructured<'_>, many_hosts: bool) -> Result<()> {
    let seed = match u.int_in_range(0..=3u8)? {
        0 => None,
        s => Some(u64::from(s)),
    };
    let mut k = Kernel::new(KernelConfig {
        seed,
        limits: limits(),
        max_time: 200,
        record_events: u.arbitrary()?,
        priority_inheritance: u.arbitrary()?,
        ..KernelConfig::default()
    });
    let hosts = crate::net_calls::hosts(u, &mut k, many_hosts)?;
    let objs: Vec<ObjId> = hosts.iter().flat_map(|h| objects(&mut k, *h)).collect();
    let n = u.int_in_range(2..=4u8)?;
    for i in 0..n {
        let host = hosts[u.choose_index(hosts.len())?];
        let spec = ProcessSpec {
            priority: i64::from(u.int_in_range(0..=2u8)?),
            uid: if u.ratio(1, 4)? { 0 } else { 1000 },
            daemon: u.ratio(1, 4)?,
            ..ProcessSpec::new(format!("p{i}"))
        };
        let Ok(pid) = k.create_process_on(host, &spec, None) else {
            break;
        };
        let here: Vec<ObjId> = objs
            .iter()
            .copied()
            .filter(|o| k.object_host(*o) == Some(host))
            .collect();
        for o in &here {
            let kind = k.object_kind(*o).unwrap_or(ObjectKind::Endpoint);
            let rights = Rights::from_bits_truncate(u.arbitrary()?) & kind.rights();
            let badge = u64::from(u.int_in_range(0..=3u8)?);
            let _ = k.grant(pid, *o, rights, badge);
        }
    }
    k.check_invariants().unwrap_or_else(|e| panic!("after boot: {e}"));
    // IPCSIM_FUZZ_TRACE=1 prints each call (with `examples/replay.rs`, to study a crash).
    let trace = std::env::var_os("IPCSIM_FUZZ_TRACE").is_some();
    let mut obj_hosts = std::collections::BTreeMap::new();
    for _ in 0..STEPS {
        let pid = match k.schedule() {
            Next::Run(p) => p,
            Next::Finished(_) => break,
        };
        let _ = k.take_result(pid);
        if u.is_empty() {
            k.exit(pid, Ending::Exited);
        } else if u.ratio(1, 40)? {
            if trace {
                eprintln!("{} exits", k.process_name(pid));
            }
            k.exit(pid, Ending::Failed(Error::InvalidArgument));
        } else {
            let call = syscall(u, &k, pid, &objs, many_hosts)?;
            if trace {
                eprintln!("{} {call:?}", k.process_name(pid));
            }
            let out = k.syscall(pid, call);
            if trace {
                eprintln!("  -> {out:?}");
            }
        }
        k.check_invariants().unwrap_or_else(|e| panic!("{e}"));
        crate::net_calls::check_hosts(&mut k, &mut obj_hosts);
    }
    Ok(())
}

/// A capability for `pid` to use: one it holds, a stale or made-up one, or none.
pub(crate) fn cap(u: &mut Unstructured<'_>, k: &Kernel, pid: Pid) -> Result<CapId> {
    let held = k.held_caps(pid);
    Ok(match u.int_in_range(0..=15u8)? {
        0 => CapId::NONE,
        1 => CapId::from_bits(u.arbitrary()?),
        _ if held.is_empty() => CapId::NONE,
        _ => held[u.choose_index(held.len())?],
    })
}

pub(crate) fn data(u: &mut Unstructured<'_>) -> Result<Data> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => Data::Unit,
        1 => Data::Int(u.arbitrary()?),
        2 => Data::Bool(u.arbitrary()?),
        _ => {
            let n = u.int_in_range(0..=80usize)?;
            Data::str(&"x".repeat(n))
        }
    })
}

pub(crate) fn timeout(u: &mut Unstructured<'_>) -> Result<Timeout> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => Timeout::Never,
        1 => Timeout::NOWAIT,
        _ => Timeout::Ticks(u64::from(u.int_in_range(1..=6u8)?)),
    })
}

fn message(u: &mut Unstructured<'_>, k: &Kernel, pid: Pid) -> Result<Message> {
    let mut m = Message::new(data(u)?);
    if u.ratio(1, 4)? {
        m.cap = Some(cap(u, k, pid)?);
    }
    m.mtype = i64::from(u.int_in_range(0..=3u8)?);
    Ok(m)
}

fn signal(u: &mut Unstructured<'_>) -> Result<Signal> {
    const SIGS: [&str; 9] = [
        "SIGTERM",
        "SIGKILL",
        "SIGSTOP",
        "SIGCONT",
        "SIGUSR1",
        "SIGUSR2",
        "SIGPIPE",
        "SIGCHLD",
        "SIGRTMIN+1",
    ];
    Ok(if u.ratio(1, 10)? {
        Signal(u.arbitrary()?)
    } else {
        Signal::from_name(SIGS[u.choose_index(SIGS.len())?]).unwrap_or(Signal::SIGTERM)
    })
}

fn target(u: &mut Unstructured<'_>, k: &Kernel) -> Result<Pid> {
    Ok(Pid(u.int_in_range(0..=k.process_count() as u32)?))
}

/// One system call for `pid`, of any kind.
fn syscall(u: &mut Unstructured<'_>, k: &Kernel, pid: Pid, objs: &[ObjId], net: bool) -> Result<Syscall> {
    // Socket calls only after the `H` prefix: old inputs decode as before.
    let last = if net { 35u8 } else { 33 };
    Ok(match u.int_in_range(0..=last)? {
        34 | 35 => return crate::net_calls::syscall(u, k, pid),
        0 => Syscall::Send {
            cap: cap(u, k, pid)?,
            msg: message(u, k, pid)?,
            timeout: timeout(u)?,
        },
        1 => Syscall::Recv {
            cap: cap(u, k, pid)?,
            timeout: timeout(u)?,
        },
        2 => Syscall::Call {
            cap: cap(u, k, pid)?,
            msg: message(u, k, pid)?,
            timeout: timeout(u)?,
        },
        3 => Syscall::Reply {
            msg: message(u, k, pid)?,
        },
        4 => Syscall::ReplyRecv {
            cap: cap(u, k, pid)?,
            msg: message(u, k, pid)?,
            timeout: timeout(u)?,
        },
        5 => Syscall::Signal {
            cap: cap(u, k, pid)?,
            bits: u.arbitrary()?,
        },
        6 => Syscall::Wait {
            cap: cap(u, k, pid)?,
            timeout: timeout(u)?,
        },
        7 => Syscall::Derive {
            cap: cap(u, k, pid)?,
            rights: if u.arbitrary()? {
                Some(Rights::from_bits_truncate(u.arbitrary()?))
            } else {
                None
            },
            badge: if u.arbitrary()? {
                Some(u64::from(u.int_in_range(0..=3u8)?))
            } else {
                None
            },
        },
        8 => Syscall::Delete { cap: cap(u, k, pid)? },
        9 => Syscall::Revoke { cap: cap(u, k, pid)? },
        10 => Syscall::Destroy { cap: cap(u, k, pid)? },
        11 => Syscall::Sleep {
            ticks: u64::from(u.int_in_range(0..=5u8)?),
        },
        12 => Syscall::Compute {
            ticks: u64::from(u.int_in_range(0..=5u8)?),
        },
        13 => Syscall::Yield,
        14 => {
            let share = (0..u.int_in_range(0..=2u8)?)
                .map(|_| cap(u, k, pid))
                .collect::<Result<Vec<_>>>()?;
            let grants = match objs.get(u.choose_index(objs.len().max(1))?) {
                Some(o) if u.arbitrary()? => vec![(*o, Rights::from_bits_truncate(u.arbitrary()?), 0)],
                _ => Vec::new(),
            };
            Syscall::Spawn {
                spec: ProcessSpec::new("child"),
                share,
                grants,
            }
        }
        15 => Syscall::WaitChild { timeout: timeout(u)? },
        16 => Syscall::Watch {
            target: target(u, k)?,
            cap: cap(u, k, pid)?,
            bits: u.arbitrary()?,
        },
        17 => Syscall::Kill {
            target: target(u, k)?,
            signal: signal(u)?,
        },
        18 => {
            let action = [Disposition::Default, Disposition::Ignore, Disposition::Catch][u.choose_index(3)?];
            Syscall::SigAction {
                flags: ipcsim_kernel::SaFlags::empty(),
                signal: signal(u)?,
                action,
            }
        }
        19 => Syscall::SigMask {
            signal: signal(u)?,
            block: u.arbitrary()?,
        },
        20 => {
            let kind = [
                ObjectKind::MsgQueue,
                ObjectKind::Semaphore,
                ObjectKind::Shm,
                ObjectKind::Pipe,
            ][u.choose_index(4)?];
            let flags = GetFlags {
                create: u.arbitrary()?,
                exclusive: u.arbitrary()?,
                mode: u.int_in_range(0..=0o777u32)?,
                mode_asked: u.arbitrary()?,
                nsems: u32::from(u.int_in_range(0..=3u8)?),
            };
            Syscall::Get {
                kind,
                key: i64::from(u.int_in_range(0..=4u8)?),
                flags,
                size: u64::from(u.int_in_range(0..=200u8)?),
            }
        }
        21 => Syscall::MsgSnd {
            cap: cap(u, k, pid)?,
            mtype: i64::from(u.int_in_range(-1..=3i8)?),
            data: data(u)?,
            timeout: timeout(u)?,
        },
        22 => Syscall::MsgRcv {
            cap: cap(u, k, pid)?,
            mtype: i64::from(u.int_in_range(-3..=3i8)?),
            opts: ipcsim_kernel::RcvOpts {
                max: if u.arbitrary()? {
                    Some(u64::from(u.int_in_range(0..=12u8)?))
                } else {
                    None
                },
                noerror: u.arbitrary()?,
                except: u.arbitrary()?,
            },
            timeout: timeout(u)?,
        },
        23 => Syscall::MsgStat { cap: cap(u, k, pid)? },
        24 => Syscall::Remove { cap: cap(u, k, pid)? },
        25 => Syscall::Write {
            cap: cap(u, k, pid)?,
            data: data(u)?,
            timeout: timeout(u)?,
        },
        26 => Syscall::Read {
            cap: cap(u, k, pid)?,
            max: u64::from(u.int_in_range(0..=20u8)?),
            timeout: timeout(u)?,
        },
        27 => Syscall::Close { cap: cap(u, k, pid)? },
        28 => Syscall::SemWait {
            cap: cap(u, k, pid)?,
            timeout: timeout(u)?,
        },
        29 => match u.int_in_range(0..=2u8)? {
            0 => Syscall::SemPost { cap: cap(u, k, pid)? },
            1 => {
                let n = usize::from(u.int_in_range(0..=3u8)?);
                let mut ops = Vec::with_capacity(n);
                for _ in 0..n {
                    ops.push(ipcsim_kernel::SemOp {
                        num: u32::from(u.int_in_range(0..=3u8)?),
                        op: i64::from(u.int_in_range(-3..=3i8)?),
                    });
                }
                Syscall::SemOp {
                    cap: cap(u, k, pid)?,
                    ops: ops.into(),
                    undo: u.arbitrary()?,
                    timeout: timeout(u)?,
                }
            }
            _ => Syscall::SemCtl {
                cap: cap(u, k, pid)?,
                num: u32::from(u.int_in_range(0..=3u8)?),
                cmd: match u.int_in_range(0..=3u8)? {
                    0 => ipcsim_kernel::SemCmd::GetVal,
                    1 => ipcsim_kernel::SemCmd::SetVal(u64::from(u.int_in_range(0..=3u8)?)),
                    2 => ipcsim_kernel::SemCmd::GetNcnt,
                    _ => ipcsim_kernel::SemCmd::GetZcnt,
                },
            },
        },
        30 => Syscall::Attach {
            cap: cap(u, k, pid)?,
            readonly: u.arbitrary()?,
        },
        31 => Syscall::Detach { cap: cap(u, k, pid)? },
        32 => {
            let offset = i64::from(u.int_in_range(-4..=100i8)?);
            if u.arbitrary()? {
                Syscall::Store {
                    cap: cap(u, k, pid)?,
                    offset,
                    data: data(u)?,
                }
            } else {
                Syscall::Load {
                    cap: cap(u, k, pid)?,
                    offset,
                    len: i64::from(u.int_in_range(-1..=70i8)?),
                }
            }
        }
        _ => match u.int_in_range(0..=4u8)? {
            0 => Syscall::Mmap {
                path: Some("/file".into()),
                cap: None,
                shared: u.arbitrary()?,
            },
            1 => Syscall::Msync { cap: cap(u, k, pid)? },
            2 => Syscall::Mkfifo {
                path: "/fifo2".into(),
                mode: 0o644,
            },
            3 => Syscall::Open {
                path: ["/fifo", "/fifo2", "/nope"][u.choose_index(3)?].into(),
                write: u.arbitrary()?,
                timeout: timeout(u)?,
            },
            _ => {
                let addr: i64 = u.arbitrary()?;
                if u.arbitrary()? {
                    Syscall::Poke { addr, data: data(u)? }
                } else {
                    Syscall::Peek {
                        addr,
                        len: i64::from(u.int_in_range(0..=16u8)?),
                    }
                }
            }
        },
    })
}
