//! Property tests: the selective reader against serde_json as the oracle.
//!
//! Documents are generated as text (so they can hold duplicate keys, escapes written several
//! ways and optional whitespace) and parsed by both. Every slot must equal serde_json's value
//! at the path, and every truncation or mutation must be accepted by the reader exactly when
//! serde_json accepts it as an object, whichever parts the plan skips.

use proptest::prelude::*;
use proptest::sample::Index;

use super::path::{EventPath, Segment};
use super::reader::{ReadOut, ReadPlan};

#[derive(Debug, Clone)]
enum Tree {
    Null,
    Bool(bool),
    Num(String),
    /// The string and whether to write it with `\u` escapes.
    Str(String, bool),
    Arr(Vec<Tree>),
    Obj(Vec<(String, bool, Tree)>),
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "a", "b", "c", "traits", "email", "é", "x y", "", "exactly_15_byte",
            "a_rather_long_key_name", "a_rather_long_key_name_2",
        ]).prop_map(str::to_owned),
        1 => "[ab\"\\\\/\u{e9}\u{1F600}\n\u{1}]{0,3}",
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:?}")),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        prop::sample::select(vec![
            "0",
            "-0",
            "1e5",
            "1.5E-3",
            "-2E+2",
            "123456789012345678901234567890",
            "0.000001",
            "-9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "1e-400",
        ])
        .prop_map(str::to_owned),
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        Just(Tree::Null),
        any::<bool>().prop_map(Tree::Bool),
        number().prop_map(Tree::Num),
        (
            "\\PC{0,6}|[\"\\\\\u{0}-\u{1f}\u{7f}\u{e9}\u{FFFF}\u{10000}\u{1F600}]{0,4}",
            any::<bool>()
        )
            .prop_map(|(s, e)| Tree::Str(s, e)),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Tree::Arr),
            prop::collection::vec((key(), any::<bool>(), inner), 0..6).prop_map(Tree::Obj),
        ]
    })
}

fn document() -> impl Strategy<Value = Tree> {
    prop::collection::vec((key(), any::<bool>(), tree()), 0..8).prop_map(Tree::Obj)
}

fn render_str(s: &str, escape_all: bool, out: &mut String) {
    if !escape_all {
        out.push_str(&serde_json::to_string(s).unwrap());
        return;
    }
    out.push('"');
    for c in s.chars() {
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            out.push_str(&format!("\\u{u:04X}"));
        }
    }
    out.push('"');
}

fn render(t: &Tree, ws: &str, out: &mut String) {
    match t {
        Tree::Null => out.push_str("null"),
        Tree::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Tree::Num(n) => out.push_str(n),
        Tree::Str(s, e) => render_str(s, *e, out),
        Tree::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(ws);
                render(item, ws, out);
            }
            out.push_str(ws);
            out.push(']');
        }
        Tree::Obj(members) => {
            out.push('{');
            for (i, (k, e, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(ws);
                render_str(k, *e, out);
                out.push_str(ws);
                out.push(':');
                out.push_str(ws);
                render(v, ws, out);
            }
            out.push_str(ws);
            out.push('}');
        }
    }
}

/// Every path that exists in `v`, the empty one included.
fn all_paths(v: &serde_json::Value, prefix: &mut Vec<Segment>, out: &mut Vec<Vec<Segment>>) {
    out.push(prefix.clone());
    match v {
        serde_json::Value::Object(m) => {
            for (k, child) in m {
                prefix.push(Segment::key(k.as_str()));
                all_paths(child, prefix, out);
                prefix.pop();
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(Segment::Index(i));
                all_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn lookup<'v>(v: &'v serde_json::Value, segs: &[Segment]) -> Option<&'v serde_json::Value> {
    segs.iter().try_fold(v, |v, seg| match seg {
        Segment::Key(k) => v.as_object()?.get(&**k),
        Segment::Index(i) => v.as_array()?.get(*i),
    })
}

fn random_path() -> impl Strategy<Value = Vec<Segment>> {
    prop::collection::vec(
        prop_oneof![
            3 => key().prop_map(Segment::key),
            1 => (0usize..3).prop_map(Segment::Index),
        ],
        0..4,
    )
}

fn plan_paths(doc: &serde_json::Value, picks: &[Index], random: &[Vec<Segment>]) -> Vec<EventPath> {
    let mut existing = Vec::new();
    all_paths(doc, &mut Vec::new(), &mut existing);
    picks
        .iter()
        .map(|i| i.get(&existing).clone())
        .chain(random.iter().cloned())
        .map(EventPath::new)
        .collect()
}

/// serde_json's verdict on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// A valid document whose top level is an object.
    Valid,
    Invalid,
    /// An object whose only fault is a number beyond a double's range: valid where the plan
    /// does not read that number.
    OutOfRange,
}

fn oracle(text: &str) -> Verdict {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) if v.is_object() => Verdict::Valid,
        Ok(_) => Verdict::Invalid,
        // serde_json skips a value it ignores without reading its numbers (or counting depth,
        // which the generated documents do not reach).
        Err(e)
            if e.to_string().starts_with("number out of range")
                && text.trim_start().starts_with('{')
                && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() =>
        {
            Verdict::OutOfRange
        }
        Err(_) => Verdict::Invalid,
    }
}

