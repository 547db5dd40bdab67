//! `ipcsim run FILE --html PATH`: the classroom view, one self-contained
//! HTML file (no network, no CDN; it opens from `file://`). The sequence
//! diagram is inline SVG drawn here; a step control (first, back, forward,
//! last, a slider, the arrow keys) shows at each event every process's state
//! and capabilities and every object's value, contents and waiters, with the
//! event highlighted in the trace and the diagram; a deadlock's cycle is
//! drawn; the report closes the page. The page's script and style are
//! `view.js` and `view.css` beside this file, inlined.

mod record;
mod svg;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::fmt::Write;
use std::rc::Rc;

use ipcsim_kernel::{Event, Kernel};
use ipcsim_scenario::cli::{run_options, Views};
use ipcsim_scenario::text;
use serde_json::json;

use record::Recorder;

const SCRIPT: &str = include_str!("view.js");
const STYLE: &str = include_str!("view.css");

/// Escapes text for HTML (element content and quoted attributes).
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Runs `src` again (the same options give the same run, byte for byte) and
/// returns the page.
pub(crate) fn page(file: &str, src: &str, seed: Option<u64>, views: &Views) -> Result<String, String> {
    let sc = ipcsim_scenario::load(src).map_err(|d| d.report(file, src))?;
    let rec = Rc::new(RefCell::new(Recorder::default()));
    let sink_rec = rec.clone();
    let sink: ipcsim_scenario::Sink = Box::new(move |k: &Kernel, evs: &[Event]| sink_rec.borrow_mut().batch(k, evs));
    let (outcome, rt) = ipcsim_scenario::run(sc, file, &run_options(seed, views, true), Some(sink));
    let k = rt.kernel();
    let report = text::report_text(&outcome, &k);
    let r = rec.borrow();
    Ok(render(file, &k, &r, &report, outcome.exit_code()))
}

fn render(file: &str, k: &Kernel, r: &Recorder, report: &str, exit: i32) -> String {
    let steps: Vec<serde_json::Value> = r
        .steps
        .iter()
        .map(|s| json!([s.time, text::who(k, s.pid), s.state, s.deadlock]))
        .collect();
    let data = json!({ "steps": steps, "states": r.states, "cut": r.cut });
    // `</` may not appear inside a script element: JSON allows `<\/`.
    let data = data.to_string().replace("</", "<\\/");
    let mut trace = String::new();
    for (i, s) in r.steps.iter().enumerate() {
        let _ = write!(trace, "<li data-step=\"{i}\">{}</li>", esc(&s.line));
    }
    if r.cut > 0 {
        let _ = write!(
            trace,
            "<li class=\"cut\">… {} more events (the page holds the first {}; `ipcsim run` prints them all)</li>",
            r.cut,
            record::STEPS_MAX
        );
    }
    let verdict = if exit == 0 { "PASS" } else { "FAIL" };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>ipcsim: {title}</title><style>{STYLE}</style></head><body>\
         <header><h1>{title} <span class=\"verdict {verdict}\">{verdict}</span></h1>\
         <nav id=\"controls\" aria-label=\"step through the run\">\
         <button id=\"first\" title=\"first (Home)\">«</button><button id=\"back\" title=\"back (←)\">◀</button>\
         <input id=\"slider\" type=\"range\" min=\"0\" max=\"{max}\" value=\"0\" aria-label=\"event\">\
         <button id=\"fwd\" title=\"forward (→)\">▶</button><button id=\"last\" title=\"last (End)\">»</button>\
         <span id=\"where\" aria-live=\"polite\"></span></nav></header>\
         <main><section id=\"left\"><h2>Sequence diagram</h2><div id=\"diagram-box\">{svg}</div>\
         <h2>Trace</h2><ol id=\"trace\">{trace}</ol></section>\
         <section id=\"right\"><h2>State after this event</h2><div id=\"deadlock\" hidden></div>\
         <h3>Processes</h3><table id=\"procs\"><thead><tr><th>process</th><th>state</th><th>capabilities</th></tr></thead><tbody></tbody></table>\
         <h3>Objects</h3><table id=\"objs\"><thead><tr><th>object</th><th>state</th><th>holds</th><th>waiting</th></tr></thead><tbody></tbody></table>\
         </section></main>\
         <section id=\"report-box\"><h2>Report</h2><pre id=\"report\">{report}</pre></section>\
         <script type=\"application/json\" id=\"ipcsim-data\">{data}</script>\
         <script>{SCRIPT}</script></body></html>\n",
        title = esc(file),
        max = r.steps.len().saturating_sub(1),
        svg = svg::diagram(k, r),
        report = esc(report),
    )
}
