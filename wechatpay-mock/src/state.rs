//! The mock's state and vocabulary: faults, trust modes, the generated test credentials, the
//! request log, and how the platform signs.

use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use rand::Rng as _;
use zeroize::Zeroizing;

use wechatpay_core::__private as protocol;
use wechatpay_core::{
    ApiV3Key, ClientBuilder, Credentials, KeyError, KeyStore, PrivateKey, PublicKey,
};
use wechatpay_spec::ir;

/// A fault to inject into an answer or a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The body is changed after signing.
    TamperedBody,
    /// `Wechatpay-Serial` names a key the merchant does not have.
    WrongSerial,
    /// Signed correctly, but 10 minutes ago.
    StaleTimestamp,
    /// Signed with a key that is not the one named.
    WrongKey,
    /// A `WECHATPAY/SIGNTEST/` probe signature.
    SignTest,
    /// No `Wechatpay-Signature` header.
    MissingSignature,
    /// 500 `SYSTEM_ERROR`.
    SystemError,
    /// 429 `FREQUENCY_LIMITED`.
    RateLimited,
    /// 429 `FREQUENCY_LIMITED` with a `Retry-After` header of this many whole seconds. The
    /// platform documents no such header; a proxy in front of it may send one.
    RetryAfter(Duration),
    /// 202 with no body: accepted, not processed (the caller is to send the same request again).
    Accepted,
    /// Answer after this delay.
    Slow(Duration),
    /// Close the connection without answering.
    ConnectionReset,
    /// `/v3/certificates` lists the certificate under a serial that is not its own.
    CertificateSerialMismatch,
    /// Sensitive answer fields are altered after encryption and before signing: the signature
    /// holds, the fields do not decrypt.
    TamperedCiphertext,
    /// A bill's apply answer names a `download_url` on another host (signed as usual).
    ForeignDownloadUrl,
    /// A bill file is served with one byte changed (before compression), so that it no longer
    /// matches the `hash_value` its apply answer gave.
    CorruptedDownload,
}

impl Fault {
    /// The longest delay a named `slow:MILLIS` fault asks for: longer ones are cut to it.
    pub const MAX_SLOW: Duration = Duration::from_secs(30);

    /// Parses the names used by the `X-Mock-Fault` request header and the binary's `--fault`:
    /// `tampered-body`, `wrong-serial`, `stale-timestamp`, `wrong-key`, `signtest`,
    /// `missing-signature`, `system-error`, `rate-limited`, `retry-after:SECONDS`, `accepted`,
    /// `slow` (3 s) or `slow:MILLIS`
    /// (at most [`Fault::MAX_SLOW`]), `connection-reset`, `certificate-serial-mismatch`,
    /// `tampered-ciphertext`, `foreign-download-url`, `corrupted-download`. The server honours
    /// the header only in a request the merchant signed.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.trim() {
            "tampered-body" => Fault::TamperedBody,
            "wrong-serial" => Fault::WrongSerial,
            "stale-timestamp" => Fault::StaleTimestamp,
            "wrong-key" => Fault::WrongKey,
            "signtest" => Fault::SignTest,
            "missing-signature" => Fault::MissingSignature,
            "system-error" => Fault::SystemError,
            "rate-limited" => Fault::RateLimited,
            "slow" => Fault::Slow(Duration::from_secs(3)),
            "connection-reset" => Fault::ConnectionReset,
            "certificate-serial-mismatch" => Fault::CertificateSerialMismatch,
            "tampered-ciphertext" => Fault::TamperedCiphertext,
            "foreign-download-url" => Fault::ForeignDownloadUrl,
            "corrupted-download" => Fault::CorruptedDownload,
            "accepted" => Fault::Accepted,
            other => match other.split_once(':')? {
                ("slow", millis) => {
                    Fault::Slow(Duration::from_millis(millis.parse().ok()?).min(Fault::MAX_SLOW))
                }
                ("retry-after", seconds) => {
                    Fault::RetryAfter(Duration::from_secs(seconds.parse().ok()?))
                }
                _ => return None,
            },
        })
    }
}

/// Which trust anchors the platform has for this merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrustMode {
    /// Only a WeChat Pay public key: `/v3/certificates` answers 404 `RESOURCE_NOT_EXISTS`.
    PublicKey,
    /// Only a platform certificate.
    Certificates,
    /// Both (migration): answers are signed with the public key when the request carries
    /// `Wechatpay-Serial: PUB_KEY_ID_…`, with the certificate otherwise.
    #[default]
    Both,
}

