//! The hand-written core of the WeChat Pay APIv3 SDK: credentials and signing, response
//! verification and the key store (public keys and platform certificates together), ciphers,
//! notifications and transport.
//!
//! Generated operations (crate `wechatpay-api`) are values implementing [`Operation`]: they
//! describe their request as data. One pipeline executes them for the async [`Client`], the
//! blocking client and the generic call ([`Client::chain`]): fill the path → serialize once →
//! encrypt sensitive fields → sign → send → verify the raw answer → decode.
//!
//! Fields carrying a JSON document in a string use [`json_string`]. The public surface is what
//! the crate root and the modules [`operation`] (the contract generated code builds on),
//! [`transport`] (a pluggable HTTP client), [`json_string`], `blocking` and `axum` export; the
//! protocol's raw rules (signed messages, verification over bytes, the request target, JSON
//! pointers, raw AES-GCM) are shared with `wechatpay-mock` and the tests through a hidden
//! module and are not part of it.
//!
//! # Crypto backends
//!
//! Feature `aws-lc` (default) uses aws-lc-rs. Feature `rust-crypto` uses the pure-Rust `rsa`,
//! `sha2` and `aes-gcm` crates; note **RUSTSEC-2023-0071** (Marvin timing side-channel in
//! `rsa`, no fixed release). See [`Backend`].
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "blocking")]
pub mod blocking;
mod certificates;
mod chain;
mod client;
mod credentials;
mod crypto;
mod download;
mod error;
mod handled;
mod invoke;
pub mod json_string;
mod keys;
mod merchants;
mod notify;
pub mod operation;
mod pipeline;
mod protocol;
mod retry;
mod sensitive;
pub mod transport;
mod upload;

pub use bytes::Bytes;
pub use certificates::{
    CertificateList, CertificateRefresh, EncryptedResource, ListedCertificate, ResourceError,
    MAX_REFRESH_INTERVAL, MIN_REFRESH_INTERVAL,
};
pub use chain::{Chain, ChainResult};
pub use client::{Client, ClientBuilder};
pub use credentials::{Clock, Credentials, Decrypter, SignFuture, Signer, SystemClock};
pub use crypto::{Backend, PrivateKey, PublicKey};
pub use download::{Checksum, Downloaded, Hasher};
pub use error::{
    ApiError, CertificateNotValid, CryptoError, Error, KeyError, PathError, RawBody, SignMismatch,
    TransportError, TransportErrorKind, UploadError, VerifyError,
};
pub use handled::{Claim, HandledNotifications, RecentNotifications, StoreError, StoreFuture};
pub use invoke::{AppPayment, JsapiPayment};
pub use keys::{ApiV3Key, Certificate, KeyStore};
pub use merchants::Merchants;
pub use notify::{
    Notification, NotificationAnswer, NotificationError, NotificationEvent, NotificationHandler,
};
pub use operation::{Host, Operation};
pub use pipeline::{Hosts, Limits, Response, SignedRequest, MAX_SIGNING};
pub use retry::RetryPolicy;
pub use upload::{MetaDigest, Upload};

/// The protocol's raw rules, shared with `wechatpay-mock` and the workspace's tests: signed
/// messages, the nonce, verification over raw bytes, the request target, JSON pointers and raw
/// AES-256-GCM.
///
/// **Not part of the public API.** Anything here may change or go in any release; use the
/// [`Client`], [`NotificationHandler`] and [`Credentials`] instead.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "shangmi")]
    pub use crate::crypto::sm::{sm4_gcm_encrypt, AEAD_SM4_GCM};
    pub use crate::crypto::{aes_256_gcm_decrypt, aes_256_gcm_decrypt_with, aes_256_gcm_encrypt};
    pub use crate::notify::parse_create_time;
    pub use crate::protocol::*;
}
