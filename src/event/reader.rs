//! [`ReadPlan`]: a selective JSON reader that materialises only the paths a plan reads.
//!
//! # How it works
//!
//! [`ReadPlan::new`] turns the plan's paths into a trie with one node per path prefix. Each node
//! has a small hash table of its keys and a list of wanted array indices. A node that a path
//! names in full (`traits` when the plan reads `traits` as a whole) has no children: its value
//! is materialised once and the slots of longer paths below it (`traits.email`) are filled from
//! that value.
//!
//! [`ReadPlan::read`] walks the JSON text once, left to right:
//!
//! - inside an object whose trie node has children, each key is looked up in the node's table;
//!   a hit descends (or materialises, for a named node), a miss skips the value;
//! - everything else is *skipped*: scanned and fully validated (balanced brackets, well-formed
//!   strings, escapes, numbers and literals, nesting limit) without building anything;
//! - materialised strings without escapes borrow from the input; escaped ones are decoded.
//!
//! So a malformed event is rejected wherever the fault is, and the document is accepted exactly
//! when `serde_json::from_str::<serde_json::Value>` accepts it and it is an object (the property
//! tests check this, including serde_json's nesting limit of 127 levels), with one exception:
//! a number too large for a double (`1e400`) is valid JSON that only a double cannot hold, so it
//! fails the event only where it is read (serde_json's "number out of range"), not where it is
//! skipped. A plan that reads the whole event (`jmes()`) reads every number.
//!
//! Duplicate keys: the last one wins, as in serde_json. When a key that the trie knows comes
//! round again in the same object, the slots below it are cleared before it is read again, so an
//! earlier occurrence cannot leak a value the later one lacks.
//!
//! # What makes it fast
//!
//! Profiled with callgrind (instruction counts and simulated branch misses), since wall-clock
//! figures on a shared machine are noisy. In order of effect:
//!
//! - **Key dispatch without loops.** Each trie level's keys sit in a hash table whose
//!   multiplier is searched for at build time so that the known keys never collide. A key of up
//!   to 15 bytes is found with one 16-byte load: its end, its first and last words (the hash
//!   input and the comparison) come from that load without branching on its length. Length
//!   buckets with linear probing cost about twice as many mispredicted branches.
//! - **Strings sixteen bytes at a time.** The end of a string (`"`, `\` or a control
//!   character) is found with SSE2 compares and a move-mask through `safe_arch` (`special.rs`,
//!   shared with the output writer; 11% fewer instructions per event than the 64-bit bit
//!   tricks it replaced, which remain for other targets); string skipping is inlined, and
//!   escapes go to a cold path. Calling SIMD `memchr2` for long strings (after checking the
//!   whole line for control bytes) measured slower on these events.
//! - **Small results.** The internal error is zero-sized (the message waits in the scanner), so
//!   every `?` is a test of one register; separators skip whitespace only when there is some.
//! - **No per-event allocation.** Slots are reused, values borrow from the line, and slots are
//!   cleared only when a key repeats (a bit per key and object records what was seen).
//! - **Leaf strings in place.** A plain leaf path whose value is a string is read without a call
//!   per value.
//!
//! # Why not serde_json
//!
//! Building a `serde_json::Value` per event allocates a map node per member and a `String` per
//! string, most of which the plan never looks at: the benchmark measures it about 8 times
//! slower than this reader. A typed serde struct cannot follow paths that are only known when a
//! mapping file is compiled. See `benches/reader.rs` for the numbers.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::str::FromStr;

use serde_json::Number;

use super::path::{EventPath, Segment};
use super::special::{find_special, special_bits16};
use super::value::Value;
use crate::outcome::RunCode;

/// serde_json stops at 128 levels of nesting; we accept exactly what it accepts.
const MAX_DEPTH: u32 = 127;

/// A number the event holds where it is read, too large for a double (`1e400`).
const OUT_OF_RANGE: &str = "number out of range for a 64-bit float";

/// Why an event could not be read. `offset` is a byte offset into the event line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {offset})")]
pub struct ReadError {
    /// Byte offset into the document where the problem was found.
    pub offset: usize,
    /// What is wrong, in plain words.
    pub message: String,
    /// Whether the text is not JSON, or is but holds a number the plan cannot read.
    pub kind: ReadErrorKind,
}

/// The two ways an event cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadErrorKind {
    /// Not a JSON object: a syntax error, a bare value, nesting too deep.
    Malformed,
    /// Valid JSON, but a number the plan reads is beyond a double's range (`1e400`).
    NumberOutOfRange,
}

impl ReadError {
    /// The runtime code the event fails with.
    pub fn code(&self) -> RunCode {
        match self.kind {
            ReadErrorKind::Malformed => RunCode::MalformedEvent,
            ReadErrorKind::NumberOutOfRange => RunCode::NumberOutOfRange,
        }
    }
}

/// Where one read puts its results. Reuse it between events: [`ReadPlan::read`] clears it.
#[derive(Debug, Clone, Default)]
pub struct ReadOut<'a> {
    /// `slots[i]` is the value at the plan's path `i`: `None` when absent.
    pub slots: Vec<Option<Value<'a>>>,
    /// The whole event, when the plan asked for it.
    pub full: Option<serde_json::Value>,
}

impl<'a> ReadOut<'a> {
    /// An empty output.
    pub fn new() -> ReadOut<'a> {
        ReadOut::default()
    }

    /// The value in slot `i`, if present.
    pub fn slot(&self, i: usize) -> Option<&Value<'a>> {
        self.slots.get(i).and_then(Option::as_ref)
    }

    /// Empties this output and re-types it for input with another lifetime, keeping the slot
    /// vector's allocation. Use it when the line buffer is reused between events.
    pub fn recycle<'b>(self) -> ReadOut<'b> {
        let mut slots = self.slots;
        slots.clear();
        ReadOut {
            // An in-place collect: same layout, so the allocation is kept.
            slots: slots.into_iter().map(|_| None).collect(),
            full: None,
        }
    }
}

/// The compiled form of a set of paths. Build once per plan; share between threads.
#[derive(Debug, Clone)]
pub struct ReadPlan {
    nodes: Box<[Node]>,
    paths: Box<[EventPath]>,
    want_full_event: bool,
}