/// Credentials generated for one mock instance: test keys only, made at start-up.
pub struct TestCredentials {
    /// Merchant id.
    pub mchid: String,
    /// Merchant API certificate serial.
    pub merchant_serial: String,
    /// The merchant private key (PKCS#8 PEM).
    pub merchant_private_key_pem: Zeroizing<String>,
    /// The WeChat Pay public key id (`PUB_KEY_ID_…`).
    pub public_key_id: String,
    /// The WeChat Pay public key (SPKI PEM).
    pub public_key_pem: String,
    /// The platform certificate (PEM).
    pub platform_certificate_pem: String,
    /// The platform certificate serial (40 hex digits).
    pub platform_certificate_serial: String,
    /// The APIv3 key (32 characters).
    pub apiv3_key: Zeroizing<String>,
}

impl std::fmt::Debug for TestCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCredentials")
            .field("mchid", &self.mchid)
            .field("merchant_serial", &self.merchant_serial)
            .field("merchant_private_key_pem", &"<redacted>")
            .field("public_key_id", &self.public_key_id)
            .field(
                "platform_certificate_serial",
                &self.platform_certificate_serial,
            )
            .field("apiv3_key", &"<redacted>")
            .finish()
    }
}

/// Writes a file only its owner can read (0600 on Unix), replacing what was there.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

impl TestCredentials {
    /// Writes the merchant private key, the WeChat Pay public key and `profile.env` into `dir`
    /// (created if needed), and gives the profile: the `export WECHATPAY_…=…` lines that point
    /// a client at the platform at `base_url`, the variables the quickstart and the `wechatpay`
    /// command line read. The profile holds the APIv3 key: these are test credentials, made
    /// for one run.
    ///
    /// On Unix the folder is made readable by its owner only (0700) and the key written 0600.
    pub fn write_profile(&self, dir: &std::path::Path, base_url: &str) -> std::io::Result<String> {
        let mut folder = std::fs::DirBuilder::new();
        folder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
        folder.create(dir)?;
        let key_path = dir.join("merchant_private_key.pem");
        let public_key_path = dir.join("wechatpay_public_key.pem");
        write_private(&key_path, self.merchant_private_key_pem.as_bytes())?;
        std::fs::write(&public_key_path, &self.public_key_pem)?;
        let lines = [
            ("WECHATPAY_MCHID", self.mchid.clone()),
            ("WECHATPAY_MERCHANT_SERIAL", self.merchant_serial.clone()),
            ("WECHATPAY_PRIVATE_KEY_PATH", key_path.display().to_string()),
            ("WECHATPAY_PUBLIC_KEY_ID", self.public_key_id.clone()),
            (
                "WECHATPAY_PUBLIC_KEY_PATH",
                public_key_path.display().to_string(),
            ),
            ("WECHATPAY_APIV3_KEY", self.apiv3_key.as_str().to_owned()),
            ("WECHATPAY_BASE_URL", base_url.to_owned()),
        ];
        let profile: String = (lines.iter())
            .map(|(name, value)| format!("export {name}={value}\n"))
            .collect();
        // Written whole, then renamed: whoever waits for the file never reads half of it.
        let partial = dir.join("profile.env.partial");
        write_private(&partial, profile.as_bytes())?;
        std::fs::rename(&partial, dir.join("profile.env"))?;
        Ok(profile)
    }

    /// The merchant credentials.
    pub fn credentials(&self) -> Result<Credentials, KeyError> {
        Ok(Credentials::new(
            &self.mchid,
            &self.merchant_serial,
            PrivateKey::from_pem(&self.merchant_private_key_pem)?,
        ))
    }

    /// A key store in public-key mode.
    pub fn key_store(&self) -> Result<KeyStore, KeyError> {
        let keys = KeyStore::new();
        keys.add_public_key(
            &self.public_key_id,
            PublicKey::from_pem(&self.public_key_pem)?,
        );
        Ok(keys)
    }

    /// The APIv3 key.
    pub fn apiv3_key(&self) -> Result<ApiV3Key, KeyError> {
        ApiV3Key::new(&self.apiv3_key)
    }

