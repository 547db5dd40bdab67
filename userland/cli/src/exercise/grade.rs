//! Grading a prediction: the student's file must be the exercise's starting
//! scenario plus scenario-level `expect` lines (comments and blank lines
//! aside); it is run in each of the exercise's runs, and judged against the
//! run that agrees with most of it. Every subject of the exercise's answer
//! must be predicted, so an empty or partial prediction cannot pass.

use std::collections::BTreeSet;

use ipcsim_scenario::ast::{Scenario, TopExpect};
use ipcsim_scenario::lexer::{lex, Tok, Token};
use ipcsim_scenario::run::{RunOptions, Verdict};
use ipcsim_scenario::{Diagnostic, Diagnostics};

/// The token ranges of the scenario-level `expect` statements: those at
/// brace depth 0 that begin a line, up to and including their newline.
fn expectation_ranges(toks: &[Token]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let starts_line = i == 0 || toks[i - 1].tok == Tok::Newline;
        match &toks[i].tok {
            Tok::Sym("{") => depth += 1,
            Tok::Sym("}") => depth = depth.saturating_sub(1),
            Tok::Ident(w) if w == "expect" && depth == 0 && starts_line => {
                let end = toks[i..]
                    .iter()
                    .position(|t| matches!(t.tok, Tok::Newline | Tok::Eof))
                    .map_or(toks.len(), |n| i + n + 1);
                ranges.push(i..end);
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    ranges
}

/// `text` without its scenario-level `expect` lines (and without the blank
/// lines that end the file after them): the scenario a student starts from.
pub(crate) fn without_expectations(text: &str) -> String {
    let (toks, _) = lex(text);
    let mut cut: BTreeSet<u32> = BTreeSet::new();
    for r in expectation_ranges(&toks) {
        let first = toks[r.start].span.line;
        let last = toks[r.end.min(toks.len()) - 1].span.line;
        cut.extend(first..=last);
    }
    let mut out = String::new();
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if !cut.contains(&(n as u32 + 1)) {
            out.push_str(line);
        }
    }
    let kept = out.trim_end().len();
    out.truncate(kept);
    out.push('\n');
    out
}

/// The tokens of everything but the scenario-level expectations, with runs
/// of newlines folded to one (blank lines and comments do not count).
fn body_tokens(text: &str) -> Vec<Token> {
    let (toks, _) = lex(text);
    let cut = expectation_ranges(&toks);
    let mut out: Vec<Token> = Vec::new();
    for (i, t) in toks.into_iter().enumerate() {
        if cut.iter().any(|r| r.contains(&i)) {
            continue;
        }
        let blank = t.tok == Tok::Newline && out.last().is_none_or(|p| p.tok == Tok::Newline);
        if !blank {
            out.push(t);
        }
    }
    out
}

/// Checks that `student` is `start` plus predictions; if not, a diagnostic
/// at the first place where it differs.
pub(crate) fn same_scenario(start: &str, student: &str) -> Result<(), Diagnostic> {
    let (want, got) = (body_tokens(start), body_tokens(student));
    // Both end with an end-of-file token, so the first difference is always found.
    let Some((w, g)) = want.iter().zip(&got).find(|(w, g)| w.tok != g.tok) else {
        return Ok(());
    };
    let message = if g.tok == Tok::Eof {
        format!(
            "the file ends before the exercise's scenario does (next: {}): start again from `ipcsim exercise show`",
            w.tok.describe()
        )
    } else {
        format!(
            "the exercise's scenario has {} here, not {}: change only the `expect` lines at the end",
            w.tok.describe(),
            g.tok.describe()
        )
    };
    Err(Diagnostic::new(g.span, message))
}

/// What a prediction is about. An answer's subjects must all be predicted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Subject {
    /// How a process ends.
    Ending(String),
    /// Whether a deadlock forms.
    Deadlock,
    /// When the run ends.
    Now,
    /// A file's contents.
    File(String),
    /// An event of a process (or of any process, None), and whether its time is asked.
    Trace(Option<String>, bool),
}

