//! Writing generated code into a crate: what `wechatpay-codegen` and `cargo xtask codegen` do.
//!
//! [`codegen`] regenerates `src/generated/**` and the marked `[features]` block of a crate's
//! `Cargo.toml` from a spec folder, or in check mode reports every stale file without touching
//! anything. A folder without a `Cargo.toml` gets a new crate: a manifest with the marked block
//! and the dependencies generated code needs, and a `src/lib.rs` that includes the generated
//! modules. After that the crate is yours: only the marked block and `src/generated/` are
//! rewritten.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Marker lines around the generated `[features]` block of the crate's `Cargo.toml`.
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

/// What a `codegen` run did (or, in check mode, would do), found by comparing the new output
/// with what is on disk before anything is written. Paths are relative to the crate's folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files that did not exist.
    pub created: Vec<String>,
    /// Files whose contents differ.
    pub changed: Vec<String>,
    /// Generated files no spec file produces any more.
    pub removed: Vec<String>,
    /// Modules (`src/generated/<module>.rs`) added.
    pub modules_added: Vec<String>,
    /// Modules removed.
    pub modules_removed: Vec<String>,
    /// Cargo features of API groups added.
    pub features_added: Vec<String>,
    /// Cargo features removed.
    pub features_removed: Vec<String>,
    /// Operations (`module::Type`) added.
    pub operations_added: Vec<String>,
    /// Operations removed.
    pub operations_removed: Vec<String>,
    /// What the generator degraded rather than refused, one located line each.
    pub warnings: Vec<String>,
}

impl Summary {
    /// Whether everything was up to date.
    pub fn is_empty(&self) -> bool {
        self.files().next().is_none()
    }

    /// Every file created, changed or removed, in that order.
    pub fn files(&self) -> impl Iterator<Item = &String> {
        self.created
            .iter()
            .chain(&self.changed)
            .chain(&self.removed)
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sections: [(&str, &Vec<String>); 9] = [
            ("created", &self.created),
            ("changed", &self.changed),
            ("removed", &self.removed),
            ("module added", &self.modules_added),
            ("module removed", &self.modules_removed),
            ("feature added", &self.features_added),
            ("feature removed", &self.features_removed),
            ("operation added", &self.operations_added),
            ("operation removed", &self.operations_removed),
        ];
        for (what, items) in sections {
            for item in items {
                writeln!(f, "{what}: {item}")?;
            }
        }
        Ok(())
    }
}

/// The modules, features and operations of one state of the API crate.
#[derive(Default)]
struct Inventory {
    modules: BTreeSet<String>,
    features: BTreeSet<String>,
    operations: BTreeSet<String>,
}

impl Inventory {
    /// What the IR will generate.
    fn of_api(api: &wechatpay_spec::ir::Api) -> Self {
        let mut inventory = Inventory::default();
        for group in api.groups_with_code() {
            inventory.modules.insert(group.module.clone());
            inventory.features.extend(group.feature.clone());
            for op in &group.operations {
                inventory
                    .operations
                    .insert(format!("{}::{}", group.module, op.rust_name));
            }
        }
        inventory
    }

    /// What the crate holds now: modules from the generated file names, operations from the
    /// `impl … Operation for X` items of each file (parsed, whatever the trait's path; a file
    /// that does not parse contributes its module only), features from the marked block.
    fn on_disk<'a>(files: impl Iterator<Item = (&'a str, &'a str)>, features: &str) -> Self {
        let mut inventory = Inventory::default();
        for (path, text) in files {
            let Some(module) = path
                .strip_prefix("src/generated/")
                .and_then(|p| p.strip_suffix(".rs"))
                .filter(|m| *m != "mod" && *m != "events")
            else {
                continue;
            };
            inventory.modules.insert(module.to_owned());
            let Ok(file) = syn::parse_file(text) else {
                continue;
            };
            for item in file.items {
                let syn::Item::Impl(item) = item else {
                    continue;
                };
                let Some((_, trait_path, _)) = &item.trait_ else {
                    continue;
                };
                let is_operation = trait_path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "Operation");
                if let (true, syn::Type::Path(ty)) = (is_operation, &*item.self_ty) {
                    if let Some(name) = ty.path.segments.last() {
                        inventory
                            .operations
                            .insert(format!("{module}::{}", name.ident));
                    }
                }
            }
        }
        inventory.features = features
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(name, _)| name.trim().to_owned()))
            .filter(|name| {
                !name.starts_with('#')
                    && name != "full"
                    && name != wechatpay_spec::SERDE_BOTH_FEATURE
            })
            .collect();
        inventory
    }
}

fn added(old: &BTreeSet<String>, new: &BTreeSet<String>) -> Vec<String> {
    new.difference(old).cloned().collect()
}

/// Regenerates the crate in `crate_dir` from the spec files (`*.yaml`, `*.yml`) in `spec_dir`.
/// Returns what was (or, in check mode, would be) created, changed or removed, and the spec's
/// warnings. Nothing is written when the spec has errors, and a folder without spec files is an
/// error.
pub fn codegen(spec_dir: &Path, crate_dir: &Path, mode: Mode) -> Result<Summary, String> {
    codegen_with(spec_dir, crate_dir, mode, false)
}

