//! The `ipcsim` binary end to end: exit statuses, diagnostics on stderr,
//! output files, `check`, `explore` and its replay command.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ipcsim"))
}

fn scenario(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(name);
    p.to_string_lossy().into_owned()
}

/// Runs the binary, checks its exit status, and returns its stdout.
fn expect_exit(args: &[&str], code: i32) -> String {
    let out = bin().args(args).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ipcsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d.join(name)
}

#[test]
fn run_exits_0_and_prints_trace_then_report() {
    let out = bin().args(["run", &scenario("echo.ipc")]).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("runs (control-flow transfer from client)"), "{s}");
    assert!(s.contains("== report =="), "{s}");
}

#[test]
fn run_exits_1_on_an_unexpected_deadlock() {
    let f = tmp("dl.ipc");
    std::fs::write(&f, "endpoint a\nendpoint b\nprocess x caps(a: recv, b: send) { send b 1 }\nprocess y caps(b: recv, a: send) { send a 1 }\n").expect("write");
    let out = bin()
        .args(["run", f.to_str().expect("path"), "--trace", "none"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("deadlock at t=0"));
}

#[test]
fn errors_go_to_stderr_with_file_line_col_and_exit_2() {
    let f = tmp("bad.ipc");
    std::fs::write(&f, "process p {\n    let x = (1 + 2))\n}\n").expect("write");
    let out = bin().args(["run", f.to_str().expect("path")]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("bad.ipc:2:20: expected end of statement, found `)`"), "{e}");
    assert!(e.contains("let x = (1 + 2))"), "{e}");
    let missing = bin().args(["run", "/nonexistent/x.ipc"]).output().expect("runs");
    assert_eq!(missing.status.code(), Some(2));
    let usage = bin().args(["run"]).output().expect("runs");
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn json_trace_is_json_lines_only() {
    let out = bin()
        .args(["run", &scenario("echo.ipc"), "--trace", "json"])
        .output()
        .expect("runs");
    let s = String::from_utf8_lossy(&out.stdout);
    for l in s.lines() {
        assert!(l.starts_with('{') && l.ends_with('}'), "not a JSON object line: {l}");
    }
    assert!(s.lines().last().is_some_and(|l| l.contains("\"event\":\"report\"")));
}

#[test]
fn quiet_prints_nothing_and_files_are_written() {
    let (m, c) = (tmp("echo.mmd"), tmp("echo.json"));
    let out = bin()
        .args([
            "run",
            &scenario("echo.ipc"),
            "--quiet",
            "--mermaid",
            m.to_str().expect("p"),
            "--chrome",
            c.to_str().expect("p"),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert!(std::fs::read_to_string(&m)
        .expect("mermaid written")
        .starts_with("sequenceDiagram"));
    assert!(std::fs::read_to_string(&c)
        .expect("chrome written")
        .contains("traceEvents"));
}

#[test]
fn check_reports_every_file() {
    let bad = tmp("bad2.ipc");
    std::fs::write(&bad, "process p { recv q -> m }\n").expect("write");
    let ok = bin()
        .args(["check", &scenario("echo.ipc"), &scenario("pipeline.ipc")])
        .output()
        .expect("runs");
    assert_eq!(ok.status.code(), Some(0));
    let mixed = bin()
        .args(["check", &scenario("echo.ipc"), bad.to_str().expect("p")])
        .output()
        .expect("runs");
    assert_eq!(mixed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&mixed.stdout).contains("echo.ipc: ok"));
}

#[test]
fn explore_finds_the_race_and_its_replay_reproduces_it() {
    let file = scenario("race_order.ipc");
    let out = bin()
        .args(["explore", &file, "--runs", "200", "--jobs", "2"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let s = String::from_utf8_lossy(&out.stdout);
    let replay = s
        .lines()
        .find_map(|l| l.strip_prefix("replay: "))
        .expect("a replay command");
    let seed = replay.rsplit(' ').next().expect("seed");
    // The replay fails the same way, byte for byte, every time.
    let a = bin().args(["run", &file, "--seed", seed]).output().expect("runs");
    let b = bin().args(["run", &file, "--seed", seed]).output().expect("runs");
    assert_eq!(a.status.code(), Some(1));
    assert_eq!(a.stdout, b.stdout);
    // The same exploration reports the same seed whatever the thread count.
    let one = bin()
        .args(["explore", &file, "--runs", "200", "--jobs", "1"])
        .output()
        .expect("runs");
    assert_eq!(
        one.stdout.split(|c| *c == b'(').next(),
        out.stdout.split(|c| *c == b'(').next()
    );
    // And a correct scenario passes.
    let fine = bin()
        .args(["explore", &scenario("echo.ipc"), "--runs", "50"])
        .output()
        .expect("runs");
    assert_eq!(fine.status.code(), Some(0));
}

#[test]
fn help_exists_for_every_command() {
    for cmd in [
        vec!["--help"],
        vec!["run", "--help"],
        vec!["check", "--help"],
        vec!["explore", "--help"],
        vec!["compare", "--help"],
    ] {
        let out = bin().args(&cmd).output().expect("runs");
        assert_eq!(out.status.code(), Some(0), "{cmd:?}");
        assert!(!out.stdout.is_empty());
    }
}

#[test]
fn explore_with_pct_prints_a_replay_that_reproduces_the_failure() {
    let file = scenario("race_order.ipc");
    let out = bin()
        .args(["explore", &file, "--runs", "100", "--strategy", "pct", "--depth", "2"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let s = String::from_utf8_lossy(&out.stdout);
    let replay = s
        .lines()
        .find_map(|l| l.strip_prefix("replay: ipcsim "))
        .expect("a replay command");
    assert!(replay.contains("--strategy pct --depth 2"), "{replay}");
    let args: Vec<&str> = replay.split(' ').collect();
    let r = bin().args(&args).output().expect("runs");
    assert_eq!(r.status.code(), Some(1), "the replay fails the same way");
}

#[test]
fn explore_finds_each_documented_bug_and_passes_each_fix() {
    let kill: &[&str] = &["--kill-random", "--fault-steps", "20"];
    let delay: &[&str] = &["--delay", "10", "--fault-steps", "10"];
    for (buggy, fixed, flags) in [
        ("explore_lock_order.ipc", "explore_lock_order_fixed.ipc", &[][..]),
        ("lost_wakeup.ipc", "lost_wakeup_fixed.ipc", &[][..]),
        ("kill_lost_replies.ipc", "kill_lost_replies_fixed.ipc", kill),
        ("tight_timeout.ipc", "tight_timeout_fixed.ipc", delay),
        ("host_race.ipc", "host_race_fixed.ipc", &[][..]),
        (
            "dns_query.ipc",
            "dns_query_fixed.ipc",
            &["--drop-random", "--fault-steps", "8"][..],
        ),
    ] {
        // Without a seed both pass: the bug hides.
        for f in [buggy, fixed] {
            let plain = bin().args(["run", &scenario(f), "--quiet"]).output().expect("runs");
            assert_eq!(plain.status.code(), Some(0), "{f} unseeded");
        }
        // The documented budget (200 runs) finds the bug; the fix survives 10,000 schedules.
        let (b, f) = (scenario(buggy), scenario(fixed));
        expect_exit(&[&["explore", &b, "--runs", "200"], flags].concat(), 1);
        expect_exit(&[&["explore", &f, "--runs", "10000"], flags].concat(), 0);
    }
}

#[test]
fn explore_prints_a_shrunk_schedule_that_replays_byte_for_byte() {
    let file = scenario("explore_lock_order.ipc");
    let out = bin().args(["explore", &file, "--runs", "200"]).output().expect("runs");
    let s = String::from_utf8_lossy(&out.stdout);
    let line = s
        .lines()
        .find(|l| l.starts_with("shrunk to "))
        .expect("a shrunk schedule");
    let sched = line.rsplit(' ').next().expect("schedule string");
    let a = bin().args(["run", &file, "--schedule", sched]).output().expect("runs");
    let b = bin().args(["run", &file, "--schedule", sched]).output().expect("runs");
    assert_eq!(a.status.code(), Some(1), "the shrunk schedule still fails");
    assert_eq!(a.stdout, b.stdout);
    // A schedule is refused for another scenario rather than replaying something else.
    let other = bin()
        .args(["run", &scenario("echo.ipc"), "--schedule", sched])
        .output()
        .expect("runs");
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("recorded for another version of the scenario"));
}

#[test]
fn a_dash_writes_the_diagram_to_stdout() {
    let out = bin()
        .args(["run", &scenario("echo.ipc"), "--quiet", "--mermaid", "-"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("sequenceDiagram\n"));
    let chrome = bin()
        .args(["run", &scenario("echo.ipc"), "--quiet", "--chrome", "-"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&chrome.stdout).starts_with("{\"displayTimeUnit\""));
}

#[test]
fn compare_writes_the_table_the_chart_and_the_scenarios() {
    let svg = tmp("compare.svg");
    let md = tmp("compare.md");
    let dir = tmp("emitted");
    let out = bin()
        .args([
            "compare",
            "--sizes",
            "8,1024",
            "--rounds",
            "3",
            "--intervals",
            "100,10000",
            "--svg",
            svg.to_str().expect("path"),
            "--markdown",
            md.to_str().expect("path"),
            "--emit",
            dir.to_str().expect("path"),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let table = std::fs::read_to_string(&md).expect("markdown");
    assert!(table.contains("| endpoint | 8 B | - |"), "{table}");
    assert!(table.contains("| shm-polling | 1 KiB | 1000 |"), "{table}");
    assert!(table.contains("the poll interval at 64 B"), "{table}");
    let chart = std::fs::read_to_string(&svg).expect("svg");
    assert!(chart.starts_with("<svg") && chart.trim_end().ends_with("</svg>"));
    for m in [
        "endpoint",
        "mailbox",
        "msgqueue",
        "pipe",
        "shm-polling",
        "socket",
        "socket-link",
    ] {
        assert!(chart.contains(m), "legend lacks {m}");
        // Each emitted scenario runs and passes on its own.
        let f = dir.join(format!("{m}-1024.ipc"));
        expect_exit(&["run", f.to_str().expect("path"), "--trace", "none"], 0);
    }
}

#[test]
fn compare_refuses_bad_arguments_with_exit_2() {
    for args in [
        vec!["compare", "--mechanisms", "tcp"],
        vec!["compare", "--link-latency", "0"],
        vec!["compare", "--cost", "syscall=x"],
        vec!["compare", "--rounds", "0"],
        vec!["compare", "--sizes", "2000000"],
        vec!["compare", "--sizes", "0,8"],
        vec!["compare", "--intervals", "0,10"],
    ] {
        let out = bin().args(&args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn the_guide_embeds_the_current_comparison() {
    let svg = tmp("guide-compare.svg");
    let table = expect_exit(&["compare", "--svg", svg.to_str().expect("path")], 0);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/guide");
    let ch1 = std::fs::read_to_string(root.join("01-shared-memory.md")).expect("chapter 1");
    let ch2 = std::fs::read_to_string(root.join("02-kernel-messages.md")).expect("chapter 2");
    for line in table.lines().filter(|l| l.starts_with("| ")) {
        // The main table is in chapter 2, the poll sweep in chapter 1; regenerate both with
        // `cargo run --release -- compare` if the model changes.
        assert!(
            ch1.contains(line) || ch2.contains(line),
            "docs/guide lacks the row `{line}`"
        );
    }
    let drawn = std::fs::read(&svg).expect("svg");
    let embedded = std::fs::read(root.join("img/compare.svg")).expect("docs/guide/img/compare.svg");
    assert!(
        drawn == embedded,
        "docs/guide/img/compare.svg is stale: cargo run --release -- compare --svg docs/guide/img/compare.svg"
    );
}

#[test]
fn dfs_finds_the_bug_covers_the_fix_and_is_deterministic() {
    let buggy = scenario("explore_lock_order.ipc");
    let s = expect_exit(&["explore", &buggy, "--strategy", "dfs"], 1);
    let replay = s.lines().find(|l| l.starts_with("replay: ")).expect("replay line");
    let sched = replay.rsplit(' ').next().expect("schedule");
    // The reported schedule fails on replay.
    expect_exit(&["run", &buggy, "--schedule", sched, "--quiet"], 1);
    let fixed = scenario("explore_lock_order_fixed.ipc");
    let dfs = ["explore", &fixed, "--strategy", "dfs", "--preemptions", "4"];
    let one = expect_exit(&[&dfs[..], &["--jobs", "1"]].concat(), 0);
    let two = expect_exit(&[&dfs[..], &["--jobs", "2"]].concat(), 0);
    assert_eq!(one, two, "thread count must not change the output");
    assert!(one.contains("was covered"), "{one}");
    // A budget too small to cover the space says so.
    let short = expect_exit(&[&dfs[..], &["--runs", "10"]].concat(), 0);
    assert!(short.contains("NOT covered"), "{short}");
}

#[test]
fn kill_random_replays_exactly_and_excuses_only_the_victim() {
    let file = scenario("kill_lost_replies.ipc");
    let s = expect_exit(&["explore", &file, "--kill-random", "--fault-steps", "20"], 1);
    let replay = s.lines().find(|l| l.starts_with("replay: ")).expect("replay line");
    let args: Vec<&str> = replay.trim_start_matches("replay: ipcsim ").split(' ').collect();
    let a = bin().args(&args).output().expect("runs");
    let b = bin().args(&args).output().expect("runs");
    assert_eq!(a.status.code(), Some(1));
    assert_eq!(a.stdout, b.stdout, "byte for byte");
    let t = String::from_utf8_lossy(&a.stdout);
    assert!(t.contains("FAULT injected: killed (--kill-random)"), "{t}");
    assert!(
        t.contains("excused expect") && t.contains("by an injected fault"),
        "{t}"
    );
    assert!(t.contains("DEADLOCK forms"), "the survivors hang: {t}");
    // Faults need a schedule to draw from.
    let plain = bin().args(["run", &file, "--kill-random"]).output().expect("runs");
    assert_eq!(plain.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&plain.stderr).contains("--seed"));
}

#[test]
fn a_delay_stalls_one_process_at_one_step() {
    let file = scenario("timeouts.ipc");
    let out = bin()
        .args(["run", &file, "--seed", "3", "--delay", "7", "--fault-steps", "3"])
        .output()
        .expect("runs");
    let t = String::from_utf8_lossy(&out.stdout);
    assert_eq!(t.matches("FAULT injected: stalls 7 ticks (--delay)").count(), 1, "{t}");
}

#[test]
fn the_same_seed_gives_the_same_json_trace_in_two_processes() {
    for f in [
        "explore_lock_order.ipc",
        "race_order.ipc",
        "kill_lost_replies.ipc",
        "socket_echo.ipc",
        "socket_partition.ipc",
        "udp_retry.ipc",
        "host_race.ipc",
    ] {
        let file = scenario(f);
        let args = [
            "run",
            &file,
            "--seed",
            "7",
            "--trace",
            "json",
            "--kill-random",
            "--fault-steps",
            "10",
        ];
        let a = bin().args(args).output().expect("runs");
        let b = bin().args(args).output().expect("runs");
        assert!(!a.stdout.is_empty());
        assert_eq!(a.stdout, b.stdout, "{f}: two processes, one seed, one trace");
        // Every line is JSON.
        for line in String::from_utf8_lossy(&a.stdout).lines() {
            assert!(line.starts_with('{') && line.ends_with('}'), "{line}");
        }
    }
}

#[test]
fn explore_reports_a_run_over_max_steps_as_a_possible_livelock() {
    let f = tmp("spin.ipc");
    std::fs::write(&f, "process spinner {\n    loop {\n        yield\n    }\n}\n").expect("write");
    let file = f.to_str().expect("path");
    for strategy in ["random", "dfs"] {
        let out = bin()
            .args([
                "explore",
                file,
                "--runs",
                "3",
                "--max-steps",
                "5000",
                "--strategy",
                strategy,
            ])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{strategy}");
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(s.contains("possibly a livelock"), "{s}");
        // The replay keeps the bound, so it stops where the explorer stopped.
        let replay = s.lines().find(|l| l.starts_with("replay: ")).expect("replay");
        assert!(replay.ends_with("--max-steps 5000"), "{replay}");
    }
}

/// Seeds at the top of the range: the explorer runs each seed below 2^64 - 1
/// once and stops (its seed counter once wrapped round to 0 and ran on).
#[test]
fn explore_at_the_top_of_the_seed_range_stops() {
    let start = (u64::MAX - 20).to_string();
    for jobs in ["1", "2"] {
        let out = expect_exit(
            &[
                "explore",
                &scenario("echo.ipc"),
                "--seed-start",
                &start,
                "--runs",
                "1000",
                "--jobs",
                jobs,
            ],
            0,
        );
        assert!(out.contains("20 schedules explored"), "{out}");
    }
}

/// A scenario that fails under every schedule (two processes that never end:
/// `max_time`) shrinks to the plain schedule, in one re-run. The shrinker
/// used to turn its ~1,000 preemptions back one at a time, 500 re-runs at
/// most, and printed a schedule of hundreds of choices.
#[test]
fn explore_shrinks_a_failure_of_every_schedule_to_no_preemption() {
    let file = tmp("never_ends.ipc");
    std::fs::write(
        &file,
        "config max_time 2000\nprocess a { loop { sleep 1 } }\nprocess b { loop { sleep 1 } }\n",
    )
    .expect("write");
    let file = file.to_string_lossy().into_owned();
    let out = expect_exit(&["explore", &file, "--runs", "1", "--jobs", "1"], 1);
    assert!(out.contains("max_time reached"), "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("shrunk to "))
        .expect("a shrunk schedule");
    assert!(line.starts_with("shrunk to 0 non-default choice(s)"), "{line}");
    let sched = line.rsplit(' ').next().expect("schedule string");
    let replay = bin().args(["run", &file, "--schedule", sched]).output().expect("runs");
    assert_eq!(replay.status.code(), Some(1), "the plain schedule fails too");
}

/// Zero steps, a PCT depth of 0 or 0 PCT steps mean nothing: refused with
/// exit 2 and a message, rather than run (a run of 0 steps "failed" at once).
#[test]
fn run_and_explore_refuse_zero_limits_with_exit_2() {
    let echo = scenario("echo.ipc");
    for args in [
        vec!["run", &echo, "--max-steps", "0"],
        vec!["explore", &echo, "--max-steps", "0"],
        vec!["explore", &echo, "--strategy", "pct", "--depth", "0"],
        vec!["run", &echo, "--seed", "1", "--strategy", "pct", "--pct-steps", "0"],
    ] {
        let out = bin().args(&args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("invalid value '0'"),
            "{args:?}"
        );
    }
}

#[test]
fn a_shrunk_schedule_fails_the_same_way_as_the_run_it_shrinks() {
    // Issue 21: under --kill-random the shrunk schedule moved the kill to the
    // first step, where it struck another process: another failure than the
    // one reported.
    let file = scenario("kill_lost_replies.ipc");
    let faults = ["--kill-random", "--fault-steps", "20"];
    let out = expect_exit(&[&["explore", &file, "--jobs", "1"][..], &faults].concat(), 1);
    let line = out
        .lines()
        .find(|l| l.starts_with("shrunk to "))
        .expect("a shrunk schedule");
    assert!(line.contains("failing the same way"), "{line}");
    let sched = line
        .split("--schedule ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .expect("schedule");
    let seed = out
        .lines()
        .find_map(|l| l.strip_prefix("seed ").and_then(|r| r.split(' ').next()))
        .expect("a failing seed");
    let facts = |args: &[&str]| -> Vec<String> {
        let o = bin().args(args).output().expect("runs");
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.contains("FAULT injected") || l.starts_with("  FAILED") || l.starts_with("  cycle"))
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
            .collect()
    };
    let found = facts(&[&["run", &file, "--seed", seed][..], &faults].concat());
    let shrunk = facts(&[&["run", &file, "--schedule", sched][..], &faults].concat());
    assert!(!found.is_empty());
    assert_eq!(found, shrunk, "the shrunk schedule fails differently");
}

#[test]
fn explore_says_which_network_faults_struck_and_warns_of_one_that_never_did() {
    let fixed = scenario("dns_query_fixed.ipc");
    let out = expect_exit(
        &[
            "explore",
            &fixed,
            "--runs",
            "200",
            "--drop-random",
            "--reorder-random",
            "9",
            "--fault-steps",
            "8",
        ],
        0,
    );
    assert!(out.contains("fault --drop-random struck in "), "{out}");
    assert!(out.contains("fault --reorder-random struck in "), "{out}");
    // A scenario with no link has nothing to cut: the flag tested nothing, and says so.
    let out = expect_exit(
        &[
            "explore",
            &scenario("echo.ipc"),
            "--runs",
            "20",
            "--partition-random",
            "5",
        ],
        0,
    );
    assert!(
        out.contains("warning: fault --partition-random never struck in 20 runs"),
        "{out}"
    );
}

#[test]
fn a_network_fault_found_by_explore_replays_from_its_seed_and_its_schedule() {
    let file = scenario("dns_query.ipc");
    let out = expect_exit(&["explore", &file, "--drop-random", "--fault-steps", "8"], 1);
    assert!(out.contains("fault: dropped a datagram"), "{out}");
    for line in out.lines() {
        let Some(cmd) = line.split("ipcsim run ").nth(1) else {
            continue;
        };
        let args: Vec<&str> = cmd.split_whitespace().collect();
        let replay = expect_exit(&[&["run"][..], &args].concat(), 1);
        assert!(replay.contains("an injected fault (--drop-random)"), "{cmd}: {replay}");
        let again = expect_exit(&[&["run"][..], &args].concat(), 1);
        assert_eq!(replay, again, "{cmd}: byte for byte");
    }
}

/// The classroom view of echo.ipc, byte for byte (UPDATE_GOLDEN=1 to accept a
/// deliberate change; `make check-html` checks it in a real browser).
#[test]
fn html_page_matches_its_golden() {
    let page = tmp("echo.html");
    let p = page.to_string_lossy().into_owned();
    expect_exit(&["run", &scenario("echo.ipc"), "--quiet", "--html", &p], 0);
    let got = std::fs::read_to_string(&page)
        .expect("written")
        .replace(&scenario("echo.ipc"), "scenarios/echo.ipc");
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/echo.html");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &got).expect("golden writable");
    }
    let want = std::fs::read_to_string(&golden).unwrap_or_default();
    assert!(
        got == want,
        "the page differs from tests/golden/echo.html (UPDATE_GOLDEN=1 to accept)"
    );
}

#[test]
fn html_of_a_file_that_does_not_load_exits_2() {
    let bad = tmp("bad.ipc");
    std::fs::write(&bad, "process p {\n    sned x\n}\n").expect("writable");
    let out = bin()
        .args([
            "run",
            &bad.to_string_lossy(),
            "--html",
            &tmp("bad.html").to_string_lossy(),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(!tmp("bad.html").exists());
}
