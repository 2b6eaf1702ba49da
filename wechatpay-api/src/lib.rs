//! Typed WeChat Pay APIv3 operations, generated from the OpenAPI files in `spec/`, on top of
//! [`wechatpay_core`] (signing, response verification, keys, ciphers, notifications, transport).
//!
//! Each operation is a plain value (say [`papay::NotifyDeductionFailure`]) implementing
//! [`Operation`]; a [`Client`] (or `blocking::Client`, feature `blocking`) executes it: it
//! serializes the body once, encrypts the fields the spec marks sensitive, signs, sends, verifies
//! the platform's signature over the raw answer and only then decodes it.
//!
//! ```no_run
//! use wechatpay_api::papay::{NotifyDeductionFailure, NotifyDeductionFailureRequired};
//! use wechatpay_api::{Client, Credentials, KeyStore, PrivateKey, PublicKey};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let key = PrivateKey::from_pem_file("apiclient_key.pem")?;
//! let keys = KeyStore::new();
//! keys.add_public_key("PUB_KEY_ID_0114232134912410000000000000", PublicKey::from_pem_file("pub_key.pem")?);
//! let client = Client::builder(Credentials::new("1900000001", "MERCHANT_CERT_SERIAL", key))
//!     .key_store(keys)
//!     .build()?;
//! // Required values by name in one struct (a missing one does not compile); optional ones
//! // by `with_*`.
//! let op = NotifyDeductionFailure::new(NotifyDeductionFailureRequired {
//!     contract_id: "123124412412423431".into(),
//!     mchid: "1230000109".into(),
//!     appid: "wxd678efh567hg6787".into(),
//! });
//! let answer = client.execute(&op).await?; // 204: `answer.data` is `()`
//! println!("Request-ID {:?}", answer.request_id);
//! # Ok(()) }
//! ```
//!
//! One cargo feature per API group (all on by default through `full`); `blocking` adds the
//! blocking client; `rust-crypto` the pure-Rust crypto backend.
//!
//! Beside the generated operations, `certificates` feeds the platform-certificate refresh, and
//! `bills` downloads a bill in one call (apply, check the URL, stream, un-gzip, check the
//! digest) and parses bill files into typed rows.
#![warn(missing_docs)]
#![deny(ambiguous_glob_reexports)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[rustfmt::skip]
mod generated;

pub use generated::*;

// The generated `certificates` group plus the list the certificate refresh reads; this module
// shadows the glob re-export of `generated::certificates` and re-exports all of it.
#[cfg(feature = "certificates")]
#[cfg_attr(docsrs, doc(cfg(feature = "certificates")))]
pub mod certificates;

// The generated `bills` group plus its hand-written one-call download and file parser; this
// module shadows the glob re-export of `generated::bills` and re-exports all of it.
#[cfg(feature = "bills")]
#[cfg_attr(docsrs, doc(cfg(feature = "bills")))]
pub mod bills;

/// The `http` crate, whose `HeaderMap` notifications are parsed from.
pub use http;
/// `date-time` fields are `time::OffsetDateTime`.
pub use time;
/// The core crate, for everything not re-exported above.
pub use wechatpay_core;
#[cfg(feature = "axum")]
pub use wechatpay_core::axum;
#[cfg(feature = "blocking")]
pub use wechatpay_core::blocking;
pub use wechatpay_core::{
    ApiError, ApiV3Key, AppPayment, Backend, Bytes, Certificate, CertificateList,
    CertificateNotValid, CertificateRefresh, Chain, ChainResult, Checksum, Claim, Client,
    ClientBuilder, Clock, Credentials, CryptoError, Decrypter, Downloaded, EncryptedResource,
    Error, HandledNotifications, Hasher, Host, Hosts, JsapiPayment, KeyError, KeyStore, Limits,
    ListedCertificate, MAX_REFRESH_INTERVAL, MAX_SIGNING, MIN_REFRESH_INTERVAL, Merchants,
    MetaDigest, Notification, NotificationAnswer, NotificationError, NotificationEvent,
    NotificationHandler, Operation, PathError, PrivateKey, PublicKey, RawBody, RecentNotifications,
    ResourceError, Response, RetryPolicy, SignFuture, SignMismatch, SignedRequest, Signer,
    StoreError, StoreFuture, SystemClock, TransportError, TransportErrorKind, Upload, UploadError,
    VerifyError,
};
pub use wechatpay_core::{json_string, operation, transport};

/// The README's examples, compiled as doctests so that they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