#[derive(Debug, Clone, Default)]
struct Node {
    /// Slots that take the whole value at this node.
    own: Box<[u32]>,
    /// When `own` is not empty: the slots of longer paths, filled from the materialised value.
    below: Box<[(u32, Box<[Segment]>)]>,
    /// Every slot at or below this node; cleared when a duplicate key enters it again.
    subtree: Box<[u32]>,
    keys: KeyTable,
    /// Wanted array elements, by index.
    indices: Box<[(usize, u32)]>,
    /// The slot, when this node is a plain leaf: one slot takes its value, none below it.
    /// Its string values are read in place, without a call per value.
    leaf: Option<u32>,
}

/// Keys of one trie level, in a small hash table with no collisions among the known keys (the
/// multiplier is searched for when the plan is built). A lookup is one hash of at most two
/// words the scanner has loaded anyway, one probe and one compare: no loops and few
/// unpredictable branches, which is what dominates the cost of dispatching keys.
#[derive(Debug, Clone, Default)]
struct KeyTable {
    entries: Box<[KeyEntry]>,
    mul: u64,
    shift: u32,
}

#[derive(Debug, Clone)]
struct KeyEntry {
    /// Key length in bytes; `usize::MAX` marks an empty entry.
    len: usize,
    /// The first (up to) eight bytes, little-endian, zero-padded.
    first: u64,
    /// The last eight bytes (overlapping `first`), or `first` for short keys.
    last: u64,
    /// The whole key, compared only for keys longer than 16 bytes.
    long: Box<[u8]>,
    /// The key's number within the table, for the per-object "seen" bits.
    ordinal: u32,
    node: u32,
}

fn empty_entry() -> KeyEntry {
    KeyEntry {
        len: usize::MAX,
        first: 0,
        last: 0,
        long: Box::new([]),
        ordinal: 0,
        node: 0,
    }
}

/// The first `min(len, 8)` bytes of `key` as a little-endian word, zero-padded.
fn prefix_word(key: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let n = key.len().min(8);
    w[..n].copy_from_slice(&key[..n]);
    u64::from_le_bytes(w)
}

/// The last eight bytes of `key` (overlapping the first word), or `first` for short keys.
fn last_word(key: &[u8], first: u64) -> u64 {
    key.last_chunk::<8>()
        .map_or(first, |c| u64::from_le_bytes(*c))
}

/// A key's hash: from its length and first and last words, and for long keys all its bytes.
#[inline(always)]
fn key_hash(len: usize, first: u64, last: u64, key: impl FnOnce() -> u64) -> u64 {
    let h = first ^ last.rotate_left(29) ^ len as u64;
    if len > 16 { h ^ key() } else { h }
}