/// Checks each plan's verdict on `text`. `plans` are: some paths, no path, the whole event.
fn check_validity(plans: &[ReadPlan; 3], text: &str) -> Result<(), TestCaseError> {
    let verdict = oracle(text);
    for (n, plan) in plans.iter().enumerate() {
        let got = plan.read(text, &mut ReadOut::new());
        let want = match verdict {
            Verdict::Valid => Some(true),
            Verdict::Invalid => Some(false),
            // Reading nothing skips the number; reading everything reads it; other paths may.
            Verdict::OutOfRange => [None, Some(true), Some(false)][n],
        };
        if let Some(want) = want {
            prop_assert_eq!(
                got.is_ok(),
                want,
                "text {:?}, paths {:?}, got {:?}",
                text,
                plan.paths(),
                got
            );
        }
        if let Err(e) = got {
            prop_assert!(e.offset <= text.len());
        }
    }
    Ok(())
}

const WHITESPACE: [&str; 3] = ["", " ", "\n\t \r"];

proptest! {
    // 512 cases by default; set PROPTEST_CASES for a longer run.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn slots_equal_serde_json_lookups(
        doc in document(),
        ws in 0..WHITESPACE.len(),
        picks in prop::collection::vec(any::<Index>(), 0..8),
        random in prop::collection::vec(random_path(), 0..6),
    ) {
        let mut text = String::new();
        render(&doc, WHITESPACE[ws], &mut text);
        let oracle: serde_json::Value = serde_json::from_str(&text).unwrap();
        let paths = plan_paths(&oracle, &picks, &random);
        let plan = ReadPlan::new(&paths, ws == 1);
        let mut out = ReadOut::new();
        plan.read(&text, &mut out).unwrap();
        prop_assert_eq!(out.slots.len(), paths.len());
        for (path, slot) in paths.iter().zip(&out.slots) {
            let want = lookup(&oracle, &path.segments).cloned();
            let got = slot.as_ref().map(|v| v.to_json());
            prop_assert_eq!(got, want, "path {}", path);
        }
        if ws == 1 {
            prop_assert_eq!(out.full.as_ref(), Some(&oracle));
        }
    }

    #[test]
    fn truncations_agree_with_serde_json(
        doc in document(),
        ws in 0..WHITESPACE.len(),
        picks in prop::collection::vec(any::<Index>(), 0..6),
    ) {
        let mut text = String::new();
        render(&doc, WHITESPACE[ws], &mut text);
        let oracle: serde_json::Value = serde_json::from_str(&text).unwrap();
        let plans = [
            ReadPlan::new(&plan_paths(&oracle, &picks, &[]), false),
            ReadPlan::new(&[], false),
            ReadPlan::new(&[EventPath::new(vec![])], false),
        ];
        for cut in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
            check_validity(&plans, &text[..cut])?;
        }
        check_validity(&plans, &text)?;
    }

    #[test]
    fn mutations_agree_with_serde_json(
        doc in document(),
        ws in 0..WHITESPACE.len(),
        picks in prop::collection::vec(any::<Index>(), 0..6),
        edits in prop::collection::vec((any::<Index>(), 0..3u8, prop::sample::select(vec![
            "{", "}", "[", "]", "\"", ":", ",", "\\", " ", "0", "-", ".", "e", "+", "t", "n", "x",
            "\u{1}", "\\u", "\\ud800", "\\udc00", "\u{e9}", "1e999",
        ])), 1..4),
    ) {
        let mut text = String::new();
        render(&doc, WHITESPACE[ws], &mut text);
        let oracle: serde_json::Value = serde_json::from_str(&text).unwrap();
        for (at, op, piece) in edits {
            let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            let i = *at.get(&boundaries);
            let next = boundaries.iter().copied().find(|&j| j > i).unwrap_or(i);
            match op {
                0 => text.insert_str(i, piece),
                1 => text.replace_range(i..next, piece),
                _ => text.replace_range(i..next, ""),
            }
        }
        let plans = [
            ReadPlan::new(&plan_paths(&oracle, &picks, &[]), false),
            ReadPlan::new(&[], false),
            ReadPlan::new(&[EventPath::new(vec![])], false),
        ];
        check_validity(&plans, &text)?;
    }

    #[test]
    fn path_display_round_trips(segs in random_path()) {
        let path = EventPath::new(segs);
        let text = path.to_string();
        prop_assert_eq!(EventPath::parse(&text).unwrap(), path);
    }
}
