//! Diagnostics: `FILE:LINE:COL: message`, the offending line, and a caret under the column.
//!
//! The contract fixes this shape (and exit status 2), so it is rendered here
//! rather than by a general-purpose report crate whose layout differs.

use std::fmt;

use crate::limits::{DIAGNOSTICS_KEPT_MAX, DIAGNOSTICS_SHOWN_MAX, SNIPPET_CHARS_MAX};
use crate::source;

/// A position in a scenario file (1-based line and column; byte range).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Line, from 1.
    pub line: u32,
    /// Column in characters, from 1.
    pub col: u32,
    /// Byte offset of the start.
    pub start: usize,
    /// Byte offset past the end.
    pub end: usize,
}

/// One error in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where.
    pub span: Span,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at a span.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
        }
    }

    /// Renders it against the source: `FILE:LINE:COL: message`, the line, a
    /// caret. A long line is cut to [`SNIPPET_CHARS_MAX`] characters around
    /// the caret (`…` marks a cut), so each diagnostic stays a few lines long.
    pub fn render(&self, file: &str, src: &str) -> String {
        let line_text = source::lines(src)
            .nth(self.span.line.saturating_sub(1) as usize)
            .unwrap_or("");
        let col = self.span.col.saturating_sub(1) as usize;
        let width = if self.span.end > self.span.start {
            src.get(self.span.start..self.span.end)
                .and_then(|s| source::lines(s).next())
                .map_or(1, |l| l.chars().count().max(1))
        } else {
            1
        };
        // The window of the line shown: up to two thirds of it before the caret.
        let total = line_text.chars().count();
        let from = col.saturating_sub(SNIPPET_CHARS_MAX * 2 / 3).min(total);
        let to = (from + SNIPPET_CHARS_MAX).min(total);
        let shown: String = line_text.chars().skip(from).take(to - from).collect();
        let (head, tail) = (if from > 0 { "…" } else { "" }, if to < total { "…" } else { "" });
        let pad: String = head
            .chars()
            .map(|_| ' ')
            .chain(
                shown
                    .chars()
                    .take(col - from.min(col))
                    .map(|c| if c == '\t' { '\t' } else { ' ' }),
            )
            .collect();
        let gutter = format!("{}", self.span.line);
        format!(
            "{file}:{}:{}: {}\n{gutter} | {head}{shown}{tail}\n{} | {pad}{}\n",
            self.span.line,
            self.span.col,
            self.message,
            " ".repeat(gutter.len()),
            "^".repeat(width.min(to.saturating_sub(col)).max(1)),
        )
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.span.line, self.span.col, self.message)
    }
}

/// Every error found in a file, in source order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Renders the first [`DIAGNOSTICS_SHOWN_MAX`] in source order, then how
    /// many more there are.
    pub fn render(&self, file: &str, src: &str) -> String {
        let mut v = self.0.clone();
        v.sort_by_key(|d| (d.span.line, d.span.col));
        v.dedup();
        let mut out: String = v
            .iter()
            .take(DIAGNOSTICS_SHOWN_MAX)
            .map(|d| d.render(file, src))
            .collect();
        if v.len() > DIAGNOSTICS_SHOWN_MAX {
            out.push_str(&format!(
                "{file}: {} more error{} not shown\n",
                v.len() - DIAGNOSTICS_SHOWN_MAX,
                plural(v.len() - DIAGNOSTICS_SHOWN_MAX)
            ));
        }
        out
    }

    /// [`Diagnostics::render`], then the closing line (`N errors found; nothing was run`).
    pub fn report(&self, file: &str, src: &str) -> String {
        let n = self.0.len();
        let more = if n >= DIAGNOSTICS_KEPT_MAX { "at least " } else { "" };
        format!(
            "{}{file}: {more}{n} error{} found; nothing was run\n",
            self.render(file, src),
            plural(n)
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_col_and_caret() {
        let src = "a\n  let x = (1 + 2))\n";
        let d = Diagnostic::new(
            Span {
                line: 2,
                col: 18,
                start: 19,
                end: 20,
            },
            "unexpected `)`",
        );
        let r = d.render("f.ipc", src);
        assert_eq!(
            r,
            "f.ipc:2:18: unexpected `)`\n2 |   let x = (1 + 2))\n  |                  ^\n"
        );
    }

    #[test]
    fn a_long_line_is_cut_around_the_caret() {
        let src = format!("{}@{}", "a ".repeat(500), "b".repeat(500));
        let d = Diagnostic::new(
            Span {
                line: 1,
                col: 1001,
                start: 1000,
                end: 1001,
            },
            "unexpected character `@`",
        );
        let r = d.render("f.ipc", &src);
        let lines: Vec<&str> = r.lines().collect();
        assert!(lines[1].chars().count() < 140, "{r}");
        // The caret sits under the `@`.
        let at = lines[1].chars().position(|c| c == '@').expect("the character is shown");
        assert_eq!(lines[2].chars().position(|c| c == '^'), Some(at));
    }

    #[test]
    fn only_the_first_errors_are_printed_then_a_count() {
        let d = Diagnostics(
            (1..=30)
                .map(|i| {
                    Diagnostic::new(
                        Span {
                            line: i,
                            col: 1,
                            start: 0,
                            end: 0,
                        },
                        "bad",
                    )
                })
                .collect(),
        );
        let r = d.report("f.ipc", "x\n");
        assert_eq!(r.matches(": bad").count(), DIAGNOSTICS_SHOWN_MAX);
        assert!(r.contains("f.ipc: 10 more errors not shown"), "{r}");
        assert!(r.ends_with("f.ipc: 30 errors found; nothing was run\n"), "{r}");
    }
}
