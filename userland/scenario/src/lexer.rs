//! The lexer: turns a scenario file into tokens with positions.
//!
//! Newlines (LF, CRLF or a lone CR) end statements, except inside
//! parentheses (so a long `caps(...)` list or expression may wrap). `#`
//! comments run to the end of the line. Every length has a limit
//! ([`crate::limits`]); the work is linear in the file's size.

use crate::diag::{Diagnostic, Span};
use crate::limits::{DIAGNOSTICS_KEPT_MAX, LINE_BYTES_MAX, NAME_BYTES_MAX, STRING_BYTES_MAX};

/// A token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A name or keyword.
    Ident(String),
    /// An integer literal.
    Int(i64),
    /// A string literal (escapes resolved).
    Str(String),
    /// Punctuation or an operator: `{ } ( ) , : + - * / % == != < <= > >= = -> . ;`.
    Sym(&'static str),
    /// End of a line (statement separator).
    Newline,
    /// End of input.
    Eof,
}

/// Characters of a string token an error message shows.
const STRING_SHOWN_CHARS: usize = 40;

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Int(i) => format!("`{i}`"),
            // Escaped (a newline in it must not break the message's line)
            // and cut: the token may be 64 KiB long.
            Tok::Str(s) => {
                let shown: String = s.chars().take(STRING_SHOWN_CHARS).collect();
                let cut = if shown.len() < s.len() { "…" } else { "" };
                format!("string {}{cut}", ipcsim_kernel::Data::str(&shown))
            }
            Tok::Sym(s) => format!("`{s}`"),
            Tok::Newline => "end of line".into(),
            Tok::Eof => "end of file".into(),
        }
    }
}

/// A token and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Its position.
    pub span: Span,
}

const SYMS: [&str; 22] = [
    "==", "!=", "<=", ">=", "->", "{", "}", "(", ")", ",", ":", "+", "-", "*", "/", "%", "<", ">", "=", ".", ";", "!",
];

/// Splits a file into tokens; lexical errors are collected, not fatal (up
/// to [`DIAGNOSTICS_KEPT_MAX`]: the lexer stops there).
pub fn lex(src: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lx = Lexer {
        src,
        bytes: src.as_bytes(),
        i: 0,
        line: 1,
        line_start: 0,
        col_at: (0, 1),
        depth: 0,
        out: Vec::new(),
        errs: Vec::new(),
    };
    while lx.i < lx.bytes.len() && lx.errs.len() < DIAGNOSTICS_KEPT_MAX {
        lx.next();
    }
    lx.end_line();
    if lx.errs.len() >= DIAGNOSTICS_KEPT_MAX {
        lx.errs.truncate(DIAGNOSTICS_KEPT_MAX - 1);
        let s = lx.span_from(lx.i, lx.i);
        lx.errs
            .push(Diagnostic::new(s, "too many errors: the rest of the file was not read"));
        lx.i = lx.bytes.len();
    }
    for tok in [Tok::Newline, Tok::Eof] {
        let span = lx.span_from(lx.i, lx.i);
        lx.out.push(Token { tok, span });
    }
    (lx.out, lx.errs)
}

/// The lexer's cursor over one file.
struct Lexer<'s> {
    src: &'s str,
    bytes: &'s [u8],
    i: usize,
    line: u32,
    line_start: usize,
    /// A byte position on the current line and its column: columns are
    /// counted forward from there, so a long line costs linear time.
    col_at: (usize, u32),
    /// Parenthesis depth: newlines inside parentheses are not separators.
    depth: i32,
    out: Vec<Token>,
    errs: Vec<Diagnostic>,
}

