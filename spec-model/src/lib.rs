//! The WeChat Pay APIv3 spec model: OpenAPI YAML → located spec model → IR.
//!
//! ```text
//! spec/*.yaml ──load──▶ spec model ──names, schemas, operations──▶ IR (every name and decision made)
//! ```
//!
//! Two crates read the IR: the code generator (`wechatpay-generator`) prints it as Rust, and the
//! mock platform (`wechatpay-mock`) serves it. This crate has no code-printing dependencies, so
//! the mock, a dev-dependency of users, never compiles `syn` or `quote`. Bad input gives located
//! [`SpecErrors`], never a panic.
#![warn(missing_docs)]

mod compose;
mod context;
mod error;
mod events;
mod examples;
pub mod ir;
mod limits;
mod load;
mod locate;
mod lower;
mod names;
mod operations;
mod resources;
mod schemas;
pub mod spec;
mod uploads;

use std::path::Path;

pub use error::{Error, SpecError, SpecErrors};
pub use limits::{MAX_DEPTH, MAX_FILE_BYTES};
pub use load::{read_dir, Source};
pub use lower::lower;
pub use names::{RESERVED_FEATURES, RESERVED_MODULES, SERDE_BOTH_FEATURE};

/// Loads a spec folder into the IR.
pub fn load_dir(dir: &Path) -> Result<ir::Api, Error> {
    Ok(lower(&read_dir(dir)?)?)
}
