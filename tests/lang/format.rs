//! `fmt`: examples format to themselves; formatting is idempotent and never panics.

use proptest::prelude::*;
use sfmap::syntax;

use crate::support::files;

fn format(text: &str) -> Option<String> {
    let parsed = syntax::parse(text);
    parsed
        .diagnostics
        .is_empty()
        .then(|| syntax::print::print(&parsed.file, text))
}

#[test]
fn examples_format_to_themselves() {
    for path in files("examples", "sfmap") {
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            format(&text).as_deref(),
            Some(text.as_str()),
            "{} is not formatted",
            path.display()
        );
    }
}

#[test]
fn formatting_is_idempotent_and_keeps_comments() {
    let mut all = files("tests/fixtures", "sfmap");
    all.extend(files("examples", "sfmap"));
    for path in all {
        let text = std::fs::read_to_string(&path).unwrap();
        let Some(once) = format(&text) else { continue };
        let twice = format(&once).expect("formatted output parses");
        assert_eq!(once, twice, "{}: fmt is not idempotent", path.display());
        let comments = |t: &str| syntax::parse(t).file.comments.len();
        assert_eq!(
            comments(&text),
            comments(&once),
            "{}: comments lost",
            path.display()
        );
    }
}

#[test]
fn formatting_a_messy_file() {
    let messy = "# head\nmapping  m{on identify where traits.email exists object Lead\n  \
                 upsert match Email=traits.email fields{LastName=\"x\", Company = \"y\" # c\n}}\n";
    insta::assert_snapshot!(format(messy).unwrap());
}

/// A spread's trailing `keep_null` is kept by `fmt`; a field named `keep_null` on the next line
/// is a field, not the spread's option.
#[test]
fn a_spreads_keep_null_formats_and_does_not_swallow_a_field() {
    let text = "mapping m { on identify object Lead update match Email = traits.email fields { \
                ...traits   suffix \"__c\"   keep_null\n Title = traits.title } }\n";
    let once = format(text).unwrap();
    assert!(
        once.contains("    ...traits suffix \"__c\" keep_null\n    Title = traits.title\n"),
        "{once}"
    );
    let parsed = syntax::parse("mapping m { object Lead fields { ...traits\n keep_null = 1 } }");
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let entries: Vec<String> = parsed.file.mappings[0]
        .clauses
        .iter()
        .filter_map(|c| match &c.kind {
            syntax::ast::ClauseKind::Fields(list) => Some(list),
            _ => None,
        })
        .flatten()
        .map(|e| match e {
            syntax::ast::FieldEntry::Spread(s) => {
                format!("spread keep_null={}", s.keep_null.is_some())
            }
            syntax::ast::FieldEntry::Assign { field, .. } => format!("field {}", field.name),
        })
        .collect();
    assert_eq!(entries, ["spread keep_null=false", "field keep_null"]);
}

fn corpus() -> Vec<String> {
    let mut all = files("tests/fixtures/check/ok", "sfmap");
    all.extend(files("examples", "sfmap"));
    all.iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Arbitrary text never panics the parser.
    #[test]
    fn parser_never_panics(s in "\\PC{0,200}") {
        let _ = syntax::parse(&s);
    }

    /// Mutated real files never panic; whatever parses formats to a fixed point that parses.
    #[test]
    fn mutations_round_trip(pick in 0usize..1000, cut in 0usize..4000, len in 0usize..40,
                            insert in "[a-z{}()\\[\\]\"=,.# \n]{0,6}") {
        let corpus = corpus();
        let text = &corpus[pick % corpus.len()];
        let mut start = cut % (text.len() + 1);
        while !text.is_char_boundary(start) { start -= 1; }
        let mut end = (start + len).min(text.len());
        while !text.is_char_boundary(end) { end -= 1; }
        let mutated = format!("{}{}{}", &text[..start], insert, &text[end..]);
        if let Some(once) = format(&mutated) {
            let twice = format(&once);
            prop_assert_eq!(Some(once.clone()), twice);
        }
    }
}
