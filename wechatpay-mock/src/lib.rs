//! A WeChat Pay APIv3 platform on loopback, driven by `spec/` (like stripe-mock, for WeChat Pay).
//!
//! It checks the merchant's `Authorization` signature over the exact bytes received, validates
//! path, query, headers and body against the operation's schema, decrypts sensitive fields with
//! the platform key, answers from the spec's examples with real `Wechatpay-*` signatures (204s
//! too), sends signed and encrypted notifications, and injects faults on demand. Every endpoint a
//! user adds to `spec/` is served with no extra code: the mock reads the generator's IR.
//!
//! ```no_run
//! let mock = wechatpay_mock::MockPlatform::start()?;
//! let client = mock.credentials().client_builder(mock.base_url())?.build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod embedded;
mod platform;
mod server;
mod state;
mod validate;

pub use embedded::embedded_spec;
pub use platform::{MockBuilder, MockError, MockPlatform};
pub use state::{Fault, LoggedRequest, SignedNotification, TestCredentials, TrustMode};
