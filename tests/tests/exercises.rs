//! The guide's exercise answers are checked: each exercise's edit is applied
//! to its bundled scenario (every edit must still find its text, so a changed
//! scenario fails here rather than leaving an answer stale), the variant is
//! run as the answer says (unseeded or with a seed), and its exit status and
//! the lines the answer quotes are compared with what ipcsim does today.

use ipcsim_scenario::cli::{run_to_string, Views};
use ipcsim_tests::root;

/// One exercise's answer, as the guide states it.
struct Answer {
    /// Where the guide asks it.
    at: &'static str,
    scenario: &'static str,
    /// Text replaced, in order: (what, by what); `what` must occur.
    edits: &'static [(&'static str, &'static str)],
    seed: Option<u64>,
    exit: i32,
    /// Lines (or parts of lines) the output must hold.
    shows: &'static [&'static str],
}

const ANSWERS: &[Answer] = &[
    Answer {
        at: "ch3 ex1: the server without priority 1 still runs first",
        scenario: "echo",
        edits: &[(" priority 1 daemon", " daemon")],
        seed: None,
        exit: 0,
        shows: &["     0  server       runs\n     0  server       recv echo"],
    },
    Answer {
        at: "ch3 ex2: a server that sleeps before replying",
        scenario: "echo",
        edits: &[("        reply m.data\n", "        sleep 10\n        reply m.data\n")],
        seed: None,
        exit: 1,
        shows: &[
            "    15  client       times out: TimedOut",
            "run ended at t=15",
            "blocked: sleeps (until t=20)",
        ],
    },
    Answer {
        at: "ch4 ex1: a capacity of 4",
        scenario: "buffers_capacity",
        edits: &[("mailbox two capacity 2\n", "mailbox two capacity 4\n")],
        seed: None,
        exit: 1,
        shows: &["capacity 2 done at 0 |"],
    },
    Answer {
        at: "ch9 ex2: the child keeps its read end",
        scenario: "fork_pipe",
        edits: &[("    close p_read ", "    # close p_read ")],
        seed: None,
        exit: 0,
        shows: &[],
    },
    Answer {
        at: "ch5 ex1: retry_twice with work that fits the first wait",
        scenario: "retry_twice",
        edits: &[("        compute 5 ", "        compute 3 ")],
        seed: None,
        exit: 1,
        shows: &["     3  client       ends: failed ExpectationFailed"],
    },
    Answer {
        at: "ch5 ex3: timeout 0 is nowait",
        scenario: "timeouts",
        edits: &[("-> b timeout 5", "-> b timeout 0")],
        seed: None,
        exit: 1,
        shows: &["     1  hasty        ends: failed ExpectationFailed"],
    },
    Answer {
        at: "ch11 ex1: SIGUSR2's default action",
        scenario: "signals",
        edits: &[("    ignore SIGUSR2\n", "")],
        seed: None,
        exit: 1,
        shows: &[
            "     1  worker       ends: killed SIGUSR2",
            "     2  sender       fails: NotFound",
        ],
    },
    Answer {
        at: "ch11 ex3: SIGKILL cannot be caught",
        scenario: "signals",
        edits: &[("    on SIGUSR1 { send log \"usr1\" }", "    on SIGKILL { }")],
        seed: None,
        exit: 1,
        shows: &["     0  worker       ends: failed InvalidArgument"],
    },
    Answer {
        at: "ch12 ex1: a mutex of value 2 under compute",
        scenario: "semaphore_mutex",
        edits: &[("semaphore lock value 1", "semaphore lock value 2")],
        seed: None,
        exit: 0,
        shows: &["print: entered at 0 5 10"],
    },
    Answer {
        at: "ch12 ex2: the contended workers without the lock",
        scenario: "semaphore_contended",
        edits: &[("    sem_wait lock\n", ""), ("    sem_post lock\n", "")],
        seed: None,
        exit: 1,
        shows: &["print: entered at 0 0 0"],
    },
    Answer {
        at: "ch12 ex2: the contended workers with a lock of value 2",
        scenario: "semaphore_contended",
        edits: &[("semaphore lock value 1", "semaphore lock value 2")],
        seed: None,
        exit: 1,
        shows: &["print: entered at 0 0 5"],
    },
    Answer {
        at: "ch12 ex5: compute instead of sleep, unseeded",
        scenario: "semaphore_deadlock",
        edits: &[
            ("    sleep 1\n", "    compute 2\n"),
            ("    sleep 1\n", "    compute 2\n"),
        ],
        seed: None,
        exit: 1,
        shows: &["deadlocks: none"],
    },
    Answer {
        at: "ch12 ex5: compute instead of sleep, seed 5",
        scenario: "semaphore_deadlock",
        edits: &[
            ("    sleep 1\n", "    compute 2\n"),
            ("    sleep 1\n", "    compute 2\n"),
        ],
        seed: Some(5),
        exit: 0,
        shows: &["DEADLOCK forms"],
    },
    Answer {
        at: "ch12 ex5: compute instead of sleep, seed 9",
        scenario: "semaphore_deadlock",
        edits: &[
            ("    sleep 1\n", "    compute 2\n"),
            ("    sleep 1\n", "    compute 2\n"),
        ],
        seed: Some(9),
        exit: 0,
        shows: &["DEADLOCK forms"],
    },
    Answer {
        at: "ch11 ex7: resethand without nodefer",
        scenario: "signals_reliable",
        edits: &[("resethand nodefer {", "resethand {")],
        seed: None,
        exit: 0,
        shows: &["     6  fragile      ends: killed SIGUSR2"],
    },
    Answer {
        at: "ch11 ex7: neither resethand nor nodefer",
        scenario: "signals_reliable",
        edits: &[(" resethand nodefer {", " {")],
        seed: None,
        exit: 1,
        shows: &["    11  fragile      ends: failed Interrupted"],
    },
];

fn variant(a: &Answer) -> String {
    let path = root().join("scenarios").join(format!("{}.ipc", a.scenario));
    let mut src = std::fs::read_to_string(&path).expect("readable");
    for (what, by) in a.edits {
        assert!(
            src.contains(what),
            "{}: `{what}` is no longer in {}: update the exercise",
            a.at,
            path.display()
        );
        src = src.replacen(what, by, 1);
    }
    src
}

#[test]
fn every_checked_exercise_answer_is_what_ipcsim_does() {
    for a in ANSWERS {
        let src = variant(a);
        let (p, out) = run_to_string(&format!("{}.ipc", a.scenario), &src, a.seed, &Views::default());
        assert_eq!(p.exit, a.exit, "{}: exit status\n{}{out}", a.at, p.diagnostics);
        for line in a.shows {
            assert!(
                out.contains(line),
                "{}: the output does not show `{line}`:\n{out}",
                a.at
            );
        }
    }
}

#[test]
fn an_edit_that_no_longer_applies_is_caught() {
    let stale = Answer {
        at: "planted",
        scenario: "semaphore_mutex",
        edits: &[("semaphore nosuch value 9", "")],
        seed: None,
        exit: 0,
        shows: &[],
    };
    assert!(std::panic::catch_unwind(|| variant(&stale)).is_err());
}
