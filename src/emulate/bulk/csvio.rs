//! CSV in and out for Bulk API 2.0: the documented column delimiters, LF or CRLF, quoting.
//!
//! A job keeps its upload as sent; rows are read from it one at a time into one reused record
//! (when processing, and again when writing a result file), never copied out cell by cell.

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

/// Parses a whole upload: its header and number of rows, or why it is not CSV.
pub fn check(data: &[u8], delimiter: u8) -> Result<(Vec<String>, usize), String> {
    let (header, mut rows) = Rows::open(data, delimiter)?;
    let mut n = 0;
    while rows.next_row()?.is_some() {
        n += 1;
    }
    Ok((header, n))
}

/// Writes a result file (LF line endings, quoting where needed): `header`, then for each row of
/// the upload that `pick` gives leading cells for (by row number), those cells and the row's own.
pub fn write<'p>(
    delimiter: u8,
    header: &[String],
    data: Option<&[u8]>,
    mut pick: impl FnMut(usize) -> Option<[&'p str; 2]>,
    lead: usize,
) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_writer(Vec::new());
    let _ = w.write_record(header);
    if let Some(data) = data
        && let Ok((_, mut rows)) = Rows::open(data, delimiter)
    {
        let mut i = 0;
        while let Ok(Some(row)) = rows.next_row() {
            if let Some(cells) = pick(i) {
                for c in &cells[..lead] {
                    let _ = w.write_field(c);
                }
                let _ = w.write_record(row);
            }
            i += 1;
        }
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
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
        assert_eq!(check(b"A\n\nx\ny\n", b',').unwrap().1, 2);
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
        assert_eq!(out, "sf__Id,A,B\nid,1,\"x,y\"\nid,3\n");
    }
}
