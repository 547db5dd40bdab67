//! `ipcsim exercise list | show ID | check ID FILE | answer ID`: the guide's
//! predict-then-check exercises, graded. `show` prints a scenario file to
//! copy, with the question in comments; the student adds `expect` lines (how
//! each process ends, `expect deadlock`, `expect now == T`, trace facts);
//! `check` runs it and says which predictions hold and, for each that does
//! not, what happened instead; `answer` shows a right prediction and why.

mod catalog;
mod grade;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use clap::Subcommand;

use catalog::{Loaded, Source};

/// The flags of `ipcsim exercise`.
#[derive(clap::Args)]
pub(crate) struct ExerciseArgs {
    #[command(subcommand)]
    cmd: ExerciseCmd,
    /// Read the exercises of DIR (a teacher's `*.toml` files) instead of the bundled ones.
    #[arg(long, global = true, value_name = "DIR")]
    dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ExerciseCmd {
    /// List the exercises: id, title, scenario.
    List,
    /// Print an exercise as a scenario file to copy: the question in comments, then the scenario.
    Show {
        /// The exercise (`ch3-2`).
        id: String,
    },
    /// Run a copy with your `expect` lines added and grade them.
    Check {
        /// The exercise.
        id: String,
        /// Your copy of `show`'s output, with your predictions.
        file: String,
    },
    /// Show a right prediction, why it is right, and check it against this build.
    Answer {
        /// The exercise.
        id: String,
    },
}

/// Runs `ipcsim exercise ...`; returns the exit status.
pub(crate) fn exercise(args: &ExerciseArgs) -> u8 {
    let src = match &args.dir {
        Some(d) => Source::Dir(d),
        None => Source::Bundled,
    };
    let found = match &args.cmd {
        ExerciseCmd::List => catalog::all(&src).map(|all| {
            list(&all);
            0
        }),
        ExerciseCmd::Show { id } => catalog::find(&src, id).map(|l| {
            print!("{}", show(&l));
            0
        }),
        ExerciseCmd::Check { id, file } => catalog::find(&src, id).map(|l| check(&l, file)),
        ExerciseCmd::Answer { id } => catalog::find(&src, id).map(|l| answer(&l)),
    };
    found.unwrap_or_else(|e| {
        eprintln!("ipcsim exercise: {e}");
        2
    })
}

fn list(all: &[Loaded]) {
    let width = all.iter().map(|l| l.ex.id.len()).max().unwrap_or(0);
    for l in all {
        println!("{:width$}  {}  ({})", l.ex.id, l.ex.title, l.scenario_file);
    }
}

/// The file a student copies: a header in comments, the scenario, a place for predictions.
fn show(l: &Loaded) -> String {
    let mut s = format!("# Exercise {}: {}", l.ex.id, l.ex.title);
    if let Some(src) = &l.ex.source {
        s.push_str(&format!(" ({src})"));
    }
    s.push_str(&format!("\n# Starts from {}", l.scenario_file));
    if !l.ex.edit.is_empty() {
        s.push_str(", changed as the question says");
    }
    s.push_str(".\n#\n");
    for line in l.ex.question.trim_end().lines() {
        s.push_str(format!("# {line}").trim_end());
        s.push('\n');
    }
    if !l.ex.seeds.is_empty() {
        let seeds: Vec<String> = l.ex.seeds.iter().map(u64::to_string).collect();
        let which = if l.ex.every_seed { "every one" } else { "one" };
        s.push_str(&format!(
            "#\n# Several schedules count: a prediction is right if it holds under {which} of seeds {}\n# (`ipcsim run FILE --seed N` runs one).\n",
            seeds.join(", ")
        ));
    }
    s.push_str(&format!(
        "#\n# Predict, then check: add `expect` lines at the end of this file\n\
         #   expect NAME exited | NAME failed ERROR | NAME blocked | NAME killed SIGNAL\n\
         #   expect deadlock | expect no deadlock\n\
         #   expect now == T\n\
         #   expect trace NAME \"TEXT\" [at T]    (TEXT as the trace prints it)\n\
         # and run: ipcsim exercise check {} FILE\n\n",
        l.ex.id
    ));
    s.push_str(&l.start);
    s.push_str("\n# Your predictions:\n");
    s
}

/// Grades `file` against the exercise; prints each verdict. 0 right, 1 not (yet), 2 bad input.
fn check(l: &Loaded, file: &str) -> u8 {
    let Some(src) = crate::read(file) else {
        return 2;
    };
    if let Err(d) = ipcsim_scenario::load(&src) {
        eprint!("{}", d.report(file, &src));
        return 2;
    }
    if let Err(d) = grade::same_scenario(&l.start, &src) {
        eprint!("{}", ipcsim_scenario::Diagnostics(vec![d]).report(file, &src));
        return 2;
    }
    let Some(g) = graded(l, file, &src) else {
        return 2;
    };
    println!("exercise {}: {}", l.ex.id, l.ex.title);
    print!("{}", verdict_lines(l, &g));
    let (right, total) = (g.verdicts.iter().filter(|v| v.holds).count(), g.verdicts.len());
    if g.right() {
        println!("right: all {total} predictions hold");
        return 0;
    }
    let mut summary = format!("{right} of {total} predictions hold");
    if !g.missing.is_empty() {
        summary.push_str(&format!("; {} still to predict", g.missing.len()));
    }
    println!(
        "{summary} (`ipcsim exercise answer {}` shows one right answer)",
        l.ex.id
    );
    1
}

/// Grades `src`; a failure here is a broken exercise, reported as one.
fn graded(l: &Loaded, file: &str, src: &str) -> Option<grade::Graded> {
    let answer = answer_scenario(l)?;
    match grade::grade(file, src, &l.ex.seeds, l.ex.every_seed, &answer) {
        Ok(g) => Some(g),
        Err(d) => {
            eprint!("{}", d.report(file, src));
            None
        }
    }
}

/// The starting scenario with the answer's lines: parsed, for the answer's subjects.
fn answer_scenario(l: &Loaded) -> Option<ipcsim_scenario::ast::Scenario> {
    let text = format!("{}{}", l.start, l.ex.answer);
    match ipcsim_scenario::load(&text) {
        Ok(sc) => Some(sc),
        Err(d) => {
            eprint!(
                "ipcsim exercise: {}: the answer does not load:\n{}",
                l.ex.id,
                d.report("answer", &text)
            );
            None
        }
    }
}

fn verdict_lines(l: &Loaded, g: &grade::Graded) -> String {
    let mut s = String::new();
    match (g.seed, l.ex.every_seed) {
        (Some(seed), false) => s.push_str(&format!(
            "judged against the run with seed {seed} (of {} that count)\n",
            l.ex.seeds.len()
        )),
        (Some(seed), true) => s.push_str(&format!(
            "judged against every one of {} seeded runs; shown: seed {seed}, the one that agrees least\n",
            l.ex.seeds.len()
        )),
        (None, _) => {}
    }
    for v in &g.verdicts {
        if v.holds {
            s.push_str(&format!("  right    expect {}\n", v.text));
        } else {
            s.push_str(&format!("  WRONG    expect {} (found: {})\n", v.text, v.found));
        }
    }
    for m in &g.missing {
        s.push_str(&format!("  missing  {}\n", m.describe()));
    }
    s
}

/// Prints one right prediction and why, checked against this build: 0 if it holds, 1 if not.
fn answer(l: &Loaded) -> u8 {
    println!("exercise {}: {}", l.ex.id, l.ex.title);
    println!("\nA right prediction:");
    for line in l.ex.answer.trim_end().lines() {
        println!("    {line}");
    }
    println!("\nWhy:");
    for line in l.ex.why.trim_end().lines() {
        println!("    {line}");
    }
    let text = format!("{}{}", l.start, l.ex.answer);
    let Some(g) = graded(l, &format!("{}.answer", l.ex.id), &text) else {
        return 2;
    };
    if g.right() {
        println!("\nChecked: it holds in this build of ipcsim.");
        0
    } else {
        println!(
            "\nThis answer no longer holds in this build (report it):\n{}",
            verdict_lines(l, &g)
        );
        1
    }
}
