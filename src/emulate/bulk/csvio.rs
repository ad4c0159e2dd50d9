//! CSV in and out for Bulk API 2.0: the documented column delimiters, LF or CRLF, quoting.

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

/// Parses an upload into its header and rows. Rows keep their cells verbatim (not trimmed).
pub fn read(data: &[u8], delimiter: u8) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
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
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("InvalidBatch : {e}"))?;
        if rec.len() == 1 && rec.get(0) == Some("") {
            continue; // blank line
        }
        rows.push(rec.iter().map(str::to_string).collect());
    }
    Ok((header, rows))
}

/// Writes a result file (LF line endings, quoting where needed).
pub fn write(delimiter: u8, header: &[String], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_writer(Vec::new());
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quotes_crlf_and_pipes() {
        let (h, rows) = read(b"Name,ExtId__c\r\n\"A,2\"\"q\",E2\r\nB,\r\n", b',').unwrap();
        assert_eq!(h, ["Name", "ExtId__c"]);
        assert_eq!(rows, [vec!["A,2\"q", "E2"], vec!["B", ""]]);
        let (_, rows) = read(b"A|B\nx| y\n", b'|').unwrap();
        assert_eq!(rows, [vec!["x", " y"]]);
    }
}
