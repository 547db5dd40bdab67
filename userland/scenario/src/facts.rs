//! Trace facts (`expect trace PROC "TEXT" at T`): watching a run's events for
//! the facts a scenario predicts, and judging each when the run ends with
//! what happened instead when it does not hold.
//!
//! The watch keeps a few lines per fact, never the whole trace, so a fact
//! costs the same memory in a run of ten events or of ten million.

use ipcsim_kernel::{Event, Kernel};

use crate::ast::{Scenario, TopExpect, TraceFact};
use crate::run::Verdict;

/// Lines kept of a fact's process at the fact's time, to show what it did instead.
const LINES_AT_TIME_KEPT: usize = 3;

/// One fact being watched.
#[derive(Debug)]
struct Watch {
    fact: TraceFact,
    /// The first matching event at the fact's time (or at any time, without one).
    hit: Option<(u64, String)>,
    /// The first matching event at any time.
    hit_any: Option<(u64, String)>,
    /// Events of the fact's process at the fact's time.
    at_time: Vec<String>,
    /// The last event of the fact's process.
    last: Option<(u64, String)>,
}

/// The trace facts of one run, watched as its events stream past.
#[derive(Debug)]
pub struct FactWatch {
    watches: Vec<Watch>,
    words: String,
}

/// Whether an event of the process named `name` is one of `fact`'s
/// (its process, or an instance of the program it names).
fn of_proc(fact: &TraceFact, name: &str) -> bool {
    match &fact.proc {
        None => true,
        Some(p) => name == p.name || name.rsplit_once('#').is_some_and(|(prog, _)| prog == p.name),
    }
}

impl FactWatch {
    /// The watch for `sc`'s trace facts; `None` when it has none (the run then records nothing for them).
    pub fn new(sc: &Scenario) -> Option<FactWatch> {
        let watches: Vec<Watch> = sc
            .expects
            .iter()
            .filter_map(|e| match e {
                TopExpect::Trace(f) => Some(Watch {
                    fact: f.clone(),
                    hit: None,
                    hit_any: None,
                    at_time: Vec::new(),
                    last: None,
                }),
                _ => None,
            })
            .collect();
        (!watches.is_empty()).then(|| FactWatch {
            watches,
            words: String::new(),
        })
    }

    /// Looks at events as the run produces them.
    pub fn observe(&mut self, k: &Kernel, evs: &[Event]) {
        for e in evs {
            let name = k.process_name(e.pid);
            if !self.watches.iter().any(|w| of_proc(&w.fact, name)) {
                continue;
            }
            self.words.clear();
            crate::text::event_words(k, e, &mut self.words);
            // A fact naming no process reads the process's name as part of the event.
            let named = self
                .watches
                .iter()
                .any(|w| w.fact.proc.is_none())
                .then(|| format!("{name} {}", self.words));
            for w in self.watches.iter_mut().filter(|w| of_proc(&w.fact, name)) {
                let words = match (&w.fact.proc, &named) {
                    (None, Some(n)) => n.as_str(),
                    _ => self.words.as_str(),
                };
                w.see(e.time, words);
            }
        }
    }

    /// The verdicts of the scenario's trace facts, in their order.
    pub fn verdicts(&self) -> Vec<Verdict> {
        self.watches.iter().map(Watch::verdict).collect()
    }
}

impl Watch {
    /// One event of the fact's process, in words.
    fn see(&mut self, time: u64, words: &str) {
        let matches = words.contains(self.fact.text.as_str());
        if matches && self.hit_any.is_none() {
            self.hit_any = Some((time, words.to_string()));
        }
        let at_time = self.fact.at.is_none_or(|t| t == time);
        if matches && at_time && self.hit.is_none() {
            self.hit = Some((time, words.to_string()));
        }
        if self.fact.at == Some(time) && self.at_time.len() < LINES_AT_TIME_KEPT {
            self.at_time.push(words.to_string());
        }
        self.last = Some((time, words.to_string()));
    }

    fn verdict(&self) -> Verdict {
        let f = &self.fact;
        let holds = self.hit.is_some() != f.negated;
        let who = f.proc.as_ref().map_or("any process", |p| p.name.as_str());
        let found = match (&self.hit, &self.hit_any) {
            (Some((t, l)), _) => format!("at t={t}: {l}"),
            (None, Some((t, l))) => format!("at t={t} instead: {l}"),
            (None, None) if !self.at_time.is_empty() => {
                format!(
                    "no such event; at t={}, {who}: {}",
                    f.at.unwrap_or(0),
                    self.at_time.join("; ")
                )
            }
            (None, None) => match &self.last {
                Some((t, l)) => format!("no such event; the last of {who}, at t={t}: {l}"),
                None => format!("no event of {who}"),
            },
        };
        Verdict {
            text: f.describe(),
            holds,
            found,
            excused: false,
        }
    }
}
