//! A WeChat Pay APIv3 platform on loopback, driven by `spec/` (like stripe-mock, for WeChat Pay).
//!
//! It checks the merchant's `Authorization` signature over the exact bytes received, validates
//! path, query, headers and body against the operation's schema, decrypts sensitive fields with
//! the platform key, answers from the spec's examples with real `Wechatpay-*` signatures (204s
//! too), sends signed and encrypted notifications, and injects faults on demand. Every endpoint a
//! user adds to `spec/` is served with no extra code: the mock reads the generator's IR.
//!
//! Limits, so that one misbehaving client cannot exhaust it (each set on [`MockBuilder`]):
//!
//! - request body: at most 1 MiB ([`MockBuilder::max_body_bytes`]); a larger one gets 413
//!   `REQUEST_ENTITY_TOO_LARGE`, refused by its `Content-Length` before it is read (chunked: once
//!   the bytes read pass the limit), and the connection is closed;
//! - request head: at most 64 KiB of request line and headers ([`MockBuilder::max_header_bytes`]),
//!   else 431 and the connection is closed;
//! - idle connections: closed after 10 s without a byte while a request is awaited, new or
//!   kept alive, or mid-head ([`MockBuilder::idle_timeout`]); a body that stalls as long gets 408;
//! - `Authorization`: parsed strictly (the five items, each once and double-quoted), the
//!   timestamp compared without overflow; anything else is 401 `SIGN_ERROR`.
//!
//! ```no_run
//! let mock = wechatpay_mock::MockPlatform::start()?;
//! let client = mock.credentials().client_builder(mock.base_url())?.build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod embedded;
mod platform;
mod sensitive;
mod server;
mod state;
mod validate;

pub use embedded::embedded_spec;
pub use platform::{MockBuilder, MockError, MockPlatform};
pub use state::{Fault, LoggedRequest, SignedNotification, TestCredentials, TrustMode};
