//! A scenario file's text as the language reads it: at most
//! [`crate::limits::FILE_BYTES_MAX`] bytes of UTF-8, with
//! LF, CRLF or CR line endings (the lexer and the diagnostics treat all
//! three as one line break).

use crate::diag::{Diagnostic, Span};
use crate::limits::FILE_BYTES_MAX;

/// Why a file's bytes are not a scenario's text: a diagnostic at a position.
pub fn decode(bytes: &[u8]) -> Result<&str, Diagnostic> {
    if bytes.len() > FILE_BYTES_MAX {
        return Err(Diagnostic::new(
            Span {
                line: 1,
                col: 1,
                start: 0,
                end: 0,
            },
            format!(
                "the file is {} bytes; a scenario file holds at most {FILE_BYTES_MAX}",
                bytes.len()
            ),
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let good = e.valid_up_to();
        // The text before the bad byte is valid: count lines and columns in it.
        let before = std::str::from_utf8(&bytes[..good]).unwrap_or("");
        let (line, line_start) = line_of(before);
        let col = before[line_start..].chars().count() as u32 + 1;
        Diagnostic::new(
            Span {
                line,
                col,
                start: good,
                end: good,
            },
            format!(
                "invalid UTF-8 (byte {:#04x}): a scenario file is UTF-8 text",
                bytes[good]
            ),
        )
    })
}

/// The 1-based line number at the end of `text` and the byte where that line starts.
fn line_of(text: &str) -> (u32, usize) {
    let b = text.as_bytes();
    let (mut line, mut start, mut i) = (1u32, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'\n' => {
                line += 1;
                start = i + 1;
            }
            b'\r' if b.get(i + 1) != Some(&b'\n') => {
                line += 1;
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    (line, start)
}

/// The lines of `src`, split at LF, CRLF or a lone CR (as the lexer counts them).
pub fn lines(src: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(src);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.find(['\n', '\r']) {
            Some(i) => {
                let skip = if s[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&s[i + skip..]);
                Some(&s[..i])
            }
            None => {
                rest = None;
                (!s.is_empty()).then_some(s)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_reported_at_its_line_and_column() {
        let d = decode(b"process p {\n  let x = \"a\xff\"\n}\n").unwrap_err();
        assert_eq!(
            d.to_string(),
            "2:13: invalid UTF-8 (byte 0xff): a scenario file is UTF-8 text"
        );
        let d = decode(b"a\rb\xc3").unwrap_err();
        assert_eq!((d.span.line, d.span.col), (2, 2));
    }

    #[test]
    fn a_file_over_the_limit_is_refused() {
        let big = vec![b' '; FILE_BYTES_MAX + 1];
        assert!(decode(&big).unwrap_err().message.contains("at most"));
        assert!(decode(&big[..FILE_BYTES_MAX]).is_ok());
    }

    #[test]
    fn lines_split_at_every_ending() {
        let v: Vec<&str> = lines("a\r\nb\rc\nd").collect();
        assert_eq!(v, ["a", "b", "c", "d"]);
        assert_eq!(lines("a\n").collect::<Vec<_>>(), ["a"]);
        assert_eq!(lines("a\n\nb").collect::<Vec<_>>(), ["a", "", "b"]);
    }
}
