//! Security properties of capabilities, as property tests over random
//! scenarios (issue 21): no process comes to hold a badge it was not given,
//! whatever it does with derive, transfer (`with`), the naming service and
//! spawn; and a capability name, once bound, designates the object it was
//! bound to or nothing, whatever is revoked or deleted meanwhile.

use ipcsim_scenario::cli::{run_to_string, TraceFormat, Views};
use proptest::prelude::*;

/// One statement a client may try (every one under `try`: failing is allowed).
fn client_stmt() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec!["a", "b", "c"]);
    let badge = prop::sample::select(vec![0u64, 1, 7, 9, 42]);
    prop_oneof![
        (name.clone(), badge, name.clone()).prop_map(|(x, b, y)| format!("try derive {x} badge {b} -> {y}")),
        (name.clone(), name.clone()).prop_map(|(x, y)| format!("try derive {x} -> {y}")),
        name.clone().prop_map(|x| format!("try call {x} \"hi\" -> r")),
        name.clone().prop_map(|x| format!("try send box \"cap\" with {x}")),
        name.clone()
            .prop_map(|y| format!("try recv box -> m nowait\ntry derive m.cap -> {y}")),
        Just("try recv box -> m nowait\ntry call m.cap \"via box\" -> r".to_string()),
        name.clone().prop_map(|x| format!("try register \"n\" {x}")),
        name.clone().prop_map(|y| format!("try lookup \"n\" -> {y}")),
        name.prop_map(|x| format!("try derive {x} -> a\ntry spawn child share a")),
        Just("yield".to_string()),
    ]
}

fn body(stmts: &[String]) -> String {
    // Every name is bound once up front, so the checker knows it.
    let mut s = String::from("    try derive a -> b\n    try derive a -> c\n");
    for st in stmts {
        for line in st.lines() {
            s.push_str("    ");
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

fn badge_scenario(alice: &[String], bob: &[String], child: &[String]) -> String {
    // One spawn always, so the child's `a` is a name some spawn passes.
    let alice = format!("    try spawn child share a\n{}", body(alice));
    format!(
        "endpoint svc\nmailbox box unbounded\n\
         process server daemon priority 2 caps(svc: recv) {{\n    loop {{\n        recv svc -> m\n        print \"server sees badge\", m.badge\n        reply m.badge\n    }}\n}}\n\
         program child caps(box: all) {{\n{}}}\n\
         process alice caps(svc: send+grant badge 7 as a, box: all) {{\n{}}}\n\
         process bob caps(svc: send+grant badge 9 as a, box: all) {{\n{}}}\n",
        body(child),
        alice,
        body(bob)
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Clients given badges 7 and 9 can make the server see no other badge.
    #[test]
    fn no_process_comes_to_hold_a_badge_it_was_not_given(
        alice in prop::collection::vec(client_stmt(), 0..10),
        bob in prop::collection::vec(client_stmt(), 0..10),
        child in prop::collection::vec(client_stmt(), 0..6),
        seed in prop::option::of(0u64..50),
    ) {
        let src = badge_scenario(&alice, &bob, &child);
        let views = Views { trace: TraceFormat::Text, steps_max: Some(20_000), ..Views::default() };
        let (p, out) = run_to_string("t.ipc", &src, seed, &views);
        prop_assert!(p.exit != 2, "{}\n{}", src, p.diagnostics);
        for line in out.lines().filter(|l| l.contains("print: server sees badge")) {
            let b = line.rsplit(' ').next().unwrap_or("");
            prop_assert!(b == "7" || b == "9", "the server saw badge {} in\n{}\n{}", b, src, out);
        }
    }

    /// Names bound at a spawn keep their objects: a revoke or delete before
    /// the child runs makes a name designate nothing, never another mailbox.
    #[test]
    fn a_bound_name_designates_its_object_or_nothing(
        order in Just(vec![0usize, 1, 2]).prop_shuffle(),
        ops in prop::collection::vec((0usize..3, 0u8..3), 0..6),
        seed in prop::option::of(0u64..50),
    ) {
        let share: Vec<String> = order.iter().map(|i| format!("m{i}")).collect();
        let mut parent = format!("    spawn child share {}\n", share.join(", "));
        for (i, op) in &ops {
            parent.push_str(&match op {
                0 => format!("    revoke m{i}\n"),
                1 => format!("    try derive m{i} -> d{i}\n    try delete d{i}\n"),
                _ => "    yield\n".to_string(),
            });
        }
        parent.push_str("    sleep 1\n");
        for i in 0..3 {
            parent.push_str(&format!("    try recv m{i} -> r{i} nowait\n    if r{i} is ok {{\n        expect r{i} == \"to-m{i}\"\n        try recv m{i} -> again nowait\n        expect again is WouldBlock\n    }}\n"));
        }
        let src = format!(
            "mailbox m0 unbounded\nmailbox m1 unbounded\nmailbox m2 unbounded\n\
             process parent priority 1 caps(m0: all, m1: all, m2: all) {{\n{parent}}}\n\
             program child {{\n    try send m0 \"to-m0\"\n    try send m1 \"to-m1\"\n    try send m2 \"to-m2\"\n}}\n\
             expect parent exited\n"
        );
        let views = Views { trace: TraceFormat::None, ..Views::default() };
        let (p, out) = run_to_string("t.ipc", &src, seed, &views);
        prop_assert_eq!(p.exit, 0, "{}\n{}{}", src, p.diagnostics, out);
    }
}
