//! The guide stays true to the tool: every Mermaid diagram embedded in
//! `docs/guide/*.md` is (a leading excerpt of) the diagram that `ipcsim run
//! scenarios/NAME.ipc --mermaid` draws today, unseeded or with `--seed 0`.
//! When a view changes, regenerate the block from the scenario it shows.

use std::path::Path;

use ipcsim_scenario::cli::{run_to_string, TraceFormat, Views};
use ipcsim_tests::{bundled_scenarios, files, root};

/// Every bundled scenario's diagram, unseeded and with seed 0, by name.
fn diagrams() -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for p in bundled_scenarios() {
        let name = format!("scenarios/{}", p.file_name().and_then(|n| n.to_str()).expect("name"));
        let src = std::fs::read_to_string(&p).expect("readable");
        for seed in [None, Some(0)] {
            let views = Views {
                trace: TraceFormat::None,
                quiet: true,
                mermaid: true,
                ..Views::default()
            };
            let (produced, _) = run_to_string(&name, &src, seed, &views);
            let lines = produced
                .mermaid
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect();
            out.push((format!("{name} (seed {seed:?})"), lines));
        }
    }
    out
}

/// The Mermaid blocks of one Markdown file.
fn blocks(md: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(md).expect("readable");
    let mut out = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for line in text.lines() {
        match (&mut cur, line) {
            (None, "```mermaid") => cur = Some(Vec::new()),
            (Some(_), "```") => out.extend(cur.take()),
            (Some(b), l) => b.push(l.to_string()),
            (None, _) => {}
        }
    }
    out
}