impl Lexer<'_> {
    /// The column (in characters, from 1) of byte `pos` on the current line.
    fn col(&mut self, pos: usize) -> u32 {
        let pos = pos.min(self.bytes.len());
        let (from, mut col) = if pos >= self.col_at.0 && self.col_at.0 >= self.line_start {
            self.col_at
        } else {
            (self.line_start, 1)
        };
        let from = from.min(pos);
        col += self.bytes[from..pos].iter().filter(|b| (**b & 0xC0) != 0x80).count() as u32;
        self.col_at = (pos, col);
        col
    }
    fn span_from(&mut self, start: usize, end: usize) -> Span {
        Span {
            line: self.line,
            col: self.col(start),
            start,
            end,
        }
    }
    fn push(&mut self, tok: Tok, start: usize) {
        let span = self.span_from(start, self.i);
        self.out.push(Token { tok, span });
    }
    fn error(&mut self, start: usize, end: usize, msg: impl Into<String>) {
        let span = self.span_from(start, end);
        self.errs.push(Diagnostic::new(span, msg));
    }

    /// One token, one piece of white space or comment, or one error.
    fn next(&mut self) {
        let start = self.i;
        match self.bytes[start] {
            b'\n' | b'\r' => self.newline(),
            b' ' | b'\t' => self.i += 1,
            b'#' => {
                while self.i < self.bytes.len() && !matches!(self.bytes[self.i], b'\n' | b'\r') {
                    self.i += 1;
                }
            }
            b'"' => self.string(),
            b'0'..=b'9' => self.number(),
            c if c.is_ascii_alphabetic() || c == b'_' => self.word(),
            _ => self.symbol(),
        }
    }

    /// LF, CRLF or a lone CR: one line break.
    fn newline(&mut self) {
        let start = self.i;
        if self.depth <= 0 {
            let span = self.span_from(start, start + 1);
            self.out.push(Token {
                tok: Tok::Newline,
                span,
            });
        }
        self.i += if self.src[start..].starts_with("\r\n") { 2 } else { 1 };
        self.end_line();
        self.line += 1;
        self.line_start = self.i;
        self.col_at = (self.i, 1);
    }

    /// A line is over: refuse it if it was too long.
    fn end_line(&mut self) {
        let body = self.src[self.line_start..self.i].trim_end_matches(['\n', '\r']).len();
        if body > LINE_BYTES_MAX {
            let at = self.line_start + LINE_BYTES_MAX;
            let span = Span {
                line: self.line,
                col: self.col(at),
                start: at,
                end: at,
            };
            self.errs.push(Diagnostic::new(
                span,
                format!("this line is {body} bytes long; a line holds at most {LINE_BYTES_MAX}"),
            ));
        }
    }

    fn word(&mut self) {
        let start = self.i;
        while self.i < self.bytes.len() && (self.bytes[self.i].is_ascii_alphanumeric() || self.bytes[self.i] == b'_') {
            self.i += 1;
        }
        if self.i - start > NAME_BYTES_MAX {
            self.error(
                start,
                self.i,
                format!(
                    "this name is {} bytes long; a name holds at most {NAME_BYTES_MAX}",
                    self.i - start
                ),
            );
        }
        self.push(Tok::Ident(self.src[start..self.i].to_string()), start);
    }

    fn number(&mut self) {
        let start = self.i;
        while self.i < self.bytes.len() && (self.bytes[self.i].is_ascii_alphanumeric() || self.bytes[self.i] == b'_') {
            self.i += 1;
        }
        let text = &self.src[start..self.i];
        let v = parse_int(text);
        if v.is_none() {
            let shown: String = text.chars().take(40).collect();
            let more = if text.len() > shown.len() { "…" } else { "" };
            self.error(start, self.i, format!("bad integer `{shown}{more}`"));
        }
        self.push(Tok::Int(v.unwrap_or(0)), start);
    }

    fn string(&mut self) {
        let start = self.i;
        self.i += 1;
        let mut s = String::new();
        let mut closed = false;
        while self.i < self.bytes.len() {
            let ch = self.src[self.i..].chars().next().unwrap_or('\0');
            if ch == '\n' || ch == '\r' {
                break;
            }
            self.i += ch.len_utf8();
            match ch {
                '"' => {
                    closed = true;
                    break;
                }
                '\\' => self.escape(&mut s),
                ch => s.push(ch),
            }
        }
        if !closed {
            self.error(start, self.i, "unterminated string");
        }
        if s.len() > STRING_BYTES_MAX {
            self.error(
                start,
                self.i,
                format!(
                    "this string is {} bytes long; a string literal holds at most {STRING_BYTES_MAX} (join longer ones with +)",
                    s.len()
                ),
            );
        }
        self.push(Tok::Str(s), start);
    }

    /// The escape after a `\` (already taken) in a string.
    fn escape(&mut self, s: &mut String) {
        let esc_at = self.i - 1;
        let e = self.src[self.i..].chars().next().unwrap_or('\0');
        if matches!(e, '\n' | '\r') {
            return;
        }
        if self.i < self.bytes.len() {
            self.i += e.len_utf8();
        }
        match e {
            'n' => s.push('\n'),
            't' => s.push('\t'),
            '"' => s.push('"'),
            '\\' => s.push('\\'),
            // A zero byte: what fresh shared memory holds.
            '0' => s.push('\0'),
            other => self.error(
                esc_at,
                self.i,
                format!("unknown escape `\\{other}` (use \\n, \\t, \\0, \\\" or \\\\)"),
            ),
        }
    }

    fn symbol(&mut self) {
        let start = self.i;
        let rest = &self.src[start..];
        if let Some(sym) = SYMS.iter().find(|s| rest.starts_with(**s)) {
            self.i += sym.len();
            match *sym {
                "(" => self.depth += 1,
                ")" => self.depth -= 1,
                // Parentheses never hold blocks: an unbalanced one must not swallow lines.
                "{" | "}" => self.depth = 0,
                _ => {}
            }
            self.push(Tok::Sym(sym), start);
            return;
        }
        // A run of characters the language does not use is one error, not
        // one per character (a line of junk would otherwise repeat itself).
        let mut n = 0usize;
        while self.i < self.bytes.len() && !self.starts_token() {
            self.i += self.src[self.i..].chars().next().map_or(1, char::len_utf8);
            n += 1;
        }
        let shown: String = self.src[start..self.i].chars().take(10).collect();
        let msg = if n == 1 {
            format!("unexpected character `{shown}`")
        } else {
            let more = if n > 10 { "…" } else { "" };
            format!("{n} unexpected characters `{shown}{more}`")
        };
        self.error(start, self.i, msg);
    }

    /// Whether a token, white space or a line break starts at the cursor.
    fn starts_token(&self) -> bool {
        let c = self.bytes[self.i];
        c.is_ascii_alphanumeric()
            || matches!(c, b'_' | b'"' | b'#' | b' ' | b'\t' | b'\n' | b'\r')
            || SYMS.iter().any(|s| self.src[self.i..].starts_with(*s))
    }
}

