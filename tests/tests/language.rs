//! The scenario language's errors and exit statuses, one rule at a time.
//!
//! Errors go through one helper, `errors(src)`, that returns `LINE:COL: message`
//! lines, so each test states the exact message and position a user sees.

use ipcsim_scenario::cli::{run_to_string, TraceFormat, Views};
use proptest::prelude::*;

fn errors(src: &str) -> Vec<String> {
    match ipcsim_scenario::load(src) {
        Ok(_) => Vec::new(),
        Err(d) => {
            let mut v: Vec<String> = d.0.iter().map(|e| e.to_string()).collect();
            v.sort();
            v
        }
    }
}

fn exit_of(src: &str) -> (i32, String) {
    let views = Views {
        trace: TraceFormat::None,
        ..Default::default()
    };
    let (p, out) = run_to_string("t.ipc", src, None, &views);
    (p.exit, format!("{}{}", p.diagnostics, out))
}

#[test]
fn syntax_error_names_line_and_column_with_a_caret() {
    let src = "process p {\n    let x = (1 + 2))\n}\n";
    assert_eq!(errors(src), vec!["2:20: expected end of statement, found `)`"]);
    let d = ipcsim_scenario::load(src).expect_err("an error");
    let shown = d.render("f.ipc", src);
    assert!(
        shown.starts_with("f.ipc:2:20: expected end of statement, found `)`\n2 |     let x = (1 + 2))\n"),
        "{shown}"
    );
    assert!(shown.contains("  |                    ^\n"), "{shown}");
}

#[test]
fn unknown_names() {
    assert_eq!(errors("process p {\n  send ep 1\n}"), vec!["2:8: unknown name `ep`"]);
    assert_eq!(
        errors("endpoint ep\nprocess p {\n  send ep 1\n}"),
        vec!["3:8: this process holds no capability `ep` (add it to caps(...), or bind it with -> ep)"]
    );
    assert_eq!(
        errors("process p caps(nope: send) { }"),
        vec!["1:16: no object is named `nope`"]
    );
    assert_eq!(errors("process p { kill q }"), vec!["1:18: no process is named `q`"]);
    assert_eq!(
        errors("expect ghost exited"),
        vec!["1:8: no process or program is named `ghost`"]
    );
}

#[test]
fn duplicate_declarations() {
    assert_eq!(errors("endpoint a\nmailbox a"), vec!["2:9: `a` is declared twice"]);
    assert_eq!(
        errors("process p { }\nprogram p { }"),
        vec!["2:9: `p` is declared twice"]
    );
    assert_eq!(
        errors("endpoint a\nprocess p caps(a: send, a: recv) { }"),
        vec!["2:25: `a` is named twice in caps(...)"]
    );
}

#[test]
fn rights_a_kind_does_not_have() {
    assert_eq!(
        errors("endpoint e\nprocess p caps(e: send+wait) { }"),
        vec!["2:24: a endpoint has no right `wait` (its rights: send+recv+grant)"]
    );
    assert_eq!(
        errors("pipe x\nprocess p caps(x: frobnicate) { }"),
        vec!["2:19: unknown right `frobnicate`"]
    );
}

#[test]
fn operations_on_the_wrong_kind() {
    assert_eq!(
        errors("mailbox box\nprocess p caps(box: send) {\n  call box 1 -> r\n}"),
        vec!["3:8: `call` needs an endpoint, but `box` is a mailbox"]
    );
    assert_eq!(
        errors("endpoint e\nprocess p caps(e: send) {\n  derive e -> d\n  write d \"x\"\n}"),
        vec!["4:9: `write` needs a pipe or a stream socket, but `d` is an endpoint"]
    );
}

#[test]
fn misplaced_statements_and_options() {
    assert_eq!(
        errors("process p { break }"),
        vec!["1:13: `break` outside `loop` or `repeat`"]
    );
    assert_eq!(
        errors("process p { }\nprocess q { spawn p }"),
        vec!["2:19: `p` is a process, not a program: only programs can be spawned"]
    );
    assert_eq!(
        errors("process p { sleep 1 nowait }"),
        vec!["1:21: `sleep` cannot block, so it takes no `nowait`"]
    );
    assert_eq!(
        errors("process p { let x = 1 is Nope }"),
        vec!["1:26: unknown error `Nope` (after `is`: `ok` or an error name)"]
    );
    assert_eq!(
        errors("process p { kill p SIGFOO }"),
        vec!["1:20: unknown signal `SIGFOO`"]
    );
    assert_eq!(errors("semaphore s"), vec!["1:11: a semaphore needs `value N`"]);
}