#[cold]
fn long_key_hash(key: &[u8]) -> u64 {
    key.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

impl KeyTable {
    fn new(keys: Vec<(Box<[u8]>, u32)>) -> KeyTable {
        if keys.is_empty() {
            return KeyTable::default();
        }
        let hashes: Vec<u64> = keys
            .iter()
            .map(|(k, _)| {
                let first = prefix_word(k);
                key_hash(k.len(), first, last_word(k, first), || long_key_hash(k))
            })
            .collect();
        let mut bits = (2 * keys.len()).next_power_of_two().trailing_zeros().max(1);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let (mul, shift) = 'search: loop {
            for _ in 0..256 {
                // splitmix64 for candidate multipliers; odd, so the multiply is a bijection.
                seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = seed;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                let mul = (z ^ (z >> 31)) | 1;
                let shift = 64 - bits;
                let mut used = vec![false; 1 << bits];
                let distinct = hashes.iter().all(|h| {
                    let i = (h.wrapping_mul(mul) >> shift) as usize;
                    !std::mem::replace(&mut used[i], true)
                });
                if distinct {
                    break 'search (mul, shift);
                }
            }
            bits += 1;
        };
        let mut entries = vec![empty_entry(); 1 << bits];
        for (ordinal, ((key, node), h)) in keys.into_iter().zip(hashes).enumerate() {
            let first = prefix_word(&key);
            let last = last_word(&key, first);
            entries[(h.wrapping_mul(mul) >> shift) as usize] = KeyEntry {
                len: key.len(),
                first,
                last,
                long: if key.len() > 16 { key } else { Box::new([]) },
                ordinal: ordinal as u32,
                node,
            };
        }
        KeyTable {
            entries: entries.into(),
            mul,
            shift,
        }
    }

    /// The ordinal and node of a key of `len` bytes, given its first word (zero-padded) and
    /// last word (see [`last_word`]); `key` gives the bytes, needed only when `len > 16`.
    #[inline(always)]
    fn get<'k>(
        &self,
        len: usize,
        first: u64,
        last: u64,
        key: impl Fn() -> &'k [u8],
    ) -> Option<(u32, u32)> {
        let h = key_hash(len, first, last, || long_key_hash(key()));
        let e = self
            .entries
            .get((h.wrapping_mul(self.mul) >> self.shift) as usize)?;
        let same = (e.len == len) & (e.first == first) & (e.last == last);
        (same && (len <= 16 || *e.long == *key())).then_some((e.ordinal, e.node))
    }

    /// Looks up a key given only its bytes.
    fn get_bytes(&self, key: &[u8]) -> Option<(u32, u32)> {
        let first = prefix_word(key);
        self.get(key.len(), first, last_word(key, first), || key)
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The trie while it is being built.
#[derive(Default)]
struct Build {
    own: Vec<u32>,
    keys: BTreeMap<Box<str>, Build>,
    indices: BTreeMap<usize, Build>,
}

impl Build {
    fn insert(&mut self, segs: &[Segment], slot: u32) {
        match segs.split_first() {
            None => self.own.push(slot),
            Some((Segment::Key(k), rest)) => {
                self.keys.entry(k.clone()).or_default().insert(rest, slot)
            }
            Some((Segment::Index(i), rest)) => {
                self.indices.entry(*i).or_default().insert(rest, slot)
            }
        }
    }

    fn collect_below(&self, prefix: &mut Vec<Segment>, below: &mut Vec<(u32, Box<[Segment]>)>) {
        for (k, child) in &self.keys {
            prefix.push(Segment::Key(k.clone()));
            child.collect_all(prefix, below);
            prefix.pop();
        }
        for (i, child) in &self.indices {
            prefix.push(Segment::Index(*i));
            child.collect_all(prefix, below);
            prefix.pop();
        }
    }

    fn collect_all(&self, prefix: &mut Vec<Segment>, below: &mut Vec<(u32, Box<[Segment]>)>) {
        for &slot in &self.own {
            below.push((slot, prefix.clone().into()));
        }
        self.collect_below(prefix, below);
    }

    /// Appends this node (and its children) to `nodes`, returning its index.
    fn flatten(self, nodes: &mut Vec<Node>) -> u32 {
        let id = nodes.len();
        nodes.push(Node::default());
        let node = if !self.own.is_empty() {
            let mut below = Vec::new();
            self.collect_below(&mut Vec::new(), &mut below);
            let subtree = self
                .own
                .iter()
                .copied()
                .chain(below.iter().map(|b| b.0))
                .collect();
            Node {
                leaf: match (&self.own[..], below.is_empty()) {
                    (&[slot], true) => Some(slot),
                    _ => None,
                },
                own: self.own.into(),
                below: below.into(),
                subtree,
                ..Node::default()
            }
        } else {
            let mut subtree = Vec::new();
            let mut keys = Vec::new();
            for (k, child) in self.keys {
                let c = child.flatten(nodes);
                subtree.extend_from_slice(&nodes[c as usize].subtree);
                keys.push((Box::<[u8]>::from(k.as_bytes()), c));
            }
            let mut indices = Vec::new();
            for (i, child) in self.indices {
                let c = child.flatten(nodes);
                subtree.extend_from_slice(&nodes[c as usize].subtree);
                indices.push((i, c));
            }
            Node {
                subtree: subtree.into(),
                keys: KeyTable::new(keys),
                indices: indices.into(),
                ..Node::default()
            }
        };
        nodes[id] = node;
        id as u32
    }
}

impl ReadPlan {
    /// `paths[i]` fills `slots[i]`. Paths may share prefixes and may be prefixes of each other
    /// (`traits` and `traits.email`): each slot gets the full value at its path (a whole
    /// sub-object if the path names an object). With `want_full_event`, each read also parses
    /// the whole event into [`ReadOut::full`].
    pub fn new(paths: &[EventPath], want_full_event: bool) -> ReadPlan {
        let mut root = Build::default();
        for (slot, path) in paths.iter().enumerate() {
            let slot = u32::try_from(slot).expect("fewer than 2^32 paths");
            root.insert(&path.segments, slot);
        }
        let mut nodes = Vec::new();
        root.flatten(&mut nodes);
        ReadPlan {
            nodes: nodes.into(),
            paths: paths.into(),
            want_full_event,
        }
    }

    /// The paths, in slot order.
    pub fn paths(&self) -> &[EventPath] {
        &self.paths
    }

    /// Whether reads also fill [`ReadOut::full`].
    pub fn wants_full_event(&self) -> bool {
        self.want_full_event
    }

    /// Reads one JSON document (one JSONL line). On success `out.slots[i]` is `Some(value)` if
    /// path `i` exists (JSON null is `Some(Value::Null)`) and `None` if it is absent. On error
    /// every slot is `None`.
    pub fn read<'a>(&self, json: &'a str, out: &mut ReadOut<'a>) -> Result<(), ReadError> {
        out.slots.clear();
        out.slots.resize_with(self.paths.len(), || None);
        out.full = None;
        if let Err((offset, message)) = self.scan(json, &mut out.slots) {
            out.slots.iter_mut().for_each(|s| *s = None);
            let kind = match message {
                OUT_OF_RANGE => ReadErrorKind::NumberOutOfRange,
                _ => ReadErrorKind::Malformed,
            };
            return Err(ReadError {
                offset,
                message: message.to_owned(),
                kind,
            });
        }
        if self.want_full_event {
            // The scan has validated the document, so this cannot fail; stay panic-free anyway.
            let full = serde_json::from_str(json).map_err(|_| ReadError {
                offset: 0,
                message: "the event could not be read as JSON".to_owned(),
                kind: ReadErrorKind::Malformed,
            })?;
            out.full = Some(full);
        }
        Ok(())
    }

    fn scan<'a>(
        &self,
        json: &'a str,
        slots: &mut [Option<Value<'a>>],
    ) -> Result<(), (usize, &'static str)> {
        let mut sc = Scanner {
            src: json,
            pos: 0,
            error: Cell::new((0, "")),
            strict_numbers: self.want_full_event,
        };
        let result = (|| {
            sc.skip_ws();
            match sc.peek() {
                Some(b'{') => {}
                None => return sc.fail(sc.pos, "the event is empty"),
                Some(_) => return sc.fail(sc.pos, "the event is not a JSON object"),
            }
            sc.visit(&self.nodes, 0, slots, 0)?;
            sc.skip_ws();
            if sc.pos != json.len() {
                return sc.fail(sc.pos, "trailing characters after the JSON value");
            }
            Ok(())
        })();
        result.map_err(|Fail| sc.error.get())
    }
}

/// The internal error: zero-sized, so results fit in registers; the scanner keeps the details.
#[derive(Debug)]
struct Fail;

type R<T> = Result<T, Fail>;

struct Scanner<'a> {
    src: &'a str,
    pos: usize,
    /// Offset and message of the first failure.
    error: Cell<(usize, &'static str)>,
    /// Check the range of skipped numbers too: the whole event is read (`jmes()`).
    strict_numbers: bool,
}

