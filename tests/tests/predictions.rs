//! The prediction forms of scenario-level `expect`: the time the run ends
//! (`expect now == T`) and trace facts (`expect [no] trace [PROC] "TEXT" [at T]`),
//! their errors before the run, and what a failed one says happened instead.

use ipcsim_scenario::cli::{run_to_string, TraceFormat, Views};

fn errors(src: &str) -> Vec<String> {
    match ipcsim_scenario::load(src) {
        Ok(_) => Vec::new(),
        Err(d) => d.0.iter().map(|e| e.to_string()).collect(),
    }
}

/// Runs `src` (report only) and returns its exit status and the report's expectation lines.
fn verdicts(src: &str) -> (i32, Vec<String>) {
    let views = Views {
        trace: TraceFormat::None,
        ..Default::default()
    };
    let (p, out) = run_to_string("t.ipc", src, None, &views);
    assert_eq!(p.diagnostics, "", "{src}");
    let lines = out
        .lines()
        .skip_while(|l| *l != "expectations:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().to_string())
        .collect();
    (p.exit, lines)
}

/// The echo of the guide's chapter 3, with a server too slow for the second call's timeout.
const SLOW_ECHO: &str = "endpoint echo
process server priority 1 daemon caps(echo: recv) {
    loop {
        recv echo -> m
        sleep 10
        reply m.data
    }
}
process client caps(echo: send) {
    call echo \"hello\" -> r
    try call echo \"late\" -> r2 timeout 5
    expect r2 is ok
}
expect client failed ExpectationFailed
";

#[test]
fn now_compares_the_time_the_run_ended() {
    let src = format!("{SLOW_ECHO}expect now == 15\nexpect now >= 15\nexpect now != 3\n");
    assert_eq!(verdicts(&src).0, 0);
    let src = format!("{SLOW_ECHO}expect now < 15\n");
    assert_eq!(
        verdicts(&src),
        (
            1,
            vec![
                "ok      expect client failed ExpectationFailed".into(),
                "FAILED  expect now < 15 (found: the run ended at t=15)".into()
            ]
        )
    );
}

#[test]
fn a_trace_fact_holds_at_its_time_and_says_when_it_happened_instead() {
    let src = format!(
        "{SLOW_ECHO}expect trace client \"times out: TimedOut\" at 15\nexpect trace server \"reply\"\nexpect no trace client \"PeerDied\"\nexpect trace \"server       blocks\"\n"
    );
    let (exit, v) = verdicts(&src);
    assert_eq!(exit, 1, "{v:?}");
    assert_eq!(v[1], "ok      expect trace client \"times out: TimedOut\" at 15");
    assert_eq!(v[2], "ok      expect trace server \"reply\"");
    assert_eq!(v[3], "ok      expect no trace client \"PeerDied\"");
    // Without a process, a fact reads the process's name first, one space apart (not the trace's columns).
    assert_eq!(
        v[4],
        "FAILED  expect trace \"server       blocks\" (found: no such event; the last of any process, at t=15: client ends: failed ExpectationFailed)"
    );
    let src = format!("{SLOW_ECHO}expect trace client \"times out\" at 14\nexpect no trace server \"reply\" at 10\nexpect trace server \"sleeps\" at 10\nexpect trace \"client starts\"\n");
    let (_, v) = verdicts(&src);
    assert_eq!(
        v[1],
        "FAILED  expect trace client \"times out\" at 14 (found: at t=15 instead: times out: TimedOut)"
    );
    assert_eq!(
        v[2],
        "FAILED  expect no trace server \"reply\" at 10 (found: at t=10: reply \"hello\")"
    );
    assert_eq!(v[3], "ok      expect trace server \"sleeps\" at 10");
    assert_eq!(v[4], "ok      expect trace \"client starts\"");
}

#[test]
fn a_fact_with_no_such_event_quotes_the_process_at_that_time_or_its_last_event() {
    let src = format!("{SLOW_ECHO}expect trace server \"flies\" at 0\nexpect trace client \"flies\"\n");
    let (_, v) = verdicts(&src);
    assert!(
        v[1].starts_with(
            "FAILED  expect trace server \"flies\" at 0 (found: no such event; at t=0, server: starts; runs; recv echo"
        ),
        "{}",
        v[1]
    );
    assert_eq!(
        v[2],
        "FAILED  expect trace client \"flies\" (found: no such event; the last of client, at t=15: ends: failed ExpectationFailed)"
    );
}

#[test]
fn a_fact_naming_a_program_matches_its_instances() {
    let src = "program w { exit }
process boss { spawn w\nspawn w }
expect trace w \"ends: exited\"
expect no trace boss \"ends: failed\"
";
    assert_eq!(verdicts(src).0, 0);
}

#[test]
fn a_process_named_now_or_trace_is_still_an_outcome() {
    let src = "process now { exit }\nprocess trace { exit }\nexpect now exited\nexpect trace exited\n";
    assert_eq!(
        verdicts(src),
        (
            0,
            vec!["ok      expect now exited".into(), "ok      expect trace exited".into()]
        )
    );
}

#[test]
fn prediction_errors_name_their_position() {
    assert_eq!(
        errors("process p { exit }\nexpect now == x"),
        vec!["2:15: expected a time (an integer), found `x`"]
    );
    assert_eq!(
        errors("process p { exit }\nexpect now == -1"),
        vec!["2:15: a time (an integer) must not be negative"]
    );
    assert_eq!(
        errors("process p { exit }\nexpect trace ghost \"x\""),
        vec!["2:14: no process or program is named `ghost`"]
    );
    assert_eq!(
        errors("process p { exit }\nexpect trace p \"\""),
        vec!["2:16: an empty text matches every event: write what the event says"]
    );
    assert_eq!(
        errors("process p { exit }\nexpect trace p \"x\" at"),
        vec!["2:22: expected a time (an integer), found end of line"]
    );
    assert_eq!(
        errors("process p { exit }\nexpect no trace p 3"),
        vec!["2:19: expected the text of an event, in quotes, found `3`"]
    );
}

#[test]
fn a_fact_costs_no_change_to_the_trace() {
    let views = Views::default();
    let (_, plain) = run_to_string("t.ipc", SLOW_ECHO, None, &views);
    let with = format!("{SLOW_ECHO}expect trace client \"times out\"\n");
    let (_, facts) = run_to_string("t.ipc", &with, None, &views);
    let cut = |s: &str| s.split("\n== report ==").next().unwrap_or_default().to_string();
    assert_eq!(cut(&plain), cut(&facts));
}
