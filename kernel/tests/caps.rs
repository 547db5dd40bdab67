//! Capability system calls: derive, delete, revoke, limits.

mod common;

use common::*;
use ipcsim_kernel::*;

fn cap_of(r: SysResult) -> CapId {
    match r {
        Ok(Ret::Cap(c)) => c,
        other => panic!("expected a capability, got {other:?}"),
    }
}

#[test]
fn derive_never_amplifies_rights() {
    let mut s = Sim::new();
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let p = s.proc("p");
    let c = s.cap(p, ep, Rights::SEND);
    let d = Syscall::Derive {
        cap: c,
        rights: Some(Rights::SEND | Rights::RECV),
        badge: None,
    };
    assert_eq!(s.done(p, d), Err(Error::PermissionDenied));
    let child = cap_of(s.done(
        p,
        Syscall::Derive {
            cap: c,
            rights: None,
            badge: Some(4),
        },
    ));
    assert_eq!(s.k.cap_info(p, child).map(|i| (i.2, i.3)), Some((Rights::SEND, 4)));
}

#[test]
fn revoke_deletes_every_descendant_in_every_process() {
    let mut s = Sim::new();
    let mb = s.obj(ObjectKind::Mailbox, "mb");
    let boss = s.proc("boss");
    let root = s.cap(boss, mb, ObjectKind::Mailbox.rights());
    let d1 = cap_of(s.done(
        boss,
        Syscall::Derive {
            cap: root,
            rights: None,
            badge: None,
        },
    ));
    let d2 = cap_of(s.done(
        boss,
        Syscall::Derive {
            cap: d1,
            rights: Some(Rights::RECV),
            badge: None,
        },
    ));
    // A child gets a copy of d2 by spawn: a grandchild of root.
    let spec = ProcessSpec::new("kid");
    let kid = match s.done(
        boss,
        Syscall::Spawn {
            spec,
            share: vec![d2],
            grants: vec![],
        },
    ) {
        Ok(Ret::Pid(p)) => p,
        other => panic!("{other:?}"),
    };
    let kid_cap = s.k.boot_caps(kid)[0];
    assert!(s.k.cap_info(kid, kid_cap).is_some());
    assert_eq!(s.done(boss, Syscall::Revoke { cap: root }), Ok(Ret::Unit));
    assert!(s.k.cap_info(boss, d1).is_none());
    assert!(s.k.cap_info(boss, d2).is_none());
    assert!(s.k.cap_info(kid, kid_cap).is_none());
    assert!(s.k.cap_info(boss, root).is_some(), "revoke keeps the capability itself");
}

#[test]
fn delete_keeps_children_reachable_by_revoke_of_the_grandparent() {
    let mut s = Sim::new();
    let mb = s.obj(ObjectKind::Mailbox, "mb");
    let p = s.proc("p");
    let root = s.cap(p, mb, Rights::SEND);
    let mid = cap_of(s.done(
        p,
        Syscall::Derive {
            cap: root,
            rights: None,
            badge: None,
        },
    ));
    let leaf = cap_of(s.done(
        p,
        Syscall::Derive {
            cap: mid,
            rights: None,
            badge: None,
        },
    ));
    assert_eq!(s.done(p, Syscall::Delete { cap: mid }), Ok(Ret::Unit));
    assert!(
        s.k.cap_info(p, leaf).is_some(),
        "deleting a capability leaves its children"
    );
    assert_eq!(s.done(p, Syscall::Revoke { cap: root }), Ok(Ret::Unit));
    assert!(
        s.k.cap_info(p, leaf).is_none(),
        "re-parented children are still revocable"
    );
}

#[test]
fn a_process_blocked_through_a_revoked_capability_wakes_with_object_gone() {
    let mut s = Sim::new();
    let mb = s.obj(ObjectKind::Mailbox, "mb");
    let boss = s.proc("boss");
    let root = s.cap(boss, mb, ObjectKind::Mailbox.rights());
    let kid = match s.done(
        boss,
        Syscall::Spawn {
            spec: ProcessSpec::new("kid"),
            share: vec![root],
            grants: vec![],
        },
    ) {
        Ok(Ret::Pid(p)) => p,
        other => panic!("{other:?}"),
    };
    assert_eq!(s.sys(boss, Syscall::Sleep { ticks: 1 }), Outcome::Switched);
    let kc = s.k.boot_caps(kid)[0];
    s.blocks(
        kid,
        Syscall::Recv {
            cap: kc,
            timeout: Timeout::Never,
        },
    );
    assert_eq!(s.k.schedule(), Next::Run(boss));
    let _ = s.k.take_result(boss);
    assert_eq!(s.done(boss, Syscall::Revoke { cap: root }), Ok(Ret::Unit));
    s.k.exit(boss, Ending::Exited);
    assert_eq!(s.result(kid), Err(Error::ObjectGone));
    assert_eq!(
        s.done(
            kid,
            Syscall::Recv {
                cap: kc,
                timeout: Timeout::Never
            }
        ),
        Err(Error::InvalidCap)
    );
}