/// Decimal, `0x` hex, `0o` octal or leading-`0` octal; `_` separators allowed.
pub fn parse_int(text: &str) -> Option<i64> {
    let t: String = text.chars().filter(|c| *c != '_').collect();
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h.to_string(), 16)
    } else if let Some(o) = t.strip_prefix("0o").or_else(|| t.strip_prefix("0O")) {
        (o.to_string(), 8)
    } else if t.len() > 1 && t.starts_with('0') {
        (t[1..].to_string(), 8)
    } else {
        (t.clone(), 10)
    };
    if digits.is_empty() {
        return None;
    }
    u64::from_str_radix(&digits, radix)
        .ok()
        .and_then(|v| i64::try_from(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src).0.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn integers_in_every_base() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int("0x4d51"), Some(0x4d51));
        assert_eq!(parse_int("0640"), Some(0o640));
        assert_eq!(parse_int("0o17"), Some(15));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("09"), None);
        assert_eq!(parse_int("0x"), None);
    }

    #[test]
    fn newlines_inside_parentheses_are_not_separators() {
        let t = toks("caps(a,\n b)\nx");
        assert!(!t[..6].contains(&Tok::Newline));
        assert!(t.contains(&Tok::Ident("x".into())));
    }

    #[test]
    fn strings_and_comments() {
        assert_eq!(
            toks("print \"a\\n\\\"b\" # c\n"),
            vec![
                Tok::Ident("print".into()),
                Tok::Str("a\n\"b".into()),
                Tok::Newline,
                Tok::Newline,
                Tok::Eof
            ]
        );
        let (_, errs) = lex("\"open");
        assert_eq!(errs.len(), 1);
    }

    #[test]
    fn positions_are_one_based() {
        let (t, _) = lex("a\n  bb");
        assert_eq!((t[2].span.line, t[2].span.col), (2, 3));
    }
}
