//! JSONL input: one event per line, with 1-based line numbers for error messages.
//!
//! Blank lines (empty or only spaces, tabs and `\r`) are skipped but still counted, so a line
//! number always matches what an editor shows. A trailing `\r` (Windows line ends) is removed.
//! A UTF-8 byte order mark at the start of the input (Notepad and Excel write one) is skipped:
//! it belongs to the file, not to its first event. Elsewhere it is part of the line.
//! [`LineReader`] reuses one buffer for every line, so reading a stream allocates nothing per
//! line; it cannot be an `Iterator` because each line borrows that buffer.
//!
//! [`byte_lines`] goes further for the hot path (`eval`): it walks a chunk of whole lines (see
//! [`super::chunks`]) in place, so no line is copied, and whatever borrows from the lines (the
//! reader's values) needs re-typing once per chunk instead of once per line.

use std::io::{self, BufRead};

/// Lines of an in-memory JSONL text: `(line_number, line)`, skipping blank lines.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    rest: &'a str,
    line_no: usize,
}

/// Iterates over the non-blank lines of `text`, the whole input.
pub fn lines(text: &str) -> Lines<'_> {
    Lines {
        rest: text.strip_prefix('\u{feff}').unwrap_or(text),
        line_no: 0,
    }
}

/// The UTF-8 encoding of U+FEFF, the byte order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// `input` without the byte order mark it may start with. Only for the start of an input (the
/// first chunk of a file, say): a BOM anywhere else is part of its line.
pub fn skip_bom(input: &[u8]) -> &[u8] {
    input.strip_prefix(BOM).unwrap_or(input)
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<(usize, &'a str)> {
        while !self.rest.is_empty() {
            let (line, rest) = match self.rest.find('\n') {
                Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
                None => (self.rest, ""),
            };
            self.rest = rest;
            self.line_no += 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if !is_blank(line.as_bytes()) {
                return Some((self.line_no, line));
            }
        }
        None
    }
}

/// Why a line could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The line is not UTF-8. Only this line is lost; reading can go on.
    #[error("line {line}: the text is not valid UTF-8 (at byte {offset})")]
    InvalidUtf8 {
        /// 1-based line number.
        line: usize,
        /// Byte offset of the first invalid byte within the line.
        offset: usize,
    },
    /// The input itself failed; stop reading.
    #[error("could not read the input: {0}")]
    Io(#[from] io::Error),
}

/// Reads JSONL from a [`BufRead`], one reused buffer for all lines.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    line_no: usize,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps a buffered reader.
    pub fn new(inner: R) -> LineReader<R> {
        LineReader {
            inner,
            buf: Vec::with_capacity(4096),
            line_no: 0,
        }
    }

    /// The number of the last line read (blank lines included).
    pub fn line_number(&self) -> usize {
        self.line_no
    }

    /// The next non-blank line as `(line_number, line)`, or `None` at the end of the input.
    /// After [`LineError::InvalidUtf8`] the next call continues with the following line.
    pub fn next_line(&mut self) -> Option<Result<(usize, &str), LineError>> {
        loop {
            self.buf.clear();
            match self.inner.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(LineError::Io(e))),
            }
            self.line_no += 1;
            if self.line_no == 1 && self.buf.starts_with(BOM) {
                self.buf.drain(..BOM.len());
            }
            if !is_blank(trim_line_end(&self.buf)) {
                break;
            }
        }
        let line_no = self.line_no;
        let line = trim_line_end(&self.buf);
        Some(match utf8(line) {
            Ok(text) => Ok((line_no, text)),
            Err(offset) => Err(LineError::InvalidUtf8 {
                line: line_no,
                offset,
            }),
        })
    }

    /// The bytes of the line last read (without its line end): what an
    /// [`LineError::InvalidUtf8`] line held.
    pub fn last_line(&self) -> &[u8] {
        trim_line_end(&self.buf)
    }

    /// Gives back the wrapped reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// The non-blank lines of `text` (bytes of whole lines, as a chunk holds) as
/// `(line_number, line)`, numbered on from `*line_no`, which is left at the number of the last
/// line (blank lines included). A line that is not UTF-8 is an error for that line only. The
/// input's first chunk goes through [`skip_bom`] first.
pub fn byte_lines<'t, 'n>(text: &'t [u8], line_no: &'n mut usize) -> ByteLines<'t, 'n> {
    ByteLines {
        rest: text,
        line_no,
    }
}

/// A line that is not UTF-8: its number and the offset of its first bad byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the text is not valid UTF-8 (at byte {offset})")]
pub struct NotUtf8 {
    /// 1-based line number.
    pub line: usize,
    /// Byte offset of the first invalid byte within the line.
    pub offset: usize,
}

/// The lines of a chunk; see [`byte_lines`].
#[derive(Debug)]
pub struct ByteLines<'t, 'n> {
    rest: &'t [u8],
    line_no: &'n mut usize,
}

impl<'t> Iterator for ByteLines<'t, '_> {
    type Item = Result<(usize, &'t str), NotUtf8>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.rest.is_empty() {
            let (line, rest) = match find_newline(self.rest, 0) {
                Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
                None => (self.rest, &b""[..]),
            };
            self.rest = rest;
            *self.line_no += 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if is_blank(line) {
                continue;
            }
            let line_no = *self.line_no;
            return Some(match utf8(line) {
                Ok(text) => Ok((line_no, text)),
                Err(offset) => Err(NotUtf8 {
                    line: line_no,
                    offset,
                }),
            });
        }
        None
    }
}

