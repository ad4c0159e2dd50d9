//! Pre-parsed event paths: `traits.address.city`, `traits."odd key"`, `context.traits.list[0]`.
//!
//! A path is parsed once, when a plan is compiled, so the hot path never looks at path text.
//! The display form is also the serialised form, so plans and snapshots show paths the way a
//! user writes them.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// One step of an [`EventPath`]: an object key or an array index.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// An object member, by its (decoded) key.
    Key(Box<str>),
    /// An array element, zero-based.
    Index(usize),
}

impl Segment {
    /// A key segment.
    pub fn key(k: impl Into<Box<str>>) -> Segment {
        Segment::Key(k.into())
    }
}

/// A path into a Segment event, from its top-level object.
///
/// The empty path names the whole event.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventPath {
    /// The steps from the top-level object, outermost first.
    pub segments: Box<[Segment]>,
}

impl EventPath {
    /// A path made of the given segments.
    pub fn new(segments: impl Into<Box<[Segment]>>) -> EventPath {
        EventPath {
            segments: segments.into(),
        }
    }

    /// A path made only of keys: `EventPath::keys(&["traits", "email"])`.
    pub fn keys(keys: &[&str]) -> EventPath {
        EventPath::new(keys.iter().map(|k| Segment::key(*k)).collect::<Vec<_>>())
    }

    /// Parses the display form (see [`fmt::Display`]).
    pub fn parse(text: &str) -> Result<EventPath, PathParseError> {
        PathParser { text, pos: 0 }.parse()
    }

    /// The top-level key the path starts with (`traits` for `traits.email`); empty when the path
    /// is empty or starts with an index.
    pub fn root(&self) -> &str {
        match self.segments.first() {
            Some(Segment::Key(k)) => k,
            _ => "",
        }
    }

    /// True when `other`'s segments are a prefix of this path's (every path starts with itself
    /// and with the empty path).
    pub fn starts_with(&self, other: &EventPath) -> bool {
        self.segments.starts_with(&other.segments)
    }

    /// True for the empty path (the whole event).
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }
}

/// True when a key can be written without quotes: `[A-Za-z_$][A-Za-z0-9_$]*`.
fn is_plain_key(k: &str) -> bool {
    let mut bytes = k.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

fn write_key(f: &mut fmt::Formatter<'_>, k: &str) -> fmt::Result {
    if is_plain_key(k) {
        return f.write_str(k);
    }
    f.write_str("\"")?;
    for c in k.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => fmt::Write::write_char(f, c)?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for EventPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    write_key(f, k)?;
                }
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for EventPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for EventPath {
    type Err = PathParseError;
    fn from_str(s: &str) -> Result<EventPath, PathParseError> {
        EventPath::parse(s)
    }
}

/// Why a path's text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {offset} of the path")]
pub struct PathParseError {
    /// Byte offset into the path text.
    pub offset: usize,
    /// What was wrong, in plain words.
    pub message: String,
}

struct PathParser<'t> {
    text: &'t str,
    pos: usize,
}

