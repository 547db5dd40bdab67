//! The lexer: turns a scenario file into tokens with positions.
//!
//! Newlines end statements, except inside parentheses (so a long `caps(...)`
//! list or expression may wrap). `#` comments run to the end of the line.

use crate::diag::{Diagnostic, Span};

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

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Int(i) => format!("`{i}`"),
            Tok::Str(s) => format!("string \"{s}\""),
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

/// Splits a file into tokens; lexical errors are collected, not fatal.
pub fn lex(src: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    let mut line = 1u32;
    let mut line_start = 0usize;
    let mut depth = 0i32;
    // Columns count characters; any byte position is accepted (continuation bytes are not counted).
    let col_of = |pos: usize, line_start: usize| {
        let end = pos.min(bytes.len());
        let from = line_start.min(end);
        (bytes[from..end].iter().filter(|b| (**b & 0xC0) != 0x80).count() + 1) as u32
    };
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let span = |end: usize, line: u32, line_start: usize| Span {
            line,
            col: col_of(start, line_start),
            start,
            end,
        };
        match c {
            b'\n' => {
                if depth <= 0 {
                    out.push(Token {
                        tok: Tok::Newline,
                        span: span(i + 1, line, line_start),
                    });
                }
                i += 1;
                line += 1;
                line_start = i;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                let mut s = String::new();
                let mut closed = false;
                while i < bytes.len() {
                    let ch = src[i..].chars().next().unwrap_or('\0');
                    if ch == '\n' {
                        break;
                    }
                    i += ch.len_utf8();
                    match ch {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => {
                            let esc_at = i - 1;
                            let e = src[i..].chars().next().unwrap_or('\0');
                            if i < bytes.len() {
                                i += e.len_utf8();
                            }
                            match e {
                                'n' => s.push('\n'),
                                't' => s.push('\t'),
                                '"' => s.push('"'),
                                '\\' => s.push('\\'),
                                // A zero byte: what fresh shared memory holds.
                                '0' => s.push('\0'),
                                other => {
                                    errs.push(Diagnostic::new(
                                        Span {
                                            line,
                                            col: col_of(esc_at, line_start),
                                            start: esc_at,
                                            end: i,
                                        },
                                        format!("unknown escape `\\{other}` (use \\n, \\t, \\0, \\\" or \\\\)"),
                                    ));
                                }
                            }
                        }
                        ch => s.push(ch),
                    }
                }
                if !closed {
                    errs.push(Diagnostic::new(span(i, line, line_start), "unterminated string"));
                }
                out.push(Token {
                    tok: Tok::Str(s),
                    span: span(i, line, line_start),
                });
            }
            b'0'..=b'9' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let text = &src[start..i];
                match parse_int(text) {
                    Some(v) => out.push(Token {
                        tok: Tok::Int(v),
                        span: span(i, line, line_start),
                    }),
                    None => {
                        errs.push(Diagnostic::new(
                            span(i, line, line_start),
                            format!("bad integer `{text}`"),
                        ));
                        out.push(Token {
                            tok: Tok::Int(0),
                            span: span(i, line, line_start),
                        });
                    }
                }
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Ident(src[start..i].to_string()),
                    span: span(i, line, line_start),
                });
            }
            _ => {
                let rest = &src[i..];
                if let Some(sym) = SYMS.iter().find(|s| rest.starts_with(**s)) {
                    i += sym.len();
                    match *sym {
                        "(" => depth += 1,
                        ")" => depth -= 1,
                        // Parentheses never hold blocks: an unbalanced one must not swallow lines.
                        "{" | "}" => depth = 0,
                        _ => {}
                    }
                    out.push(Token {
                        tok: Tok::Sym(sym),
                        span: span(i, line, line_start),
                    });
                } else {
                    let ch = rest.chars().next().unwrap_or('?');
                    i += ch.len_utf8();
                    errs.push(Diagnostic::new(
                        span(i, line, line_start),
                        format!("unexpected character `{ch}`"),
                    ));
                }
            }
        }
    }
    out.push(Token {
        tok: Tok::Newline,
        span: Span {
            line,
            col: col_of(i, line_start),
            start: i,
            end: i,
        },
    });
    out.push(Token {
        tok: Tok::Eof,
        span: Span {
            line,
            col: col_of(i, line_start),
            start: i,
            end: i,
        },
    });
    (out, errs)
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
