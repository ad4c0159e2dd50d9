//! Shared helpers: fixture headers, loading with the right schema, deterministic rendering.

use std::path::{Path, PathBuf};

use sfmap::cli::load as cli_load;
use sfmap::diag::render;
use sfmap::load::{Loaded, load_text};
use sfmap::schema::Schema;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A header value from a fixture's leading comments: `# key: value`.
pub fn header(text: &str, key: &str) -> Option<String> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| {
            l.trim_start_matches('#')
                .trim()
                .strip_prefix(key)
                .and_then(|r| r.strip_prefix(':'))
                .map(|v| v.trim().to_string())
        })
}

/// The schema a fixture asks for (`# schema: path`), else the examples' (for files under
/// examples/), else the built-in one.
pub fn schema_for(path: &Path, text: &str) -> Schema {
    if let Some(s) = header(text, "schema") {
        return Schema::builtin_with_file(&root().join(s)).expect("fixture schema loads");
    }
    cli_load::schema_for(path, None).expect("schema loads")
}

/// Loads a file the way `sfmap check` does, with a path relative to the repository.
pub fn load_file(path: &Path) -> Loaded {
    let text = std::fs::read_to_string(path).expect("readable fixture");
    let schema = schema_for(path, &text);
    let name = path
        .strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string();
    load_text(&name, text, &schema)
}

/// Renders diagnostics without colour at a fixed width.
pub fn render(loaded: &Loaded) -> String {
    render::render(
        &loaded.source,
        &loaded.diagnostics,
        render::Style::plain(100),
    )
}

/// Files matching a glob under the repository, sorted.
pub fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root().join(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("fixture dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
