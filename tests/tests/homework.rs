//! The language a homework needs (ipcsim extensions): built-in functions of
//! strings and integers, integers in shared memory (`load ... int`,
//! `peek ... int`), and computed FIFO paths and service names; each form,
//! its errors with their positions, and a model-based check of the string
//! built-ins against Rust's own `split`.

use ipcsim_tests::{load_errors as errors, run_traced as run};
use proptest::prelude::*;

/// `body` as the only process, which must exit.
fn passes(body: &str) {
    let src = format!("process p {{\n{body}\n}}\nexpect p exited\n");
    let (exit, out) = run(&src);
    assert_eq!(exit, 0, "{src}\n{out}");
}

/// `body` as the only process: it fails InvalidArgument, and its trace says `why` at LINE:COL.
fn fails_at(body: &str, why: &str) {
    let src = format!("process p {{\n{body}\n}}\nexpect p failed InvalidArgument\n");
    let (exit, out) = run(&src);
    assert_eq!(exit, 0, "{src}\n{out}");
    assert!(out.contains(&format!("print: error at t.ipc:{why}")), "{why}\n{out}");
}

#[test]
fn string_builtins_take_lines_apart() {
    passes(
        r#"    let t = "alice 3\nbob 5\n"
    expect fields(t, "\n") == 3
    expect field(t, "\n", 2) == "bob 5"
    expect field(t, "\n", 3) == ""
    expect field(t, "\n", 9) == ""
    expect field(field(t, "\n", 1), " ", 2) == "3"
    expect fields("", ",") == 0 and field("", ",", 1) == ""
    expect fields("a,,b", ",") == 3 and field("a,,b", ",", 2) == ""
    expect fields("a--b--c", "--") == 3
    expect contains(t, "bob") and not contains(t, "dave") and contains(t, "")
    expect trim(" \t x y \n") == "x y"
    expect int(" -42 ") == -42 and int("+7") == 7 and int(12) == 12
    expect str(42) == "42" and str(true) == "true" and str("s") == "s"
    expect int(str(-9)) + 1 == -8"#,
    );
}

#[test]
fn a_message_s_string_data_is_a_string_argument() {
    let src = r#"mailbox box capacity 1
process a caps(box: send) {
    send box "x 1"
}
process b caps(box: recv) {
    recv box -> m
    expect field(m.data, " ", 2) == "1"
    expect int(field(m, " ", 2)) == 1
}
expect b exited
"#;
    assert_eq!(run(src).0, 0);
}

