//! Repository chores behind `cargo xtask`. `codegen` regenerates `wechatpay-api` from `spec/`, or
//! in check mode reports every stale file without touching anything.
#![warn(missing_docs)]

use std::path::{Path, PathBuf};

/// Marker lines around the generated `[features]` block of `wechatpay-api/Cargo.toml`.
const FEATURES_START: &str = "# @generated-features-start";
const FEATURES_END: &str = "# @generated-features-end";

/// Write the files, or only check them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write what differs.
    Write,
    /// Change nothing; report what differs.
    Check,
}

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Regenerates `<api_dir>` from `<spec_dir>`. Returns the files that were (or, in check mode,
/// would be) changed or removed, relative to `api_dir`.
pub fn codegen(spec_dir: &Path, api_dir: &Path, mode: Mode) -> Result<Vec<String>, String> {
    let output = wechatpay_generator::generate_dir(spec_dir).map_err(|e| e.to_string())?;
    let mut changed = Vec::new();
    let generated_dir = api_dir.join("src/generated");
    let wanted: Vec<&str> = output.files.iter().map(|f| f.path.as_str()).collect();
    for file in &output.files {
        ensure_contents(
            &api_dir.join(&file.path),
            &file.contents,
            mode,
            &file.path,
            &mut changed,
        )?;
    }
    // Files left over from a removed spec file.
    if let Ok(entries) = std::fs::read_dir(&generated_dir) {
        let mut stale: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        stale.sort();
        for path in stale {
            let rel = format!(
                "src/generated/{}",
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            );
            if !wanted.contains(&rel.as_str()) {
                changed.push(rel);
                if mode == Mode::Write {
                    std::fs::remove_file(&path)
                        .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
                }
            }
        }
    }
    let manifest = api_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let (Some(start), Some(end)) = (text.find(FEATURES_START), text.find(FEATURES_END)) else {
        return Err(format!(
            "{} lacks the `{FEATURES_START}` / `{FEATURES_END}` markers",
            manifest.display()
        ));
    };
    let new_text = format!(
        "{}{FEATURES_START}\n{}{}",
        &text[..start],
        output.features,
        &text[end..]
    );
    ensure_contents(&manifest, &new_text, mode, "Cargo.toml", &mut changed)?;
    Ok(changed)
}

fn ensure_contents(
    path: &Path,
    contents: &str,
    mode: Mode,
    rel: &str,
    changed: &mut Vec<String>,
) -> Result<(), String> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    changed.push(rel.to_owned());
    if mode == Mode::Write {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(path, contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
