//! CSV in and out for Bulk API 2.0: the documented column delimiters, LF or CRLF, quoting.
//!
//! A job keeps its upload as sent. Processing parses it once into [`Parsed`] (all cells in one
//! text), which also proves the whole file well-formed before any row is written; a result file
//! reads the upload again one row at a time into one reused record.

/// `columnDelimiter` names.
pub fn delimiter(name: &str) -> Option<u8> {
    Some(match name {
        "COMMA" => b',',
        "BACKQUOTE" => b'`',
        "CARET" => b'^',
        "PIPE" => b'|',
        "SEMICOLON" => b';',
        "TAB" => b'\t',
        _ => return None,
    })
}

/// The rows of an upload, after its header. Cells are verbatim (not trimmed); blank lines are
/// skipped.
pub struct Rows<'a> {
    rdr: csv::Reader<&'a [u8]>,
    rec: csv::StringRecord,
}

impl<'a> Rows<'a> {
    /// Reads the header (a leading byte-order mark is dropped).
    pub fn open(data: &'a [u8], delimiter: u8) -> Result<(Vec<String>, Rows<'a>), String> {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(true)
            .flexible(true)
            .trim(csv::Trim::None)
            .from_reader(data);
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| format!("InvalidBatch : {e}"))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        Ok((
            header,
            Rows {
                rdr,
                rec: csv::StringRecord::new(),
            },
        ))
    }

    /// The next row, or `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<&csv::StringRecord>, String> {
        loop {
            let more = self
                .rdr
                .read_record(&mut self.rec)
                .map_err(|e| format!("InvalidBatch : {e}"))?;
            if !more {
                return Ok(None);
            }
            if self.rec.len() == 1 && self.rec.get(0) == Some("") {
                continue; // blank line
            }
            return Ok(Some(&self.rec));
        }
    }
}

/// Whether the upload's line endings contradict the job's `lineEnding`: a CRLF outside quotes
/// in an LF job, or a bare LF outside quotes in a CRLF job. Line breaks inside quoted values are
/// data, not line endings.
pub fn line_ending_mismatch(data: &[u8], crlf: bool) -> bool {
    let mut quoted = false;
    for at in memchr::memchr2_iter(b'"', b'\n', data) {
        if data[at] == b'"' {
            quoted = !quoted;
            continue;
        }
        if quoted {
            continue;
        }
        let has_cr = at > 0 && data[at - 1] == b'\r';
        if has_cr != crlf {
            return true;
        }
    }
    false
}

/// The rows of a whole upload, parsed: every cell, unquoted, in one text.
#[derive(Debug, Default)]
pub struct Parsed {
    text: String,
    /// Where each cell ends in `text` (an upload is at most 150 MB: `u32` offsets, half the
    /// memory of `usize`).
    ends: Vec<u32>,
    /// Where each row's cells end in `ends`.
    rows: Vec<u32>,
}

/// One row of a [`Parsed`] upload.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    text: &'a str,
    /// Where the row starts in `text`.
    start: usize,
    ends: &'a [u32],
}

impl<'a> Row<'a> {
    /// The number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Cell `i`, verbatim.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let end = *self.ends.get(i)? as usize;
        let from = if i == 0 {
            self.start
        } else {
            self.ends[i - 1] as usize
        };
        self.text.get(from..end)
    }
}

impl Parsed {
    /// Row `n` (from 0, after the header).
    pub fn row(&self, n: usize) -> Option<Row<'_>> {
        let end = *self.rows.get(n)? as usize;
        let first = if n == 0 { 0 } else { self.rows[n - 1] as usize };
        let start = if first == 0 {
            0
        } else {
            self.ends[first - 1] as usize
        };
        Some(Row {
            text: &self.text,
            start,
            ends: &self.ends[first..end],
        })
    }
}

/// Parses a whole upload: its header and rows, or why it is not CSV.
pub fn parse(data: &[u8], delimiter: u8) -> Result<(Vec<String>, Parsed), String> {
    if data.len() > u32::MAX as usize {
        return Err("InvalidBatch : the upload is too large".into());
    }
    let (header, mut rows) = Rows::open(data, delimiter)?;
    let mut p = Parsed {
        text: String::with_capacity(data.len()),
        ends: Vec::new(),
        rows: Vec::new(),
    };
    while let Some(row) = rows.next_row()? {
        for cell in row {
            p.text.push_str(cell);
            p.ends.push(p.text.len() as u32);
        }
        p.rows.push(p.ends.len() as u32);
    }
    Ok((header, p))
}

