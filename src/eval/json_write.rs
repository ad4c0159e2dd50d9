//! JSON text written straight into a byte buffer, byte for byte what `serde_json::to_writer`
//! (compact) writes for the same data.
//!
//! `eval` writes a line per record operation, mostly strings copied from the event. Going
//! through serde's `Serializer` cost about as much as reading the event: a call per token and
//! a table lookup per byte of every string. Here a string that needs no escaping (nearly all
//! of them) is recognised a word at a time (with no loop at all for short strings) and copied
//! in one piece; escapes are written the way serde_json writes them (`\"`, `\\`, `\b`, `\t`,
//! `\n`, `\f`, `\r`, and `\u00XX` in lower case for the other control characters; nothing
//! else escaped).
//! The tests check both agree on generated values.

use crate::event::special::{find_special, has_special};
use crate::event::value::Value;

/// Appends `s` as a JSON string, quoted and escaped.
#[inline]
pub(crate) fn str(buf: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    if has_special(b) {
        return str_escaped(buf, b);
    }
    quoted(buf, b);
}

/// Writes a fixed word known to need no escaping (an operation or a strategy) without
/// looking for characters to escape.
#[inline]
pub(crate) fn plain(buf: &mut Vec<u8>, s: &'static str) {
    debug_assert!(!has_special(s.as_bytes()), "{s:?} needs escaping");
    quoted(buf, s.as_bytes());
}

/// `b` in double quotes, as it is.
#[inline(always)]
fn quoted(buf: &mut Vec<u8>, b: &[u8]) {
    buf.reserve(b.len() + 2);
    buf.push(b'"');
    buf.extend_from_slice(b);
    buf.push(b'"');
}

#[cold]
#[inline(never)]
fn str_escaped(buf: &mut Vec<u8>, b: &[u8]) {
    buf.push(b'"');
    let mut start = 0;
    let mut i = find_special(b, 0);
    while i < b.len() {
        buf.extend_from_slice(&b[start..i]);
        escape(buf, b[i]);
        start = i + 1;
        i = find_special(b, start);
    }
    buf.extend_from_slice(&b[start..]);
    buf.push(b'"');
}

/// The escape of one special byte (`"`, `\` or a control character), as serde_json writes it.
#[cold]
fn escape(buf: &mut Vec<u8>, c: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match c {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x09 => b't',
        0x0a => b'n',
        0x0c => b'f',
        0x0d => b'r',
        _ => {
            buf.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 0xf)],
            ]);
            return;
        }
    };
    buf.extend_from_slice(&[b'\\', short]);
}

/// Appends `"key":`.
#[inline]
pub(crate) fn key(buf: &mut Vec<u8>, k: &str) {
    str(buf, k);
    buf.push(b':');
}

/// Appends an unsigned integer in decimal.
#[inline]
pub(crate) fn uint(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

/// Appends a number as serde_json writes it.
fn number(buf: &mut Vec<u8>, n: &serde_json::Number) {
    if let Some(u) = n.as_u64() {
        uint(buf, u);
    } else if let Some(i) = n.as_i64() {
        buf.push(b'-');
        uint(buf, i.unsigned_abs());
    } else {
        // Floats are rare here: let serde_json format them. Writing to a `Vec` cannot fail and
        // a `Number` always serialises, so there is no error to report.
        let _ = serde_json::to_writer(&mut *buf, n);
    }
}

/// Appends a value as compact JSON (object members in order, duplicates included, as its
/// `Serialize` impl writes them).
pub(crate) fn value(buf: &mut Vec<u8>, v: &Value<'_>) {
    match v {
        Value::String(s) => str(buf, s),
        Value::Null => buf.extend_from_slice(b"null"),
        Value::Bool(true) => buf.extend_from_slice(b"true"),
        Value::Bool(false) => buf.extend_from_slice(b"false"),
        Value::Number(n) => number(buf, n),
        Value::Array(items) => {
            buf.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                value(buf, item);
            }
            buf.push(b']');
        }
        Value::Object(members) => {
            buf.push(b'{');
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                key(buf, k);
                value(buf, item);
            }
            buf.push(b'}');
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::borrow::Cow;

    use proptest::prelude::*;

    use super::*;

    fn written(v: &Value<'_>) -> String {
        let mut buf = Vec::new();
        value(&mut buf, v);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn every_byte_escapes_as_serde_json_does() {
        for c in 0..=0x7fu8 {
            let s = format!("a{}b{}", c as char, c as char);
            let mut buf = Vec::new();
            str(&mut buf, &s);
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(&s).unwrap(),
                "{c:#x}"
            );
        }
    }

    #[test]
    fn numbers_and_scalars() {
        for text in [
            "0",
            "-0",
            "7",
            "-7",
            "1.5",
            "-1.5e300",
            "1e-7",
            "18446744073709551615",
            "-9223372036854775808",
            "123456789012345678901234567890",
        ] {
            let n: serde_json::Number = serde_json::from_str(text).unwrap();
            let v = Value::Number(n);
            assert_eq!(written(&v), serde_json::to_string(&v).unwrap(), "{text}");
        }
        let mut buf = Vec::new();
        uint(&mut buf, u64::MAX);
        assert_eq!(buf, u64::MAX.to_string().as_bytes());
    }

    /// Any value, with strings that need escaping; shared with the output tests.
    pub(crate) fn any_value() -> impl Strategy<Value = Value<'static>> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| Value::Number(n.into())),
            any::<u64>().prop_map(|n| Value::Number(n.into())),
            any::<f64>()
                .prop_filter_map("finite", serde_json::Number::from_f64)
                .prop_map(Value::Number),
            "\\PC{0,40}|[\"\\\\\u{0}-\u{1f}\u{7f}\u{e9}\u{FFFF}\u{1F600}a-z]{0,40}"
                .prop_map(|s| Value::String(Cow::Owned(s))),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec(("[a\"\\\\\u{1}é]{0,20}", inner), 0..5).prop_map(|m| {
                    Value::Object(m.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect())
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn values_are_written_as_serde_json_writes_them(v in any_value()) {
            prop_assert_eq!(written(&v), serde_json::to_string(&v).unwrap());
        }
    }
}
