//! Promises a hostile user tests first (issue 21): badges cannot be forged,
//! a capability name keeps designating what it was bound to, and bad input
//! gets an error at a position, never a crash or runaway memory.
//!
//! Each test is named for the behaviour it guards and failed on the build
//! before its fix.

use ipcsim_scenario::cli::{run_to_string, TraceFormat, Views};

/// Runs a scenario; its exit status and (trace-less) output.
fn exit_of(src: &str) -> (i32, String) {
    let views = Views {
        trace: TraceFormat::None,
        ..Default::default()
    };
    let (p, out) = run_to_string("t.ipc", src, None, &views);
    (p.exit, format!("{}{}", p.diagnostics, out))
}

#[track_caller]
fn passes(src: &str) {
    let (exit, out) = exit_of(src);
    assert_eq!(exit, 0, "{out}");
}

#[test]
fn a_client_cannot_rebadge_its_capability() {
    passes(
        "endpoint svc\n\
         process server daemon caps(svc: recv) { loop { recv svc -> m\n reply m.badge } }\n\
         process client caps(svc: send badge 7) {\n\
           try derive svc badge 9 -> e\n expect e is PermissionDenied\n\
           try derive svc badge 0 -> z\n expect z is PermissionDenied\n\
           call svc \"x\" -> r\n expect r == 7\n}\n\
         expect client exited\n",
    );
}

#[test]
fn a_spawned_childs_names_survive_a_revoke_before_it_runs() {
    // The parent outranks the child, so it revokes `a` before the child's
    // first step; the child's `b` must still be `b`, and `a` must be gone
    // (it used to be bound to `b`'s capability: the message went to `b`).
    passes(
        "mailbox a\nmailbox b\n\
         process parent priority 1 caps(a: all, b: all) {\n\
           spawn child share a, b\n revoke a\n\
           recv b -> m\n expect m == \"to-b\"\n\
           try recv a -> n nowait\n expect n is WouldBlock\n}\n\
         program child {\n try send a \"to-a\" -> e\n expect e is InvalidCap\n send b \"to-b\"\n}\n\
         expect parent exited\nexpect \"child#1\" exited\n",
    );
}

#[test]
fn a_capability_revoked_in_flight_fails_invalid_cap_where_used() {
    passes(
        "mailbox box\nmailbox other\n\
         process p caps(box: all, other: all) {\n\
           send box \"x\" with other\n revoke other\n recv box -> m\n\
           try send m.cap \"y\" -> e\n expect e is InvalidCap\n}\n\
         expect p exited\n",
    );
}

#[test]
fn the_trace_names_a_destroyed_object() {
    let views = Views {
        trace: TraceFormat::Text,
        ..Default::default()
    };
    let src = "mailbox inbox\nprocess p caps(inbox: all) {\n send inbox 1\n destroy inbox\n}\n";
    let (_, out) = run_to_string("t.ipc", src, None, &views);
    assert!(out.contains("destroys inbox"), "{out}");
    assert!(!out.contains('?'), "{out}");
}
