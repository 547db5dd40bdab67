//! The ipcsim scenario language: parse and check `.ipc` files, run them over
//! the runtime, judge the outcome, and render the run (text, JSON Lines,
//! Mermaid sequence diagrams, Chrome trace events).
//!
//! When to use what:
//! - [`load`]: source text to a checked [`ast::Scenario`], or every error found.
//! - [`run::run`]: a checked scenario to an [`run::Outcome`] (exit status, verdicts, report).
//! - [`text`], [`json`], [`mermaid`], [`chrome`]: views of the event log and report.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ast;
mod check;
pub mod chrome;
pub mod cli;
pub mod compare;
pub mod diag;
pub mod facts;
mod interp;
pub mod json;
pub mod lexer;
pub mod limits;
pub mod mermaid;
pub mod names;
mod parser;
pub mod run;
pub mod schedule;
pub mod source;
pub mod text;
pub mod value;

pub use diag::{Diagnostic, Diagnostics, Span};
pub use run::{run, run_in, Outcome, RunOptions, Sink};

/// Parses and checks a scenario; returns it ready to run, or every error found.
pub fn load(src: &str) -> Result<ast::Scenario, Diagnostics> {
    let (mut sc, mut errs) = parser::parse(src);
    // Name and kind errors are checked only where the parse was whole: in a
    // broken file they would be guesses.
    if errs.is_empty() {
        errs = check::check(&mut sc);
    }
    if errs.is_empty() {
        Ok(sc)
    } else {
        Err(Diagnostics(errs))
    }
}
