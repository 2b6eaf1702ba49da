//! The protocol's exact rules, usable on their own (the mock platform and the tests use them):
//! the signed messages (§1, §2), the nonce, answer and notification verification over raw bytes,
//! the request target, JSON pointers for sensitive fields and the character rule for bodies.

mod path;
pub mod pointer;

use base64::Engine as _;
use rand::Rng as _;

use crate::crypto::B64;
use crate::error::VerifyError;
use crate::keys::KeyStore;

pub use path::{encode_query, fill_path};

/// The largest allowed distance between a message's timestamp and the local clock, in seconds.
pub const MAX_SKEW_SECS: u64 = 300;

/// Prefix of the probe signatures WeChat Pay sends to check that merchants verify.
pub const SIGNTEST_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n`: what a merchant signs.
pub fn request_message(
    method: &str,
    target: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(method.len() + target.len() + nonce.len() + body.len() + 24);
    for part in [
        method.as_bytes(),
        target.as_bytes(),
        timestamp.to_string().as_bytes(),
        nonce.as_bytes(),
        body,
    ] {
        m.extend_from_slice(part);
        m.push(b'\n');
    }
    m
}

/// `TIMESTAMP\nNONCE\nBODY\n` (the body line is empty for a 204): what the platform signs.
pub fn response_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    for part in [timestamp.as_bytes(), nonce.as_bytes(), body] {
        m.extend_from_slice(part);
        m.push(b'\n');
    }
    m
}

/// A fresh 32-character nonce of `[0-9A-Za-z]`.
pub fn nonce() -> String {
    rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// The first character that takes 4 bytes in UTF-8 (emoji and the like), which WeChat Pay
/// refuses in bodies.
pub fn four_byte_char(body: &[u8]) -> Option<char> {
    std::str::from_utf8(body)
        .ok()?
        .chars()
        .find(|c| c.len_utf8() == 4)
}

/// The one value of a signature header. Missing, repeated or non-text values are refused, the
/// same way for answers and notifications.
pub fn signature_header<'h>(
    headers: &'h http::HeaderMap,
    name: &'static str,
) -> Result<&'h str, VerifyError> {
    let mut values = headers.get_all(name).iter();
    let value = values.next().ok_or(VerifyError::MissingHeader(name))?;
    if values.next().is_some() {
        return Err(VerifyError::DuplicateHeader(name));
    }
    value.to_str().map_err(|_| VerifyError::InvalidHeader(name))
}

/// Verifies a signed answer or notification over its raw body, at unix time `now`. Checks, in
/// order: the four headers present once each, the probe prefix, the timestamp skew (with
/// arithmetic that cannot overflow), a known serial (a certificate within its validity window),
/// the signature.
pub fn verify(
    store: &KeyStore,
    now: i64,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<(), VerifyError> {
    SignatureHeaders::read(headers, now)?.verify(store, now, body)
}

/// The signature headers of an answer or notification, read once each, past the probe and skew
/// checks; the signature itself is checked by [`SignatureHeaders::verify`].
pub(crate) struct SignatureHeaders<'h> {
    signature: &'h str,
    timestamp: &'h str,
    nonce: &'h str,
    /// The serial of the key that signed: `Wechatpay-Serial`.
    pub(crate) serial: &'h str,
}

impl<'h> SignatureHeaders<'h> {
    /// The four headers present once each, not a probe, the timestamp within the skew of `now`.
    pub(crate) fn read(headers: &'h http::HeaderMap, now: i64) -> Result<Self, VerifyError> {
        let signature = signature_header(headers, "Wechatpay-Signature")?;
        let timestamp = signature_header(headers, "Wechatpay-Timestamp")?;
        let nonce = signature_header(headers, "Wechatpay-Nonce")?;
        let serial = signature_header(headers, "Wechatpay-Serial")?;
        if signature.starts_with(SIGNTEST_PREFIX) {
            return Err(VerifyError::SignTestProbe);
        }
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| VerifyError::BadTimestamp(timestamp.to_owned()))?;
        let skew = now.abs_diff(ts);
        if skew > MAX_SKEW_SECS {
            return Err(VerifyError::StaleTimestamp {
                timestamp: ts,
                skew,
            });
        }
        Ok(Self {
            signature,
            timestamp,
            nonce,
            serial,
        })
    }

    /// Checks the signature over `body` with the key `store` holds under the serial, valid at
    /// `now`.
    pub(crate) fn verify(
        &self,
        store: &KeyStore,
        now: i64,
        body: &[u8],
    ) -> Result<(), VerifyError> {
        let key = store.verifying_key(self.serial, now)?;
        let signature = B64
            .decode(self.signature.trim())
            .map_err(|_| VerifyError::BadSignature)?;
        let message = response_message(self.timestamp, self.nonce, body);
        if key.verify(&message, &signature) {
            Ok(())
        } else {
            Err(VerifyError::BadSignature)
        }
    }
}