impl<'a> Scanner<'a> {
    #[inline(always)]
    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    #[cold]
    #[inline(never)]
    fn fail<T>(&self, offset: usize, message: &'static str) -> R<T> {
        self.error.set((offset, message));
        Err(Fail)
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    #[inline(always)]
    fn check_depth(&self, depth: u32) -> R<()> {
        if depth > MAX_DEPTH {
            return self.fail(
                self.pos,
                "the JSON is nested too deeply (more than 127 levels)",
            );
        }
        Ok(())
    }

    /// Visits the value at `pos` for trie node `id`, filling slots.
    fn visit(
        &mut self,
        nodes: &[Node],
        id: u32,
        slots: &mut [Option<Value<'a>>],
        depth: u32,
    ) -> R<()> {
        let node = &nodes[id as usize];
        if let Some((&last, rest)) = node.own.split_last() {
            let v = self.value(depth)?;
            for (slot, rel) in node.below.iter() {
                slots[*slot as usize] = v.get_path(rel).cloned();
            }
            for &slot in rest {
                slots[slot as usize] = Some(v.clone());
            }
            slots[last as usize] = Some(v);
            return Ok(());
        }
        match self.peek() {
            Some(b'{') if !node.keys.is_empty() => self.visit_object(nodes, node, slots, depth + 1),
            Some(b'[') if !node.indices.is_empty() => {
                self.visit_array(nodes, node, slots, depth + 1)
            }
            _ => self.skip_value(depth),
        }
    }

    fn visit_object(
        &mut self,
        nodes: &[Node],
        node: &Node,
        slots: &mut [Option<Value<'a>>],
        depth: u32,
    ) -> R<()> {
        self.check_depth(depth)?;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        // Entries of `node.keys` already seen in this object (the first 64): a key that comes
        // round again must clear what its earlier occurrence filled. On a first visit the slots
        // are already empty: they start so, and a repeated parent clears its whole subtree.
        let mut seen = 0u64;
        loop {
            self.expect_key()?;
            let hit = self.key_lookup(&node.keys)?;
            self.colon()?;
            match hit {
                Some((entry, child)) => {
                    let bit = 1u64.checked_shl(entry).unwrap_or(0);
                    if seen & bit != 0 || bit == 0 {
                        for &s in nodes[child as usize].subtree.iter() {
                            slots[s as usize] = None;
                        }
                    }
                    seen |= bit;
                    match nodes[child as usize].leaf {
                        Some(slot) if self.peek() == Some(b'"') => {
                            slots[slot as usize] = Some(Value::String(self.string()?));
                        }
                        _ => self.visit(nodes, child, slots, depth)?,
                    }
                }
                None if self.peek() == Some(b'"') => self.skip_string()?,
                None => self.skip_value(depth)?,
            }
            if !self.object_next()? {
                return Ok(());
            }
        }
    }

    fn visit_array(
        &mut self,
        nodes: &[Node],
        node: &Node,
        slots: &mut [Option<Value<'a>>],
        depth: u32,
    ) -> R<()> {
        self.check_depth(depth)?;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let mut index = 0usize;
        loop {
            match node.indices.iter().find(|(i, _)| *i == index) {
                Some(&(_, child)) => self.visit(nodes, child, slots, depth)?,
                None => self.skip_value(depth)?,
            }
            index += 1;
            if !self.array_next()? {
                return Ok(());
            }
        }
    }

    /// At a key position (after `{` or `,` and whitespace): checks for the opening quote.
    #[inline(always)]
    fn expect_key(&self) -> R<()> {
        match self.peek() {
            Some(b'"') => Ok(()),
            Some(b'}') => self.fail(self.pos, "trailing comma before `}`"),
            None => self.fail(
                self.pos,
                "unexpected end of the event: expected an object key",
            ),
            Some(_) => self.fail(
                self.pos,
                "expected an object key (a string in double quotes)",
            ),
        }
    }

    /// Skips whitespace, when there is any. Compact JSON has none, so this is one test.
    #[inline(always)]
    fn skip_ws_maybe(&mut self) {
        if let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.skip_ws();
        }
    }

    /// After a key: the `:` and any whitespace around it.
    #[inline(always)]
    fn colon(&mut self) -> R<()> {
        if self.peek() != Some(b':') {
            self.skip_ws();
            if self.peek() != Some(b':') {
                return self.colon_error();
            }
        }
        self.pos += 1;
        self.skip_ws_maybe();
        Ok(())
    }

    #[cold]
    fn colon_error<T>(&self) -> R<T> {
        match self.peek() {
            None => self.fail(
                self.pos,
                "unexpected end of the event: expected `:` after an object key",
            ),
            Some(_) => self.fail(self.pos, "expected `:` after an object key"),
        }
    }

    /// After an object member: `true` after `,` (positioned at the next key), `false` after `}`.
    #[inline(always)]
    fn object_next(&mut self) -> R<bool> {
        loop {
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws_maybe();
                    return Ok(true);
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(false);
                }
                Some(b' ' | b'\n' | b'\r' | b'\t') => self.skip_ws(),
                None => {
                    return self.fail(
                        self.pos,
                        "unexpected end of the event: expected `,` or `}` after an object value",
                    );
                }
                Some(_) => {
                    return self.fail(self.pos, "expected `,` or `}` after an object value");
                }
            }
        }
    }

    /// After an array element: `true` after `,` (positioned at the next element), `false` after `]`.
    #[inline(always)]
    fn array_next(&mut self) -> R<bool> {
        loop {
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws_maybe();
                    if self.peek() == Some(b']') {
                        return self.fail(self.pos, "trailing comma before `]`");
                    }
                    return Ok(true);
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(false);
                }
                Some(b' ' | b'\n' | b'\r' | b'\t') => self.skip_ws(),
                None => {
                    return self.fail(
                        self.pos,
                        "unexpected end of the event: expected `,` or `]` after an array element",
                    );
                }
                Some(_) => {
                    return self.fail(self.pos, "expected `,` or `]` after an array element");
                }
            }
        }
    }

    /// The position of the first `"`, `\` or control character at or after `i` (or the end).
    #[inline(always)]
    fn find_special(&self, i: usize) -> usize {
        find_special(self.bytes(), i)
    }

    /// Reads the object key at `pos` (which is `"`) and looks it up in `keys`.
    #[inline(always)]
    fn key_lookup(&mut self, keys: &KeyTable) -> R<Option<(u32, u32)>> {
        let b = self.bytes();
        let start = self.pos + 1;
        // Fast path: a key of at most 15 bytes without escapes, with 16 bytes to load at its
        // start (always, but at the very end of a truncated document). Computed without
        // branches on the key's length, which is unpredictable.
        if let Some(chunk) = b.get(start..).and_then(|s| s.first_chunk::<16>()) {
            let x = u128::from_le_bytes(*chunk);
            let len = special_bits16(chunk).trailing_zeros() as usize;
            if chunk.get(len) == Some(&b'"') {
                self.pos = start + len + 1;
                let lo = x as u64;
                // All ones when the key has at least eight bytes (len is at most 15 here).
                let long = ((len >> 3) as u64).wrapping_neg();
                let short_mask = (1u64 << (8 * (len & 7))).wrapping_sub(1);
                let first = lo & (short_mask | long);
                let shifted = (x >> (8 * (len & 7))) as u64;
                let last = (shifted & long) | (first & !long);
                return Ok(keys.get(len, first, last, || &b[start..start + len]));
            }
        }
        let key = self.string()?;
        Ok(keys.get_bytes(key.as_bytes()))
    }

    /// Skips the string at `pos` (which is `"`), validating it. Inlined: this is the most
    /// frequent token, and a call would cost as much as scanning a short string.
    #[inline(always)]
    fn skip_string(&mut self) -> R<()> {
        let end = self.find_special(self.pos + 1);
        if self.bytes().get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(());
        }
        self.skip_string_slow(end)
    }

    /// The rest of [`Scanner::skip_string`] from the first escape or control character at `i`.
    #[cold]
    #[inline(never)]
    fn skip_string_slow(&mut self, mut i: usize) -> R<()> {
        let open = self.pos;
        loop {
            match self.bytes().get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(());
                }
                Some(b'\\') => i = self.escape(i, open)?.1,
                Some(_) => return self.control_char(i),
                None => return self.fail(open, "unterminated string"),
            }
            i = self.find_special(i);
        }
    }

    #[cold]
    fn control_char<T>(&self, at: usize) -> R<T> {
        self.fail(at, "control character in a string (it must be escaped)")
    }

    /// Reads the string at `pos` (which is `"`), borrowing it when it has no escapes.
    #[inline(always)]
    fn string(&mut self) -> R<Cow<'a, str>> {
        let open = self.pos;
        let start = open + 1;
        let end = self.find_special(start);
        if self.bytes().get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(Cow::Borrowed(&self.src[start..end]));
        }
        self.string_escaped(open, end).map(Cow::Owned)
    }

    #[cold]
    fn string_escaped(&mut self, open: usize, mut end: usize) -> R<String> {
        let mut buf = String::with_capacity(end - open + 16);
        let mut chunk = open + 1;
        loop {
            match self.bytes().get(end) {
                Some(b'"') => {
                    buf.push_str(&self.src[chunk..end]);
                    self.pos = end + 1;
                    return Ok(buf);
                }
                Some(b'\\') => {
                    buf.push_str(&self.src[chunk..end]);
                    let (c, next) = self.escape(end, open)?;
                    buf.push(c);
                    chunk = next;
                    end = self.find_special(next);
                }
                Some(_) => return self.control_char(end),
                None => return self.fail(open, "unterminated string"),
            }
        }
    }

    /// Decodes the escape whose backslash is at `at` in the string opened at `open`.
    /// Returns the character and the position after the escape.
    fn escape(&self, at: usize, open: usize) -> R<(char, usize)> {
        let c = match self.bytes().get(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode_escape(at, open),
            Some(_) => return self.fail(at, "invalid escape in a string"),
            None => return self.fail(open, "unterminated string"),
        };
        Ok((c, at + 2))
    }

    fn unicode_escape(&self, at: usize, open: usize) -> R<(char, usize)> {
        const LONE: &str = "unpaired surrogate in a `\\u` escape";
        let n = self.hex4(at + 2, at, open)?;
        let code = match n {
            0xDC00..=0xDFFF => return self.fail(at, LONE),
            0xD800..=0xDBFF => {
                let b = self.bytes();
                if b.get(at + 6) != Some(&b'\\') || b.get(at + 7) != Some(&b'u') {
                    if b.len() <= at + 7 {
                        return self.fail(open, "unterminated string");
                    }
                    return self.fail(at, LONE);
                }
                let n2 = self.hex4(at + 8, at + 6, open)?;
                if !(0xDC00..=0xDFFF).contains(&n2) {
                    return self.fail(at, LONE);
                }
                let code = 0x1_0000 + ((n - 0xD800) << 10) + (n2 - 0xDC00);
                return match char::from_u32(code) {
                    Some(c) => Ok((c, at + 12)),
                    None => self.fail(at, LONE),
                };
            }
            n => n,
        };
        match char::from_u32(code) {
            Some(c) => Ok((c, at + 6)),
            None => self.fail(at, LONE),
        }
    }

    /// Four hex digits at `i`, for the escape at `at` in the string opened at `open`.
    fn hex4(&self, i: usize, at: usize, open: usize) -> R<u32> {
        let mut n = 0u32;
        for k in 0..4 {
            let d = match self.bytes().get(i + k) {
                None => return self.fail(open, "unterminated string"),
                Some(&c) => match c {
                    b'0'..=b'9' => c - b'0',
                    b'a'..=b'f' => c - b'a' + 10,
                    b'A'..=b'F' => c - b'A' + 10,
                    _ => return self.fail(at, "invalid `\\u` escape: expected four hex digits"),
                },
            };
            n = n * 16 + u32::from(d);
        }
        Ok(n)
    }

    /// Scans the number at `pos`, validating its syntax (not its range). Returns
    /// `(start, simple, exponent)` where `simple` means an integer without fraction or exponent.
    #[inline]
    fn scan_number(&mut self) -> R<(usize, bool, bool)> {
        let b = self.bytes();
        let start = self.pos;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                i += 1;
                while let Some(b'0'..=b'9') = b.get(i) {
                    i += 1;
                }
            }
            _ => return self.fail(i, "invalid number: expected a digit"),
        }
        let mut simple = true;
        let mut exponent = false;
        if b.get(i) == Some(&b'.') {
            i += 1;
            simple = false;
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                return self.fail(
                    i,
                    "invalid number: expected a digit after the decimal point",
                );
            }
            while let Some(b'0'..=b'9') = b.get(i) {
                i += 1;
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            simple = false;
            exponent = true;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            if !matches!(b.get(i), Some(b'0'..=b'9')) {
                return self.fail(i, "invalid number: expected a digit in the exponent");
            }
            while let Some(b'0'..=b'9') = b.get(i) {
                i += 1;
            }
        }
        self.pos = i;
        Ok((start, simple, exponent))
    }

    /// Skips the number at `pos`, validating its syntax. Its range matters only where it is
    /// read ([`Scanner::number`]) or when the whole event is (`strict_numbers`).
    fn skip_number(&mut self) -> R<()> {
        let (start, _, exponent) = self.scan_number()?;
        // Only an exponent or a very long number can overflow f64; check those as serde_json does.
        if self.strict_numbers
            && (exponent || self.pos - start > 300)
            && Number::from_str(&self.src[start..self.pos]).is_err()
        {
            return self.fail(start, OUT_OF_RANGE);
        }
        Ok(())
    }

    fn number(&mut self) -> R<Number> {
        let (start, simple, _) = self.scan_number()?;
        let text = &self.src[start..self.pos];
        if simple {
            let (negative, digits) = match text.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, text),
            };
            if digits.len() <= 18 {
                let v = digits
                    .bytes()
                    .fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
                if !negative {
                    return Ok(Number::from(v));
                }
                if v != 0 {
                    // -0 is a float in serde_json; it takes the general path below.
                    return Ok(Number::from(-(v as i64)));
                }
            }
        }
        match Number::from_str(text) {
            Ok(n) => Ok(n),
            Err(_) => self.fail(start, OUT_OF_RANGE),
        }
    }

    #[inline(always)]
    fn literal(&mut self, word: &'static [u8], message: &'static str) -> R<()> {
        if self.bytes().get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(())
        } else {
            self.fail(self.pos, message)
        }
    }

    #[cold]
    fn expected_value<T>(&self) -> R<T> {
        if self.pos >= self.src.len() {
            return self.fail(self.pos, "unexpected end of the event: expected a value");
        }
        self.fail(self.pos, "expected a JSON value")
    }

    /// Skips the value at `pos`, validating it. `depth` is the nesting of its container.
    fn skip_value(&mut self, depth: u32) -> R<()> {
        match self.peek() {
            Some(b'"') => self.skip_string(),
            Some(b'{') => self.skip_object(depth + 1),
            Some(b'[') => self.skip_array(depth + 1),
            Some(b't') => self.literal(b"true", "invalid literal: expected `true`"),
            Some(b'f') => self.literal(b"false", "invalid literal: expected `false`"),
            Some(b'n') => self.literal(b"null", "invalid literal: expected `null`"),
            Some(b'-' | b'0'..=b'9') => self.skip_number(),
            _ => self.expected_value(),
        }
    }

    fn skip_object(&mut self, depth: u32) -> R<()> {
        self.check_depth(depth)?;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.expect_key()?;
            self.skip_string()?;
            self.colon()?;
            if self.peek() == Some(b'"') {
                self.skip_string()?;
            } else {
                self.skip_value(depth)?;
            }
            if !self.object_next()? {
                return Ok(());
            }
        }
    }

    fn skip_array(&mut self, depth: u32) -> R<()> {
        self.check_depth(depth)?;
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_value(depth)?;
            if !self.array_next()? {
                return Ok(());
            }
        }
    }

    /// Materialises the value at `pos`. `depth` is the nesting of its container.
    fn value(&mut self, depth: u32) -> R<Value<'a>> {
        match self.peek() {
            Some(b'"') => self.string().map(Value::String),
            Some(b'{') => {
                let depth = depth + 1;
                self.check_depth(depth)?;
                self.pos += 1;
                self.skip_ws();
                let mut members = Vec::new();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                loop {
                    self.expect_key()?;
                    let key = self.string()?;
                    self.colon()?;
                    let value = self.value(depth)?;
                    members.push((key, value));
                    if !self.object_next()? {
                        dedupe(&mut members);
                        return Ok(Value::Object(members));
                    }
                }
            }
            Some(b'[') => {
                let depth = depth + 1;
                self.check_depth(depth)?;
                self.pos += 1;
                self.skip_ws();
                let mut items = Vec::new();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth)?);
                    if !self.array_next()? {
                        return Ok(Value::Array(items));
                    }
                }
            }
            Some(b't') => self
                .literal(b"true", "invalid literal: expected `true`")
                .map(|()| Value::Bool(true)),
            Some(b'f') => self
                .literal(b"false", "invalid literal: expected `false`")
                .map(|()| Value::Bool(false)),
            Some(b'n') => self
                .literal(b"null", "invalid literal: expected `null`")
                .map(|()| Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            _ => self.expected_value(),
        }
    }
}

