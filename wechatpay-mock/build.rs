//! Embeds every `spec/*.yaml` file, so the mock serves the same spec the SDK was generated from.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let spec = manifest.join("../spec");
    println!("cargo:rerun-if-changed={}", spec.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&spec)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from("/// The spec files embedded at build time: (file name, YAML text).\npub(crate) const EMBEDDED_SPEC: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            file.display().to_string()
        );
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out_dir.join("embedded_spec.rs"), out) {
        println!("cargo:warning=cannot write the embedded spec: {e}");
        std::process::exit(1);
    }
}
