//! Writing the output folder all at once: refuse to overwrite unless forced, write every file
//! to a temporary name first, then rename them into place.

use std::path::Path;

use super::OutFile;

/// Writes `files` into `dir`. Nothing is written when a file exists and `force` is off.
pub fn write_all(dir: &Path, files: &[OutFile], force: bool) -> Result<(), String> {
    if !force {
        let existing: Vec<String> = files
            .iter()
            .filter(|f| dir.join(&f.name).exists())
            .map(|f| f.name.clone())
            .collect();
        if !existing.is_empty() {
            return Err(format!(
                "{} already exists in {} (use --force to overwrite); nothing was written",
                existing.join(", "),
                dir.display()
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut temps = Vec::new();
    for f in files {
        let tmp = dir.join(format!(".{}.tmp-{}", f.name, std::process::id()));
        if let Err(e) = std::fs::write(&tmp, &f.text) {
            for t in &temps {
                let _ = std::fs::remove_file(t);
            }
            let _ = std::fs::remove_file(&tmp);
            return Err(format!(
                "cannot write {}: {e}; nothing was written",
                tmp.display()
            ));
        }
        temps.push(tmp);
    }
    for (tmp, f) in temps.iter().zip(files) {
        std::fs::rename(tmp, dir.join(&f.name))
            .map_err(|e| format!("cannot write {}: {e}", dir.join(&f.name).display()))?;
    }
    Ok(())
}
