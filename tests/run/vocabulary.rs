//! The runtime vocabulary is tied to its docs, as the compile codes are
//! (`tests/lang/diagnostics.rs`): every outcome, ledger state and runtime code has its row or
//! page in `docs/outcomes/`, and the delivery code spells none of them as a bare string.

use sfmap::outcome::{LedgerState, Outcome, RunCode};

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_runtime_code_has_a_docs_page_and_a_row() {
    let index = std::fs::read_to_string(root().join("docs/outcomes/README.md")).unwrap();
    for code in RunCode::ALL {
        let page = root().join(format!("docs/outcomes/{code}.md"));
        let text = std::fs::read_to_string(&page)
            .unwrap_or_else(|_| panic!("{code} has no docs page at {}", page.display()));
        assert!(
            text.starts_with(&format!("# {code}: {}", code.title())),
            "{code}: the page's heading is not `# {code}: {}`",
            code.title()
        );
        assert!(
            index.contains(&format!("[`{code}`]({code}.md)")),
            "{code} has no row in docs/outcomes/README.md"
        );
    }
}

#[test]
fn every_outcome_and_ledger_state_is_documented() {
    let index = std::fs::read_to_string(root().join("docs/outcomes/README.md")).unwrap();
    for o in Outcome::ALL {
        assert!(
            index.contains(&format!("`{o}`")),
            "outcome {o} is not documented"
        );
    }
    for s in LedgerState::ALL {
        assert!(
            index.contains(&format!("`{s}`")),
            "ledger state {s} is not documented"
        );
    }
}

/// Every `.md` page in docs/outcomes is a code of the registry (no page for a code that
/// went away).
#[test]
fn no_page_without_a_code() {
    for entry in std::fs::read_dir(root().join("docs/outcomes")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(code) = name.strip_suffix(".md") else {
            continue;
        };
        assert!(
            code == "README" || RunCode::parse(code).is_some(),
            "docs/outcomes/{name} names no runtime code"
        );
    }
}

/// The delivery code names outcomes and codes through their types: a quoted `"failed"` or
/// `"NOT_FOUND"` in `src/run`, `src/eval` or `src/cli/run.rs` is a word that escaped them.
#[test]
fn delivery_code_spells_no_outcome_or_code_as_a_string() {
    let words: Vec<String> = Outcome::ALL
        .iter()
        .map(|o| o.as_str().to_string())
        .chain(LedgerState::ALL.iter().map(|s| s.as_str().to_string()))
        .chain(RunCode::ALL.iter().map(|c| c.as_str().to_string()))
        .map(|w| format!("\"{w}\""))
        .collect();
    let mut files = Vec::new();
    for dir in ["src/run", "src/eval"] {
        collect(&root().join(dir), &mut files);
    }
    files.push(root().join("src/cli/run.rs"));
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests may spell what they expect.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap_or("");
            for w in &words {
                if line.contains(w.as_str()) {
                    found.push(format!("{}:{}: {w}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "bare outcome words:\n{}",
        found.join("\n")
    );
}

fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tests") {
                collect(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}