impl PathParser<'_> {
    fn err<T>(&self, message: &str) -> Result<T, PathParseError> {
        Err(PathParseError {
            offset: self.pos,
            message: message.to_owned(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn parse(mut self) -> Result<EventPath, PathParseError> {
        let mut segments = Vec::new();
        if self.text.is_empty() {
            return Ok(EventPath::new(segments));
        }
        loop {
            match self.peek() {
                Some(b'[') => segments.push(self.index()?),
                _ => segments.push(self.key()?),
            }
            // After a segment: `.key`, `[n]` or the end.
            loop {
                match self.peek() {
                    None => return Ok(EventPath::new(segments)),
                    Some(b'[') => segments.push(self.index()?),
                    Some(b'.') => {
                        self.pos += 1;
                        break;
                    }
                    Some(_) => return self.err("expected `.`, `[` or the end of the path"),
                }
            }
        }
    }

    fn index(&mut self) -> Result<Segment, PathParseError> {
        self.pos += 1; // `[`
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        if start == self.pos {
            return self.err("expected an array index (digits) after `[`");
        }
        let Ok(n) = self.text[start..self.pos].parse::<usize>() else {
            self.pos = start;
            return self.err("array index is too large");
        };
        if self.peek() != Some(b']') {
            return self.err("expected `]` after an array index");
        }
        self.pos += 1;
        Ok(Segment::Index(n))
    }

    fn key(&mut self) -> Result<Segment, PathParseError> {
        if self.peek() == Some(b'"') {
            return self.quoted_key();
        }
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' {
                self.pos += 1;
            } else {
                break;
            }
        }
        let key = &self.text[start..self.pos];
        if !is_plain_key(key) {
            self.pos = start;
            return self.err("expected a key (a name, or a string in double quotes)");
        }
        Ok(Segment::key(key))
    }

    fn quoted_key(&mut self) -> Result<Segment, PathParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut key = String::new();
        let mut chars = self.text[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(Segment::key(key));
                }
                '\\' => {
                    let decoded = match chars.next() {
                        Some((_, '"')) => '"',
                        Some((_, '\\')) => '\\',
                        Some((_, 'n')) => '\n',
                        Some((_, 'r')) => '\r',
                        Some((_, 't')) => '\t',
                        Some((_, 'u')) => {
                            let hex = chars.as_str().get(..4).unwrap_or("");
                            let c = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                            match c {
                                Some(c) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                                    chars.nth(3);
                                    c
                                }
                                _ => {
                                    self.pos += i;
                                    return self.err("invalid `\\u` escape in a quoted key");
                                }
                            }
                        }
                        _ => {
                            self.pos += i;
                            return self.err("invalid escape in a quoted key");
                        }
                    };
                    key.push(decoded);
                }
                c => key.push(c),
            }
        }
        self.pos = open;
        self.err("unterminated quoted key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> EventPath {
        EventPath::parse(s).unwrap()
    }

    #[test]
    fn display_plain_quoted_and_indexed() {
        let path = EventPath::new(vec![
            Segment::key("context"),
            Segment::key("traits"),
            Segment::key("list"),
            Segment::Index(0),
        ]);
        assert_eq!(path.to_string(), "context.traits.list[0]");
        let odd = EventPath::new(vec![Segment::key("traits"), Segment::key("odd key")]);
        assert_eq!(odd.to_string(), "traits.\"odd key\"");
        let weird = EventPath::new(vec![Segment::key("a\"b\\c"), Segment::key("1x\u{1}")]);
        assert_eq!(weird.to_string(), r#""a\"b\\c"."1x\u0001""#);
        assert_eq!(EventPath::parse(&weird.to_string()).unwrap(), weird);
        assert_eq!(EventPath::keys(&["$x", "_y9"]).to_string(), "$x._y9");
        assert_eq!(EventPath::keys(&[""]).to_string(), "\"\"");
    }

    #[test]
    fn parse_round_trips_display() {
        for text in [
            "traits.address.city",
            "traits.\"odd key\"",
            "context.traits.list[0]",
            "a[1][2].b",
            r#""a\"b\\c"."1x""#,
            "\"\"",
            "",
        ] {
            assert_eq!(p(text).to_string(), text, "{text}");
        }
        assert_eq!(
            p("tags[10]").segments[..],
            [Segment::key("tags"), Segment::Index(10)]
        );
    }

    #[test]
    fn parse_errors() {
        let e = EventPath::parse("traits.").unwrap_err();
        assert_eq!(e.offset, 7);
        let e = EventPath::parse("a[x]").unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str()),
            (2, "expected an array index (digits) after `[`")
        );
        let e = EventPath::parse("a.\"open").unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str()),
            (2, "unterminated quoted key")
        );
        assert!(EventPath::parse("a b").is_err());
        assert!(EventPath::parse("1a").is_err());
    }

    #[test]
    fn root_and_starts_with() {
        assert_eq!(p("traits.email").root(), "traits");
        assert_eq!(p("").root(), "");
        assert!(p("traits.email").starts_with(&p("traits")));
        assert!(p("traits").starts_with(&p("traits")));
        assert!(p("traits").starts_with(&p("")));
        assert!(!p("traits").starts_with(&p("traits.email")));
        assert!(!p("traitsx").starts_with(&p("traits")));
    }

    #[test]
    fn serializes_as_display_string() {
        let json = serde_json::to_string(&p("traits.\"odd key\"[2]")).unwrap();
        assert_eq!(json, r#""traits.\"odd key\"[2]""#);
    }

    #[test]
    fn ordering_is_by_segments() {
        let mut v = [p("traits.b"), p("traits"), p("context.x"), p("traits.a")];
        v.sort();
        let shown: Vec<String> = v.iter().map(|p| p.to_string()).collect();
        assert_eq!(shown, ["context.x", "traits", "traits.a", "traits.b"]);
    }
}