/// Removes duplicate keys: the last value wins, at the position of the first occurrence.
fn dedupe(members: &mut Vec<(Cow<'_, str>, Value<'_>)>) {
    let n = members.len();
    let has_duplicates = if n <= 16 {
        (1..n).any(|j| members[..j].iter().any(|(k, _)| *k == members[j].0))
    } else {
        let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
        keys.sort_unstable();
        keys.windows(2).any(|w| w[0] == w[1])
    };
    if !has_duplicates {
        return;
    }
    let mut position: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut kept: Vec<(Cow<'_, str>, Value<'_>)> = Vec::with_capacity(n);
    for (k, v) in members.drain(..) {
        match position.get(k.as_ref()) {
            Some(&i) => kept[i].1 = v,
            None => {
                position.insert(k.to_string(), kept.len());
                kept.push((k, v));
            }
        }
    }
    *members = kept;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(list: &[&str]) -> Vec<EventPath> {
        list.iter().map(|p| EventPath::parse(p).unwrap()).collect()
    }

    fn read_json(plan_paths: &[&str], doc: &str) -> Vec<Option<serde_json::Value>> {
        let plan = ReadPlan::new(&paths(plan_paths), false);
        let mut out = ReadOut::new();
        plan.read(doc, &mut out).unwrap();
        out.slots
            .iter()
            .map(|s| s.as_ref().map(Value::to_json))
            .collect()
    }

    fn read_err(doc: &str) -> (usize, String) {
        let plan = ReadPlan::new(&paths(&["a.b", "c"]), false);
        let mut out = ReadOut::new();
        let e = plan.read(doc, &mut out).unwrap_err();
        assert!(out.slots.iter().all(Option::is_none));
        (e.offset, e.message)
    }

    #[test]
    fn reads_selected_paths() {
        let doc = r#"{"type":"identify","traits":{"email":"a@b.c","n":null,"age":42,
            "address":{"city":"Paris"},"tags":["x",{"y":true}]},"skip":[1,2,{"z":"q"}]}"#;
        let got = read_json(
            &[
                "type",
                "traits.email",
                "traits.n",
                "traits.missing",
                "traits.age",
                "traits.address",
                "traits.address.city",
                "traits.tags[1].y",
                "traits.tags[5]",
                "traits.email.deeper",
                "traits.tags.x",
                "traits.address[0]",
            ],
            doc,
        );
        assert_eq!(
            got,
            [
                Some(json!("identify")),
                Some(json!("a@b.c")),
                Some(json!(null)),
                None,
                Some(json!(42)),
                Some(json!({"city": "Paris"})),
                Some(json!("Paris")),
                Some(json!(true)),
                None,
                None,
                None,
                None,
            ]
        );
    }

    #[test]
    fn plain_strings_borrow_escaped_strings_decode() {
        let doc = r#"{"a":"plain","b":"tab\there \"q\" \u00e9 \ud83d\ude00 \/"}"#;
        let plan = ReadPlan::new(&paths(&["a", "b"]), false);
        let mut out = ReadOut::new();
        plan.read(doc, &mut out).unwrap();
        assert!(matches!(
            out.slots[0],
            Some(Value::String(Cow::Borrowed("plain")))
        ));
        match &out.slots[1] {
            Some(Value::String(Cow::Owned(s))) => assert_eq!(s, "tab\there \"q\" é 😀 /"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn escaped_keys_match() {
        let got = read_json(
            &["traits.email", "\"x y\""],
            r#"{"tr\u0061its":{"em\u0061il":"e"},"x\u0020y":1}"#,
        );
        assert_eq!(got, [Some(json!("e")), Some(json!(1))]);
    }

    #[test]
    fn last_duplicate_wins_and_earlier_values_do_not_leak() {
        let doc = r#"{"t":{"a":1,"b":2},"t":{"a":3},"k":1,"k":2}"#;
        let got = read_json(&["t.a", "t.b", "k", "t"], doc);
        assert_eq!(
            got,
            [Some(json!(3)), None, Some(json!(2)), Some(json!({"a": 3}))]
        );
        // Materialised objects are deduplicated too: last value, first position.
        let plan = ReadPlan::new(&paths(&[""]), false);
        let mut out = ReadOut::new();
        plan.read(r#"{"x":1,"y":2,"x":3}"#, &mut out).unwrap();
        let keys: Vec<_> = match &out.slots[0] {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_json()))
                .collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            keys,
            [("x".to_owned(), json!(3)), ("y".to_owned(), json!(2))]
        );
    }

    #[test]
    fn numbers_match_serde_json() {
        for text in [
            "0",
            "-0",
            "12",
            "-12",
            "1.5",
            "-1.5e3",
            "1E+2",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678",
            "-123456789012345678",
            "1e-400",
            "0.1",
        ] {
            let doc = format!("{{\"n\":{text}}}");
            let want: serde_json::Value = serde_json::from_str(&doc).unwrap();
            assert_eq!(read_json(&["n"], &doc), [Some(want["n"].clone())], "{text}");
            assert_eq!(read_json(&["m"], &doc), [None], "{text}");
        }
    }

    #[test]
    fn numbers_out_of_range_fail_only_where_read() {
        let doc = r#"{"a":{"b":1},"skip":[1e400,{"n":-1E+999}],"big":1e400,"c":2}"#;
        assert_eq!(
            read_json(&["a.b", "c"], doc),
            [Some(json!(1)), Some(json!(2))]
        );
        let long = format!(r#"{{"x":{}}}"#, "9".repeat(400));
        assert_eq!(read_json(&["c"], &long), [None]);
        let read = |plan: &[&str], full: bool, doc: &str| {
            ReadPlan::new(&paths(plan), full)
                .read(doc, &mut ReadOut::new())
                .map_err(|e| (e.offset, e.message))
        };
        let out_of_range = "number out of range for a 64-bit float".to_owned();
        assert_eq!(read(&["big"], false, doc), Err((48, out_of_range.clone())));
        assert_eq!(read(&["skip"], false, doc), Err((21, out_of_range.clone())));
        assert_eq!(
            read(&["skip[1].n"], false, doc),
            Err((32, out_of_range.clone()))
        );
        assert_eq!(read(&["x"], false, &long), Err((5, out_of_range.clone())));
        // The whole event is read: every number is.
        assert_eq!(read(&["c"], true, doc), Err((21, out_of_range)));
        let e = ReadPlan::new(&paths(&["big"]), false)
            .read(doc, &mut ReadOut::new())
            .unwrap_err();
        assert_eq!(e.code(), RunCode::NumberOutOfRange);
        let e = ReadPlan::new(&paths(&["big"]), false)
            .read("{\"big\":1e}", &mut ReadOut::new())
            .unwrap_err();
        assert_eq!(e.code(), RunCode::MalformedEvent);
    }

    #[test]
    fn prefixes_and_whole_event() {
        let doc = r#"{"a":{"b":{"c":[1,2]}},"d":"x"}"#;
        let got = read_json(&["a.b.c[1]", "a", "a.b", "", "a.b"], doc);
        assert_eq!(
            got,
            [
                Some(json!(2)),
                Some(json!({"b": {"c": [1, 2]}})),
                Some(json!({"c": [1, 2]})),
                Some(json!({"a": {"b": {"c": [1, 2]}}, "d": "x"})),
                Some(json!({"c": [1, 2]})),
            ]
        );
    }

    #[test]
    fn full_event_on_request() {
        let plan = ReadPlan::new(&paths(&["a"]), true);
        let mut out = ReadOut::new();
        plan.read(r#" {"a":1,"b":[true]} "#, &mut out).unwrap();
        assert_eq!(out.full, Some(json!({"a": 1, "b": [true]})));
        assert!(plan.wants_full_event());
    }

    #[test]
    fn errors_have_plain_messages_and_offsets() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 0, "the event is empty"),
            ("  [1]", 2, "the event is not a JSON object"),
            (
                "{\"a\":1 \"c\":2}",
                7,
                "expected `,` or `}` after an object value",
            ),
            (
                "{\"a\":1",
                6,
                "unexpected end of the event: expected `,` or `}` after an object value",
            ),
            ("{\"a\":\"abc", 5, "unterminated string"),
            ("{\"x\":\"a\\qb\"}", 7, "invalid escape in a string"),
            (
                "{\"x\":\"\\ud800\"}",
                6,
                "unpaired surrogate in a `\\u` escape",
            ),
            (
                "{\"x\":\"\\udc00\"}",
                6,
                "unpaired surrogate in a `\\u` escape",
            ),
            (
                "{\"x\":\"\\u12g4\"}",
                6,
                "invalid `\\u` escape: expected four hex digits",
            ),
            (
                "{\"x\":\"a\nb\"}",
                7,
                "control character in a string (it must be escaped)",
            ),
            ("{\"c\":1} x", 8, "trailing characters after the JSON value"),
            ("{\"x\":01}", 6, "expected `,` or `}` after an object value"),
            (
                "{\"x\":1.}",
                7,
                "invalid number: expected a digit after the decimal point",
            ),
            ("{\"x\":-}", 6, "invalid number: expected a digit"),
            (
                "{\"x\":1e}",
                7,
                "invalid number: expected a digit in the exponent",
            ),
            ("{\"x\":tru}", 5, "invalid literal: expected `true`"),
            ("{\"x\":[1,]}", 8, "trailing comma before `]`"),
            ("{\"x\":1,}", 7, "trailing comma before `}`"),
            (
                "{x:1}",
                1,
                "expected an object key (a string in double quotes)",
            ),
            ("{\"x\" 1}", 5, "expected `:` after an object key"),
            ("{\"x\":}", 5, "expected a JSON value"),
            (
                "{\"x\":[1 2]}",
                8,
                "expected `,` or `]` after an array element",
            ),
            ("{\"a\":{\"b\":\"\\x\"}}", 11, "invalid escape in a string"),
        ];
        for &(doc, offset, message) in cases {
            assert_eq!(read_err(doc), (offset, message.to_owned()), "{doc}");
        }
        let e = ReadPlan::new(&[], false)
            .read("[]", &mut ReadOut::new())
            .unwrap_err();
        assert_eq!(e.to_string(), "the event is not a JSON object (at byte 0)");
    }

    #[test]
    fn nesting_limit_matches_serde_json() {
        for depth in [126, 127, 128, 129] {
            let doc = format!(
                "{{\"a\":{}1{}}}",
                "[".repeat(depth - 1),
                "]".repeat(depth - 1)
            );
            let ok = serde_json::from_str::<serde_json::Value>(&doc).is_ok();
            assert_eq!(ok, depth <= 127, "serde_json at {depth}");
            for plan in [&["b"][..], &["a"][..], &["a[0]"][..]] {
                let got = ReadPlan::new(&paths(plan), false).read(&doc, &mut ReadOut::new());
                assert_eq!(got.is_ok(), ok, "depth {depth}, plan {plan:?}");
            }
        }
        // Deep garbage does not overflow the stack.
        let deep = format!("{{\"a\":{}", "[".repeat(100_000));
        assert!(
            ReadPlan::new(&paths(&["a"]), false)
                .read(&deep, &mut ReadOut::new())
                .is_err()
        );
    }

    #[test]
    fn out_is_reusable_and_recyclable() {
        let plan = ReadPlan::new(&paths(&["a", "b"]), false);
        let mut out = ReadOut::new();
        plan.read(r#"{"a":1,"b":2}"#, &mut out).unwrap();
        plan.read(r#"{"b":3}"#, &mut out).unwrap();
        assert_eq!(out.slot(0), None);
        assert_eq!(out.slot(1).map(Value::to_json), Some(json!(3)));
        let cap = out.slots.capacity();
        let mut out: ReadOut<'_> = out.recycle();
        assert!(out.slots.is_empty());
        assert_eq!(out.slots.capacity(), cap);
        let line = String::from(r#"{"a":"x"}"#);
        plan.read(&line, &mut out).unwrap();
        assert_eq!(out.slot(0).and_then(Value::as_str), Some("x"));
    }

    #[test]
    fn many_and_long_keys_dispatch_exactly() {
        // 100 keys at one level (more than the 64 "seen" bits), long keys that share their
        // first and last eight bytes, keys of every length around the 8- and 16-byte edges.
        let mut keys: Vec<String> = (0..100).map(|i| format!("k{i}")).collect();
        keys.push("abcdefgh_middle_one_12345678".into());
        keys.push("abcdefgh_middle_two_12345678".into());
        keys.extend((0..20).map(|n| "x".repeat(n)));
        keys.push("é€😀".into());
        let paths: Vec<EventPath> = keys
            .iter()
            .map(|k| EventPath::new(vec![Segment::key(k.as_str())]))
            .collect();
        let plan = ReadPlan::new(&paths, false);
        // The document has every key twice (the second value wins) plus near misses.
        let mut doc = serde_json::Map::new();
        let mut text = String::from("{");
        for (i, k) in keys.iter().enumerate() {
            let k = serde_json::to_string(k).unwrap();
            text.push_str(&format!(
                "{k}:{{\"first\":{i}}},\"{}\":0,",
                "y".repeat(i % 20)
            ));
        }
        for (i, k) in keys.iter().enumerate() {
            doc.insert(k.clone(), json!(i));
            text.push_str(&format!("{}:{i},", serde_json::to_string(k).unwrap()));
        }
        text.push_str("\"abcdefgh_middle_xxx_12345678\":true}");
        let mut out = ReadOut::new();
        plan.read(&text, &mut out).unwrap();
        for (k, slot) in keys.iter().zip(&out.slots) {
            assert_eq!(
                slot.as_ref().map(Value::to_json).as_ref(),
                doc.get(k),
                "{k:?}"
            );
        }
    }

    #[test]
    fn plan_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<ReadPlan>();
    }
}
