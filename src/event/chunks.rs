//! JSONL input cut into chunks of whole lines, so that several threads can evaluate one stream.
//!
//! Chunks are numbered in input order (`seq`), and a chunk always ends just after a `\n` (or at
//! the end of the input), so no line is ever split between two chunks. A line longer than the
//! chunk size makes a longer chunk; nothing is cut.
//!
//! Two sources, one interface ([`Chunks::next`]):
//! - **Bytes in memory** are handed out as borrowed slices: no copy at all.
//! - **A reader** (a file, standard input) is read into the caller's recycled buffer, one
//!   `read` call at a time: a chunk is handed out as soon as a read brings in a complete line,
//!   so a slow pipe (`tail -f`) is evaluated line by line and a file in full-sized chunks. The
//!   unfinished line at the end of a read is carried into the next chunk.
//!
//! A chunk does not know its first line's number: that needs every earlier chunk's line count.
//! Whoever consumes the chunks in order adds the counts up (see `eval::stream`).

use std::io::{self, Read};
use std::sync::Mutex;

/// The default chunk size: big enough that handing out a chunk costs nothing next to
/// evaluating it, small enough to stay in a core's cache and to balance two threads' work.
pub const CHUNK_SIZE: usize = 256 << 10;

/// The least room a read is given; the buffer grows when a line is longer than the chunk.
const MIN_READ: usize = 64 << 10;

/// A JSONL stream as chunks of whole lines, shared by the threads that take them.
pub struct Chunks<'a> {
    source: Mutex<Source<'a>>,
    size: usize,
}

enum Source<'a> {
    Bytes {
        rest: &'a [u8],
        seq: u64,
    },
    Reader {
        inner: Box<dyn Read + Send + 'a>,
        /// The unfinished line at the end of the last read.
        carry: Vec<u8>,
        /// The reader has reported its end (or failed): no more reads.
        done: bool,
        seq: u64,
    },
}

/// One chunk: its place in the input and its text.
pub struct Chunk<'a> {
    /// 0 for the first chunk, then 1, 2, ... in input order.
    pub seq: u64,
    /// The reader gave less than was asked for: it had no more at the moment (a pipe, a
    /// terminal) or it ended. What comes of this chunk should be flushed, so that a slow stream
    /// (`tail -f events | sfmap eval`) is answered as its lines arrive.
    pub caught_up: bool,
    text: Text<'a>,
}

enum Text<'a> {
    Borrowed(&'a [u8]),
    /// A buffer and how many of its bytes are the chunk.
    Owned(Vec<u8>, usize),
}

impl<'a> Chunk<'a> {
    /// The chunk's bytes: whole lines, the last one ending in `\n` unless it ends the input.
    pub fn bytes(&self) -> &[u8] {
        match &self.text {
            Text::Borrowed(b) => b,
            Text::Owned(buf, len) => &buf[..*len],
        }
    }

    /// The buffer the chunk was read into, to pass to the next [`Chunks::next`] call; empty for
    /// a borrowed chunk.
    pub fn into_buffer(self) -> Vec<u8> {
        match self.text {
            Text::Borrowed(_) => Vec::new(),
            Text::Owned(buf, _) => buf,
        }
    }
}

impl<'a> Chunks<'a> {
    /// Chunks borrowed from bytes in memory.
    pub fn from_bytes(bytes: &'a [u8]) -> Chunks<'a> {
        Chunks {
            source: Mutex::new(Source::Bytes {
                rest: bytes,
                seq: 0,
            }),
            size: CHUNK_SIZE,
        }
    }

    /// Chunks read from `inner`.
    pub fn from_reader(inner: impl Read + Send + 'a) -> Chunks<'a> {
        Chunks {
            source: Mutex::new(Source::Reader {
                inner: Box::new(inner),
                carry: Vec::new(),
                done: false,
                seq: 0,
            }),
            size: CHUNK_SIZE,
        }
    }

    /// Sets the chunk size in bytes (at least 1); tests use tiny ones.
    pub fn with_size(mut self, size: usize) -> Chunks<'a> {
        self.size = size.max(1);
        self
    }

    /// The next chunk, or `None` at the end of the input. `buffer` is reused for a read chunk
    /// (pass the last chunk's [`Chunk::into_buffer`]). After a read error every later call
    /// returns `None`: the error goes to one caller only.
    pub fn next(&self, buffer: Vec<u8>) -> io::Result<Option<Chunk<'a>>> {
        // A poisoned lock means another taker panicked; its chunk is lost, so stop.
        let Ok(mut source) = self.source.lock() else {
            return Ok(None);
        };
        match &mut *source {
            Source::Bytes { rest, seq } => {
                if rest.is_empty() {
                    return Ok(None);
                }
                let end = whole_lines_end(rest, self.size);
                let (text, tail) = rest.split_at(end);
                *rest = tail;
                *seq += 1;
                Ok(Some(Chunk {
                    seq: *seq - 1,
                    caught_up: false,
                    text: Text::Borrowed(text),
                }))
            }
            Source::Reader {
                inner,
                carry,
                done,
                seq,
            } => {
                let read = read_chunk(inner, carry, done, buffer, self.size);
                if read.is_err() {
                    *done = true;
                    carry.clear();
                }
                let Some((buf, len, caught_up)) = read? else {
                    return Ok(None);
                };
                *seq += 1;
                Ok(Some(Chunk {
                    seq: *seq - 1,
                    caught_up,
                    text: Text::Owned(buf, len),
                }))
            }
        }
    }
}

