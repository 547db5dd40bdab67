//! The scenario language's input limits: every length, depth and count a
//! file can grow, each with the error a file past it gets (at a position,
//! exit 2), so no input reaches the stack's or the memory's limit first.
//!
//! The numbers are generous for hand-written and generated scenarios (the
//! longest line `ipcsim compare` writes holds a 65,536-byte string) and
//! small enough that parsing, checking and printing diagnostics of the worst
//! file stay within a few hundred megabytes and a second. They are listed in
//! docs/scenario-language.md ("Limits").

/// Bytes in one scenario file.
pub const FILE_BYTES_MAX: usize = 1 << 20;
/// Bytes in one line (room for the longest string literal, escaped).
pub const LINE_BYTES_MAX: usize = 1 << 17;
/// Bytes in one string literal (after escapes).
pub const STRING_BYTES_MAX: usize = 1 << 16;
/// Bytes in one string a process builds at run time (`+`): what one
/// message may carry. Past it the process fails `LimitReached` (a loop that
/// doubles a string would otherwise fill the memory within a minute).
pub const STRING_VALUE_BYTES_MAX: usize = 1 << 20;
/// Bytes in one name: a variable, object, process, program or instance name.
pub const NAME_BYTES_MAX: usize = 255;
/// Nesting of blocks (`{ }`, `try`, `else if`) inside a process.
pub const BLOCK_DEPTH_MAX: u32 = 64;
/// Operators, parentheses and fields in one expression: bounds its depth,
/// so checking and evaluating it can never run out of stack.
pub const EXPR_OPERATORS_MAX: u32 = 256;
/// Errors kept for one file: the lexer and parser stop there (the rest of a
/// file that bad is noise), so a file of junk cannot fill the memory.
pub const DIAGNOSTICS_KEPT_MAX: usize = 200;
/// Errors printed for one file; a count of the rest follows.
pub const DIAGNOSTICS_SHOWN_MAX: usize = 20;
/// Characters of the offending line shown around the caret.
pub const SNIPPET_CHARS_MAX: usize = 120;
