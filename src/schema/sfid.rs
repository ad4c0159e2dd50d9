//! Salesforce record Ids: 15-character case-sensitive and 18-character checksummed forms.

const CHECKSUM_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a string is not a record Id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("a record Id has 15 or 18 characters, this one has {0}")]
    Length(usize),
    #[error("a record Id holds only letters and digits; found {0:?}")]
    Character(char),
    #[error("the checksum is {found:?}, but the first 15 characters give {expected:?}")]
    Checksum { expected: String, found: String },
}

/// The three-character checksum of a 15-character Id.
pub fn checksum(id15: &str) -> String {
    checksum_chars(id15.as_bytes())
        .map(char::from)
        .iter()
        .collect()
}

fn checksum_chars(id15: &[u8]) -> [u8; 3] {
    let mut out = [0; 3];
    for (chunk, c) in out.iter_mut().enumerate() {
        let mut n = 0usize;
        for i in 0..5 {
            if id15[chunk * 5 + i].is_ascii_uppercase() {
                n |= 1 << i;
            }
        }
        *c = CHECKSUM_ALPHABET[n];
    }
    out
}

/// The 18-character form of a valid 15- or 18-character Id.
pub fn to18(id: &str) -> Result<String, IdError> {
    validate(id)?;
    if id.len() == 18 {
        return Ok(id.to_string());
    }
    Ok(format!("{id}{}", checksum(id)))
}

/// The 15-character case-sensitive form (the part that identifies the record).
pub fn to15(id: &str) -> Result<&str, IdError> {
    validate(id)?;
    Ok(&id[..15])
}

/// Checks length, characters and (for 18 characters) the checksum.
pub fn validate(id: &str) -> Result<(), IdError> {
    let len = id.chars().count();
    if len != 15 && len != 18 {
        return Err(IdError::Length(len));
    }
    if let Some(c) = id.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(IdError::Character(c));
    }
    if len == 18 {
        let expected = checksum(&id[..15]);
        // Salesforce treats the suffix case-insensitively.
        if !id[15..].eq_ignore_ascii_case(&expected) {
            return Err(IdError::Checksum {
                expected,
                found: id[15..].to_string(),
            });
        }
    }
    Ok(())
}

/// The key prefix (first three characters) of an Id.
pub fn key_prefix(id: &str) -> &str {
    id.get(..3).unwrap_or(id)
}

/// Builds the 18-character Id of record number `n` for an object with `prefix`, on pod `pod`
/// (two characters). Deterministic, so emulator runs are reproducible.
pub fn make(prefix: &str, pod: &str, n: u64) -> String {
    let mut digits = [b'0'; 9];
    let mut v = n;
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(v % 62) as usize];
        v /= 62;
    }
    let mut id = Vec::with_capacity(18);
    id.extend_from_slice(prefix.as_bytes());
    id.extend_from_slice(pod.as_bytes());
    id.push(b'0');
    id.extend_from_slice(&digits);
    let sum = checksum_chars(&id);
    id.extend_from_slice(&sum);
    // Only ASCII was added to the (UTF-8) prefix and pod.
    String::from_utf8(id).unwrap_or_default()
}

/// The record number `n` that [`make`] put into an 18-character Id (whatever its prefix and
/// pod), or `None` when the Id has no such number. Only a lookup hint: an Id made otherwise may
/// still give a number, so a caller compares the Id stored under it.
pub fn number(id: &str) -> Option<u64> {
    let b = id.as_bytes();
    if b.len() != 18 {
        return None;
    }
    b[6..15].iter().try_fold(0u64, |n, &c| {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A' + 10,
            b'a'..=b'z' => c - b'a' + 36,
            _ => return None,
        };
        Some(n * 62 + u64::from(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_of_documented_ids() {
        for (id, sum) in [
            ("00190000001pPvH", "AAU"),
            ("001D000000Kv3g5", "IAB"),
            ("0018a00001rBqb8", "AAC"),
            ("005D0000001QX8W", "IAW"),
            ("a00D0000008pQSN", "IA2"),
            ("7506g00000DhRA2", "AAN"),
            ("0012o00003OBzVS", "AA1"),
        ] {
            assert_eq!(checksum(id), sum, "{id}");
            assert_eq!(to18(id).unwrap(), format!("{id}{sum}"));
        }
    }

    #[test]
    fn rejects_bad_ids() {
        assert_eq!(validate("001"), Err(IdError::Length(3)));
        assert_eq!(validate("00190000001pPv-"), Err(IdError::Character('-')));
        assert!(matches!(
            validate("00190000001pPvHAAA"),
            Err(IdError::Checksum { .. })
        ));
        assert_eq!(validate("00190000001pPvHaau"), Ok(()));
    }

    #[test]
    fn made_ids_are_valid_and_distinct() {
        let a = make("00Q", "5g", 1);
        let b = make("00Q", "5g", 62);
        assert_eq!(a.len(), 18);
        assert_ne!(a, b);
        validate(&a).unwrap();
        validate(&b).unwrap();
        assert_eq!(key_prefix(&a), "00Q");
        for n in [0, 1, 61, 62, 3_843, 1_000_000_007, 62u64.pow(9) - 1] {
            assert_eq!(number(&make("001", "0E", n)), Some(n), "{n}");
        }
        assert_eq!(number("001"), None);
        assert_eq!(number("0010E0-00000001AAA"), None);
    }
}
