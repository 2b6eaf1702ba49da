//! The `spec/` folder as it was when this crate was built (written by `build.rs`).

use wechatpay_spec::Source;

include!(concat!(env!("OUT_DIR"), "/embedded_spec.rs"));

/// The spec files embedded in this build (file name, YAML text).
pub fn embedded_spec() -> Vec<Source> {
    EMBEDDED_SPEC
        .iter()
        .map(|(name, text)| Source {
            name: (*name).to_owned(),
            text: (*text).to_owned(),
        })
        .collect()
}
