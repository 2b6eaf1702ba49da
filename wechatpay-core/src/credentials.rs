//! The merchant's identity and signer, the `Authorization` header (protocol §1) and the clock.

use std::sync::Arc;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::crypto::{PrivateKey, B64};
use crate::error::CryptoError;
use crate::protocol::request_message;

/// The future a [`Signer`] returns: the signature's bytes.
pub type SignFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<u8>, CryptoError>> + Send + 'a>>;

/// Produces the merchant's signatures: RSA-2048 PKCS#1 v1.5 with SHA-256, or SM2 with SM3 for a
/// merchant WeChat Pay enabled `WECHATPAY2-SM2-WITH-SM3` for (say so with [`Signer::scheme`]). Implement it to sign with
/// a remote service (a KMS), an HSM or another process instead of a local key: the signature is
/// awaited (at most [`MAX_SIGNING`](crate::MAX_SIGNING) per request), so an asynchronous
/// signer does not block the runtime; one that calls blocking code should run it with
/// `tokio::task::spawn_blocking`. Report its failures as [`CryptoError::Signer`].
pub trait Signer: Send + Sync {
    /// Signs `message` (the request message, or a payment's lines).
    fn sign<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a>;

    /// The `Authorization` scheme of its signatures: `WECHATPAY2-SHA256-RSA2048` unless
    /// overridden (`WECHATPAY2-SM2-WITH-SM3` for an SM2 signer).
    fn scheme(&self) -> &'static str {
        "WECHATPAY2-SHA256-RSA2048"
    }
}

impl Signer for PrivateKey {
    fn sign<'a>(&'a self, message: &'a [u8]) -> SignFuture<'a> {
        Box::pin(std::future::ready(PrivateKey::sign(self, message)))
    }

    fn scheme(&self) -> &'static str {
        PrivateKey::scheme(self)
    }
}

/// Decrypts, with the merchant private key, answer fields the platform encrypted with the
/// merchant's public key (RSAES-OAEP, SHA-1 and MGF1-SHA-1; SM2 for an SM2 merchant). Implement it to decrypt with a
/// remote service or an HSM instead of a local key.
pub trait Decrypter: Send + Sync {
    /// Decrypts one field's ciphertext (already base64-decoded).
    fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError>;
}

impl Decrypter for PrivateKey {
    fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        PrivateKey::decrypt(self, ciphertext)
    }
}

/// The merchant's identity: merchant id, API certificate serial, signer and (for answers with
/// sensitive fields) decrypter.
#[derive(Clone)]
pub struct Credentials {
    mchid: String,
    serial: String,
    signer: Arc<dyn Signer>,
    decrypter: Option<Arc<dyn Decrypter>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("mchid", &self.mchid)
            .field("serial", &self.serial)
            .field("signer", &"<redacted>")
            .field("decrypter", &self.decrypter.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Credentials {
    /// Credentials signing, and decrypting sensitive answer fields, with a local private key.
    pub fn new(mchid: impl Into<String>, serial: impl Into<String>, key: PrivateKey) -> Self {
        let key = Arc::new(key);
        Self::with_signer(mchid, serial, key.clone()).with_decrypter(key)
    }

    /// Credentials signing with any [`Signer`]. Answers with sensitive fields also need a
    /// [`Decrypter`]: see [`with_decrypter`](Self::with_decrypter).
    pub fn with_signer(
        mchid: impl Into<String>,
        serial: impl Into<String>,
        signer: Arc<dyn Signer>,
    ) -> Self {
        Self {
            mchid: mchid.into(),
            serial: serial.into(),
            signer,
            decrypter: None,
        }
    }

    /// Decrypts sensitive answer fields with this [`Decrypter`].
    #[must_use]
    pub fn with_decrypter(mut self, decrypter: Arc<dyn Decrypter>) -> Self {
        self.decrypter = Some(decrypter);
        self
    }

    /// The decrypter of sensitive answer fields, if any.
    pub(crate) fn decrypter(&self) -> Option<&dyn Decrypter> {
        self.decrypter.as_deref()
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
    pub(crate) async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.signer.sign(message).await
    }

    /// The `Authorization` scheme its signer signs for.
    pub fn scheme(&self) -> &'static str {
        self.signer.scheme()
    }

    /// The `Authorization` header value for one request. `target` is the path and query exactly
    /// as sent; `body` the exact bytes sent (empty for none).
    pub async fn authorization(
        &self,
        method: &str,
        target: &str,
        body: &[u8],
        timestamp: i64,
        nonce: &str,
    ) -> Result<String, CryptoError> {
        let message = request_message(method, target, timestamp, nonce, body);
        let signature = B64.encode(self.sign(&message).await?);
        Ok(format!(
            "{} mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{}\"",
            self.signer.scheme(),
            self.mchid,
            self.serial
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
