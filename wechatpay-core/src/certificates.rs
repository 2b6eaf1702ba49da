//! Platform certificates: `GET /v3/certificates`, decrypted with the APIv3 key, the first download
//! verified with a certificate it contains, refreshed in the background. Merchants that only
//! have a WeChat Pay public key get 404 `RESOURCE_NOT_EXISTS`: that is an answer, not a crash.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;

use crate::crypto::{aes_256_gcm_decrypt, B64};
use crate::error::{CryptoError, Error, RawBody};
use crate::keys::{ApiV3Key, Certificate, KeyStore};
use crate::operation::{Answer, Operation};
use crate::pipeline::{Pipeline, Sink, Verification};
use crate::protocol::SignatureHeaders;

/// The outcome of a certificate refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateRefresh {
    /// These certificate serials are now in the key store.
    Updated(Vec<String>),
    /// The platform has no certificates for this merchant (public-key-only merchants); the
    /// WeChat Pay public key is the trust anchor.
    NotAvailable,
}

/// A platform-certificate list, as `GET /v3/certificates` answers it. `wechatpay_api::certificates`
/// implements it for the answer of its generated `DownloadCertificates`;
/// [`Client::refresh_certificates`](crate::Client::refresh_certificates) takes any operation whose
/// answer implements it.
///
/// While the key that signed a list is not held (the first download, or after the platform
/// moved to a new certificate), the refresh decodes the list before its signature is checked:
/// that is how it finds the listed certificate that signed it. Only that certificate is then
/// decrypted, and the signature checked with it, before anything is stored.
pub trait CertificateList {
    /// The listed certificates, still encrypted.
    fn certificates(&self) -> Vec<ListedCertificate<'_>>;
}

/// One certificate of a [`CertificateList`]: the serial it is listed under and its PEM,
/// encrypted with the APIv3 key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedCertificate<'a> {
    /// The serial the list gives; the decrypted certificate must carry it.
    pub serial_no: &'a str,
    /// `AEAD_AES_256_GCM`.
    pub algorithm: &'a str,
    /// 12-byte nonce, as text.
    pub nonce: &'a str,
    /// Associated data; may be empty.
    pub associated_data: &'a str,
    /// base64 of ciphertext‖tag.
    pub ciphertext: &'a str,
}

impl ListedCertificate<'_> {
    /// Decrypts and parses the certificate, which must carry the serial it is listed under.
    fn open(&self, apiv3_key: &ApiV3Key) -> Result<Certificate, Error> {
        let plain = decrypt(
            self.algorithm,
            self.nonce,
            self.associated_data,
            self.ciphertext,
            apiv3_key,
        )
        .map_err(|_| Error::Crypto(CryptoError::Decrypt))?;
        let pem = std::str::from_utf8(&plain).map_err(|_| Error::Crypto(CryptoError::Decrypt))?;
        let cert = Certificate::from_pem(pem)?;
        if cert.serial != self.serial_no.to_ascii_uppercase() {
            return Err(Error::CertificateSerialMismatch {
                listed: self.serial_no.to_owned(),
                actual: cert.serial,
            });
        }
        Ok(cert)
    }
}

/// An `AEAD_AES_256_GCM` encrypted resource (certificates and notifications).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
pub struct EncryptedResource {
    /// `AEAD_AES_256_GCM`.
    pub algorithm: String,
    /// 12-byte nonce, as text.
    pub nonce: String,
    /// Associated data; may be empty.
    #[serde(default)]
    pub associated_data: Option<String>,
    /// base64 of ciphertext‖tag.
    pub ciphertext: String,
    /// What the plaintext is (notifications only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_type: Option<String>,
}

/// Why an encrypted resource could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    /// The algorithm is not `AEAD_AES_256_GCM` (nor `AEAD_SM4_GCM`, with the `shangmi`
    /// feature).
    #[error("unsupported algorithm `{0}`: AEAD_AES_256_GCM (and AEAD_SM4_GCM with the `shangmi` feature) are defined")]
    UnsupportedAlgorithm(String),
    /// The ciphertext is not base64, or fails authentication (wrong APIv3 key or tampered).
    #[error("the resource cannot be decrypted: wrong APIv3 key or tampered data")]
    Decrypt,
}

impl EncryptedResource {
    /// Decrypts with the APIv3 key.
    pub fn decrypt(&self, key: &ApiV3Key) -> Result<zeroize::Zeroizing<Vec<u8>>, ResourceError> {
        let aad = self.associated_data.as_deref().unwrap_or("");
        decrypt(&self.algorithm, &self.nonce, aad, &self.ciphertext, key)
    }
}