/// [`codegen`], with `deny_warnings` making every warning an error (nothing is then written).
pub fn codegen_with(
    spec_dir: &Path,
    crate_dir: &Path,
    mode: Mode,
    deny_warnings: bool,
) -> Result<Summary, String> {
    let sources = crate::read_dir(spec_dir).map_err(|e| e.to_string())?;
    if sources.is_empty() {
        return Err(format!(
            "no spec files (*.yaml, *.yml) in {}",
            spec_dir.display()
        ));
    }
    let api = crate::lower(&sources).map_err(|e| e.to_string())?;
    let warnings: Vec<String> = api.warnings.iter().map(|w| w.to_string()).collect();
    if deny_warnings && !warnings.is_empty() {
        return Err(format!(
            "{}\nwarnings are denied (--deny-warnings): fix the spec",
            warnings.join("\n")
        ));
    }
    let manifest = crate_dir.join("Cargo.toml");
    let new_crate = !manifest.exists();
    let text = if new_crate {
        new_manifest(crate_dir)?
    } else {
        std::fs::read_to_string(&manifest)
            .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?
    };
    let krate = package_name(&text).ok_or_else(|| {
        format!(
            "{} names no package (`name = \"…\"` under `[package]`)",
            manifest.display()
        )
    })?;
    let output = crate::emit(&api, &krate.replace('-', "_"));
    let (Some(start), Some(end)) = (text.find(FEATURES_START), text.find(FEATURES_END)) else {
        return Err(format!(
            "{} lacks the `{FEATURES_START}` / `{FEATURES_END}` markers",
            manifest.display()
        ));
    };
    let old_features = &text[start..end];
    let new_text = format!(
        "{}{FEATURES_START}\n{}{}",
        &text[..start],
        output.features,
        &text[end..]
    );
    let on_disk = read_generated(crate_dir)?;
    let old = Inventory::on_disk(
        on_disk.iter().map(|(p, t)| (p.as_str(), t.as_str())),
        old_features,
    );
    let new = Inventory::of_api(&api);
    let mut summary = Summary {
        modules_added: added(&old.modules, &new.modules),
        modules_removed: added(&new.modules, &old.modules),
        features_added: added(&old.features, &new.features),
        features_removed: added(&new.features, &old.features),
        operations_added: added(&old.operations, &new.operations),
        operations_removed: added(&new.operations, &old.operations),
        warnings,
        ..Summary::default()
    };
    for file in &output.files {
        ensure_contents(crate_dir, &file.path, &file.contents, mode, &mut summary)?;
    }
    for (rel, _) in &on_disk {
        if !output.files.iter().any(|f| &f.path == rel) {
            summary.removed.push(rel.clone());
            if mode == Mode::Write {
                let path = crate_dir.join(rel);
                std::fs::remove_file(&path)
                    .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            }
        }
    }
    if new_crate && !crate_dir.join("src/lib.rs").exists() {
        ensure_contents(crate_dir, "src/lib.rs", NEW_LIB, mode, &mut summary)?;
    }
    ensure_contents(crate_dir, "Cargo.toml", &new_text, mode, &mut summary)?;
    Ok(summary)
}

/// The package name in a manifest's `[package]` table.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        let Some(value) = line.strip_prefix("name").map(str::trim_start) else {
            continue;
        };
        if !in_package {
            continue;
        }
        let value = value.strip_prefix('=')?.trim();
        let name = value.trim_matches('"');
        return (name.len() + 2 == value.len() && !name.is_empty()).then(|| name.to_owned());
    }
    None
}

/// The `src/lib.rs` of a new crate.
const NEW_LIB: &str =
    "//! Typed WeChat Pay APIv3 operations, generated by `wechatpay-codegen` from a spec folder.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[rustfmt::skip]
mod generated;

pub use generated::*;
/// The core crate: the client, keys, notifications and everything generated code builds on.
pub use wechatpay_core;
/// What the operations' rustdoc examples name: the client, and the file of an upload.
pub use wechatpay_core::{Client, Upload};
";

/// The `Cargo.toml` of a new crate in `dir`, named after the folder: the generated code's
/// dependencies (the core of this generator's version) and an empty marked `[features]` block.
fn new_manifest(dir: &Path) -> Result<String, String> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(format!(
            "{} has no Cargo.toml, and its folder name `{name}` is not a crate name to give a new crate: \
             use letters, digits, `-` and `_`, starting with a letter",
            dir.display()
        ));
    }
    Ok(format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
         [features]\ndefault = [\"full\"]\n{FEATURES_START}\nfull = []\n{FEATURES_END}\n\n\
         [dependencies]\nwechatpay-core = \"{}\"\nserde = {{ version = \"1\", features = [\"derive\"] }}\n\
         serde_json = \"1\"\ntime = {{ version = \"0.3\", features = [\"serde\", \"formatting\", \"parsing\"] }}\n",
        env!("CARGO_PKG_VERSION")
    ))
}

/// Every file of `src/generated/` with its text, in name order.
fn read_generated(crate_dir: &Path) -> Result<Vec<(String, String)>, String> {
    let Ok(entries) = std::fs::read_dir(crate_dir.join("src/generated")) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // A file that is not UTF-8 text is still ours to replace: read it as empty.
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            Ok((format!("src/generated/{name}"), text))
        })
        .collect()
}

fn ensure_contents(
    crate_dir: &Path,
    rel: &str,
    contents: &str,
    mode: Mode,
    summary: &mut Summary,
) -> Result<(), String> {
    let path = crate_dir.join(rel);
    match std::fs::read_to_string(&path) {
        Ok(old) if old == contents => return Ok(()),
        Ok(_) => summary.changed.push(rel.to_owned()),
        Err(_) => summary.created.push(rel.to_owned()),
    }
    if mode == Mode::Write {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(&path, contents)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}
