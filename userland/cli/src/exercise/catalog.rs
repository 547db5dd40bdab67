//! The exercise catalogue: exercise files (TOML, `[[exercise]]` tables) read
//! from the bundled `exercises/` or a teacher's `--dir`, each checked when it
//! is read (unique id, a scenario that exists, edits that still apply), and
//! the starting scenario an exercise gives a student.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// One exercise file: a list of exercises.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    exercise: Vec<Exercise>,
}

/// One predict-then-check exercise, as a teacher writes it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Exercise {
    /// `chN-M` for the guide's; any name of letters, digits, `-` and `_`.
    pub id: String,
    /// One line.
    pub title: String,
    /// Where it is asked (`guide chapter 3, exercise 2`).
    #[serde(default)]
    pub source: Option<String>,
    /// A bundled scenario's name, or (in a `--dir`) a path relative to the exercise file.
    pub scenario: String,
    /// Changes made to the scenario before the student sees it, in order.
    #[serde(default)]
    pub edit: Vec<Edit>,
    /// The runs a prediction is judged against: seeded runs (a prediction is
    /// right when it holds in one of them: any of several valid outcomes), or
    /// one unseeded run when empty.
    #[serde(default)]
    pub seeds: Vec<u64>,
    /// A prediction must hold in every one of `seeds`, not just one (for
    /// claims such as "no schedule changes the outcome").
    #[serde(default)]
    pub every_seed: bool,
    /// What the student is asked.
    pub question: String,
    /// A right prediction: `expect` lines. Every subject it names (how a
    /// process ends, deadlock, the end time, a file, a process's events)
    /// must be predicted by the student too.
    pub answer: String,
    /// Why the answer is what it is.
    pub why: String,
}

/// Text replaced in the scenario: `find` must occur.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Edit {
    pub find: String,
    pub replace: String,
}

/// An exercise with its starting scenario, ready to show or grade.
#[derive(Clone, Debug)]
pub(crate) struct Loaded {
    pub ex: Exercise,
    /// The scenario file's name, for messages (`echo.ipc`).
    pub scenario_file: String,
    /// The scenario with the edits made and its scenario-level `expect`
    /// lines taken out (they would give the answer away).
    pub start: String,
}

/// Where exercises come from.
pub(crate) enum Source<'a> {
    /// The ones bundled into the binary (the guide's).
    Bundled,
    /// A teacher's directory of `*.toml` files.
    Dir(&'a Path),
}

/// Reads every exercise, in id order. An error names the file (and, for
/// TOML, the line and column with a caret) and the exercise.
pub(crate) fn all(src: &Source) -> Result<Vec<Loaded>, String> {
    let mut files: Vec<(String, String, Option<PathBuf>)> = Vec::new();
    match src {
        Source::Bundled => {
            for (stem, text) in bundled::EXERCISES {
                files.push((format!("exercises/{stem}.toml"), (*text).to_string(), None));
            }
        }
        Source::Dir(dir) => {
            let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: cannot read: {e}", dir.display()))?;
            let mut paths: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
            paths.retain(|p| p.extension().is_some_and(|e| e == "toml"));
            paths.sort();
            for p in paths {
                let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
                files.push((p.display().to_string(), text, p.parent().map(Path::to_path_buf)));
            }
            if files.is_empty() {
                return Err(format!("{}: no exercise files (*.toml) here", dir.display()));
            }
        }
    }
    let mut by_id: BTreeMap<String, Loaded> = BTreeMap::new();
    for (name, text, base) in files {
        let file: File = toml::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
        for ex in file.exercise {
            let id = ex.id.clone();
            let loaded = load(ex, base.as_deref()).map_err(|e| format!("{name}: exercise {id}: {e}"))?;
            if by_id.insert(id.clone(), loaded).is_some() {
                return Err(format!("{name}: exercise {id}: this id is used twice"));
            }
        }
    }
    let mut v: Vec<Loaded> = by_id.into_values().collect();
    v.sort_by_key(|a| order_key(&a.ex.id));
    Ok(v)
}

/// Sorts `ch3-10` after `ch3-9` and `ch10-1` after `ch9-1`: digit runs compare as numbers.
fn order_key(id: &str) -> Vec<(u64, String)> {
    let mut key = Vec::new();
    let mut rest = id;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits > 0 {
            key.push((rest[..digits].parse().unwrap_or(u64::MAX), String::new()));
            rest = &rest[digits..];
        } else {
            let text = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
            key.push((0, rest[..text].to_string()));
            rest = &rest[text..];
        }
    }
    key
}

/// The exercise of that id.
pub(crate) fn find(src: &Source, id: &str) -> Result<Loaded, String> {
    let all = all(src)?;
    match all.iter().position(|l| l.ex.id == id) {
        Some(i) => Ok(all[i].clone()),
        None => Err(format!(
            "no exercise is called `{id}` (`ipcsim exercise list` shows the {} there are)",
            all.len()
        )),
    }
}

/// Checks an exercise and builds its starting scenario.
fn load(ex: Exercise, base: Option<&Path>) -> Result<Loaded, String> {
    if ex.id.is_empty() || !ex.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err("an id is letters, digits, `-` and `_`".into());
    }
    if ex.every_seed && ex.seeds.is_empty() {
        return Err("`every_seed` needs the `seeds` it applies to".into());
    }
    let (scenario_file, mut text) = scenario_text(&ex.scenario, base)?;
    for (i, e) in ex.edit.iter().enumerate() {
        if e.find.is_empty() || !text.contains(&e.find) {
            return Err(format!(
                "edit {}: {:?} is not in {scenario_file} (was the scenario changed?)",
                i + 1,
                e.find
            ));
        }
        text = text.replacen(&e.find, &e.replace, 1);
    }
    let start = super::grade::without_expectations(&text);
    if let Err(d) = ipcsim_scenario::load(&start) {
        return Err(format!(
            "the starting scenario does not load:\n{}",
            d.report(&scenario_file, &start)
        ));
    }
    Ok(Loaded {
        ex,
        scenario_file,
        start,
    })
}

/// The text of an exercise's scenario: bundled by name, or a path under `base`.
fn scenario_text(name: &str, base: Option<&Path>) -> Result<(String, String), String> {
    let stem = name.strip_suffix(".ipc").unwrap_or(name);
    if let Some(base) = base {
        let p = base.join(name);
        if let Ok(t) = std::fs::read_to_string(&p) {
            return Ok((p.display().to_string(), t));
        }
    }
    match bundled::SCENARIOS.iter().find(|(s, _)| *s == stem) {
        Some((_, t)) => Ok((format!("{stem}.ipc"), (*t).to_string())),
        None => Err(format!(
            "no scenario `{name}` (neither beside the exercise file nor bundled)"
        )),
    }
}
