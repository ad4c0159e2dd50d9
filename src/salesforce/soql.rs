//! Building SOQL safely (salesforce-api.md §2.5).
//!
//! Segment escapes only `'`, so a backslash in a trait breaks the query or opens it to injection
//! (segment-behaviour.md §5). `quote` escapes every character SOQL reserves inside a string
//! literal, so a value can never end the literal early; identifiers are never built from data
//! without `is_identifier`.

use serde_json::Value;

/// SOQL statements may be 100,000 characters long; the query travels in a GET URL, whose limit
/// (16,384 bytes) is lower once percent-encoded, so IN lists are kept well below both.
pub const DEFAULT_IN_CLAUSE_LEN: usize = 4_000;

/// `s` as a SOQL string literal, quotes included.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => {
                // Other control characters have no short escape; \uXXXX is the documented form.
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Like `quote`, for the pattern of a LIKE: `_` and `%` in `s` match themselves.
pub fn quote_like_literal(s: &str) -> String {
    let q = quote(s);
    let inner = &q[1..q.len() - 1];
    format!("'{}'", inner.replace('_', "\\_").replace('%', "\\%"))
}

/// Why a value cannot be a SOQL literal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiteralError {
    #[error("a {0} cannot be compared in SOQL; only strings, numbers, booleans and null can")]
    Unsupported(&'static str),
    #[error("the number {0} has no SOQL literal")]
    Number(String),
}

