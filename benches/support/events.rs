//! The standard benchmark events (`shared/bench/gen-events.js`, seeded Segment identify calls of
//! about 1.7 KB), generated once per count into `target/bench-events-N.jsonl`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The generator: `$SFMAP_GEN_EVENTS`, else `bench/gen-events.js`, else
/// `../shared/bench/gen-events.js` next to this package.
fn generator() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SFMAP_GEN_EVENTS") {
        return Some(PathBuf::from(p));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        root.join("bench/gen-events.js"),
        root.join("../shared/bench/gen-events.js"),
    ]
    .into_iter()
    .find(|p| p.exists())
}

/// The file of `n` standard events, generated with Node.js the first time; or why it can't be.
pub fn standard_events(n: usize) -> Result<PathBuf, String> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-events-{n}.jsonl"));
    if file.exists() {
        return Ok(file);
    }
    let script = generator().ok_or("gen-events.js not found (set SFMAP_GEN_EVENTS)")?;
    // Written aside and renamed, so an interrupted run leaves no truncated file behind.
    let partial = file.with_extension(format!("partial-{}", std::process::id()));
    let status = Command::new("node")
        .arg(&script)
        .arg(n.to_string())
        .arg(&partial)
        .status()
        .map_err(|e| format!("cannot run node ({e}); install Node.js to run this benchmark"))?;
    if !status.success() {
        let _ = std::fs::remove_file(&partial);
        return Err(format!("node {} failed: {status}", script.display()));
    }
    std::fs::rename(&partial, &file).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(file)
}
