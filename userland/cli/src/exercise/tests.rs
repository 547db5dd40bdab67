//! Every bundled exercise is checked against this build: its starting
//! scenario loads, its answer is graded right, an empty prediction is not,
//! and every single line of the answer, turned into its opposite, makes the
//! prediction wrong (so no answer line is vacuous and none is left unchecked).

use super::catalog::{self, Loaded, Source};
use super::grade::{self, Graded};

fn bundled() -> Vec<Loaded> {
    catalog::all(&Source::Bundled).unwrap_or_else(|e| panic!("{e}"))
}

fn graded(l: &Loaded, predictions: &str) -> Graded {
    let text = format!("{}{predictions}", l.start);
    let answer = ipcsim_scenario::load(&format!("{}{}", l.start, l.ex.answer)).unwrap_or_else(|d| {
        panic!(
            "{}: the answer does not load: {}",
            l.ex.id,
            d.report("answer", &l.ex.answer)
        )
    });
    grade::same_scenario(&l.start, &text).unwrap_or_else(|d| panic!("{}: {}", l.ex.id, d.message));
    grade::grade("t.ipc", &text, &l.ex.seeds, l.ex.every_seed, &answer)
        .unwrap_or_else(|d| panic!("{}: {}", l.ex.id, d.report("t.ipc", &text)))
}

/// The opposite of one answer line: a different ending, the other deadlock
/// verdict, another time, a trace fact negated.
fn opposite(line: &str) -> String {
    let l = line.trim();
    if let Some(rest) = l.strip_prefix("expect no trace ") {
        return format!("expect trace {rest}");
    }
    if let Some(rest) = l.strip_prefix("expect trace ") {
        return format!("expect no trace {rest}");
    }
    if l == "expect deadlock" {
        return "expect no deadlock".into();
    }
    if l == "expect no deadlock" {
        return "expect deadlock".into();
    }
    if let Some(t) = l.strip_prefix("expect now == ") {
        let t: u64 = t.trim().parse().expect("a time");
        return format!("expect now == {}", t + 1);
    }
    if let Some(rest) = l.strip_prefix("expect file ") {
        let name = rest.split_whitespace().next().expect("a file name");
        return format!("expect file {name} == \"not what it holds\"");
    }
    let words: Vec<&str> = l.split_whitespace().collect();
    assert!(words.len() >= 3 && words[0] == "expect", "cannot oppose `{l}`");
    let other = if words[2] == "exited" { "blocked" } else { "exited" };
    format!("expect {} {other}", words[1])
}

#[test]
fn the_bundled_exercises_load_with_unique_ids() {
    let all = bundled();
    assert!(all.len() >= 30, "{} exercises", all.len());
    for l in &all {
        assert!(ipcsim_scenario::load(&l.start).is_ok(), "{}", l.ex.id);
        assert!(!l.ex.answer.trim().is_empty(), "{}: no answer", l.ex.id);
    }
}

#[test]
fn every_answer_is_right_and_no_prediction_is_not() {
    for l in bundled() {
        let g = graded(&l, &l.ex.answer);
        assert!(
            g.right(),
            "{}: the answer is not right: {:?} missing {:?}",
            l.ex.id,
            g.verdicts.iter().filter(|v| !v.holds).collect::<Vec<_>>(),
            g.missing
        );
        let empty = graded(&l, "");
        assert!(
            !empty.right() && !empty.missing.is_empty(),
            "{}: an empty prediction passes",
            l.ex.id
        );
    }
}

#[test]
fn every_answer_line_turned_around_is_wrong() {
    for l in bundled() {
        let lines: Vec<&str> = l.ex.answer.lines().filter(|s| !s.trim().is_empty()).collect();
        for (i, line) in lines.iter().enumerate() {
            let mut changed: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
            changed[i] = opposite(line);
            let g = graded(&l, &(changed.join("\n") + "\n"));
            assert!(
                !g.right(),
                "{}: `{}` turned into `{}` still passes",
                l.ex.id,
                line,
                changed[i]
            );
        }
    }
}

