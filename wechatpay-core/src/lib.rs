//! The hand-written core of the WeChat Pay APIv3 SDK: credentials and signing, response
//! verification and the key store (public keys and platform certificates together), ciphers,
//! notifications and transport.
//!
//! Generated operations (crate `wechatpay-api`) are sans-IO values implementing [`Operation`];
//! the clients here execute them: serialize once → encrypt sensitive fields → sign → send →
//! verify the raw answer → decode.
//!
//! # Crypto backends
//!
//! Feature `aws-lc` (default) uses aws-lc-rs. Feature `rust-crypto` uses the pure-Rust `rsa`,
//! `sha2` and `aes-gcm` crates; note **RUSTSEC-2023-0071** (Marvin timing side-channel in
//! `rsa`, no fixed release). See [`crypto`].
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
#[cfg(feature = "blocking")]
pub mod blocking;
mod certificates;
mod client;
pub mod crypto;
mod error;
mod generic;
mod keys;
mod notify;
mod operation;

pub use auth::{
    nonce, request_message, response_message, verify, Clock, Credentials, Signer, SystemClock,
    MAX_SKEW_SECS, SIGNTEST_PREFIX,
};
pub use certificates::{
    CertificateRefresh, EncryptedResource, ResourceError, MAX_REFRESH_INTERVAL,
};
pub use client::{four_byte_char, Chain, Client, ClientBuilder, Hosts, Response};
pub use crypto::{PrivateKey, PublicKey};
pub use error::{ApiError, CryptoError, Error, KeyError, VerifyError};
pub use generic::{GenericCall, GenericCallBuilder};
pub use keys::{ApiV3Key, Certificate, KeyStore};
pub use notify::{
    parse_create_time, Notification, NotificationAnswer, NotificationError, NotificationHandler,
};
pub use operation::{encode_query, push_path_segment, Host, Method, Operation};
