//! JSONL input: numbered lines, blank lines skipped, `\r\n` handled.

use std::io::BufRead;

/// Reads lines from a `BufRead` into one reusable buffer.
pub struct LineReader<R> {
    input: R,
    buf: String,
    line: usize,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(input: R) -> Self {
        LineReader {
            input,
            buf: String::new(),
            line: 0,
        }
    }

    /// The next non-blank line and its 1-based number, or `None` at the end.
    pub fn next_line(&mut self) -> std::io::Result<Option<(usize, &str)>> {
        loop {
            self.buf.clear();
            if self.input.read_line(&mut self.buf)? == 0 {
                return Ok(None);
            }
            self.line += 1;
            let trimmed = self.buf.trim_end_matches(['\n', '\r']);
            if !trimmed.trim().is_empty() {
                let len = trimmed.len();
                return Ok(Some((self.line, &self.buf[..len])));
            }
        }
    }
}