#[test]
fn capability_and_process_limits_are_errors() {
    let cfg = KernelConfig {
        limits: Limits {
            caps_per_process_max: 2,
            processes_max: 3,
            ..Limits::default()
        },
        ..KernelConfig::default()
    };
    let mut s = Sim::with(cfg);
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let p = s.proc("p");
    let c = s.cap(p, ep, Rights::SEND);
    let _ = cap_of(s.done(
        p,
        Syscall::Derive {
            cap: c,
            rights: None,
            badge: None,
        },
    ));
    assert_eq!(
        s.done(
            p,
            Syscall::Derive {
                cap: c,
                rights: None,
                badge: None
            }
        ),
        Err(Error::LimitReached)
    );
    let _ = s.proc("q");
    let _ = s.proc("r");
    assert_eq!(
        s.k.create_process(&ProcessSpec::new("s"), None),
        Err(Error::LimitReached)
    );
    let spawn = Syscall::Spawn {
        spec: ProcessSpec::new("t"),
        share: vec![],
        grants: vec![],
    };
    assert_eq!(s.done(p, spawn), Err(Error::LimitReached));
}

#[test]
fn a_million_processes_fit_in_one_kernel() {
    let mut k = Kernel::new(KernelConfig {
        record_events: false,
        ..KernelConfig::default()
    });
    let spec = ProcessSpec::new("p");
    for _ in 0..1_000_000 {
        k.create_process(&spec, None).expect("room for a million processes");
    }
    assert_eq!(k.process_count(), 1_000_000);
    // The documented default limit: 1,048,576 processes, then LimitReached
    // (a fork bomb ends there, in seconds rather than minutes).
    for _ in 1_000_000..1 << 20 {
        k.create_process(&spec, None).expect("room up to the limit");
    }
    assert_eq!(k.create_process(&spec, None), Err(Error::LimitReached));
}

#[test]
fn buffers_beyond_the_kernel_limits_are_refused() {
    let cfg = KernelConfig {
        limits: Limits {
            queue_len_max: 4,
            ..Limits::default()
        },
        ..KernelConfig::default()
    };
    let mut k = Kernel::new(cfg);
    let big = ObjectOptions {
        capacity: Some(5),
        ..Default::default()
    };
    assert_eq!(
        k.create_object(ObjectKind::Mailbox, "m", &big),
        Err(Error::LimitReached)
    );
    let sem = ObjectOptions {
        value: 40_000,
        ..Default::default()
    };
    assert_eq!(
        k.create_object(ObjectKind::Semaphore, "s", &sem),
        Err(Error::InvalidArgument)
    );
}

fn derive(cap: CapId, badge: Option<u64>) -> Syscall {
    Syscall::Derive {
        cap,
        rights: None,
        badge,
    }
}

#[test]
fn a_badged_capability_cannot_be_rebadged() {
    // Issue 21: a client holding badge 7 derived badge 9 (or 0) and
    // impersonated another client. seL4: a badge, once set, is kept.
    let mut s = Sim::new();
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let p = s.proc("client");
    let badged = s.k.grant(p, ep, Rights::SEND, 7).expect("grant");
    assert_eq!(s.done(p, derive(badged, Some(9))), Err(Error::PermissionDenied));
    assert_eq!(s.done(p, derive(badged, Some(0))), Err(Error::PermissionDenied));
    // Keeping the badge (or not asking) is allowed, and the child carries it.
    let same = cap_of(s.done(p, derive(badged, Some(7))));
    let plain = cap_of(s.done(p, derive(badged, None)));
    assert_eq!(s.k.cap_info(p, same).map(|i| i.3), Some(7));
    assert_eq!(s.k.cap_info(p, plain).map(|i| i.3), Some(7));
    // Its children cannot be rebadged either.
    assert_eq!(s.done(p, derive(plain, Some(1))), Err(Error::PermissionDenied));
    // An unbadged capability may be badged once.
    let root = s.cap(p, ep, Rights::SEND);
    let minted = cap_of(s.done(p, derive(root, Some(9))));
    assert_eq!(s.k.cap_info(p, minted).map(|i| i.3), Some(9));
}

