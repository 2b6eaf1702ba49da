//! Request signing and message verification (protocol §1 and §2): the exact signed messages, the
//! `Authorization` header, the nonce, the clock and the verification of answers and
//! notifications over their raw bytes.

use std::sync::Arc;

use base64::Engine as _;
use rand::Rng as _;

use crate::crypto::{PrivateKey, B64};
use crate::error::{CryptoError, VerifyError};
use crate::keys::KeyStore;

/// Produces RSA-2048 PKCS#1 v1.5 SHA-256 signatures for the merchant. Implement it to sign with
/// a remote service or an HSM instead of a local key.
pub trait Signer: Send + Sync {
    /// Signs `message` (the five-line request message).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

impl Signer for PrivateKey {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.sign_sha256(message)
    }
}

/// The merchant's identity: merchant id, API certificate serial and signer.
#[derive(Clone)]
pub struct Credentials {
    mchid: String,
    serial: String,
    signer: Arc<dyn Signer>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("mchid", &self.mchid)
            .field("serial", &self.serial)
            .field("signer", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Credentials signing with a local private key.
    pub fn new(mchid: impl Into<String>, serial: impl Into<String>, key: PrivateKey) -> Self {
        Self::with_signer(mchid, serial, Arc::new(key))
    }

    /// Credentials signing with any [`Signer`].
    pub fn with_signer(
        mchid: impl Into<String>,
        serial: impl Into<String>,
        signer: Arc<dyn Signer>,
    ) -> Self {
        Self {
            mchid: mchid.into(),
            serial: serial.into(),
            signer,
        }
    }

    /// The merchant id.
    pub fn mchid(&self) -> &str {
        &self.mchid
    }

    /// The merchant API certificate serial.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The `Authorization` header value for one request. `target` is the path and query exactly
    /// as sent; `body` the exact bytes sent (empty for none).
    pub fn authorization(
        &self,
        method: &str,
        target: &str,
        body: &[u8],
        timestamp: i64,
        nonce: &str,
    ) -> Result<String, CryptoError> {
        let message = request_message(method, target, timestamp, nonce, body);
        let signature = B64.encode(self.signer.sign(&message)?);
        Ok(format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{}\"",
            self.mchid, self.serial
        ))
    }
}

/// `METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n`.
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

/// `TIMESTAMP\nNONCE\nBODY\n` (the body line is empty for a 204).
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

/// The time source for signing and skew checks; inject a fixed one in tests.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in unix seconds.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// The largest allowed distance between a message's timestamp and the local clock.
pub const MAX_SKEW_SECS: i64 = 300;

/// Prefix of the probe signatures WeChat Pay sends to check that merchants verify.
pub const SIGNTEST_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// Verifies a signed answer or notification over its raw body. `header` looks a header up by
/// name (case-insensitively). Checks, in order: headers present, probe, timestamp skew, serial
/// known, signature.
pub fn verify(
    store: &KeyStore,
    clock: &dyn Clock,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
) -> Result<(), VerifyError> {
    let get = |name: &'static str| header(name).ok_or(VerifyError::MissingHeader(name));
    let signature = get("Wechatpay-Signature")?;
    let timestamp = get("Wechatpay-Timestamp")?;
    let nonce = get("Wechatpay-Nonce")?;
    let serial = get("Wechatpay-Serial")?;
    if signature.starts_with(SIGNTEST_PREFIX) {
        return Err(VerifyError::SignTestProbe);
    }
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp(timestamp.clone()))?;
    let skew = (clock.now() - ts).abs();
    if skew > MAX_SKEW_SECS {
        return Err(VerifyError::StaleTimestamp {
            timestamp: ts,
            skew,
        });
    }
    let key = store
        .get(&serial)
        .ok_or(VerifyError::UnknownSerial(serial))?;
    let signature = B64
        .decode(signature.trim())
        .map_err(|_| VerifyError::BadSignature)?;
    if key.verify_sha256(&response_message(&timestamp, &nonce, body), &signature) {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}
