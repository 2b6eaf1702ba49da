//! A WeChat Pay APIv3 platform on loopback, driven by `spec/` (like stripe-mock, for WeChat Pay).
//!
//! It checks the merchant's `Authorization` signature over the exact bytes received, validates
//! path, query, headers and body against the operation's schema, decrypts sensitive fields with
//! the platform key, answers from the spec's examples with real `Wechatpay-*` signatures (204s
//! too), sends signed and encrypted notifications, and injects faults on demand. Every endpoint a
//! user adds to `spec/` is served with no extra code: the mock reads the generator's IR.
//!
//! ```no_run
//! let mock = wechatpay_mock::MockPlatform::start()?;
//! let client = mock.credentials().client_builder(mock.base_url())?.build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod server;
mod validate;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use rand::Rng as _;
use zeroize::Zeroizing;

use wechatpay_core::crypto::Backend;
use wechatpay_core::protocol;
use wechatpay_core::{
    ApiV3Key, Certificate, ClientBuilder, Credentials, KeyError, KeyStore, PrivateKey, PublicKey,
};
use wechatpay_spec::{ir, Source};

include!(concat!(env!("OUT_DIR"), "/embedded_spec.rs"));

/// The spec files embedded in this build (file name, YAML text).
pub fn embedded_spec() -> Vec<Source> {
    EMBEDDED_SPEC
        .iter()
        .map(|(name, text)| Source {
            name: (*name).to_owned(),
            text: (*text).to_owned(),
        })
        .collect()
}

/// A fault to inject into an answer or a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Answer after this delay.
    Slow(Duration),
    /// Close the connection without answering.
    ConnectionReset,
}

impl Fault {
    /// Parses the names used by the `X-Mock-Fault` request header and the binary's `--fault`:
    /// `tampered-body`, `wrong-serial`, `stale-timestamp`, `wrong-key`, `signtest`,
    /// `missing-signature`, `system-error`, `rate-limited`, `slow` (3 s) or `slow:MILLIS`,
    /// `connection-reset`.
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
            other => Fault::Slow(Duration::from_millis(
                other.strip_prefix("slow:")?.parse().ok()?,
            )),
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

impl TestCredentials {
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
pub struct LoggedRequest {
    /// The operation it matched, if any.
    pub operation_id: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path and query as received.
    pub target: String,
    /// Headers as received.
    pub headers: http::HeaderMap,
    /// The body as received (sensitive fields still encrypted).
    pub body: Vec<u8>,
    /// The body with sensitive fields decrypted, for JSON bodies that validated.
    pub plaintext_body: Option<serde_json::Value>,
    /// The status answered (0 for a reset connection).
    pub status: u16,
}

impl LoggedRequest {
    /// A header by name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
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

/// Why the mock could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The spec did not load.
    #[error("spec: {0}")]
    Spec(#[from] wechatpay_spec::Error),
    /// A key could not be made.
    #[error("keys: {0}")]
    Key(#[from] KeyError),
    /// The certificate could not be made.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The socket or runtime could not be set up.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
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
    pub(crate) log: Mutex<Vec<LoggedRequest>>,
    pub(crate) log_requests: bool,
    pub(crate) notifications_with_certificate: std::sync::atomic::AtomicBool,
    /// Requests answered, and nanoseconds spent handling them (from the full body to the answer).
    pub(crate) handled: (std::sync::atomic::AtomicU64, std::sync::atomic::AtomicU64),
}

impl State {
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
            .sign_sha256(&message)
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
            (
                "Wechatpay-Signature-Type",
                "WECHATPAY2-SHA256-RSA2048".into(),
            ),
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

fn random_alnum(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill(&mut b[..]);
    b[0] = (b[0] & 0x7F) | 0x10;
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn self_signed_certificate(key: &PrivateKey, serial_hex: &str) -> Result<String, MockError> {
    let err = |e: rcgen::Error| MockError::Certificate(e.to_string());
    let pair =
        rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&key.to_pkcs8_pem(), &rcgen::PKCS_RSA_SHA256)
            .map_err(err)?;
    let mut params =
        rcgen::CertificateParams::new(vec!["wechatpay-mock.invalid".to_owned()]).map_err(err)?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "Tenpay.com Root CA (wechatpay-mock test certificate)",
    );
    let serial: Vec<u8> = (0..serial_hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&serial_hex[2 * i..2 * i + 2], 16).ok())
        .collect();
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(5 * 365);
    Ok(params.self_signed(&pair).map_err(err)?.pem())
}

/// Configures a mock before it starts.
#[derive(Debug, Default)]
pub struct MockBuilder {
    spec_dir: Option<PathBuf>,
    trust: TrustMode,
    fault: Option<Fault>,
    port: u16,
    log_requests: bool,
}

impl MockBuilder {
    /// Serves the spec in this folder instead of the embedded one.
    pub fn spec_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spec_dir = Some(dir.into());
        self
    }

