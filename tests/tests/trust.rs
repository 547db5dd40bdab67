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

// ----- hostile input: every limit is an error at a position, never a crash ---

use ipcsim_scenario::limits::*;

/// `LINE:COL: message` of each error, as `check` reports them.
fn errors(src: &str) -> Vec<String> {
    match ipcsim_scenario::load(src) {
        Ok(_) => Vec::new(),
        Err(d) => d.0.iter().map(|e| e.to_string()).collect(),
    }
}

/// The rendered diagnostics a user sees (stderr of `ipcsim check`).
fn rendered(src: &str) -> String {
    match ipcsim_scenario::load(src) {
        Ok(_) => String::new(),
        Err(d) => d.report("t.ipc", src),
    }
}

#[test]
fn blocks_nested_thousands_deep_are_an_error_not_a_stack_overflow() {
    let n = 5000;
    let src = format!("process p {{\n{}{}}}\n", "if true {\n".repeat(n), "}\n".repeat(n));
    let e = errors(&src);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        e[0],
        format!(
            "{}:9: blocks nest deeper than {BLOCK_DEPTH_MAX} here; move the inner part into a program",
            BLOCK_DEPTH_MAX + 1
        )
    );
}

#[test]
fn try_and_else_if_chains_count_as_nesting() {
    let tries = format!("process p {{\n {} send x 1\n}}\n", "try ".repeat(1000));
    assert!(errors(&tries).iter().any(|e| e.contains("blocks nest deeper")));
    let mut chain = String::from("process p {\n if false {\n }");
    for _ in 0..1000 {
        chain.push_str(" else if false {\n }");
    }
    chain.push_str("\n}\n");
    assert!(errors(&chain).iter().any(|e| e.contains("blocks nest deeper")));
}

#[test]
fn deep_or_long_expressions_are_an_error_not_a_stack_overflow() {
    for src in [
        format!("process p {{\n let x = {}1{}\n}}\n", "(".repeat(5000), ")".repeat(5000)),
        format!("process p {{\n let x = {}true\n}}\n", "not ".repeat(30000)),
        format!("process p {{\n let x = 1{}\n}}\n", " + 1".repeat(30000)),
        format!("process p {{\n let x = {}1\n}}\n", "- ".repeat(30000)),
    ] {
        let e = errors(&src);
        assert!(
            e[0].starts_with("2:")
                && e[0].ends_with(&format!(
                    "more than {EXPR_OPERATORS_MAX} operators in one statement; split it with `let`"
                )),
            "{e:?}"
        );
    }
}

#[test]
fn the_deepest_allowed_scenario_checks_and_runs_on_a_small_stack() {
    // The worst a file may nest, inside blocks as deep as allowed, on a
    // 1 MiB thread (half of a test thread's): parser, checker and
    // interpreter need far less than a thread has.
    let depth = BLOCK_DEPTH_MAX as usize - 2;
    let parens = (EXPR_OPERATORS_MAX as usize - 1) / 2;
    let expr = format!("{}1{}", "(-".repeat(parens).replace("-", "- "), ")".repeat(parens));
    let src = format!(
        "process p {{\n{}let x = {expr}\nexpect x == {}\n{}}}\nexpect p exited\n",
        "repeat 1 {\n".repeat(depth),
        if parens.is_multiple_of(2) { "1" } else { "-1" },
        "}\n".repeat(depth)
    );
    let out = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || exit_of(&src))
        .expect("thread")
        .join()
        .expect("no overflow");
    assert_eq!(out.0, 0, "{}", out.1);
}

#[test]
fn a_huge_name_is_an_error_and_the_report_never_panics() {
    let name = "a".repeat(65536);
    let e = errors(&format!("process {name} {{\n}}\n"));
    assert_eq!(
        e,
        vec![format!(
            "1:9: this name is 65536 bytes long; a name holds at most {NAME_BYTES_MAX}"
        )]
    );
    let quoted = format!(
        "program w {{\n}}\nprocess p {{\n spawn w as \"{}\"\n}}\n",
        "b".repeat(70000)
    );
    assert!(errors(&quoted).iter().any(|e| e.contains("a name holds at most")));
    // The longest allowed name runs and is reported.
    let ok = format!("process {} {{\n}}\n", "c".repeat(NAME_BYTES_MAX));
    assert_eq!(exit_of(&ok).0, 0);
}

#[test]
fn a_line_of_junk_gives_one_short_error() {
    let src = "@".repeat(60_000) + "\n";
    let r = rendered(&src);
    assert!(r.len() < 600, "{} bytes of diagnostics", r.len());
    assert!(
        r.starts_with("t.ipc:1:1: 60000 unexpected characters `@@@@@@@@@@…`"),
        "{r}"
    );
}

