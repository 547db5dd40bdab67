//! The classroom view's sequence diagram, drawn by ipcsim as inline SVG (no
//! script library, nothing fetched): one column per process, one row per
//! event; messages, replies and signals as arrows, everything else as a mark
//! on the process's lifeline, a deadlock as a red band across its members.
//! Each row is a `<g data-step>` the page highlights as the student steps.

use std::fmt::Write;

use ipcsim_kernel::{Kernel, Pid};
use ipcsim_scenario::text;

use super::esc;
use super::record::{Mark, Recorder};

const COL: usize = 150;
const ROW: usize = 22;
const LEFT: usize = 56;
const TOP: usize = 44;
/// Room right of the last lifeline for its marks' words.
const RIGHT: usize = 120;

fn cut(s: &str, chars: usize) -> String {
    if s.chars().count() > chars {
        format!("{}…", s.chars().take(chars.saturating_sub(1)).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The diagram of a recorded run.
pub(crate) fn diagram(k: &Kernel, r: &Recorder) -> String {
    let cols = r.participants.len().max(1);
    let width = LEFT + cols * COL + RIGHT;
    let height = TOP + r.steps.len() * ROW + ROW;
    let x = |p: Pid| {
        r.participants
            .iter()
            .position(|q| *q == p)
            .map(|i| LEFT + i * COL + COL / 2)
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"diagram\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"sequence diagram\">\
         <defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>"
    );
    for (i, p) in r.participants.iter().enumerate() {
        let cx = LEFT + i * COL + COL / 2;
        let _ = write!(
            s,
            "<line class=\"life\" x1=\"{cx}\" y1=\"{TOP}\" x2=\"{cx}\" y2=\"{height}\"/>\
             <rect class=\"who\" x=\"{}\" y=\"6\" width=\"{}\" height=\"26\" rx=\"4\"/>\
             <text class=\"who\" x=\"{cx}\" y=\"24\">{}</text>",
            cx - COL / 2 + 8,
            COL - 16,
            esc(&cut(&text::who(k, *p), 18))
        );
    }
    let mut last_time = None;
    for (i, st) in r.steps.iter().enumerate() {
        let y = TOP + i * ROW + ROW / 2;
        let _ = write!(
            s,
            "<g class=\"row\" data-step=\"{i}\"><rect class=\"hl\" x=\"0\" y=\"{}\" width=\"{width}\" height=\"{ROW}\"/>",
            y - ROW / 2
        );
        if last_time != Some(st.time) {
            let _ = write!(s, "<text class=\"time\" x=\"6\" y=\"{}\">t={}</text>", y + 4, st.time);
            last_time = Some(st.time);
        }
        row(&mut s, &st.mark, st.pid, y, &x);
        s.push_str("</g>");
    }
    if r.cut > 0 {
        let _ = write!(
            s,
            "<text class=\"cut\" x=\"{LEFT}\" y=\"{}\">… {} more events not drawn</text>",
            height - 6,
            r.cut
        );
    }
    s.push_str("</svg>");
    s
}

fn row(s: &mut String, mark: &Mark, pid: Pid, y: usize, x: &dyn Fn(Pid) -> Option<usize>) {
    match mark {
        Mark::Arrow {
            from,
            to,
            label,
            dashed,
        } => {
            let (Some(a), Some(b)) = (x(*from), x(*to)) else { return };
            let class = if *dashed { "arrow dashed" } else { "arrow" };
            let chars = (a.abs_diff(b) / 7).max(12);
            let _ = write!(
                s,
                "<line class=\"{class}\" x1=\"{a}\" y1=\"{y}\" x2=\"{b}\" y2=\"{y}\" marker-end=\"url(#head)\"/>\
                 <text class=\"lbl\" x=\"{}\" y=\"{}\">{}</text>",
                (a + b) / 2,
                y - 3,
                esc(&cut(label, chars))
            );
        }
        Mark::Dot { label, alarm } => {
            let Some(cx) = x(pid) else { return };
            let class = if *alarm { "dot alarm" } else { "dot" };
            let _ = write!(
                s,
                "<circle class=\"{class}\" cx=\"{cx}\" cy=\"{y}\" r=\"4\"/>\
                 <text class=\"note\" x=\"{}\" y=\"{}\">{}</text>",
                cx + 8,
                y + 4,
                esc(&cut(label, 24))
            );
        }
        Mark::Deadlock { members } => {
            let xs: Vec<usize> = members.iter().filter_map(|m| x(*m)).collect();
            let (Some(lo), Some(hi)) = (xs.iter().min(), xs.iter().max()) else {
                return;
            };
            let _ = write!(
                s,
                "<rect class=\"deadlock\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\"/>\
                 <text class=\"deadlock\" x=\"{}\" y=\"{}\">DEADLOCK</text>",
                lo.saturating_sub(40),
                y - ROW / 2 + 2,
                hi - lo + 80,
                ROW - 4,
                (lo + hi) / 2,
                y + 4
            );
        }
    }
}