#[test]
fn builtin_errors_at_run_time_name_the_argument() {
    fails_at(r#"    let x = int("zz")"#, r#"2:17: `int` of "zz": not an integer"#);
    fails_at(
        r#"    let x = int("99999999999999999999")"#,
        "2:17: `int` of \"99999999999999999999\": not an integer",
    );
    fails_at(
        r#"    let x = field("a", "", 1)"#,
        "2:24: `field` needs a separator that is not empty",
    );
    fails_at(r#"    let x = field("a", ",", 0)"#, "2:29: fields count from 1, not 0");
    fails_at(
        r#"    let x = fields(5, ",")"#,
        "2:20: `fields` needs a string here, not an integer",
    );
    fails_at(
        r#"    let x = contains("a", 1)"#,
        "2:27: `contains` needs a string here, not an integer",
    );
    fails_at(r#"    let x = int(true)"#, "2:17: `int` needs a string, not a boolean");
}

#[test]
fn builtin_errors_before_the_run() {
    assert_eq!(
        errors("process p {\n    let x = field(\"a\", \"b\")\n}\n"),
        vec!["2:13: `field` takes 3 arguments (TEXT, SEPARATOR, N), found 2"]
    );
    assert_eq!(
        errors("process p {\n    let x = trim()\n}\n"),
        vec!["2:13: `trim` takes 1 argument (TEXT), found 0"]
    );
    assert_eq!(
        errors("process p {\n    let x = contains (\"a\", \"b\")\n}\n"),
        vec![
            "2:22: expected end of statement, found `(` (a built-in function is called with no space before its `(`: `contains(...)`)"
        ]
    );
    // A variable may still be called `str` or `field`: only `NAME(` is a call.
    passes("    let field = 3\n    expect field + 1 == 4");
}

#[test]
fn integers_round_trip_through_shared_memory() {
    let src = r#"shm s size 24
process w caps(s: read+write) {
    shmat s -> base
    store s 8 -42
    poke (base + 16) 7
}
process r caps(s: read) {
    sleep 1
    shmat s readonly -> base
    load s 8 int -> v
    expect v == -42
    peek (base + 16) int -> u
    expect u == 7
    load s 0 int -> zero
    expect zero == 0
}
expect w exited
expect r exited
"#;
    let (exit, out) = run(src);
    assert_eq!(exit, 0, "{out}");
    // The trace names where each store and load went.
    assert!(out.contains("w            store s 8 -42\n"), "{out}");
    assert!(out.contains("r            load s 8\n"), "{out}");
    assert!(out.contains("r            reads -42 from s\n"), "{out}");
}

#[test]
fn an_integer_load_past_the_end_faults() {
    let src = r#"shm s size 12
process p caps(s: read+write) {
    shmat s -> base
    try load s 8 int -> v
    expect v is SegFault
    try load s -1 int -> u
    expect u is SegFault
}
expect p exited
"#;
    assert_eq!(run(src).0, 0);
}

#[test]
fn paths_and_names_may_be_computed() {
    let src = r#"endpoint svc
process maker caps(svc: send+recv+grant) {
    let dir = "/tmp"
    mkfifo (dir + "/f" + str(1)) mode 0600
    let name = "svc-" + str(2)
    register name svc
}
process user {
    sleep 1
    lookup ("svc-" + "2") -> ep
    expect ep is ok
    try open ("/tmp" + "/f9") read -> missing nowait
    expect missing is NotFound
}
expect maker exited
expect user exited
"#;
    let (exit, out) = run(src);
    assert_eq!(exit, 0, "{out}");
    assert!(out.contains("mkfifo \"/tmp/f1\""), "{out}");
}

#[test]
fn a_path_must_be_a_string() {
    assert_eq!(
        errors("process p {\n    mkfifo 5\n}\n"),
        vec!["2:12: expected a path (a string), found `5`"]
    );
    fails_at(
        "    let n = 5\n    mkfifo n",
        "3:12: a path or name is a string, not an integer",
    );
}

/// Renders `s` as a scenario string literal.
fn lit(s: &str) -> String {
    format!("{s:?}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// `fields` and every `field` agree with Rust's `split` (the reference), for
    /// texts and separators drawn from a small alphabet so that pieces, empty
    /// pieces and separators at the ends all occur.
    #[test]
    fn field_and_fields_match_split(text in "[ab, ]{0,12}", sep in prop::sample::select(vec![",", " ", "ab", ", "])) {
        let want: Vec<&str> = if text.is_empty() { Vec::new() } else { text.split(sep).collect() };
        let mut body = format!("    let t = {}\n    expect fields(t, {}) == {}\n", lit(&text), lit(sep), want.len());
        for i in 0..want.len() + 2 {
            let piece = want.get(i).copied().unwrap_or("");
            body += &format!("    expect field(t, {}, {}) == {}\n", lit(sep), i + 1, lit(piece));
        }
        body += &format!("    expect contains(t, {}) == {}\n", lit(sep), text.contains(sep));
        let src = format!("process p {{\n{body}}}\nexpect p exited\n");
        let (exit, out) = run(&src);
        prop_assert_eq!(exit, 0, "{}\n{}", src, out);
    }

    /// Any integer survives `str` then `int`, and a store then an integer load.
    #[test]
    fn integers_survive_str_int_and_memory(n in any::<i64>(), off in 0i64..9) {
        let src = format!(
            "shm s size 17\nprocess p caps(s: read+write) {{\n    shmat s -> b\n    expect int(str({n})) == {n}\n    store s {off} {n}\n    load s {off} int -> v\n    expect v == {n}\n}}\nexpect p exited\n"
        );
        let (exit, out) = run(&src);
        prop_assert_eq!(exit, 0, "{}\n{}", src, out);
    }
}
