//! The WeChat Pay APIv3 code generator: the emitter that prints the IR as Rust.
//!
//! ```text
//! spec/*.yaml ──wechatpay-spec──▶ IR ──emit──▶ syn::File ──prettyplease──▶ source
//! ```
//!
//! Loading, naming and lowering live in `wechatpay-spec` (re-exported here), which the mock
//! platform uses too; this crate prints. [`emit()`] returns text; [`codegen()`] writes it into a
//! crate (a new one, or one it wrote before), and the `wechatpay-codegen` binary ([`cli`]) runs
//! that from the command line:
//!
//! ```text
//! cargo install wechatpay-generator    # installs `wechatpay-codegen`
//! wechatpay-codegen --spec my-spec --out my-wechatpay-api           # write
//! wechatpay-codegen --spec my-spec --out my-wechatpay-api --check   # fail if anything is stale
//! ```
//!
//! Bad input gives located [`SpecErrors`], never a panic.
#![warn(missing_docs)]

pub mod cli;
pub mod codegen;
mod emit;

use std::path::Path;

pub use codegen::{codegen, codegen_with, Mode, Summary};
pub use emit::{calls_test, emit, GeneratedFile, Output};
pub use wechatpay_spec::{
    ir, load_dir, lower, read_dir, spec, Error, Source, SpecError, SpecErrors, MAX_DEPTH,
    MAX_FILE_BYTES,
};

/// Generates the sources of a crate named `krate` in code (`wechatpay_api`) for a spec folder.
pub fn generate_dir(dir: &Path, krate: &str) -> Result<Output, Error> {
    Ok(emit(&load_dir(dir)?, krate))
}