/// A line as text, or the offset of its first byte that is not UTF-8. `simdutf8` checks with
/// SIMD (chosen at run time); std's check, which can say where the fault is, runs only on
/// failure.
#[inline]
fn utf8(line: &[u8]) -> Result<&str, usize> {
    simdutf8::basic::from_utf8(line)
        .map_err(|_| std::str::from_utf8(line).map_or_else(|e| e.valid_up_to(), |s| s.len()))
}

/// The position of the first `\n` in `b` at or after `i`.
#[inline]
fn find_newline(b: &[u8], i: usize) -> Option<usize> {
    memchr::memchr(b'\n', b.get(i..)?).map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_lines_skip_blanks_and_keep_numbers() {
        let text = "{\"a\":1}\r\n\n  \r\n{\"b\":2}\n\t\n{\"c\":3}";
        let got: Vec<_> = lines(text).collect();
        assert_eq!(got, [(1, "{\"a\":1}"), (4, "{\"b\":2}"), (6, "{\"c\":3}")]);
        assert_eq!(lines("").count(), 0);
        assert_eq!(lines("\n\n").count(), 0);
        assert_eq!(lines("x\n").collect::<Vec<_>>(), [(1, "x")]);
    }

    fn collect_reader(input: &[u8]) -> Vec<Result<(usize, String), String>> {
        let mut r = LineReader::new(input);
        let mut out = Vec::new();
        while let Some(item) = r.next_line() {
            out.push(
                item.map(|(n, l)| (n, l.to_owned()))
                    .map_err(|e| e.to_string()),
            );
        }
        out
    }

    #[test]
    fn reader_matches_str_lines() {
        let text = "{\"a\":1}\r\n\n  \r\n{\"b\":2}\n\t\n{\"c\":3}";
        let from_reader: Vec<_> = collect_reader(text.as_bytes())
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let from_str: Vec<_> = lines(text).map(|(n, l)| (n, l.to_owned())).collect();
        assert_eq!(from_reader, from_str);
    }

    #[test]
    fn reader_reports_bad_utf8_and_continues() {
        let got = collect_reader(b"{}\nab\xffcd\n{\"x\":1}\n");
        assert_eq!(
            got,
            [
                Ok((1, "{}".to_owned())),
                Err("line 2: the text is not valid UTF-8 (at byte 2)".to_owned()),
                Ok((3, "{\"x\":1}".to_owned())),
            ]
        );
    }

    #[test]
    fn reader_reuses_its_buffer() {
        let mut r = LineReader::new(&b"{\"a\":\"0123456789\"}\n{}\n"[..]);
        let first = r.next_line().unwrap().unwrap().1.as_ptr();
        let second = r.next_line().unwrap().unwrap().1.as_ptr();
        assert_eq!(first, second);
        assert!(r.next_line().is_none());
        assert_eq!(r.line_number(), 2);
    }

    #[test]
    fn byte_lines_match_the_line_reader_and_number_on() {
        let text: &[u8] =
            b"{\"a\":1}\r\n\n  \r\n{\"b\":\"0123456789abcdefghij\"}\n\t\nab\xffcd\n{\"c\":3}\n\n{\"d\":4}";
        let mut line_no = 0;
        let got: Vec<_> = byte_lines(text, &mut line_no)
            .map(|item| {
                item.map(|(n, l)| (n, l.to_owned()))
                    .map_err(|e| format!("line {}: {e}", e.line))
            })
            .collect();
        assert_eq!(got, collect_reader(text));
        assert_eq!(line_no, 9, "blank lines count");
        // Numbering goes on from where it was left; lines are borrowed, not copied.
        let mut line_no = 41;
        let next: Vec<_> = byte_lines(b"\n{}\n", &mut line_no).collect();
        assert_eq!(next, [Ok((43, "{}"))]);
        assert_eq!(line_no, 43);
        let text = b"{\"a\":1}\n";
        let (_, line) = byte_lines(text, &mut 0).next().unwrap().unwrap();
        assert_eq!(line.as_ptr(), text.as_ptr());
    }

    #[test]
    fn a_bom_at_the_start_of_the_input_is_skipped() {
        let text = "\u{feff}{\"a\":1}\n{\"b\":2}\n";
        let want = [(1, "{\"a\":1}"), (2, "{\"b\":2}")];
        assert_eq!(lines(text).collect::<Vec<_>>(), want);
        let from_reader: Vec<_> = collect_reader(text.as_bytes())
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(from_reader, want.map(|(n, l)| (n, l.to_owned())));
        let from_chunk: Vec<_> = byte_lines(skip_bom(text.as_bytes()), &mut 0)
            .map(Result::unwrap)
            .collect();
        assert_eq!(from_chunk, want);
        // A BOM alone is a blank first line; anywhere but the start it belongs to its line.
        assert_eq!(
            collect_reader(b"\xef\xbb\xbf\r\n{}\n"),
            [Ok((2, "{}".to_owned()))]
        );
        assert_eq!(lines("\u{feff}\n{}").collect::<Vec<_>>(), [(2, "{}")]);
        let later = "{}\n\u{feff}{}\n";
        assert_eq!(lines(later).nth(1), Some((2, "\u{feff}{}")));
        assert_eq!(
            collect_reader(later.as_bytes())[1],
            Ok((2, "\u{feff}{}".to_owned()))
        );
        assert_eq!(skip_bom(later.as_bytes()), later.as_bytes());
    }

    #[test]
    fn find_newline_agrees_with_position() {
        for len in 0..40 {
            for at in 0..=len {
                let mut b: Vec<u8> = (0..len).map(|i| [b'a', 0x0b, 0x09, 0x8a][i % 4]).collect();
                if at < len {
                    b[at] = b'\n';
                }
                for start in 0..=len {
                    let want = b[start..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map(|p| start + p);
                    assert_eq!(find_newline(&b, start), want, "{b:?} from {start}");
                }
            }
        }
    }
}