/// Writes a result file (LF line endings): `header`, then for each row of the upload that `pick`
/// gives leading cells for (by row number), those cells (`sf__Id`, `sf__Created`, …) and the
/// row's own. As Salesforce writes its result files, every field is quoted, header and values.
pub fn write<'p>(
    delimiter: u8,
    header: &[String],
    data: Option<&[u8]>,
    mut pick: impl FnMut(usize) -> Option<[&'p str; 2]>,
    lead: usize,
) -> String {
    let mut out = Vec::new();
    let line = |out: &mut Vec<u8>, cells: &mut dyn Iterator<Item = &str>| {
        for (i, c) in cells.enumerate() {
            if i > 0 {
                out.push(delimiter);
            }
            out.push(b'"');
            for b in c.bytes() {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        }
        out.push(b'\n');
    };
    line(&mut out, &mut header.iter().map(String::as_str));
    if let Some(data) = data
        && let Ok((_, mut rows)) = Rows::open(data, delimiter)
    {
        let mut i = 0;
        while let Ok(Some(row)) = rows.next_row() {
            if let Some(cells) = pick(i) {
                line(
                    &mut out,
                    &mut cells[..lead].iter().copied().chain(row.iter()),
                );
            }
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(data: &[u8], delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
        let (h, mut rows) = Rows::open(data, delimiter).unwrap();
        let mut out = Vec::new();
        while let Some(r) = rows.next_row().unwrap() {
            out.push(r.iter().map(str::to_string).collect());
        }
        (h, out)
    }

    #[test]
    fn reads_quotes_crlf_and_pipes() {
        let (h, rows) = read(b"Name,ExtId__c\r\n\"A,2\"\"q\",E2\r\nB,\r\n", b',');
        assert_eq!(h, ["Name", "ExtId__c"]);
        assert_eq!(rows, [vec!["A,2\"q", "E2"], vec!["B", ""]]);
        let (_, rows) = read(b"A|B\nx| y\n", b'|');
        assert_eq!(rows, [vec!["x", " y"]]);
        let (_, p) = parse(b"A,B\n\n\"x,\"\"\",\ny\n,\n", b',').unwrap();
        let cells = |n: usize| {
            let r = p.row(n).unwrap();
            (0..r.len()).map(|i| r.get(i).unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(cells(0), ["x,\"", ""]);
        assert_eq!(cells(1), ["y"]);
        assert_eq!(cells(2), ["", ""]);
        assert!(p.row(3).is_none());
    }

    #[test]
    fn line_endings_are_checked_outside_quotes() {
        assert!(!line_ending_mismatch(b"A,B\n1,\"x\r\ny\"\n2,3", false));
        assert!(line_ending_mismatch(b"A,B\n1,2\r\n", false));
        assert!(line_ending_mismatch(b"A,B\r\n1,2\r\n", false));
        assert!(!line_ending_mismatch(b"A,B\r\n1,\"x\ny\"\r\n", true));
        assert!(line_ending_mismatch(b"A,B\r\n1,2\n", true));
        assert!(!line_ending_mismatch(b"A,B", true));
    }

    #[test]
    fn writes_picked_rows_after_their_lead_cells() {
        let data = b"A,B\n1,\"x,y\"\n\n2,z\n3\n";
        let out = write(
            b',',
            &["sf__Id".into(), "A".into(), "B".into()],
            Some(data),
            |i| (i != 1).then_some(["id", ""]),
            1,
        );
        assert_eq!(
            out,
            "\"sf__Id\",\"A\",\"B\"\n\"id\",\"1\",\"x,y\"\n\"id\",\"3\"\n"
        );
        let out = write(
            b'|',
            &["sf__Id".into()],
            Some(b"A\n1\n"),
            |_| Some(["i\"d", ""]),
            1,
        );
        assert_eq!(out, "\"sf__Id\"\n\"i\"\"d\"|\"1\"\n");
    }
}