#[test]
fn declarations_beyond_kernel_bounds_or_sharing_a_key() {
    assert_eq!(
        errors("msgqueue a key 5\nmsgqueue b key 5"),
        vec!["2:10: key 0x5 is already the key of msgqueue `a`"]
    );
    assert_eq!(
        errors("mailbox m capacity 9999999"),
        vec!["1:9: a mailbox holds at most 1048576 messages (use `unbounded` for the kernel's limit)"]
    );
    assert_eq!(
        errors("semaphore s value 40000"),
        vec!["1:11: a semaphore's value is at most 32767"]
    );
}

#[test]
fn several_errors_are_reported_at_once() {
    let src = "process p {\n  frob\n  let = 2\n}\nprocess q {\n  send x 1\n}\n";
    assert_eq!(errors(src).len(), 2, "{:?}", errors(src));
    let src2 = "process p {\n  send x 1\n  recv y -> m\n}\n";
    assert_eq!(errors(src2), vec!["2:8: unknown name `x`", "3:8: unknown name `y`"]);
}

#[test]
fn lexical_errors() {
    assert_eq!(
        errors("process p { print \"open }"),
        vec!["1:19: unterminated string", "1:26: missing `}` at end of file"]
    );
    assert_eq!(errors("process p { let x = 09 }"), vec!["1:21: bad integer `09`"]);
}

// ----- exit statuses: one test per rule of the contract --------------------------------

#[test]
fn exit_0_when_everything_holds() {
    assert_eq!(exit_of("process p { let x = 1 }\nexpect p exited").0, 0);
}

#[test]
fn exit_1_when_a_scenario_expectation_fails() {
    let (code, out) = exit_of("process p { let x = 1 }\nexpect p blocked");
    assert_eq!(code, 1);
    assert!(out.contains("FAILED  expect p blocked (found: exited)"), "{out}");
}

#[test]
fn exit_1_when_a_process_fails_unnamed() {
    let (code, out) = exit_of("process p { expect 1 == 2 }");
    assert_eq!(code, 1);
    assert!(
        out.contains("p failed ExpectationFailed (no scenario-level expect names it)"),
        "{out}"
    );
}

#[test]
fn exit_0_when_the_failure_is_named() {
    assert_eq!(
        exit_of("process p { expect 1 == 2 }\nexpect p failed ExpectationFailed").0,
        0
    );
    assert_eq!(exit_of("process p { expect 1 == 2 }\nexpect p failed TimedOut").0, 1);
}

#[test]
fn exit_1_when_a_process_is_killed_unnamed() {
    let (code, out) = exit_of("process v { sleep 5 }\nprocess k { kill v SIGTERM }");
    assert_eq!(code, 1);
    assert!(out.contains("v was killed by SIGTERM"), "{out}");
    assert_eq!(
        exit_of("process v { sleep 5 }\nprocess k { kill v }\nexpect v killed SIGTERM").0,
        0
    );
}

#[test]
fn exit_1_when_a_non_daemon_is_left_blocked() {
    let src = "endpoint e\nprocess s caps(e: recv) { recv e -> m }\nprocess t caps(e: send) { sleep 1 }";
    let (code, out) = exit_of(src);
    assert_eq!(code, 1);
    assert!(
        out.contains("s was left blocked: waits for a sender on e (not a daemon)"),
        "{out}"
    );
    let daemon = "endpoint e\nprocess s daemon caps(e: recv) { recv e -> m }\nprocess t caps(e: send) { sleep 1 }";
    assert_eq!(exit_of(daemon).0, 0);
}

#[test]
fn exit_1_on_an_unexpected_deadlock_and_0_when_expected() {
    let dl = "endpoint a\nendpoint b\nprocess x caps(a: recv, b: send) { send b 1 }\nprocess y caps(b: recv, a: send) { send a 1 }\n";
    let (code, out) = exit_of(dl);
    assert_eq!(code, 1);
    assert!(out.contains("deadlock at t=0: x, y"), "{out}");
    assert!(out.contains("cycle: "), "{out}");
    assert_eq!(exit_of(&format!("{dl}expect deadlock")).0, 0);
    assert_eq!(exit_of("process p { let x = 1 }\nexpect deadlock").0, 1);
    assert_eq!(exit_of("process p { let x = 1 }\nexpect no deadlock").0, 0);
}

