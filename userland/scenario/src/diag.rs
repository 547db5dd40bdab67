//! Diagnostics: `FILE:LINE:COL: message`, the offending line, and a caret under the column.
//!
//! The contract fixes this shape (and exit status 2), so it is rendered here
//! rather than by a general-purpose report crate whose layout differs.

use std::fmt;

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

    /// Renders it against the source: `FILE:LINE:COL: message`, the line, a caret.
    pub fn render(&self, file: &str, src: &str) -> String {
        let line_text = src.lines().nth(self.span.line.saturating_sub(1) as usize).unwrap_or("");
        let width = if self.span.end > self.span.start {
            src.get(self.span.start..self.span.end)
                .map_or(1, |s| s.lines().next().map_or(1, |l| l.chars().count().max(1)))
        } else {
            1
        };
        let pad: String = line_text
            .chars()
            .take(self.span.col.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let gutter = format!("{}", self.span.line);
        format!(
            "{file}:{}:{}: {}\n{gutter} | {line_text}\n{} | {pad}{}\n",
            self.span.line,
            self.span.col,
            self.message,
            " ".repeat(gutter.len()),
            "^".repeat(width.min(80)),
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
    /// Renders all of them.
    pub fn render(&self, file: &str, src: &str) -> String {
        let mut v = self.0.clone();
        v.sort_by_key(|d| (d.span.line, d.span.col));
        v.dedup();
        v.iter().map(|d| d.render(file, src)).collect::<Vec<_>>().join("")
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
}