    /// A client builder for this mock: credentials, public-key mode, APIv3 key, base URL.
    pub fn client_builder(&self, base_url: &str) -> Result<ClientBuilder, KeyError> {
        Ok(ClientBuilder::new(self.credentials()?)
            .key_store(self.key_store()?)
            .apiv3_key(self.apiv3_key()?)
            .base_url(base_url))
    }
}

/// One request the mock received.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoggedRequest {
    /// The operation it matched, if any.
    pub operation_id: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path and query as received.
    pub target: String,
    /// Headers as received.
    pub headers: http::HeaderMap,
    /// The body as received (sensitive fields still encrypted); empty unless the request
    /// was signed by the merchant ([`authenticated`](Self::authenticated)).
    pub body: Vec<u8>,
    /// Whether the request carried the merchant's valid signature.
    pub authenticated: bool,
    /// The body with sensitive fields decrypted, for JSON bodies that validated.
    pub plaintext_body: Option<serde_json::Value>,
    /// The sensitive query and header parameters decrypted (wire name, plaintext), for
    /// requests that validated.
    pub plaintext_params: Vec<(String, String)>,
    /// The status answered (0 for a reset connection).
    pub status: u16,
}

impl LoggedRequest {
    /// A header by name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// About how many bytes the entry holds: its target, headers and body, and the body
    /// again for its decrypted copy.
    fn size(&self) -> usize {
        let headers: usize = (self.headers.iter())
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum();
        let plaintext = match self.plaintext_body {
            Some(_) => self.body.len(),
            None => 0,
        };
        self.target.len() + headers + self.body.len() + plaintext
    }
}

/// How much of the request log a mock keeps ([`crate::MockBuilder::request_log_limits`]): the
/// newest requests within both bounds; older ones are dropped first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogLimits {
    /// Requests kept (default 10,000).
    pub(crate) requests: usize,
    /// Bytes kept, as [`LoggedRequest`]s hold them (default 64 MiB).
    pub(crate) bytes: usize,
}

impl Default for LogLimits {
    fn default() -> Self {
        LogLimits {
            requests: 10_000,
            bytes: 64 * 1024 * 1024,
        }
    }
}

/// The requests a mock received, newest last, within its [`LogLimits`]. The body of a request
/// that was not signed by the merchant is never kept.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: std::collections::VecDeque<LoggedRequest>,
    bytes: usize,
    limits: LogLimits,
}

impl RequestLog {
    pub(crate) fn new(limits: LogLimits) -> Self {
        RequestLog {
            limits,
            ..RequestLog::default()
        }
    }

    /// Keeps `request`, dropping the oldest entries that no longer fit.
    pub(crate) fn push(&mut self, mut request: LoggedRequest) {
        if !request.authenticated {
            request.body = Vec::new();
        }
        self.bytes += request.size();
        self.entries.push_back(request);
        while self.entries.len() > self.limits.requests || self.bytes > self.limits.bytes {
            let Some(oldest) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= oldest.size();
        }
    }

    /// The requests kept, oldest first.
    pub(crate) fn entries(&self) -> Vec<LoggedRequest> {
        self.entries.iter().cloned().collect()
    }
}

/// A notification ready to deliver: headers and raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNotification {
    /// `Wechatpay-*` and `Content-Type` headers.
    pub headers: http::HeaderMap,
    /// The JSON envelope.
    pub body: Vec<u8>,
}

