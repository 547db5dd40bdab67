//! The kernel_calls target's second host: socket calls, and the check that
//! no process acts on another host's objects (issue 21: objects and
//! capabilities never cross hosts; only segments and datagrams do).

use std::collections::BTreeMap;

use ipcsim_kernel::*;
use libfuzzer_sys::arbitrary::{Result, Unstructured};

use crate::kernel_calls::{cap, data, timeout};

/// Maybe a second host, `far`, linked to the local one: the hosts to use.
pub(crate) fn hosts(u: &mut Unstructured<'_>, k: &mut Kernel, many: bool) -> Result<Vec<HostId>> {
    let mut hosts = vec![HostId::LOCAL];
    if many && u.arbitrary()? {
        if let Ok(far) = k.add_host("far") {
            if u.ratio(3, 4)? {
                let latency = u64::from(u.int_in_range(0..=4u8)?);
                let loss = [0u8, 0, 30, 100][u.choose_index(4)?];
                let _ = k.add_link(HostId::LOCAL, far, latency, loss);
            }
            hosts.push(far);
        }
    }
    Ok(hosts)
}

/// One socket call for `pid`.
pub(crate) fn syscall(u: &mut Unstructured<'_>, k: &Kernel, pid: Pid) -> Result<Syscall> {
    let host = HostId(u.int_in_range(0..=2u16)?);
    let port = [0i64, 80, 7000, 7000, 49152, -1][u.choose_index(6)?];
    let path = ["/s", "/s", "/t"][u.choose_index(3)?].to_string();
    Ok(match u.int_in_range(0..=14u8)? {
        0 | 1 => Syscall::Socket {
            stream: u.arbitrary()?,
            unix: u.ratio(1, 4)?,
        },
        2 => Syscall::SocketPair,
        3 => Syscall::Bind {
            cap: cap(u, k, pid)?,
            port,
        },
        4 => Syscall::BindPath {
            cap: cap(u, k, pid)?,
            path,
            mode: [0o777, 0o700][u.choose_index(2)?],
        },
        5 => Syscall::Listen {
            cap: cap(u, k, pid)?,
            backlog: if u.arbitrary()? {
                Some(u64::from(u.int_in_range(0..=2u8)?))
            } else {
                None
            },
        },
        6 => Syscall::Accept {
            cap: cap(u, k, pid)?,
            timeout: timeout(u)?,
        },
        7 => Syscall::Connect {
            cap: cap(u, k, pid)?,
            host,
            port,
            timeout: timeout(u)?,
        },
        8 => Syscall::ConnectPath {
            cap: cap(u, k, pid)?,
            path,
            timeout: timeout(u)?,
        },
        9 => Syscall::Shutdown { cap: cap(u, k, pid)? },
        10 => Syscall::SendTo {
            cap: cap(u, k, pid)?,
            host,
            port,
            data: data(u)?,
        },
        11 => Syscall::SendToPath {
            cap: cap(u, k, pid)?,
            path,
            data: data(u)?,
        },
        12 => Syscall::RecvFrom {
            cap: cap(u, k, pid)?,
            timeout: timeout(u)?,
        },
        13 => Syscall::Unlink { path },
        _ => Syscall::Write {
            cap: cap(u, k, pid)?,
            data: data(u)?,
            timeout: timeout(u)?,
        },
    })
}

/// Checks the events recorded since the last look: every event that
/// touches an object is by a process of that object's host (a delivery's
/// sender too). `hosts` remembers each object's host from when it was
/// alive, so an event naming a destroyed object is checked as well.
pub(crate) fn check_hosts(k: &mut Kernel, hosts: &mut BTreeMap<ObjId, HostId>) {
    let events: Vec<Event> = k.log().drain().collect();
    for e in events {
        let (obj, others) = match &e.kind {
            EventKind::Syscall { obj: Some(o), .. }
            | EventKind::Block { obj: Some(o), .. }
            | EventKind::Enqueue { obj: o, .. }
            | EventKind::Loaded { obj: o, .. }
            | EventKind::Discarded { obj: o, .. } => (*o, None),
            EventKind::Deliver { obj: Some(o), from, .. } => (*o, Some(*from)),
            _ => continue,
        };
        let Some(host) = k.object_host(obj).or_else(|| hosts.get(&obj).copied()) else {
            continue;
        };
        hosts.insert(obj, host);
        for pid in std::iter::once(e.pid).chain(others) {
            let at = k.host_of(pid);
            assert_eq!(
                at,
                host,
                "{} on host {at:?} acted on {} of host {host:?}: {:?}",
                k.process_name(pid),
                k.object_label(obj),
                e.kind
            );
        }
    }
}
