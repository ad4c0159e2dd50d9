//! Finding the bytes a JSON string cannot hold as they are: `"`, `\` and control characters
//! (below 0x20). The reader uses it to find where a string ends; the output writer uses it to
//! copy strings that need no escaping in one piece.
//!
//! Sixteen bytes at a time with plain integer arithmetic (safe code; `benches/reader.rs` has
//! the figures that chose it over a `memchr` dependency).

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// A mask with the high bit set in (at least) the lowest byte of `w` that is `"`, `\` or below
/// 0x20. False positives can only appear above a true one, so `trailing_zeros` is exact.
#[inline(always)]
pub(crate) fn special_mask(w: u64) -> u64 {
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v;
    (has_zero(quote) | has_zero(backslash) | w.wrapping_sub(ONES * 0x20)) & !w & HIGHS
}

/// [`special_mask`] over sixteen bytes.
#[inline(always)]
pub(crate) fn special_mask16(x: u128) -> u128 {
    u128::from(special_mask(x as u64)) | (u128::from(special_mask((x >> 64) as u64)) << 64)
}

/// The position of the first `"`, `\` or control character in `b` at or after `i`, or
/// `b.len()` when there is none.
#[inline(always)]
pub(crate) fn find_special(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..).and_then(|s| s.first_chunk::<16>()) {
        let m = special_mask16(u128::from_le_bytes(*chunk));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 16;
    }
    if let Some(chunk) = b.get(i..).and_then(|s| s.first_chunk::<8>()) {
        let m = special_mask(u64::from_le_bytes(*chunk));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if is_special(c) {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// True for `"`, `\` and control characters.
#[inline(always)]
pub(crate) fn is_special(c: u8) -> bool {
    c == b'"' || c == b'\\' || c < 0x20
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_mask_finds_the_first_special_byte() {
        for pos in 0..8 {
            for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                let mut w = [b'a'; 8];
                w[pos] = special;
                // Put more specials (and bytes that could cause borrows) above it.
                for (i, b) in w.iter_mut().enumerate().skip(pos + 1) {
                    *b = [0x00, 0x21, 0x1f, 0x80, 0xff, b'"', b'\\', 0x01][i];
                }
                let m = special_mask(u64::from_le_bytes(w));
                assert_eq!((m.trailing_zeros() / 8) as usize, pos, "{w:?}");
            }
        }
        for w in [
            *b"abcdefgh",
            [0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff],
        ] {
            assert_eq!(special_mask(u64::from_le_bytes(w)), 0, "{w:?}");
        }
    }

    #[test]
    fn find_special_agrees_with_a_byte_loop() {
        // Every length up to 40 and every position of one special byte, from every start.
        for len in 0..40 {
            for at in 0..=len {
                for special in [b'"', b'\\', 0x00, 0x1f] {
                    let mut b: Vec<u8> = (0..len).map(|i| b"a\x7f\xc3\xa9 z"[i % 6]).collect();
                    if at < len {
                        b[at] = special;
                    }
                    for start in 0..=len {
                        let want = (start..len).find(|&i| is_special(b[i])).unwrap_or(len);
                        assert_eq!(find_special(&b, start), want, "{b:?} from {start}");
                    }
                }
            }
        }
    }
}
