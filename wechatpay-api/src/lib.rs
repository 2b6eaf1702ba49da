//! Typed WeChat Pay APIv3 operations.
#[rustfmt::skip]
mod generated;
pub use generated::*;