#[test]
fn every_embedded_diagram_is_what_its_scenario_draws_today() {
    let drawn = diagrams();
    let mut checked = 0;
    for md in files(&root().join("docs/guide"), "md") {
        for block in blocks(&md) {
            let found = drawn
                .iter()
                .any(|(_, d)| d.len() >= block.len() && d[..block.len()] == block[..]);
            assert!(
                found,
                "{}: a Mermaid block starting {:?} matches no scenario's diagram: regenerate it",
                md.display(),
                block.iter().take(4).collect::<Vec<_>>()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} diagrams found in the guide");
}

/// Every timeline or report line of every bundled scenario, under the runs the
/// guide shows: unseeded, seeds 0, 1 and 5, seed 0 with `--kill-random --fault-steps 20`,
/// and seed 5 with `--drop-random --fault-steps 8`.
fn trace_lines() -> std::collections::BTreeSet<String> {
    let mut all = std::collections::BTreeSet::new();
    for p in bundled_scenarios() {
        let name = format!("scenarios/{}", p.file_name().and_then(|n| n.to_str()).expect("name"));
        let src = std::fs::read_to_string(&p).expect("readable");
        let kill = ipcsim_kernel::Faults {
            kill_random: true,
            delay: 0,
            within: 20,
            ..Default::default()
        };
        let drop = ipcsim_kernel::Faults {
            drop_datagram: true,
            within: 8,
            ..Default::default()
        };
        for (seed, faults) in [
            (None, Default::default()),
            (Some(0), Default::default()),
            (Some(1), Default::default()),
            (Some(5), Default::default()),
            (Some(0), kill),
            (Some(5), drop),
        ] {
            let views = Views {
                faults,
                ..Views::default()
            };
            let (_, out) = run_to_string(&name, &src, seed, &views);
            all.extend(out.lines().map(|l| l.trim_end().to_string()));
        }
    }
    all
}

/// A line of the text timeline (`  TIME  PROCESS  what`) or of the report's counters.
fn is_trace_line(l: &str) -> bool {
    let t = l.trim_start();
    let indent = l.len() - t.len();
    let timeline = indent <= 6
        && t.split_once("  ").is_some_and(|(time, rest)| {
            !time.is_empty() && time.bytes().all(|b| b.is_ascii_digit()) && !rest.trim().is_empty()
        });
    timeline || l.starts_with("counters: ")
}

#[test]
fn every_trace_line_in_the_docs_is_one_ipcsim_prints_today() {
    let all = trace_lines();
    let mut checked = 0;
    let mut docs = files(&root().join("docs/guide"), "md");
    docs.extend([root().join("docs/cli.md"), root().join("docs/scenario-language.md")]);
    for md in docs {
        let text = std::fs::read_to_string(&md).expect("readable");
        let mut in_code = false;
        for (i, line) in text.lines().enumerate() {
            if line.starts_with("```") {
                in_code = !in_code;
                continue;
            }
            if in_code && is_trace_line(line) {
                assert!(
                    all.contains(line.trim_end()),
                    "{}:{}: `{line}` is not a line ipcsim prints for any bundled scenario: regenerate the excerpt",
                    md.display(),
                    i + 1
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 50, "only {checked} trace lines found in the docs");
}

/// The scenario blocks of the docs (fenced with no language or `ipc`, holding
/// a `process`, `program` or `host` declaration), each with its first line.
fn scenario_blocks(md: &Path) -> Vec<(usize, Vec<String>)> {
    let text = std::fs::read_to_string(md).expect("readable");
    let mut out = Vec::new();
    let mut cur: Option<(usize, bool, Vec<String>)> = None;
    for (i, line) in text.lines().enumerate() {
        match &mut cur {
            None if line.starts_with("```") => {
                let tag = line.trim_start_matches('`').trim();
                cur = Some((i + 2, tag.is_empty() || tag == "ipc", Vec::new()));
            }
            Some((start, plain, b)) if line.trim() == "```" => {
                let declares = b.iter().any(|l| {
                    let w = l.split_whitespace().next().unwrap_or("");
                    matches!(w, "process" | "program" | "host") && l.split_whitespace().count() > 1
                });
                if *plain && declares {
                    out.push((*start, std::mem::take(b)));
                }
                cur = None;
            }
            Some((_, _, b)) => b.push(line.to_string()),
            None => {}
        }
    }
    out
}

/// A scenario file without its header comment (what the guide shows of it).
fn body_lines(src: &str) -> Vec<String> {
    src.lines()
        .skip_while(|l| l.starts_with('#') || l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Every scenario shown in the docs is whole and true: pasted into a file
/// alone it parses and checks (a block that lost its first declaration fails
/// here), and in the guide, whose chapters show bundled scenarios, it is a run
/// of consecutive lines of one, so it shows what the file says today. Schemas
/// of the syntax are fenced `text`.
#[test]
fn every_scenario_block_in_the_docs_checks_and_is_part_of_a_bundled_file() {
    let bodies: Vec<(String, Vec<String>)> = bundled_scenarios()
        .into_iter()
        .map(|p| {
            let src = std::fs::read_to_string(&p).expect("readable");
            (p.display().to_string(), body_lines(&src))
        })
        .collect();
    // A planted loss of a first declaration is caught (the test can fail).
    assert!(ipcsim_scenario::load("process p caps(lost: recv) {\n    recv lost\n}\n").is_err());
    let mut mds = files(&root().join("docs/guide"), "md");
    mds.extend(files(&root().join("docs"), "md"));
    mds.push(root().join("README.md"));
    let mut checked = 0;
    for md in mds {
        for (line, block) in scenario_blocks(&md) {
            let src = block.join("\n") + "\n";
            if let Err(e) = ipcsim_scenario::load(&src) {
                panic!(
                    "{}:{line}: the scenario block does not check on its own (pasted into a file, it exits 2):\n{}",
                    md.display(),
                    e.0.first().map(|d| d.message.clone()).unwrap_or_default()
                );
            }
            let in_guide = md.parent().is_some_and(|d| d.ends_with("guide"));
            let found = !in_guide
                || bodies
                    .iter()
                    .any(|(_, b)| b.windows(block.len()).any(|w| w == &block[..]));
            assert!(
                found,
                "{}:{line}: the scenario block is not a run of lines of any bundled scenario: copy it again from its file",
                md.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} scenario blocks found in the docs");
}
