//! `ipcsim exercise` end to end: the bundled catalogue, a student's round
//! (show, predict, check, answer) against golden output, bad input (exit 2
//! with a position), and a teacher's own directory of exercises.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ipcsim"))
}

/// Runs the binary; returns (exit status, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ipcsim-exercise-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d.join(name)
}

/// Compares `got` with `tests/golden/NAME` (rewritten under UPDATE_GOLDEN=1).
fn golden(name: &str, got: &str) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(p.parent().expect("dir")).expect("golden dir");
        std::fs::write(&p, got).expect("golden writable");
    }
    let want = std::fs::read_to_string(&p).unwrap_or_default();
    assert_eq!(
        got, want,
        "{name} differs (UPDATE_GOLDEN=1 to accept, then read the diff)"
    );
}

/// `show ID` written to a file with `predictions` appended; returns its path.
fn copy_with(id: &str, predictions: &str) -> String {
    let (code, shown, err) = run(&["exercise", "show", id]);
    assert_eq!(code, 0, "{err}");
    let p = tmp(&format!("{id}-{}.ipc", predictions.len()));
    std::fs::write(&p, format!("{shown}{predictions}")).expect("writable");
    p.display().to_string()
}

#[test]
fn list_names_every_chapter() {
    let (code, out, _) = run(&["exercise", "list"]);
    assert_eq!(code, 0);
    assert!(out.lines().count() >= 40, "{out}");
    for ch in [
        "ch0-", "ch1-", "ch2-", "ch3-", "ch4-", "ch5-", "ch6-", "ch7-", "ch8-", "ch8b-",
    ] {
        assert!(out.lines().any(|l| l.starts_with(ch)), "no exercise of {ch}");
    }
    for ch in ["ch9-", "ch10-", "ch11-", "ch12-", "ch13-", "ch14-", "ch15-"] {
        assert!(out.lines().any(|l| l.starts_with(ch)), "no exercise of {ch}");
    }
}