#[test]
fn a_partial_prediction_names_what_is_missing() {
    let l = catalog::find(&Source::Bundled, "ch3-2").expect("ch3-2");
    let g = graded(&l, "expect client failed ExpectationFailed\n");
    assert!(g.verdicts.iter().all(|v| v.holds));
    assert!(!g.right());
    let missing: Vec<String> = g.missing.iter().map(grade::Subject::describe).collect();
    assert_eq!(
        missing,
        [
            "what `client` does and when (expect trace client \"...\" at T)",
            "how `server` ends (expect server exited | failed ERROR | blocked | killed SIGNAL)",
            "when the run ends (expect now == T)",
        ]
    );
}

#[test]
fn a_changed_scenario_is_refused_where_it_changes() {
    let l = catalog::find(&Source::Bundled, "ch3-2").expect("ch3-2");
    let changed = l.start.replacen("sleep 10", "sleep 1", 1);
    let d = grade::same_scenario(&l.start, &changed).expect_err("a change");
    assert!(d.message.contains("has `10` here, not `1`"), "{}", d.message);
    // Comments, blank lines and predictions are not changes.
    let same = format!("# mine\n\n{}\n\n# guesses\nexpect now == 3\n", l.start);
    assert!(grade::same_scenario(&l.start, &same).is_ok());
    let cut = &l.start[..l.start.len() / 2];
    let d = grade::same_scenario(&l.start, cut).expect_err("cut short");
    assert!(d.message.contains("ends before"), "{}", d.message);
}

#[test]
fn the_starting_scenario_keeps_process_expectations_and_drops_scenario_ones() {
    let text = "process p {\n    expect 1 == 1\n}\n\nexpect p exited\n# a comment\nexpect now == 0\n";
    assert_eq!(
        grade::without_expectations(text),
        "process p {\n    expect 1 == 1\n}\n\n# a comment\n"
    );
}

#[test]
fn ids_sort_by_chapter_number() {
    let ids: Vec<String> = bundled().into_iter().map(|l| l.ex.id).collect();
    let pos = |id: &str| ids.iter().position(|i| i == id).unwrap_or_else(|| panic!("{id}"));
    assert!(pos("ch3-1") < pos("ch3-1b") && pos("ch3-1b") < pos("ch3-2"));
    assert!(pos("ch4-1") < pos("ch8-1") && pos("ch8-3") < pos("ch8b-1"));
}

/// The chapter file of an exercise id: `ch3-2` is `docs/guide/03-*.md`, `ch8b-1` is `08b-*`.
fn chapter_file(id: &str) -> std::path::PathBuf {
    let ch = id.trim_start_matches("ch").split('-').next().unwrap_or_default();
    let (num, tail) = ch.split_at(ch.find(|c: char| !c.is_ascii_digit()).unwrap_or(ch.len()));
    let prefix = format!("{:02}{tail}-", num.parse::<u32>().unwrap_or(99));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/guide");
    std::fs::read_dir(&dir)
        .expect("docs/guide")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .unwrap_or_else(|| panic!("{id}: no chapter file {prefix}*.md"))
}

#[test]
fn every_exercise_is_listed_in_its_chapter_and_every_listed_one_exists() {
    let all = bundled();
    let ids: Vec<&str> = all.iter().map(|l| l.ex.id.as_str()).collect();
    for id in &ids {
        let text = std::fs::read_to_string(chapter_file(id)).expect("readable");
        assert!(text.contains(&format!("`{id}`")), "{id} is not listed in its chapter");
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/guide");
    for e in std::fs::read_dir(dir).expect("docs/guide").flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        for piece in text.split('`').skip(1).step_by(2) {
            let is_id = piece.starts_with("ch")
                && piece.contains('-')
                && piece[2..].chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            assert!(
                !is_id || ids.contains(&piece),
                "{}: `{piece}` is no exercise",
                e.path().display()
            );
        }
    }
}