    /// The platform's trust anchors (default: both, as during a migration).
    pub fn trust(mut self, trust: TrustMode) -> Self {
        self.trust = trust;
        self
    }

    /// A fault applied to every answer until changed.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// The loopback port (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Keep a log of requests (on by default; turn off for long load runs).
    pub fn log_requests(mut self, on: bool) -> Self {
        self.log_requests = on;
        self
    }

    /// Generates test keys and starts serving on `127.0.0.1` in a thread of its own, so it works
    /// from async and blocking code alike.
    pub fn start(self) -> Result<MockPlatform, MockError> {
        let (state, listener, base_url) = self.prepare()?;
        let (shutdown, stopped) = tokio::sync::oneshot::channel();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let serving = state.clone();
        let thread = std::thread::Builder::new()
            .name("wechatpay-mock".into())
            .spawn(move || {
                runtime.block_on(server::serve(listener, serving, stopped));
            })?;
        Ok(MockPlatform {
            base_url,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// Like [`start`](Self::start), but serves as a task on the tokio runtime this is called
    /// from, so that client and platform share its threads (the load benchmark uses this to keep
    /// thread wake-ups out of its figures). Must be called inside a runtime.
    pub fn start_on_current_runtime(self) -> Result<MockPlatform, MockError> {
        let (state, listener, base_url) = self.prepare()?;
        let (shutdown, stopped) = tokio::sync::oneshot::channel();
        tokio::spawn(server::serve(listener, state.clone(), stopped));
        Ok(MockPlatform {
            base_url,
            state,
            shutdown: Some(shutdown),
            thread: None,
        })
    }

    /// Loads the spec, makes the keys and binds the socket.
    fn prepare(self) -> Result<(Arc<State>, std::net::TcpListener, String), MockError> {
        let sources = match &self.spec_dir {
            Some(dir) => wechatpay_spec::read_dir(dir)?,
            None => embedded_spec(),
        };
        let api = wechatpay_spec::lower(&sources).map_err(wechatpay_spec::Error::from)?;
        let merchant = PrivateKey::generate(Backend::default())?;
        let keys = Keys {
            public_key: PrivateKey::generate(Backend::default())?,
            certificate_key: PrivateKey::generate(Backend::default())?,
            wrong_key: PrivateKey::generate(Backend::default())?,
            merchant_public: merchant.public_key()?,
        };
        let platform_certificate_serial = random_hex(20);
        let platform_certificate_pem =
            self_signed_certificate(&keys.certificate_key, &platform_certificate_serial)?;
        // Round-trip through the core's parser, so the serial we announce is the one it reads.
        let parsed = Certificate::from_pem(&platform_certificate_pem)?;
        let credentials = TestCredentials {
            mchid: "1900000001".to_owned(),
            merchant_serial: random_hex(20),
            merchant_private_key_pem: merchant.to_pkcs8_pem(),
            public_key_id: format!("PUB_KEY_ID_{}", &random_hex(16)[..28]),
            public_key_pem: keys.public_key.public_key()?.to_pem(),
            platform_certificate_pem,
            platform_certificate_serial: parsed.serial,
            apiv3_key: Zeroizing::new(random_alnum(32)),
        };
        let state = Arc::new(State {
            api,
            keys,
            credentials,
            trust: self.trust,
            fault: Mutex::new(self.fault),
            fault_next: Mutex::new(None),
            log: Mutex::new(Vec::new()),
            log_requests: self.log_requests,
            notifications_with_certificate: std::sync::atomic::AtomicBool::new(
                self.trust == TrustMode::Certificates,
            ),
            handled: Default::default(),
        });
        let listener = std::net::TcpListener::bind(("127.0.0.1", self.port))?;
        listener.set_nonblocking(true)?;
        let base_url = format!("http://{}", listener.local_addr()?);
        Ok((state, listener, base_url))
    }
}

/// A running mock platform. Stops when dropped.
pub struct MockPlatform {
    base_url: String,
    state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for MockPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockPlatform")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl MockPlatform {
    /// Starts a mock on the embedded spec and any free port.
    pub fn start() -> Result<Self, MockError> {
        Self::builder().start()
    }

    /// Configures a mock.
    pub fn builder() -> MockBuilder {
        MockBuilder {
            log_requests: true,
            ..MockBuilder::default()
        }
    }

    /// E.g. `http://127.0.0.1:41234`; give it to `ClientBuilder::base_url`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The test credentials of this instance.
    pub fn credentials(&self) -> &TestCredentials {
        &self.state.credentials
    }

    /// The IR the mock serves.
    pub fn api(&self) -> &ir::Api {
        &self.state.api
    }

    /// Sets (or clears) the fault applied to every answer.
    pub fn set_fault(&self, fault: Option<Fault>) {
        *self.state.fault.lock().unwrap_or_else(|e| e.into_inner()) = fault;
    }

    /// Applies a fault to the next request only.
    pub fn fault_next(&self, fault: Fault) {
        *self
            .state
            .fault_next
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(fault);
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// How many requests were answered, and the time the mock spent handling them (signature
    /// check, validation, signing): load benchmarks subtract it to isolate the client's cost.
    pub fn handling_time(&self) -> (u64, Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.state.handled.0.load(Relaxed),
            Duration::from_nanos(self.state.handled.1.load(Relaxed)),
        )
    }

    /// Builds a signed notification whose `resource` is encrypted with the APIv3 key, as the
    /// platform sends them (e.g. `COMPLAINT.CREATE`). `fault` applies a signing fault.
    pub fn notification(
        &self,
        event_type: &str,
        summary: &str,
        original_type: &str,
        resource: &serde_json::Value,
        fault: Option<Fault>,
    ) -> SignedNotification {
        let state = &self.state;
        let nonce = random_alnum(12);
        let aad = original_type;
        let key: [u8; 32] = state
            .credentials
            .apiv3_key
            .as_bytes()
            .try_into()
            .unwrap_or([0; 32]);
        let plaintext = resource.to_string();
        let ciphertext = wechatpay_core::crypto::aes_256_gcm_encrypt(
            &key,
            nonce.as_bytes(),
            aad.as_bytes(),
            plaintext.as_bytes(),
        )
        .unwrap_or_default();
        let create_time = time::OffsetDateTime::now_utc()
            .to_offset(time::macros::offset!(+8))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let envelope = serde_json::json!({
            "id": format!("EV-{}", random_hex(10)),
            "create_time": create_time,
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64::engine::general_purpose::STANDARD.encode(ciphertext),
                "associated_data": aad,
                "nonce": nonce,
            }
        });
        let mut body = envelope.to_string().into_bytes();
        let with_certificate = state
            .notifications_with_certificate
            .load(std::sync::atomic::Ordering::Relaxed);
        let mut headers = state.sign(&body, !with_certificate, fault);
        if fault == Some(Fault::TamperedBody) {
            body = server::tamper(body);
        }
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        SignedNotification { headers, body }
    }

    /// Signs notifications with the platform certificate instead of the public key (as during
    /// the 7-day migration window, when both arrive).
    pub fn sign_notifications_with_certificate(&self, yes: bool) {
        self.state
            .notifications_with_certificate
            .store(yes, std::sync::atomic::Ordering::Relaxed);
    }

    /// POSTs a notification to `url`; returns the status and body of the merchant's answer.
    pub async fn send_notification(
        &self,
        url: &str,
        notification: &SignedNotification,
    ) -> Result<(u16, String), reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        let response = client
            .post(url)
            .headers(notification.headers.clone())
            .body(notification.body.clone())
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }
}

impl Drop for MockPlatform {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