#[test]
fn exit_1_when_max_time_is_reached() {
    let (code, out) = exit_of("config max_time 50\nprocess p { loop { sleep 10 } }");
    assert_eq!(code, 1);
    assert!(out.contains("max_time reached at t=50"), "{out}");
}

#[test]
fn exit_1_when_a_run_makes_no_progress_within_its_step_limit() {
    let views = Views {
        trace: TraceFormat::None,
        steps_max: Some(10_000),
        ..Default::default()
    };
    let (p, out) = run_to_string("t.ipc", "process p { loop { yield } }", None, &views);
    assert_eq!(p.exit, 1);
    assert!(out.contains("step limit reached at t=0: possibly a livelock"), "{out}");
}

#[test]
fn a_loop_without_system_calls_fails_instead_of_hanging() {
    let (code, out) = exit_of("process p { loop { let x = 1 } }");
    assert_eq!(code, 1);
    assert!(out.contains("p failed LimitReached"), "{out}");
}

#[test]
fn exit_2_on_errors_before_the_run() {
    let (code, out) = exit_of("process p { recv nothing -> m }");
    assert_eq!(code, 2);
    assert!(out.starts_with("t.ipc:1:18: unknown name `nothing`"), "{out}");
    assert!(out.contains("1 error found; nothing was run"), "{out}");
}

// ----- robustness --------------------------------------------------------------------------

const SEED_FILE: &str = include_str!("../../scenarios/echo.ipc");

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random text never panics the parser or checker.
    #[test]
    fn random_text_never_panics(src in "\\PC{0,200}") {
        let _ = ipcsim_scenario::load(&src);
    }

    /// A real file cut, spliced and mutated never panics the parser or checker,
    /// and if it still loads, it runs to an exit status.
    #[test]
    fn mutated_files_never_panic(cut in 0usize..700, len in 0usize..40, junk in "[a-z(){}\"#0-9 \n:+,.-]{0,12}") {
        let mut s: String = SEED_FILE.to_string();
        let at = s.char_indices().map(|(i, _)| i).nth(cut % s.chars().count()).unwrap_or(0);
        let end = s[at..].char_indices().map(|(i, _)| at + i).nth(len).unwrap_or(s.len());
        s.replace_range(at..end, &junk);
        if ipcsim_scenario::load(&s).is_ok() {
            // Bounded, so a mutation that makes a long or endless run stays cheap.
            let views = Views { trace: TraceFormat::None, quiet: true, steps_max: Some(100_000), ..Default::default() };
            let (p, _) = run_to_string("m.ipc", &s, None, &views);
            prop_assert!(p.exit == 0 || p.exit == 1);
        }
    }
}

#[test]
fn a_zero_byte_escape_matches_fresh_shared_memory() {
    let (p, out) = run_to_string(
        "t.ipc",
        "shm m size 8\nprocess p caps(m: read+write) {\n    shmat m -> b\n    load m 3 1 -> z\n    expect z == \"\\0\" and \"\\0\".len == 1\n}\nexpect p exited\n",
        None,
        &Views::default(),
    );
    assert_eq!(p.exit, 0, "{out}");
    assert!(out.contains(r#"reads "\0" from m"#), "{out}");
}

#[test]
fn huge_costs_and_computes_saturate_instead_of_overflowing() {
    // Every cost and tick count comes from the file: the kernel must not overflow on any
    // (here 3 bytes x 2 copies x i64::MAX ticks a byte).
    let big = i64::MAX;
    let src = format!(
        "config max_time {big}\nconfig cost copy_per_byte={big}\nmailbox m\nshm s size 8\n\
         process p caps(m: send+recv, s: read+write) {{\n    shmat s -> b\n    load s 0 1 -> x\n    send m \"abc\"\n    recv m -> y\n    compute {big}\n    compute {big}\n}}\n"
    );
    let (code, out) = exit_of(&src);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("max_time reached"), "{out}");
}
