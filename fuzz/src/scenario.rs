//! Target 1: scenario text through the lexer, parser, checker, a bounded
//! run and every view, with the kernel's invariants checked at the end.

use std::cell::RefCell;
use std::rc::Rc;

use ipcsim_kernel::{Event, Kernel};
use ipcsim_scenario::limits::{DIAGNOSTICS_SHOWN_MAX, SNIPPET_CHARS_MAX};

/// Events of one run formatted by every view (the run itself goes on).
const EVENTS_VIEWED_MAX: usize = 20_000;
use ipcsim_scenario::{chrome, json, mermaid, text, RunOptions};

/// Runs one input as a scenario file.
pub fn check(data: &[u8]) {
    let src = match ipcsim_scenario::source::decode(data) {
        Ok(s) => s,
        Err(d) => {
            let shown = String::from_utf8_lossy(&data[..d.span.start.min(data.len())]);
            let r = ipcsim_scenario::Diagnostics(vec![d]).report("fuzz.ipc", &shown);
            assert!(r.lines().count() <= 4, "{r}");
            return;
        }
    };
    let sc = match ipcsim_scenario::load(src) {
        Ok(sc) => sc,
        Err(d) => {
            let r = d.report("fuzz.ipc", src);
            // Each printed error is three lines of bounded width, then a count or two.
            let shown = DIAGNOSTICS_SHOWN_MAX * 3 + 2;
            assert!(r.lines().count() <= shown, "{} lines of diagnostics", r.lines().count());
            let widest = r.lines().map(|l| l.chars().count()).max().unwrap_or(0);
            assert!(
                widest <= SNIPPET_CHARS_MAX + 600,
                "a diagnostic line of {widest} characters"
            );
            return;
        }
    };
    let seed = data
        .iter()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b)))
        % 4;
    let opts = RunOptions {
        seed: (seed != 0).then_some(seed),
        record: true,
        steps_max: Some(crate::STEPS_MAX),
        ..RunOptions::default()
    };
    let views = Rc::new(RefCell::new((mermaid::Mermaid::default(), chrome::Chrome::default())));
    let sink_views = views.clone();
    let mut line = String::new();
    let mut viewed = 0usize;
    let sink: ipcsim_scenario::Sink = Box::new(move |k: &Kernel, evs: &[Event]| {
        let mut v = sink_views.borrow_mut();
        // The views of the first events only: a polling loop may trace a
        // million loads, within the language's limits, and formatting them
        // all under the sanitizers takes longer than libFuzzer's timeout.
        let room = EVENTS_VIEWED_MAX.saturating_sub(viewed);
        viewed += evs.len().min(room);
        for e in &evs[..evs.len().min(room)] {
            line.clear();
            text::event_line(k, e, &mut line);
            line.clear();
            json::event_json(k, e, &mut line);
            v.0.event(k, e);
            v.1.event(k, e);
        }
    });
    let (outcome, rt) = ipcsim_scenario::run(sc, "fuzz.ipc", &opts, Some(sink));
    let k = rt.kernel();
    assert!(matches!(outcome.exit_code(), 0 | 1));
    k.check_invariants()
        .unwrap_or_else(|e| panic!("kernel invariant broken: {e}"));
    let _ = text::report_text(&outcome, &k);
    let _ = json::report_json(&outcome, &k);
    let mut v = views.borrow_mut();
    let _ = v.0.render(&k);
    let _ = v.1.render(&k);
}
