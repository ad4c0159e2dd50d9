//! Finding the bytes a JSON string cannot hold as they are: `"`, `\` and control characters
//! (below 0x20). The reader uses it to find where a string ends; the output writer uses it to
//! copy strings that need no escaping in one piece.
//!
//! Sixteen bytes at a time. On x86-64 with SSE2 (every x86-64 CPU) one vector compare per
//! class and a move-mask give an exact bit per byte, through `safe_arch`'s safe wrappers
//! (this crate forbids `unsafe`); elsewhere plain integer arithmetic gives the same mask.
//! `benches/reader.rs` and `benches/eval.rs` have the figures.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// A mask with the high bit set in (at least) the lowest byte of `w` that is `"`, `\` or below
/// 0x20. False positives can only appear above a true one, so `trailing_zeros` is exact.
///
/// Flipping bit 1 maps `"` (0x22) to 0x20 and the control characters onto themselves, so one
/// "below 0x21" test finds both; a second test finds `\`.
#[inline(always)]
pub(crate) fn special_mask(w: u64) -> u64 {
    let quote_or_control = w ^ (ONES * 0x02);
    let backslash = w ^ (ONES * u64::from(b'\\'));
    ((quote_or_control.wrapping_sub(ONES * 0x21) & !quote_or_control)
        | (backslash.wrapping_sub(ONES) & !backslash))
        & HIGHS
}

/// Whether `b` holds a `"`, `\` or control character. Without a loop for short strings: the
/// words tested may overlap, which does not matter for a yes or no.
#[inline(always)]
pub(crate) fn has_special(b: &[u8]) -> bool {
    let n = b.len();
    let word = |i: usize| {
        b.get(i..)
            .and_then(|s| s.first_chunk::<8>())
            .map_or(0, |c| u64::from_le_bytes(*c))
    };
    let half = |i: usize| {
        b.get(i..)
            .and_then(|s| s.first_chunk::<4>())
            .map_or(0, |c| u64::from(u32::from_le_bytes(*c)))
    };
    let spaces = ONES * u64::from(b' ');
    if n >= 16 {
        return find_special(b, 0) < n;
    }
    let w = if n >= 8 {
        special_mask(word(0)) | special_mask(word(n - 8))
    } else if n >= 4 {
        special_mask(half(0) | (half(n - 4) << 32))
    } else if n > 0 {
        let bytes = u64::from(b[0]) | (u64::from(b[n / 2]) << 8) | (u64::from(b[n - 1]) << 16);
        special_mask(bytes | (spaces << 24))
    } else {
        0
    };
    w != 0
}

/// Bit `i` is set when byte `i` of `chunk` is `"`, `\` or a control character: exact for
/// every byte, so a mask may be shifted to ignore a prefix.
#[inline(always)]
pub(crate) fn special_bits16(chunk: &[u8; 16]) -> u32 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        special_bits16_sse2(chunk)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        special_bits16_swar(chunk)
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn special_bits16_sse2(chunk: &[u8; 16]) -> u32 {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, min_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };
    let v = load_unaligned_m128i(chunk);
    let quote = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'"' as i8));
    let backslash = cmp_eq_mask_i8_m128i(v, set_splat_i8_m128i(b'\\' as i8));
    // Below 0x20 exactly when the unsigned minimum with 0x1f is the byte itself.
    let control = cmp_eq_mask_i8_m128i(min_u8_m128i(v, set_splat_i8_m128i(0x1f)), v);
    move_mask_i8_m128i(bitor_m128i(bitor_m128i(quote, backslash), control)) as u32
}

/// The portable [`special_bits16`]: an exact per-byte test (no borrows between bytes), its
/// high bits gathered into the low sixteen bits.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn special_bits16_swar(chunk: &[u8; 16]) -> u32 {
    let lanes = |w: u64| -> u32 {
        let low7 = ONES * 0x7f;
        // A byte is zero exactly when adding 0x7f to its low seven bits does not reach bit 7
        // and its own bit 7 is clear.
        let zero = |x: u64| !(((x & low7).wrapping_add(low7)) | x) & HIGHS;
        let control = !(((w & low7).wrapping_add(ONES * 0x60)) | w) & HIGHS;
        let m = zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\'))) | control;
        ((m >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32
    };
    let (lo, hi) = chunk.split_at(8);
    let word = |s: &[u8]| u64::from_le_bytes(s.try_into().unwrap_or([0; 8]));
    lanes(word(lo)) | (lanes(word(hi)) << 8)
}

/// The position of the first `"`, `\` or control character in `b` at or after `i`, or
/// `b.len()` when there is none.
#[inline(always)]
pub(crate) fn find_special(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..).and_then(|s| s.first_chunk::<16>()) {
        let m = special_bits16(chunk);
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        i += 16;
    }
    find_special_tail(b, i)
}

/// [`find_special`] over the last (fewer than sixteen) bytes: one more mask over the last
/// sixteen bytes of `b`, its bytes before `i` shifted out.
#[cold]
#[inline(never)]
fn find_special_tail(b: &[u8], i: usize) -> usize {
    if i >= b.len() {
        return b.len();
    }
    if let Some(last) = b.last_chunk::<16>() {
        let skip = i + 16 - b.len();
        let m = special_bits16(last) >> skip;
        return if m != 0 {
            i + m.trailing_zeros() as usize
        } else {
            b.len()
        };
    }
    b[i..]
        .iter()
        .position(|&c| is_special(c))
        .map_or(b.len(), |p| i + p)
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
        for c in 0..=255u8 {
            let m = special_mask(u64::from_le_bytes([
                b'a', c, b'a', b'a', b'a', b'a', b'a', c,
            ]));
            assert_eq!(m != 0, is_special(c), "{c:#x}");
            if is_special(c) {
                assert_eq!(m.trailing_zeros() / 8, 1, "{c:#x}");
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
    fn special_bits16_is_exact_for_every_byte_in_both_implementations() {
        let fillers = [b'a', 0x21, 0x7f, 0x80, 0xff, 0x20, 0x23, 0x5c ^ 1];
        for c in 0..=255u8 {
            for pos in 0..16 {
                for (f, &filler) in fillers.iter().enumerate() {
                    let mut chunk = [filler; 16];
                    // A second byte of another kind, to catch borrows between bytes.
                    chunk[(pos + 5 + f) % 16] = [0x00, b'"', b'\\', 0x1f, 0xff][f % 5];
                    chunk[pos] = c;
                    let want = chunk
                        .iter()
                        .enumerate()
                        .fold(0u32, |m, (i, &b)| m | (u32::from(is_special(b)) << i));
                    assert_eq!(special_bits16_swar(&chunk), want, "{chunk:?}");
                    assert_eq!(special_bits16(&chunk), want, "{chunk:?}");
                }
            }
        }
    }

    #[test]
    fn has_special_agrees_with_a_byte_loop() {
        for len in 0..40 {
            for at in 0..=len {
                for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                    let mut b: Vec<u8> = (0..len).map(|i| b"a\x7f\xc3\xa9 !#]"[i % 8]).collect();
                    if at < len {
                        b[at] = special;
                    }
                    assert_eq!(has_special(&b), at < len, "{b:?}");
                }
            }
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