impl Subject {
    /// Whether a student's prediction about `self` answers the answer's `want`.
    fn covers(&self, want: &Subject) -> bool {
        match (self, want) {
            (Subject::Trace(p, at), Subject::Trace(wp, wat)) => (wp.is_none() || p == wp) && (*at || !*wat),
            _ => self == want,
        }
    }

    /// How a missing subject is named to the student.
    pub(crate) fn describe(&self) -> String {
        match self {
            Subject::Ending(p) => {
                format!("how `{p}` ends (expect {p} exited | failed ERROR | blocked | killed SIGNAL)")
            }
            Subject::Deadlock => "whether a deadlock forms (expect deadlock | expect no deadlock)".into(),
            Subject::Now => "when the run ends (expect now == T)".into(),
            Subject::File(f) => format!("what file `{f}` holds (expect file {f} == \"...\")"),
            Subject::Trace(Some(p), true) => format!("what `{p}` does and when (expect trace {p} \"...\" at T)"),
            Subject::Trace(Some(p), false) => format!("what `{p}` does (expect trace {p} \"...\")"),
            Subject::Trace(None, true) => "what happens and when (expect trace \"...\" at T)".into(),
            Subject::Trace(None, false) => "what happens (expect trace \"...\")".into(),
        }
    }
}

/// The subjects of a scenario's expectations, in order, each once.
pub(crate) fn subjects(sc: &Scenario) -> Vec<Subject> {
    let mut v: Vec<Subject> = Vec::new();
    for e in &sc.expects {
        let s = match e {
            TopExpect::Proc { name, .. } => Subject::Ending(name.name.clone()),
            TopExpect::Deadlock(..) => Subject::Deadlock,
            TopExpect::Now { .. } => Subject::Now,
            TopExpect::File { name, .. } => Subject::File(name.name.clone()),
            TopExpect::Trace(f) => Subject::Trace(f.proc.as_ref().map(|p| p.name.clone()), f.at.is_some()),
        };
        if !v.contains(&s) {
            v.push(s);
        }
    }
    v
}

/// A graded prediction.
pub(crate) struct Graded {
    /// The run judged against: its seed, if seeded.
    pub seed: Option<u64>,
    /// Each prediction's verdict, in the file's order.
    pub verdicts: Vec<Verdict>,
    /// Subjects of the answer that no prediction names.
    pub missing: Vec<Subject>,
}

impl Graded {
    /// Right: every prediction holds and none is missing.
    pub(crate) fn right(&self) -> bool {
        self.missing.is_empty() && !self.verdicts.is_empty() && self.verdicts.iter().all(|v| v.holds)
    }
}

/// Runs `src` (already known to be the exercise's scenario plus predictions)
/// in each of `seeds` (one unseeded run if none) and grades it against the
/// run in which most predictions hold, or, with `every`, fewest (the first
/// such run on a tie).
pub(crate) fn grade(
    file: &str,
    src: &str,
    seeds: &[u64],
    every: bool,
    answer: &Scenario,
) -> Result<Graded, Diagnostics> {
    let sc = std::rc::Rc::new(ipcsim_scenario::load(src)?);
    let runs: Vec<Option<u64>> = if seeds.is_empty() {
        vec![None]
    } else {
        seeds.iter().copied().map(Some).collect()
    };
    let mut best: Option<(usize, Option<u64>, Vec<Verdict>)> = None;
    for seed in runs {
        let opts = RunOptions {
            seed,
            steps_max: Some(ipcsim_scenario::cli::STEPS_MAX_DEFAULT),
            ..Default::default()
        };
        let (outcome, _) = ipcsim_scenario::run(sc.clone(), file, &opts, None);
        let holding = outcome.verdicts.iter().filter(|v| v.holds).count();
        let better = |b: &(usize, _, _)| if every { holding < b.0 } else { holding > b.0 };
        if best.as_ref().is_none_or(better) {
            best = Some((holding, seed, outcome.verdicts));
        }
    }
    let (_, seed, verdicts) = best.unwrap_or_default();
    let predicted = subjects(&sc);
    let missing = subjects(answer)
        .into_iter()
        .filter(|want| !predicted.iter().any(|p| p.covers(want)))
        .collect();
    Ok(Graded {
        seed,
        verdicts,
        missing,
    })
}
