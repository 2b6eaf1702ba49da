//! The WeChat Pay APIv3 code generator: OpenAPI YAML → IR → Rust.
//!
//! ```text
//! spec/*.yaml ──load──▶ spec model ──lower──▶ IR ──emit──▶ syn::File ──prettyplease──▶ source
//! ```
//!
//! The generator reads the spec and returns text; writing files is the caller's job
//! (`cargo xtask codegen`). Bad input gives located [`SpecErrors`], never a panic. The same IR
//! drives the mock platform (`wechatpay-mock`), so every endpoint added to `spec/` is both
//! generated and served.
#![warn(missing_docs)]

mod emit;
mod error;
pub mod ir;
mod locate;
mod lower;
pub mod spec;

use std::path::Path;

pub use emit::{emit, GeneratedFile, Output};
pub use error::{Error, SpecError, SpecErrors};
pub use lower::{lower, Source};

/// Reads every `*.yaml` file of a folder, in file-name order.
pub fn read_dir(dir: &Path) -> Result<Vec<Source>, Error> {
    let io = |source| Error::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            names.push(path);
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(Source { name, text })
        })
        .collect()
}

/// Loads a spec folder into the IR.
pub fn load_dir(dir: &Path) -> Result<ir::Api, Error> {
    Ok(lower(&read_dir(dir)?)?)
}

/// Generates the `wechatpay-api` sources for a spec folder.
pub fn generate_dir(dir: &Path) -> Result<Output, Error> {
    Ok(emit(&load_dir(dir)?))
}
