//! The grammar is normative: every production and keyword must be exercised by a fixture.

use std::collections::BTreeSet;

use sfmap::syntax;

use crate::support::{files, root};

fn grammar() -> String {
    std::fs::read_to_string(root().join("grammar/sfmap.ebnf")).unwrap()
}

/// Production names (`name = ... ;` at the start of a line).
fn productions(g: &str) -> Vec<String> {
    let g = &g[g.find("---- lexical").expect("section marker")..];
    g.lines()
        .filter_map(|l| {
            let (name, _) = l.split_once('=')?;
            let name = name.trim();
            (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .then(|| name.to_string())
        })
        .collect()
}

/// Quoted terminals after the lexical section.
fn keywords(g: &str) -> BTreeSet<String> {
    let syntactic = &g[g.find("file and mappings").expect("section marker")..];
    let mut out = BTreeSet::new();
    for part in syntactic.split('"').skip(1).step_by(2) {
        out.insert(part.to_string());
    }
    out
}

fn corpus() -> Vec<String> {
    let mut all = files("tests/fixtures", "sfmap");
    all.extend(files("examples", "sfmap"));
    all.iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[test]
fn every_production_is_exercised() {
    let mut hit = BTreeSet::new();
    for text in corpus() {
        hit.extend(syntax::parse_with_coverage(&text).1);
    }
    let missing: Vec<String> = productions(&grammar())
        .into_iter()
        .filter(|p| !hit.contains(p.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "productions no fixture exercises: {missing:?}"
    );
}

#[test]
fn every_keyword_is_exercised() {
    let texts = corpus();
    let used = |kw: &str| {
        texts.iter().any(|t| {
            if kw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .any(|w| w == kw)
            } else {
                t.contains(kw)
            }
        })
    };
    let missing: Vec<String> = keywords(&grammar())
        .into_iter()
        .filter(|k| !used(k))
        .collect();
    assert!(missing.is_empty(), "keywords no fixture uses: {missing:?}");
}

#[test]
fn every_parser_function_names_its_production() {
    let src: String = ["item.rs", "expr.rs", "lexeme.rs", "mod.rs"]
        .iter()
        .map(|f| std::fs::read_to_string(root().join("src/syntax").join(f)).unwrap())
        .collect();
    for p in productions(&grammar()) {
        let documented = src.contains(&format!("`{p} =")) || src.contains(&format!("/// `{p}"));
        let inlined = matches!(
            p.as_str(),
            "letter_"
                | "digit"
                | "string_char"
                | "test_suffix"
                | "key"
                | "preset_name"
                | "event_type"
                | "object_clause"
                | "literal"
                | "bulk_setting"
        );
        assert!(
            documented || inlined,
            "no parser function names production `{p}`"
        );
    }
}