/// Opens an `AEAD_AES_256_GCM` resource: base64 ciphertext‖tag, the nonce and the associated
/// data as text.
fn decrypt(
    algorithm: &str,
    nonce: &str,
    associated_data: &str,
    ciphertext: &str,
    key: &ApiV3Key,
) -> Result<zeroize::Zeroizing<Vec<u8>>, ResourceError> {
    let open = match algorithm {
        "AEAD_AES_256_GCM" => aes_256_gcm_decrypt,
        #[cfg(feature = "shangmi")]
        crate::crypto::sm::AEAD_SM4_GCM => crate::crypto::sm::sm4_gcm_decrypt,
        other => return Err(ResourceError::UnsupportedAlgorithm(other.to_owned())),
    };
    let ct = B64
        .decode(ciphertext.trim())
        .map_err(|_| ResourceError::Decrypt)?;
    open(
        key.as_bytes(),
        nonce.as_bytes(),
        associated_data.as_bytes(),
        &ct,
    )
    .map_err(|_| ResourceError::Decrypt)
}

/// The longest allowed time between two certificate refreshes.
pub const MAX_REFRESH_INTERVAL: Duration = Duration::from_secs(12 * 3600);

/// The shortest time between two background refreshes: a shorter interval asked of
/// `Client::spawn_certificate_refresh` is raised to it, so that no interval floods the platform.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

impl Pipeline {
    /// Downloads the platform certificates with `op`, decrypts and verifies them, and installs
    /// them.
    pub(crate) async fn refresh_certificates<O>(&self, op: &O) -> Result<CertificateRefresh, Error>
    where
        O: Operation + ?Sized,
        O::Output: CertificateList,
    {
        let apiv3_key = self.apiv3_key.as_ref().ok_or(Error::MissingApiV3Key {
            needed_for: "download platform certificates",
        })?;
        let prepare = || {
            let prepared = self.prepare(&op.request())?;
            match prepared.answer {
                Answer::Json => Ok(prepared),
                _ => Err(Error::NotACertificateList {
                    operation: prepared.id,
                }),
            }
        };
        // Verified in `verified_list`, with a bootstrap key on the first download.
        let refreshed = self
            .run(
                prepare,
                Sink::Buffer,
                Verification::Bootstrap,
                not_available,
                |prepared, answered| {
                    let answer = SignedList {
                        operation: &prepared.id,
                        headers: &answered.parts.headers,
                        body: &answered.body,
                        request_id: answered.request_id,
                    };
                    let list = self.verified_list(op, &answer, apiv3_key)?;
                    let certs = list
                        .certificates()
                        .iter()
                        .map(|entry| entry.open(apiv3_key))
                        .collect::<Result<Vec<_>, _>>()?;
                    self.install(&certs)?;
                    Ok(CertificateRefresh::Updated(
                        certs.into_iter().map(|c| c.serial).collect(),
                    ))
                },
            )
            .await;
        match refreshed {
            Err(e) if not_available(&e) => Ok(CertificateRefresh::NotAvailable),
            other => other,
        }
    }

    /// Verifies the list before anything in it is stored. The signature headers are checked
    /// first (present, not a probe, within the skew). With the signer's key held, the list is
    /// verified before it is even parsed; on the first download (or after the platform moved to
    /// a certificate not yet held), it is parsed to find the listed certificate that signed it,
    /// which alone is decrypted before the signature is checked with it.
    fn verified_list<O>(
        &self,
        op: &O,
        answer: &SignedList<'_>,
        apiv3_key: &ApiV3Key,
    ) -> Result<O::Output, Error>
    where
        O: Operation + ?Sized,
        O::Output: CertificateList,
    {
        let verify_error = |source| Error::Verify {
            source,
            request_id: answer.request_id.clone(),
        };
        let decode = || {
            op.decode(answer.body).map_err(|source| Error::Decode {
                operation: answer.operation.to_owned(),
                source,
                body: RawBody(answer.body.clone()),
                request_id: answer.request_id.clone(),
            })
        };
        let now = self.clock.now();
        let signed = SignatureHeaders::read(answer.headers, now).map_err(verify_error)?;
        let (verifier, list) = if self.keys.get(signed.serial).is_some() {
            (self.keys.clone(), None)
        } else {
            let list = decode()?;
            let first = KeyStore::new();
            let signing_entry = list
                .certificates()
                .into_iter()
                .find(|e| e.serial_no.eq_ignore_ascii_case(signed.serial));
            if let Some(entry) = signing_entry {
                first.add_certificate(&entry.open(apiv3_key)?)?;
            }
            (first, Some(list))
        };
        signed
            .verify(&verifier, now, answer.body)
            .map_err(verify_error)?;
        list.map_or_else(decode, Ok)
    }

    /// Stores the certificates. A held key is pinned, and so is a serial's first key within
    /// the list: one mismatch refuses the whole list, before anything is stored.
    fn install(&self, certs: &[Certificate]) -> Result<(), Error> {
        Ok(self.keys.add_certificates(certs)?)
    }
}

/// The platform's answer that it lists no certificates for this merchant (a public-key-only
/// merchant): an answer, not a failure.
fn not_available(error: &Error) -> bool {
    matches!(error, Error::Api(e) if e.status == 404 && e.code == "RESOURCE_NOT_EXISTS")
}

/// A `/v3/certificates` answer whose status was checked.
struct SignedList<'a> {
    operation: &'a str,
    headers: &'a http::HeaderMap,
    body: &'a Bytes,
    request_id: Option<String>,
}
