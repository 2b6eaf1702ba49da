//! Repository chores behind `cargo xtask`. `codegen` regenerates `wechatpay-api` from `spec/`
//! with the generator's own command line (`wechatpay-codegen`, [`wechatpay_generator::cli`]).
//! `synth-spec` writes a synthetic spec of the real API's shape mix ([`synth`]), and
//! `compile-bench` measures the codegen and the compile time of what it generates from one
//! ([`mod@bench`]).
#![warn(missing_docs)]

pub mod bench;
pub mod synth;

use std::path::{Path, PathBuf};

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}
