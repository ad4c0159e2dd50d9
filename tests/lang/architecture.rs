//! The crate's module edges that are clean today, kept clean.
//!
//! - Nothing outside `src/cli/` names `crate::cli` (or climbs into it with `super::`): the
//!   library is usable without the command line, and what a verb needs from the language
//!   lives in the library (`load`, `eval::eval_stream`). `src/main.rs` is the binary, the CLI's
//!   one caller, and names it as `sfmap::cli`.
//! - `src/emulate/` names no crate module but `schema` (its org is built on a `Schema`): the
//!   emulator stands in for Salesforce, independent of the code it tests, and that one edge is
//!   one-way. Today `schema` is the only module it imports.
//!
//! The scan reads each `crate::` and `super::` path in `src/**/*.rs` (comments and doc links
//! included: a doc link is a dependency too) and resolves `super::` against the file's module
//! and the inline modules (`mod tests { .. }`) around the line, found by rustfmt's layout: a
//! `mod name {` line ends at the first `}` line with the same indentation.

use std::path::{Path, PathBuf};

use crate::support::root;

/// Crate modules `src/emulate/` may name, besides itself.
const EMULATE_MAY_NAME: &[&str] = &["schema"];

#[test]
fn nothing_outside_cli_names_cli() {
    let mut bad = Vec::new();
    for (file, line, module, target) in references() {
        let in_cli = module.first().is_some_and(|m| m == "cli");
        if target == "cli" && !in_cli {
            bad.push(format!("{file}:{line}: names crate::cli"));
        }
    }
    assert!(
        bad.is_empty(),
        "only src/cli/ may depend on the CLI; move what is shared into the library:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_emulator_names_only_the_schema() {
    let mut bad = Vec::new();
    for (file, line, module, target) in references() {
        let in_emulate = module.first().is_some_and(|m| m == "emulate");
        if in_emulate && target != "emulate" && !EMULATE_MAY_NAME.contains(&target.as_str()) {
            bad.push(format!("{file}:{line}: names crate::{target}"));
        }
    }
    assert!(
        bad.is_empty(),
        "src/emulate/ may name only crate::{}:\n{}",
        EMULATE_MAY_NAME.join(", crate::"),
        bad.join("\n")
    );
}

#[test]
fn the_scan_sees_the_paths_it_checks() {
    // A guard on the guard: if the scan stopped finding paths, the tests above would pass
    // for nothing.
    let refs = references();
    let named = |from: &str, to: &str| {
        refs.iter()
            .any(|(_, _, m, t)| m.first().is_some_and(|m| m == from) && t == to)
    };
    assert!(named("emulate", "schema"), "emulate's use of crate::schema");
    assert!(named("cli", "load"), "cli's use of crate::load");
    assert!(
        named("eval", "eval"),
        "eval's super:: paths stay within eval"
    );
    let tests = ["eval", "output", "tests"].map(String::from);
    assert_eq!(targets(&tests, "super::super::Outcome"), ["eval"]);
    assert_eq!(targets(&["emulate".into()], "super::cli::run"), ["cli"]);
    assert_eq!(
        targets(&[], "crate::{cli, schema::{Schema, Object}};"),
        ["cli", "schema"]
    );
}

/// Every crate module named in `src/`: (file, line number, the naming module's path, the
/// named top-level module).
fn references() -> Vec<(String, usize, Vec<String>, String)> {
    let src = root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let rel = path.strip_prefix(root()).unwrap().display().to_string();
        let file_module = module_of(&path.strip_prefix(&src).unwrap().with_extension(""));
        let text = std::fs::read_to_string(&path).unwrap();
        // Inline modules open around the line: (indentation of `mod x {`, name).
        let mut inline: Vec<(usize, String)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let indent = line.len() - line.trim_start().len();
            if inline
                .last()
                .is_some_and(|(at, _)| *at == indent && line.trim() == "}")
            {
                inline.pop();
                continue;
            }
            let mut module = file_module.clone();
            module.extend(inline.iter().map(|(_, name)| name.clone()));
            for at in path_starts(line) {
                for target in targets(&module, &line[at..]) {
                    out.push((rel.clone(), i + 1, module.clone(), target));
                }
            }
            if let Some(name) = inline_mod(line) {
                inline.push((indent, name));
            }
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `eval/output/tests` → `[eval, output, tests]`; `eval/mod` → `[eval]`; `lib` → `[]`.
/// (`main` is the binary, not a module of the library; it names the library as `sfmap::`.)
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// `mod tests {` (with any visibility) → `tests`.
fn inline_mod(line: &str) -> Option<String> {
    let t = line.trim();
    let t = t.strip_prefix("pub ").unwrap_or(t);
    let name = t.strip_prefix("mod ")?.strip_suffix(" {")?;
    name.chars()
        .all(|c| c.is_alphanumeric() || c == '_')
        .then(|| name.to_string())
}

/// Where `crate::` and `super::` paths start in a line (not inside a longer name).
fn path_starts(line: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for word in ["crate::", "super::"] {
        for (at, _) in line.match_indices(word) {
            let before = line[..at].chars().next_back();
            // `super::super::` is one path, started by its first `super::`.
            let continues = line[..at].ends_with("super::");
            if !continues && !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                out.push(at);
            }
        }
    }
    out
}

/// The top-level crate modules a path names, seen from `module`: `crate::a::b` → `a`;
/// `super::x` in `[m, n]` → `m`; `super::super::x` in `[m, n]` → `x`; `crate::{a, b::c}` →
/// `a`, `b`.
fn targets(module: &[String], path: &str) -> Vec<String> {
    let mut at = module.to_vec();
    let mut rest = path;
    if let Some(r) = rest.strip_prefix("crate::") {
        at.clear();
        rest = r;
    } else {
        while let Some(r) = rest.strip_prefix("super::") {
            at.pop();
            rest = r;
        }
    }
    if let Some(top) = at.first() {
        return vec![top.clone()];
    }
    if let Some(group) = rest.strip_prefix('{') {
        // The first name of each item at the group's own level.
        let mut names = Vec::new();
        let (mut depth, mut current, mut done) = (0, String::new(), false);
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    names.push(std::mem::take(&mut current));
                    done = false;
                    continue;
                }
                _ => {}
            }
            if depth == 0 && !done {
                if c.is_alphanumeric() || c == '_' {
                    current.push(c);
                } else if !current.is_empty() {
                    done = true;
                }
            }
        }
        names.push(current);
        names.retain(|n| !n.is_empty() && n != "self");
        return names;
    }
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() { vec![] } else { vec![name] }
}