impl SignedNotification {
    /// A header by name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The platform's keys and the merchant's public key.
pub(crate) struct Keys {
    pub(crate) public_key: PrivateKey,
    pub(crate) certificate_key: PrivateKey,
    pub(crate) wrong_key: PrivateKey,
    pub(crate) merchant_public: PublicKey,
}

/// Shared state of a running mock.
pub(crate) struct State {
    pub(crate) api: ir::Api,
    pub(crate) keys: Keys,
    pub(crate) credentials: TestCredentials,
    pub(crate) trust: TrustMode,
    pub(crate) fault: Mutex<Option<Fault>>,
    pub(crate) fault_next: Mutex<Option<Fault>>,
    pub(crate) log: Mutex<RequestLog>,
    pub(crate) log_requests: bool,
    pub(crate) notifications_with_certificate: std::sync::atomic::AtomicBool,
    /// Requests answered, and nanoseconds spent handling them (from the full body to the answer).
    pub(crate) handled: (std::sync::atomic::AtomicU64, std::sync::atomic::AtomicU64),
    /// Orders and refunds, for the payment flows.
    pub(crate) ledger: crate::flows::Ledger,
    /// Bill files handed out for download.
    pub(crate) bills: crate::bills::Bills,
}

impl State {
    /// Seals a resource with the APIv3 key: `AEAD_AES_256_GCM`, or `AEAD_SM4_GCM` when the
    /// platform's keys are SM2. Gives the algorithm's name and ciphertext‖tag.
    pub(crate) fn seal(
        &self,
        apiv3_key: &[u8; 32],
        nonce: &[u8],
        aad: &[u8],
        plaintext: &[u8],
    ) -> (&'static str, Result<Vec<u8>, wechatpay_core::CryptoError>) {
        #[cfg(feature = "shangmi")]
        if self.keys.public_key.scheme() != "WECHATPAY2-SHA256-RSA2048" {
            let sealed =
                wechatpay_core::__private::sm4_gcm_encrypt(apiv3_key, nonce, aad, plaintext);
            return (wechatpay_core::__private::AEAD_SM4_GCM, sealed);
        }
        let sealed =
            wechatpay_core::__private::aes_256_gcm_encrypt(apiv3_key, nonce, aad, plaintext);
        ("AEAD_AES_256_GCM", sealed)
    }

    /// Signs `timestamp\nnonce\nbody\n`, applying a signing fault, and returns the headers.
    pub(crate) fn sign(
        &self,
        body: &[u8],
        use_public_key: bool,
        fault: Option<Fault>,
    ) -> http::HeaderMap {
        let now = now();
        let timestamp = if fault == Some(Fault::StaleTimestamp) {
            now - 600
        } else {
            now
        };
        let nonce = protocol::nonce();
        let (serial, key) = if use_public_key {
            (
                self.credentials.public_key_id.clone(),
                &self.keys.public_key,
            )
        } else {
            (
                self.credentials.platform_certificate_serial.clone(),
                &self.keys.certificate_key,
            )
        };
        let key = if fault == Some(Fault::WrongKey) {
            &self.keys.wrong_key
        } else {
            key
        };
        let message = protocol::response_message(&timestamp.to_string(), &nonce, body);
        let signature = key
            .sign(&message)
            .map(|s| base64::engine::general_purpose::STANDARD.encode(s))
            .unwrap_or_default();
        let signature = if fault == Some(Fault::SignTest) {
            format!("{}{signature}", protocol::SIGNTEST_PREFIX)
        } else {
            signature
        };
        let serial = if fault == Some(Fault::WrongSerial) {
            "PUB_KEY_ID_0000000000000000000000000000".to_owned()
        } else {
            serial
        };
        let mut pairs = vec![
            ("Wechatpay-Timestamp", timestamp.to_string()),
            ("Wechatpay-Nonce", nonce),
            ("Wechatpay-Serial", serial),
            ("Wechatpay-Signature-Type", key.scheme().into()),
        ];
        if fault != Some(Fault::MissingSignature) {
            pairs.push(("Wechatpay-Signature", signature));
        }
        let mut headers = http::HeaderMap::new();
        for (name, value) in pairs {
            // Timestamps, nonces, serials and base64 are ASCII: every value converts.
            if let Ok(value) = http::HeaderValue::try_from(value) {
                headers.insert(name, value);
            }
        }
        headers
    }

    /// Whether to sign with the public key, given the request's `Wechatpay-Serial`.
    pub(crate) fn signs_with_public_key(&self, request_serial: Option<&str>) -> bool {
        match self.trust {
            TrustMode::PublicKey => true,
            TrustMode::Certificates => false,
            TrustMode::Both => request_serial.is_some_and(|s| s.starts_with("PUB_KEY_ID_")),
        }
    }
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub(crate) fn random_alnum(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill(&mut b[..]);
    b[0] = (b[0] & 0x7F) | 0x10;
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// Flips the body so that it no longer matches its signature.
pub(crate) fn tamper(mut body: Vec<u8>) -> Vec<u8> {
    match body.iter().position(|b| b.is_ascii_alphanumeric()) {
        Some(i) => body[i] = if body[i] == b'0' { b'1' } else { b'0' },
        None => body.push(b' '),
    }
    body
}
