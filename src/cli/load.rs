//! Loading a mapping file for a verb: pick the schema, read the file, load it
//! ([`crate::load`]), render its errors. Shared by the verbs.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::load::{Loaded, load_text};
use crate::schema::Schema;

/// The schema: `--schema`, else `schema` in the nearest `sfmap.toml`, else the built-in one.
pub fn schema_for(file: &Path, explicit: Option<&Path>) -> Result<Schema, String> {
    let path: Option<PathBuf> = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => Config::discover(file)
            .map_err(|e| e.to_string())?
            .schema_path(),
    };
    match path {
        Some(p) => Schema::builtin_with_file(&p).map_err(|e| e.to_string()),
        None => Ok(Schema::builtin()),
    }
}

/// Reads and compiles one file.
pub fn load(path: &Path, schema: &Schema) -> Result<Loaded, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(load_text(&path.display().to_string(), text, schema))
}

/// `.sfmap` files named directly or found under named folders, sorted.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::path);
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            if !p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                walk(&p, out)?;
            }
        } else if p.extension().is_some_and(|x| x == "sfmap") {
            out.push(p);
        }
    }
    Ok(())
}

/// Loads a mapping a verb is about to use: on an IO or schema problem, or when the mapping has
/// errors (rendered to stderr), returns the exit code to stop with (`error_exit` for mapping
/// errors, 2 for the rest).
pub fn load_for_use(
    file: &Path,
    schema: Option<&Path>,
    error_exit: u8,
) -> Result<Loaded, std::process::ExitCode> {
    let loaded = schema_for(file, schema)
        .and_then(|s| load(file, &s))
        .map_err(|e| super::usage_error(&e))?;
    if loaded.diagnostics.iter().any(Diagnostic::is_error) {
        eprint!(
            "{}",
            crate::diag::render::render(
                &loaded.source,
                &loaded.diagnostics,
                crate::diag::render::Style::plain(super::term_width())
            )
        );
        return Err(std::process::ExitCode::from(error_exit));
    }
    Ok(loaded)
}