#[test]
fn a_students_round_show_check_answer() {
    let (_, shown, _) = run(&["exercise", "show", "ch3-2"]);
    golden("ch3-2.show.txt", &shown);
    // Nothing predicted: not right, and every subject named.
    let empty = copy_with("ch3-2", "");
    let (code, out, _) = run(&["exercise", "check", "ch3-2", &empty]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("missing  when the run ends (expect now == T)"), "{out}");
    // Half right: each wrong one says what happened instead.
    let some = copy_with(
        "ch3-2",
        "expect client failed TimedOut\nexpect server blocked\nexpect now == 20\nexpect trace client \"times out\" at 10\n",
    );
    let (code, out, _) = run(&["exercise", "check", "ch3-2", &some]);
    assert_eq!(code, 1, "{out}");
    golden("ch3-2.check-wrong.txt", &out.replace(&some, "FILE"));
    // The answer's own lines pass.
    let (code, answer, _) = run(&["exercise", "answer", "ch3-2"]);
    assert_eq!(code, 0, "{answer}");
    golden("ch3-2.answer.txt", &answer);
    let lines: String = answer
        .lines()
        .skip_while(|l| !l.starts_with("A right prediction"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    let right = copy_with("ch3-2", &lines);
    let (code, out, _) = run(&["exercise", "check", "ch3-2", &right]);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("right: all 4 predictions hold\n"), "{out}");
}

#[test]
fn a_seeded_exercise_judges_against_its_runs() {
    let p = copy_with(
        "ch12-5b",
        "expect deadlock\nexpect left blocked\nexpect right blocked\nexpect now == 4\n",
    );
    let (code, out, _) = run(&["exercise", "check", "ch12-5b", &p]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("judged against the run with seed 5 (of 2 that count)"),
        "{out}"
    );
    // Unseeded, the same change has no deadlock: the unseeded exercise says so.
    let p = copy_with("ch12-5", "expect deadlock\nexpect left blocked\nexpect right blocked\n");
    let (code, out, _) = run(&["exercise", "check", "ch12-5", &p]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("WRONG    expect deadlock (found: no deadlock)"), "{out}");
}

#[test]
fn bad_input_exits_2_with_a_position() {
    let (code, _, err) = run(&["exercise", "show", "ch99-1"]);
    assert_eq!(code, 2);
    assert!(err.contains("no exercise is called `ch99-1`"), "{err}");
    let (_, shown, _) = run(&["exercise", "show", "ch3-2"]);
    let changed = tmp("changed.ipc");
    std::fs::write(&changed, shown.replacen("sleep 10", "sleep 1", 1)).expect("writable");
    let (code, _, err) = run(&["exercise", "check", "ch3-2", &changed.display().to_string()]);
    assert_eq!(code, 2);
    assert!(err.contains("has `10` here, not `1`") && err.contains('^'), "{err}");
    let broken = tmp("broken.ipc");
    std::fs::write(&broken, format!("{shown}expect now == soon\n")).expect("writable");
    let (code, _, err) = run(&["exercise", "check", "ch3-2", &broken.display().to_string()]);
    assert_eq!(code, 2);
    assert!(err.contains("expected a time (an integer), found `soon`"), "{err}");
    let (code, _, err) = run(&["exercise", "check", "ch3-2", "/nonexistent/x.ipc"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
}

const TEACHER: &str = r#"
[[exercise]]
id = "ring-1"
title = "Who ends last?"
scenario = "ring.ipc"
edit = [
    { find = "repeat 2", replace = "repeat 3" },
    { find = "repeat 2", replace = "repeat 3" },
]
question = "The token goes round three times. Who ends last, and when?"
answer = """
expect trace a "ends: exited" at 3
expect b exited
"""
why = "b answers at once; a sleeps a tick after each answer: 3 ticks."
"#;

const RING: &str = "mailbox to_a unbounded\nmailbox to_b unbounded\n\
process a caps(to_a: recv, to_b: send) {\n    repeat 2 {\n        send to_b \"t\"\n        recv to_a -> m\n        sleep 1\n    }\n}\n\
process b caps(to_b: recv, to_a: send) {\n    repeat 2 {\n        recv to_b -> m\n        send to_a m.data\n    }\n}\n\
expect a exited\n";

#[test]
fn a_teachers_directory_of_exercises() {
    let dir = tmp("teacher");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("ring.ipc"), RING).expect("writable");
    std::fs::write(dir.join("ring.toml"), TEACHER).expect("writable");
    let d = dir.display().to_string();
    let (code, out, err) = run(&["exercise", "--dir", &d, "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("ring-1  Who ends last?  ("), "{out}");
    let (code, out, err) = run(&["exercise", "--dir", &d, "answer", "ring-1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Checked: it holds in this build"), "{out}");
    // The starting scenario has the edit and no scenario-level expect.
    let (_, shown, _) = run(&["exercise", "--dir", &d, "show", "ring-1"]);
    assert!(
        shown.contains("repeat 3") && !shown.contains("\nexpect a exited"),
        "{shown}"
    );

    // A teacher's mistakes name the file and what is wrong.
    std::fs::write(dir.join("ring.toml"), TEACHER.replace("repeat 2", "repeat 9")).expect("w");
    let (code, _, err) = run(&["exercise", "--dir", &d, "list"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("ring.toml: exercise ring-1: edit 1: \"repeat 9\" is not in"),
        "{err}"
    );
    std::fs::write(dir.join("ring.toml"), TEACHER.replace("title =", "titel =")).expect("w");
    let (code, _, err) = run(&["exercise", "--dir", &d, "list"]);
    assert_eq!(code, 2);
    assert!(err.contains("ring.toml: TOML parse error at line 4"), "{err}");
    std::fs::write(dir.join("ring.toml"), format!("{TEACHER}{TEACHER}")).expect("w");
    let (code, _, err) = run(&["exercise", "--dir", &d, "list"]);
    assert_eq!(code, 2);
    assert!(err.contains("exercise ring-1: this id is used twice"), "{err}");
}