/// Whether `s` is a SOQL date literal, `YYYY-MM-DD`: written bare, unlike text.
pub fn is_date_literal(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// A JSON value as a SOQL literal: strings quoted and escaped, numbers and booleans bare, null as
/// `null` (SOQL's `= null`). Objects and arrays are refused.
pub fn literal(v: &Value) -> Result<String, LiteralError> {
    match v {
        Value::String(s) => Ok(quote(s)),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok("null".into()),
        Value::Number(n) => {
            let text = n.to_string();
            // serde_json prints large floats with an exponent, which SOQL does not read.
            if text.contains(['e', 'E']) {
                match n.as_f64() {
                    Some(f) if f.is_finite() => Ok(format!("{f}")),
                    _ => Err(LiteralError::Number(text)),
                }
            } else {
                Ok(text)
            }
        }
        Value::Object(_) => Err(LiteralError::Unsupported("object")),
        Value::Array(_) => Err(LiteralError::Unsupported("array")),
    }
}

/// Whether `s` is a plain API name (`Email`, `Ext_Id__c`, `Account.Name`), safe to paste into
/// SOQL or a URL path.
pub fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// `field IN ('a','b',...)` clauses covering every distinct value once, in first-seen order,
/// each at most `max_len` characters (a single value longer than that gets a clause of its own).
/// No values, no clauses.
pub fn in_filters(field: &str, values: &[String], max_len: usize) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let prefix = format!("{field} IN (");
    let mut out = Vec::new();
    let mut current = String::new();
    for v in values {
        if !seen.insert(v.as_str()) {
            continue;
        }
        let q = quote(v);
        if !current.is_empty() && current.len() + 1 + q.len() + 1 > max_len {
            current.push(')');
            out.push(std::mem::take(&mut current));
        }
        if current.is_empty() {
            current.push_str(&prefix);
        } else {
            current.push(',');
        }
        current.push_str(&q);
    }
    if !current.is_empty() {
        current.push(')');
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Reads a SOQL string literal back the way Salesforce does; `None` if it is not exactly one
    /// literal (i.e. the value escaped its quotes).
    fn unquote(lit: &str) -> Option<String> {
        let mut chars = lit.strip_prefix('\'')?.chars();
        let mut out = String::new();
        loop {
            match chars.next()? {
                '\'' => return chars.next().is_none().then_some(out),
                '\\' => out.push(match chars.next()? {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    '"' => '"',
                    '\'' => '\'',
                    '\\' => '\\',
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                    }
                    _ => return None,
                }),
                '"' => return None,
                c => out.push(c),
            }
        }
    }

    #[test]
    fn quotes_every_special_character() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("O'Brien"), r"'O\'Brien'");
        assert_eq!(quote(r"back\slash"), r"'back\\slash'");
        assert_eq!(quote("say \"hi\""), r#"'say \"hi\"'"#);
        assert_eq!(quote("a\nb\rc\td"), r"'a\nb\rc\td'");
        assert_eq!(quote("\u{8}\u{c}"), r"'\b\f'");
        assert_eq!(quote("nul\u{0}esc\u{1b}"), r"'nul\u0000esc\u001b'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("héllo ✓ 日本"), "'héllo ✓ 日本'");
        assert_eq!(quote("100%_x"), "'100%_x'");
        assert_eq!(quote_like_literal("100%_x"), r"'100\%\_x'");
    }

    #[test]
    fn injection_attempts_stay_inside_the_literal() {
        for attack in [
            r"a\' OR Name != '",
            "' OR Name != '",
            r"trailing\",
            r"\\",
            r"\'",
            "x' OR Id != null OR Name = 'y",
            "line\n' OR '1'='1",
            "\u{2028}'\u{0}\\",
            "🙂'🙂\\",
        ] {
            let q = quote(attack);
            assert_eq!(unquote(&q).as_deref(), Some(attack), "{attack:?} -> {q}");
        }
    }

    #[test]
    fn literals() {
        assert_eq!(literal(&json!("a'b")).unwrap(), r"'a\'b'");
        assert_eq!(literal(&json!(3)).unwrap(), "3");
        assert_eq!(literal(&json!(-2.5)).unwrap(), "-2.5");
        assert_eq!(literal(&json!(1e21)).unwrap(), "1000000000000000000000");
        assert_eq!(literal(&json!(false)).unwrap(), "false");
        assert_eq!(literal(&Value::Null).unwrap(), "null");
        assert_eq!(
            literal(&json!({"a": 1})),
            Err(LiteralError::Unsupported("object"))
        );
        assert_eq!(
            literal(&json!([1])),
            Err(LiteralError::Unsupported("array"))
        );
    }

    #[test]
    fn identifiers() {
        for ok in ["Email", "Ext_Id__c", "Account.Name", "a1"] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in [
            "",
            "1a",
            "email__c's!'",
            "a b",
            "Name) OR (Id",
            ".x",
            "x.",
            "_x",
        ] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }

    #[test]
    fn in_chunks_cover_all_values_within_bounds() {
        let values: Vec<String> = (0..500).map(|i| format!("user{i}@x.com")).collect();
        for max in [40, 100, 1000, DEFAULT_IN_CLAUSE_LEN] {
            let clauses = in_filters("Email", &values, max);
            let mut got = Vec::new();
            for c in &clauses {
                assert!(c.len() <= max, "{} > {max}: {c}", c.len());
                let inner = c
                    .strip_prefix("Email IN (")
                    .and_then(|c| c.strip_suffix(')'))
                    .unwrap();
                got.extend(inner.split(',').map(|l| unquote(l).unwrap()));
            }
            assert_eq!(got, values, "max {max}");
        }
    }

    #[test]
    fn in_chunks_dedupe_and_handle_edges() {
        assert!(in_filters("Email", &[], 100).is_empty());
        let dup = vec!["a".to_string(), "b".into(), "a".into()];
        assert_eq!(in_filters("Email", &dup, 100), vec!["Email IN ('a','b')"]);
        let long = vec!["x".repeat(50), "y".into()];
        let clauses = in_filters("F", &long, 20);
        assert_eq!(clauses.len(), 2);
        assert_eq!(clauses[1], "F IN ('y')");
        let tricky = vec![r"a\' OR Name != '".to_string(), "b,c".into()];
        assert_eq!(
            in_filters("Name", &tricky, 1000),
            vec![r"Name IN ('a\\\' OR Name != \'','b,c')"]
        );
    }

    proptest::proptest! {
        #[test]
        fn any_string_round_trips_through_quote(s in "\\PC*|[\\\\'\"\n\r\t\u{8}\u{c}\u{0}a ]*") {
            proptest::prop_assert_eq!(unquote(&quote(&s)), Some(s));
        }
    }
}
