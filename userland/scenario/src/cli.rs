//! Running a scenario file the way `ipcsim run` does, writing its views: the
//! one place where the trace, the report and the diagrams are put together, so
//! the command line and the golden tests print exactly the same bytes.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use ipcsim_kernel::{Event, Kernel};

use crate::{chrome, json, mermaid, text, RunOptions};

/// What to print on the main output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TraceFormat {
    /// A readable timeline, then the report.
    #[default]
    Text,
    /// JSON Lines: one object per event, then the report object.
    Json,
    /// The report only.
    None,
}

/// Views to produce.
#[derive(Clone, Debug, Default)]
pub struct Views {
    /// Main output format.
    pub trace: TraceFormat,
    /// Print nothing on the main output.
    pub quiet: bool,
    /// Build a Mermaid diagram.
    pub mermaid: bool,
    /// Build a Chrome trace.
    pub chrome: bool,
    /// Process steps after which the run stops as a possible livelock
    /// (default [`STEPS_MAX_DEFAULT`]).
    pub steps_max: Option<u64>,
    /// How a seeded scheduler uses its seed.
    pub strategy: ipcsim_kernel::Strategy,
    /// Replay these scheduler choices (from `--schedule`).
    pub replay: Option<Vec<u32>>,
    /// Faults to inject (`--kill-random`, `--delay`).
    pub faults: ipcsim_kernel::Faults,
    /// The loss stream's seed (from a `--schedule` that names one).
    pub loss_seed: Option<u64>,
}

/// Default bound on process steps in one run: far above any real scenario
/// (a million call/reply round trips take about two million steps), low enough
/// that a loop making no progress in virtual time ends with a report.
pub const STEPS_MAX_DEFAULT: u64 = 100_000_000;

/// What a run produced besides the main output.
#[derive(Clone, Debug, Default)]
pub struct Produced {
    /// Exit status (0, 1 or 2).
    pub exit: i32,
    /// Diagnostics, rendered (for a file that did not load).
    pub diagnostics: String,
    /// The Mermaid diagram, if asked for.
    pub mermaid: Option<String>,
    /// The Chrome trace, if asked for.
    pub chrome: Option<String>,
}

/// Loads, checks and runs `src` (named `file` in diagnostics), writing the
/// trace and report to `out`.
pub fn run_file(file: &str, src: &str, seed: Option<u64>, views: &Views, out: Rc<RefCell<dyn Write>>) -> Produced {
    let sc = match crate::load(src) {
        Ok(sc) => sc,
        Err(d) => {
            return Produced {
                exit: 2,
                diagnostics: d.report(file, src),
                ..Default::default()
            };
        }
    };
    let show_trace = !views.quiet && views.trace != TraceFormat::None;
    let record = show_trace || views.mermaid || views.chrome;
    let mer = Rc::new(RefCell::new(mermaid::Mermaid::default()));
    let chr = Rc::new(RefCell::new(chrome::Chrome::default()));
    let sink: Option<crate::run::Sink> = if record {
        let (out, mer, chr) = (out.clone(), mer.clone(), chr.clone());
        let (want_mer, want_chr, trace) = (views.mermaid, views.chrome, views.trace);
        let mut line = String::new();
        Some(Box::new(move |k: &Kernel, evs: &[Event]| {
            let mut w = out.borrow_mut();
            for e in evs {
                if show_trace {
                    line.clear();
                    match trace {
                        TraceFormat::Json => json::event_json(k, e, &mut line),
                        _ => text::event_line(k, e, &mut line),
                    }
                    line.push('\n');
                    let _ = w.write_all(line.as_bytes());
                }
                if want_mer {
                    mer.borrow_mut().event(k, e);
                }
                if want_chr {
                    chr.borrow_mut().event(k, e);
                }
            }
        }))
    } else {
        None
    };
    let (outcome, rt) = crate::run(sc, file, &run_options(seed, views, record), sink);
    let k = rt.kernel();
    {
        let mut w = out.borrow_mut();
        if !views.quiet {
            match views.trace {
                TraceFormat::Json => {
                    let _ = writeln!(w, "{}", json::report_json(&outcome, &k));
                }
                _ => {
                    if show_trace {
                        let _ = writeln!(w);
                    }
                    let _ = write!(w, "{}", text::report_text(&outcome, &k));
                }
            }
        }
        let _ = w.flush();
    }
    Produced {
        exit: outcome.exit_code(),
        diagnostics: String::new(),
        mermaid: views.mermaid.then(|| mer.borrow().render(&k)),
        chrome: views.chrome.then(|| chr.borrow_mut().render(&k)),
    }
}

/// The options of a run as `ipcsim run` makes it (`record`: keep events for a view).
pub fn run_options(seed: Option<u64>, views: &Views, record: bool) -> RunOptions {
    RunOptions {
        seed,
        record,
        steps_max: Some(views.steps_max.unwrap_or(STEPS_MAX_DEFAULT)),
        strategy: views.strategy,
        replay: views.replay.clone(),
        record_choices: false,
        faults: views.faults,
        slow_paths: false,
        loss_seed: views.loss_seed,
    }
}

/// Runs `src` and returns everything `ipcsim run FILE --trace text` prints on stdout.
pub fn run_to_string(file: &str, src: &str, seed: Option<u64>, views: &Views) -> (Produced, String) {
    let buf: Rc<RefCell<Vec<u8>>> = Rc::new(RefCell::new(Vec::new()));
    let out: Rc<RefCell<dyn Write>> = buf.clone();
    let p = run_file(file, src, seed, views, out);
    let s = String::from_utf8_lossy(&buf.borrow()).into_owned();
    (p, s)
}
