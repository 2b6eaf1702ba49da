//! A WeChat Pay APIv3 platform on loopback, driven by `spec/` (like stripe-mock, for WeChat Pay).
//!
//! It checks the merchant's `Authorization` signature over the exact bytes received, validates
//! path, query, headers and body against the operation's schema, decrypts sensitive fields with
//! the platform key, answers from the spec's examples with real `Wechatpay-*` signatures (204s
//! too), sends signed and encrypted notifications, and injects faults on demand.
//!
//! Where the spec declares a resource the platform keeps (`x-wechatpay-resources`: orders,
//! refunds, transfer bills), the mock keeps it as the platform does: an operation bound to it
//! (`x-wechatpay-flow`) creates, reads or moves it, answers are built from its state, and the
//! platform's documented errors follow (not found, a number repeated with other values, a refund
//! past what is left, another merchant than the signer); a test moves it with
//! [`MockPlatform::scenario`] and the platform's clock ([`MockPlatform::set_time`],
//! [`MockPlatform::advance_time`]). Successful answers say where they come from:
//! `X-Mock-Source: state` or `example`.
//!
//! Other answers answer the request: where the spec gives no example for a required member, one is
//! synthesised from the schema (type, format, lengths, range, first enum value); the answer's
//! members named like a path or query parameter, or like a member of the request body, take the
//! request's values; and `mchid`/`sp_mchid` not given are the mock's own. Uploads are parsed
//! part by part and checked (digest, file name, media type, `meta`); downloads serve the media
//! type's example. Bills are real: a trade or fund-flow bill lists the day's payments and
//! refunds of the ledger, in the platform's file format, its `download_url` points at the mock
//! itself and its `hash_value` is the file's SHA-1 (gzip on request). Every endpoint a
//! user adds to `spec/` is served with no extra code: the mock reads the generator's IR.
//!
//! Limits, so that one misbehaving client cannot exhaust it (each set on [`MockBuilder`], and
//! in the binary with `--max-body-bytes`, `--max-header-bytes` and `--idle-timeout-secs`):
//!
//! - request body: at most 8 MiB, room for a 5 MiB video upload ([`MockBuilder::max_body_bytes`]);
//!   a larger one gets 413
//!   `REQUEST_ENTITY_TOO_LARGE`, refused by its `Content-Length` before it is read (chunked: once
//!   the bytes read pass the limit), and the connection is closed;
//! - request head: at most 64 KiB of request line and headers ([`MockBuilder::max_header_bytes`]),
//!   else 431 and the connection is closed;
//! - idle connections: closed after 8 s (as the platform closes them) without a byte while a request is awaited, new or
//!   kept alive, or mid-head ([`MockBuilder::idle_timeout`]); a body that stalls as long gets 408;
//! - bill files: the last 64 handed out can be downloaded; an older token gets the spec's
//!   example file;
//! - `Authorization`: parsed strictly (the five items, each once and double-quoted), the
//!   timestamp compared without overflow; anything else is 401 `SIGN_ERROR`.
//!
//! ```no_run
//! let mock = wechatpay_mock::MockPlatform::start()?;
//! let client = mock.credentials().client_builder(mock.base_url())?.build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod bills;
mod echo;
mod embedded;
mod flows;
mod multipart;
mod platform;
mod sensitive;
mod server;
mod state;
mod validate;

pub use embedded::embedded_spec;
pub use platform::{MockBuilder, MockError, MockPlatform};
pub use state::{Fault, LoggedRequest, SignedNotification, TestCredentials, TrustMode};
pub use validate::{check_request, Issue};