#[test]
fn a_string_token_in_an_error_is_escaped_and_cut() {
    // Regression (scenario fuzz target): a string with a newline in it, named
    // in "found string ...", split the message over two lines.
    let r = rendered("process p {\n reply 1\"a\\nb\"\n}\n");
    assert!(r.contains(r#"found string "a\nb""#), "{r}");
    let long = format!("process p {{\n reply 1\"{}\"\n}}\n", "x".repeat(5000));
    let r = rendered(&long);
    assert!(r.lines().all(|l| l.chars().count() < 300), "{r}");
    assert!(r.contains(&format!("found string \"{}\"…", "x".repeat(40))), "{r}");
}

#[test]
fn a_file_of_errors_stops_at_the_kept_limit_and_prints_the_first_few() {
    let src = "@ ".repeat(100_000) + "\n" + &"frob\n".repeat(100_000);
    let e = errors(&src);
    assert!(e.len() <= DIAGNOSTICS_KEPT_MAX, "{} errors kept", e.len());
    let r = rendered(&src);
    assert_eq!(r.matches("\n  | ").count(), DIAGNOSTICS_SHOWN_MAX, "{r}");
    assert!(r.contains("more errors not shown"), "{r}");
    assert!(r.contains("at least"), "{r}");
}

#[test]
fn lines_and_strings_past_their_limits_are_errors() {
    let long = format!("process p {{\n let x = \"{}\"\n}}\n", "s".repeat(LINE_BYTES_MAX + 10));
    let e = errors(&long);
    assert!(
        e.iter()
            .any(|e| e.starts_with("2:") && e.contains("a line holds at most")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|e| e.starts_with("2:10:") && e.contains("a string literal holds at most")),
        "{e:?}"
    );
    let fits = format!(
        "process p {{\n let x = \"{}\"\n expect x.len == {STRING_BYTES_MAX}\n}}\n",
        "s".repeat(STRING_BYTES_MAX)
    );
    assert_eq!(exit_of(&fits).0, 0);
}

#[test]
fn cr_only_and_crlf_files_run_as_their_lines_say() {
    // CR-only used to run as an empty scenario and pass.
    let (exit, out) = exit_of("process p {\r expect false\r}\r");
    assert_eq!(exit, 1, "{out}");
    assert!(out.contains("p failed ExpectationFailed"), "{out}");
    assert_eq!(exit_of("process p {\r\n expect true\r\n}\r\nexpect p exited\r\n").0, 0);
    // Positions count a CR or CRLF as one line break.
    assert_eq!(
        errors("endpoint e\r\nprocess p {\r\n frob\r\n}\r\n"),
        vec!["3:2: unknown statement `frob`"]
    );
    assert_eq!(
        errors("endpoint e\rprocess p {\r frob\r}\r"),
        vec!["3:2: unknown statement `frob`"]
    );
    let r = rendered("endpoint e\rprocess p {\r frob\r}\r");
    assert!(r.contains("3 |  frob\n"), "{r}");
}

#[test]
fn invalid_utf8_is_reported_at_its_position() {
    let d = ipcsim_scenario::source::decode(b"process p {\n let s = \"caf\xe9\"\n}\n").unwrap_err();
    assert_eq!(
        d.to_string(),
        "2:14: invalid UTF-8 (byte 0xe9): a scenario file is UTF-8 text"
    );
}

#[test]
fn values_the_kernel_would_refuse_are_refused_at_check_time() {
    assert_eq!(
        errors("pipe p capacity 99999999999"),
        vec!["1:6: a pipe's capacity is 1 to 67108864 bytes"]
    );
    assert_eq!(
        errors("pipe p capacity 0"),
        vec!["1:17: a pipe needs a capacity of at least 1 byte"]
    );
    assert_eq!(
        errors("shm s size 0"),
        vec!["1:12: a segment's size must be between 1 byte and 64 MiB"]
    );
    assert_eq!(
        errors("shm s size 0x10000000"),
        vec!["1:12: a segment's size must be between 1 byte and 64 MiB"]
    );
    assert_eq!(errors("mailbox m capacity 2000000").len(), 1);
    assert_eq!(
        errors("semaphore s value 40000"),
        vec!["1:11: a semaphore's value is at most 32767"]
    );
}

// ----- resource bounds at run time ------------------------------------------

#[test]
fn a_string_that_doubles_for_ever_fails_limit_reached() {
    // It used to take 12 GB in a minute.
    let (exit, out) =
        exit_of("process p {\n let s = \"x\"\n loop {\n  let s = s + s\n }\n}\nexpect p failed LimitReached\n");
    assert_eq!(exit, 0, "{out}");
}

#[test]
fn a_mailbox_flood_stops_at_the_kernel_memory_budget() {
    let (exit, out) = exit_of(
        "mailbox box unbounded\nprocess p caps(box: send) {\n let s = \"x\"\n repeat 19 { let s = s + s }\n \
         loop {\n  send box (s + \"y\")\n }\n}\nexpect p failed LimitReached\n",
    );
    assert_eq!(exit, 0, "{out}");
}

#[test]
fn segments_made_in_a_loop_stop_at_the_kernel_memory_budget() {
    let (exit, out) = exit_of(
        "process p {\n let k = 1\n loop {\n  shmget k size 67108864 create -> c\n  let k = k + 1\n }\n}\n\
         expect p failed LimitReached\n",
    );
    assert_eq!(exit, 0, "{out}");
}

#[test]
fn a_standard_signal_sent_twice_before_its_handler_runs_is_handled_once() {
    // POSIX: a standard signal is a pending bit; real-time ones queue.
    let src = "process target priority 0 {\n let n = 0\n on SIGUSR1 { let n = n + 1 }\n \
               on SIGRTMIN+1 { let n = n + 10 }\n yield\n sleep 1\n expect n == 21\n}\n\
               process sender priority 0 {\n kill target SIGUSR1\n kill target SIGUSR1\n \
               kill target SIGRTMIN+1\n kill target SIGRTMIN+1\n}\nexpect target exited\n";
    let views = Views {
        trace: TraceFormat::Text,
        ..Default::default()
    };
    let (p, out) = run_to_string("t.ipc", src, None, &views);
    assert_eq!(p.exit, 0, "{out}");
    assert!(
        out.contains("gets SIGUSR1 from sender: merged with the one pending"),
        "{out}"
    );
}

#[test]
fn a_polling_loop_with_no_sleep_fails_instead_of_running_for_ever() {
    // Found by the scenario fuzz target: a loop of shared-memory loads (no
    // sleep, no cost model) never returned to the scheduler, so neither the
    // spin limit nor the step limit stopped it.
    let (exit, out) = exit_of(
        "shm box size 8\nprocess spinner caps(box: read+write) {\n shmat box -> b\n loop {\n  load box 0 1 -> f\n  if f == \"A\" { break }\n }\n}\n\
         expect spinner failed LimitReached\n",
    );
    assert_eq!(exit, 0, "{out}");
}

#[test]
fn a_loop_of_calls_that_complete_at_once_meets_the_step_limit() {
    // Found by the scenario fuzz target: a loop reading "" at end of file for
    // ever made call after call without leaving the CPU, so the step limit
    // (counted per scheduling step) never saw it.
    let views = Views {
        trace: TraceFormat::None,
        steps_max: Some(10_000),
        ..Default::default()
    };
    let src = "pipe p\nprocess w caps(p: write) {\n close p\n}\nprocess r priority -1 caps(p: read) {\n loop {\n  read p 1 -> c\n  if c == \"T\" { break }\n }\n}\n";
    let (produced, out) = run_to_string("t.ipc", src, None, &views);
    assert_eq!(produced.exit, 1, "{out}");
    assert!(out.contains("step limit reached"), "{out}");
}

#[test]
fn a_host_left_with_a_system_call_cost_due_does_not_stop_time() {
    // Regression (found by `ipcsim compare`'s socket row, which ran for
    // ever): under a cost model, a process of a named host whose system
    // call's cost was still due when time moved on kept its CPU with the
    // cost never spent, and the scheduler advanced time by zero, for ever.
    let (exit, out) = exit_of(
        "config cost syscall=100 switch=500\nconfig max_time 1000000\n\
         host h {\n\
           process server daemon {\n socket stream -> l\n bind l 7000\n listen l\n accept l -> c\n\
             loop { read c 8 -> d\n write c d }\n}\n\
           process client {\n socket stream -> s\n connect s h 7000\n\
             repeat 3 { sleep 1000\n write s \"ping\"\n read s 8 -> r\n expect r == \"ping\" }\n}\n\
         }\n\
         expect client exited\n",
    );
    assert_eq!(exit, 0, "{out}");
}

#[test]
fn a_negative_receive_size_or_queue_limit_fails_invalid_argument_at_its_position() {
    let (exit, out) = exit_of(
        "msgqueue q\nprocess p caps(q: all) {\n msgsnd q 1 \"abc\"\n\
         try msgrcv q 1 size -1 -> e\n expect e is InvalidArgument\n\
         try msgctl q set bytes -5 -> f\n expect f is InvalidArgument\n\
         msgrcv q 1 size 3 -> m\n expect m == \"abc\"\n}\nexpect p exited\n",
    );
    assert_eq!(exit, 0, "{out}");
}