/// The end of the first chunk of `rest`: just after the first `\n` at or beyond `size - 1`, or
/// the end of `rest`.
fn whole_lines_end(rest: &[u8], size: usize) -> usize {
    if rest.len() <= size {
        return rest.len();
    }
    memchr::memchr(b'\n', &rest[size - 1..]).map_or(rest.len(), |i| size + i)
}

/// Reads the next chunk into `buf`: the carried line, then reads until one brings in a `\n`
/// (or the input ends). Returns the buffer, the chunk's length, and whether the last read gave
/// less than it was offered (see [`Chunk::caught_up`]); what follows the chunk's last `\n` is
/// carried to the next call.
fn read_chunk(
    inner: &mut Box<dyn Read + Send + '_>,
    carry: &mut Vec<u8>,
    done: &mut bool,
    mut buf: Vec<u8>,
    size: usize,
) -> io::Result<Option<(Vec<u8>, usize, bool)>> {
    // The buffer is kept at its full length (zeroed once) so that reads need no zeroing.
    let want = size.max(MIN_READ).max(carry.len() + MIN_READ);
    if buf.len() < want {
        buf.resize(want, 0);
    }
    let mut len = carry.len();
    buf[..len].copy_from_slice(carry);
    carry.clear();
    loop {
        if *done {
            return Ok((len > 0).then_some((buf, len, true)));
        }
        if buf.len() - len < MIN_READ {
            let grown = buf.len() * 2;
            buf.resize(grown, 0);
        }
        // Read at most `size` bytes beyond the carried line, so a chunk stays near `size`.
        let room = (buf.len() - len).min(size);
        let n = match inner.read(&mut buf[len..len + room]) {
            Ok(0) => {
                *done = true;
                continue;
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let start = len;
        len += n;
        if let Some(i) = memchr::memrchr(b'\n', &buf[start..len]) {
            let end = start + i + 1;
            carry.extend_from_slice(&buf[end..len]);
            return Ok(Some((buf, end, n < room)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per read.
    struct Trickle<'d> {
        data: &'d [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// Every chunk's bytes, in order, checking that sequence numbers count up from 0.
    fn collect(chunks: &Chunks<'_>) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut buffer = Vec::new();
        while let Some(chunk) = chunks.next(buffer).unwrap() {
            assert_eq!(chunk.seq, out.len() as u64);
            out.push(chunk.bytes().to_vec());
            buffer = chunk.into_buffer();
        }
        assert!(chunks.next(Vec::new()).unwrap().is_none(), "ended for good");
        out
    }

    fn check_whole_lines(text: &[u8], got: &[Vec<u8>], what: &str) {
        assert_eq!(
            got.concat(),
            text,
            "{what}: the chunks put together are the input"
        );
        for (i, c) in got.iter().enumerate() {
            assert!(!c.is_empty(), "{what}: chunk {i} is empty");
            if i + 1 < got.len() {
                assert_eq!(c.last(), Some(&b'\n'), "{what}: chunk {i} splits a line");
            }
        }
    }

    const TEXT: &[u8] = b"{\"a\":1}\r\n\n  \r\n{\"b\":\"0123456789abcdefghij\"}\n\t\nab\xffcd\n{\"c\":3}\n\n{\"d\":4}";

    #[test]
    fn bytes_split_into_whole_lines_at_every_size() {
        for size in 1..=TEXT.len() + 2 {
            let got = collect(&Chunks::from_bytes(TEXT).with_size(size));
            check_whole_lines(TEXT, &got, &format!("size {size}"));
            // Each chunk is the shortest run of whole lines reaching `size` bytes.
            for c in &got[..got.len() - 1] {
                assert!(c.len() >= size, "size {size}: {c:?}");
                let body = &c[..c.len() - 1];
                assert!(body.len() < size || !body[size - 1..].contains(&b'\n'));
            }
        }
        assert!(collect(&Chunks::from_bytes(b"")).is_empty());
        assert_eq!(collect(&Chunks::from_bytes(b"x")), [b"x".to_vec()]);
    }

    #[test]
    fn bytes_are_borrowed_not_copied() {
        let chunks = Chunks::from_bytes(TEXT).with_size(10);
        let first = chunks.next(Vec::new()).unwrap().unwrap();
        assert_eq!(first.bytes().as_ptr(), TEXT.as_ptr());
        assert!(first.into_buffer().is_empty());
    }

    #[test]
    fn reads_split_into_whole_lines_for_every_read_and_chunk_size() {
        for step in 1..=TEXT.len() + 1 {
            for size in [1, 2, 7, 16, 64, 1 << 20] {
                let got =
                    collect(&Chunks::from_reader(Trickle { data: TEXT, step }).with_size(size));
                check_whole_lines(TEXT, &got, &format!("step {step}, size {size}"));
            }
        }
        for end in [&b"x\n"[..], b"x", b"\n\n", b""] {
            let got = collect(&Chunks::from_reader(Trickle { data: end, step: 1 }));
            check_whole_lines(end, &got, &format!("{end:?}"));
        }
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_kept_whole() {
        let long = [vec![b'x'; 3 * MIN_READ], b"\n{}\n".to_vec()].concat();
        let got = collect(&Chunks::from_reader(&long[..]).with_size(16));
        check_whole_lines(&long, &got, "long line");
        assert!(got[0].len() > 3 * MIN_READ, "{}", got[0].len());
    }

    #[test]
    fn a_slow_pipe_gives_each_line_when_it_arrives() {
        // One line per read: each read's line is a chunk of its own, however big the size,
        // and each is marked caught up.
        let chunks = Chunks::from_reader(Trickle {
            data: b"{\"a\":1}\n{\"b\":2}\n",
            step: 8,
        });
        for want in [&b"{\"a\":1}\n"[..], b"{\"b\":2}\n"] {
            let chunk = chunks.next(Vec::new()).unwrap().unwrap();
            assert_eq!((chunk.bytes(), chunk.caught_up), (want, true));
        }
        assert!(chunks.next(Vec::new()).unwrap().is_none());
    }

    #[test]
    fn a_file_gives_full_chunks_not_caught_up_until_its_end() {
        let text: Vec<u8> = (0..2000)
            .flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes())
            .collect();
        let chunks = Chunks::from_reader(&text[..]).with_size(1000);
        let mut got = Vec::new();
        let mut buffer = Vec::new();
        while let Some(chunk) = chunks.next(buffer).unwrap() {
            got.push((chunk.bytes().len(), chunk.caught_up));
            buffer = chunk.into_buffer();
        }
        let (last, full) = got.split_last().unwrap();
        assert!(
            full.iter().all(|&(len, caught_up)| len > 980 && !caught_up),
            "{got:?}"
        );
        assert!(last.1, "the end is caught up");
        assert!(
            !Chunks::from_bytes(&text)
                .next(Vec::new())
                .unwrap()
                .unwrap()
                .caught_up
        );
    }

    #[test]
    fn a_read_error_goes_to_one_caller_and_ends_the_chunks() {
        struct Failing(bool);
        impl Read for Failing {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if std::mem::replace(&mut self.0, true) {
                    return Err(io::Error::other("disk on fire"));
                }
                out[..3].copy_from_slice(b"{}\n");
                Ok(3)
            }
        }
        let chunks = Chunks::from_reader(Failing(false));
        assert_eq!(chunks.next(Vec::new()).unwrap().unwrap().bytes(), b"{}\n");
        let err = chunks.next(Vec::new()).err().expect("the read error");
        assert_eq!(err.to_string(), "disk on fire");
        assert!(chunks.next(Vec::new()).unwrap().is_none());
    }
}