#[test]
fn boot_capabilities_keep_their_target_when_an_earlier_one_is_revoked() {
    // Issue 21: names were bound by position in the process's table, read
    // when it first ran; a revoke before then (swap_remove) shifted them and
    // a message meant for `a` went into `b`.
    let mut s = Sim::new();
    let a = s.obj(ObjectKind::Mailbox, "a");
    let b = s.obj(ObjectKind::Mailbox, "b");
    let parent = s.proc_prio("parent", 1);
    let ca = s.cap(parent, a, ObjectKind::Mailbox.rights());
    let cb = s.cap(parent, b, ObjectKind::Mailbox.rights());
    let spawn = Syscall::Spawn {
        spec: ProcessSpec::new("child"),
        share: vec![ca, cb],
        grants: vec![],
    };
    let child = match s.done(parent, spawn) {
        Ok(Ret::Pid(p)) => p,
        other => panic!("spawn: {other:?}"),
    };
    assert_eq!(s.done(parent, Syscall::Revoke { cap: ca }), Ok(Ret::Unit));
    let boot = s.k.boot_caps(child).to_vec();
    assert_eq!(boot.len(), 2);
    assert_eq!(s.k.cap_info(child, boot[0]), None, "the revoked copy names nothing");
    assert_eq!(s.k.cap_info(child, boot[1]).map(|i| i.0), Some(b));
}

#[test]
fn a_capability_revoked_in_flight_arrives_stale() {
    // Issue 21: it arrived as no capability at all, so using it failed
    // InvalidArgument; it is a capability that no longer exists: InvalidCap.
    let mut s = Sim::new();
    let boxed = s.obj(ObjectKind::Mailbox, "box");
    let other = s.obj(ObjectKind::Mailbox, "other");
    let p = s.proc("p");
    let cbox = s.cap(p, boxed, ObjectKind::Mailbox.rights());
    let cother = s.cap(p, other, ObjectKind::Mailbox.rights());
    let send = Syscall::Send {
        cap: cbox,
        msg: Message {
            cap: Some(cother),
            ..Message::new(Data::Int(1))
        },
        timeout: Timeout::Never,
    };
    assert_eq!(s.done(p, send), Ok(Ret::Unit));
    assert_eq!(s.done(p, Syscall::Revoke { cap: cother }), Ok(Ret::Unit));
    let got = match s.done(p, Sim::recv(cbox, Timeout::Never)) {
        Ok(Ret::Msg(m)) => m.cap.expect("the message still says it carried a capability"),
        other => panic!("recv: {other:?}"),
    };
    assert_eq!(s.done(p, Sim::send(got, 2, Timeout::Never)), Err(Error::InvalidCap));
}

#[test]
fn a_destroyed_object_keeps_its_name_for_the_trace() {
    let mut s = Sim::new();
    let mb = s.obj(ObjectKind::Mailbox, "inbox");
    let p = s.proc("p");
    let c = s.cap(p, mb, ObjectKind::Mailbox.rights());
    assert_eq!(s.done(p, Syscall::Destroy { cap: c }), Ok(Ret::Unit));
    assert_eq!(s.k.object_kind(mb), None);
    assert_eq!(s.k.object_label(mb), "inbox");
}

#[test]
fn spawn_refuses_before_creating_the_child() {
    // Check before act: a spawn whose capabilities cannot all be given
    // creates no half-equipped child.
    let mut s = Sim::with(KernelConfig {
        limits: Limits {
            caps_per_process_max: 1,
            ..Limits::default()
        },
        ..KernelConfig::default()
    });
    let ep = s.obj(ObjectKind::Endpoint, "ep");
    let p = s.proc("p");
    let c = s.cap(p, ep, Rights::SEND);
    let before = s.k.process_count();
    let spawn = Syscall::Spawn {
        spec: ProcessSpec::new("child"),
        share: vec![c],
        grants: vec![(ep, Rights::RECV, 0)],
    };
    assert_eq!(s.done(p, spawn), Err(Error::LimitReached));
    assert_eq!(s.k.process_count(), before);
}
