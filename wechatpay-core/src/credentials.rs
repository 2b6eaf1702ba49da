//! The merchant's identity and signer, the `Authorization` header (protocol §1) and the clock.

use std::sync::Arc;

use base64::Engine as _;

use crate::crypto::{PrivateKey, B64};
use crate::error::CryptoError;
use crate::protocol::request_message;

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

    /// Signs `message` with the merchant's signer.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.signer.sign(message)
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
        let signature = B64.encode(self.sign(&message)?);
        Ok(format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{}\"",
            self.mchid, self.serial
        ))
    }
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
