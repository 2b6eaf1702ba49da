//! Embeds every spec file (`spec/*.yaml`, `*.yml`), so the mock serves the same spec the SDK
//! was generated from. `spec` in this crate's folder is a link to the workspace's `spec/`;
//! `cargo package` copies the files it links to, so the published crate carries them. No spec
//! file is an error: a mock that embeds nothing would serve nothing.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let spec = manifest.join("spec");
    println!("cargo:rerun-if-changed={}", spec.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&spec)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .collect()
        })
        .unwrap_or_default();
    if files.is_empty() {
        fail(&format!(
            "no spec files (*.yaml, *.yml) in {}: the mock embeds the spec it serves. In a checkout, \
             `wechatpay-mock/spec` must link to the workspace's `spec/` (git with symlinks \
             enabled); a packaged crate carries the files themselves",
            spec.display()
        ));
    }
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
        fail(&format!("cannot write the embedded spec: {e}"));
    }
}

/// Stops the build with `message`, shown by cargo as the build script's error.
fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
