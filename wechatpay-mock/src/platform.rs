//! Starting and stopping a mock, and what a test asks of a running one: its URL and
//! credentials, faults, the request log, and notifications to send.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use zeroize::Zeroizing;

use wechatpay_core::Backend;
use wechatpay_core::{Certificate, KeyError, PrivateKey};
use wechatpay_spec::ir;

use crate::embedded::embedded_spec;
use crate::server;
use crate::state::{
    random_alnum, random_hex, tamper, Fault, Keys, LogLimits, LoggedRequest, RequestLog,
    SignedNotification, State, TestCredentials, TrustMode,
};

/// Why the mock could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The spec did not load.
    #[error("spec: {0}")]
    Spec(#[from] wechatpay_spec::Error),
    /// The spec folder given to [`MockBuilder::spec_dir`] holds no spec file.
    #[error("no spec files (*.yaml, *.yml) in {}", .0.display())]
    NoSpec(PathBuf),
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

/// The platform certificate's serial and validity, when a test chooses them.
#[derive(Debug, Clone, Default)]
struct CertificateOptions {
    serial: Option<String>,
    validity: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
}

fn self_signed_certificate(
    key: &PrivateKey,
    serial_hex: &str,
    validity: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
) -> Result<String, MockError> {
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
    let (not_before, not_after) = validity.unwrap_or((
        now - time::Duration::days(1),
        now + time::Duration::days(5 * 365),
    ));
    params.not_before = not_before;
    params.not_after = not_after;
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
    log_limits: LogLimits,
    certificate: CertificateOptions,
    limits: server::Limits,
    mchid: Option<String>,
    #[cfg(feature = "shangmi")]
    shangmi: bool,
}

impl MockBuilder {
    /// The merchant the test credentials belong to (default [`MockBuilder::DEFAULT_MCHID`]):
    /// the merchant id an operation that creates, reads or changes a resource must name for
    /// itself (`mchid`, or `sp_mchid` for a service provider), as the platform refuses a
    /// request naming another merchant than the one who signed it.
    pub fn mchid(mut self, mchid: impl Into<String>) -> Self {
        self.mchid = Some(mchid.into());
        self
    }

    /// The test merchant's id when none is chosen.
    pub const DEFAULT_MCHID: &'static str = "1900000001";

    /// The platform certificate's serial (40 hex digits; random by default). Two mocks given
    /// the same serial hold different keys under it.
    pub fn platform_certificate_serial(mut self, serial: impl Into<String>) -> Self {
        self.certificate.serial = Some(serial.into());
        self
    }

    /// The platform certificate's validity window (default: from yesterday, for five years).
    pub fn platform_certificate_validity(
        mut self,
        not_before: time::OffsetDateTime,
        not_after: time::OffsetDateTime,
    ) -> Self {
        self.certificate.validity = Some((not_before, not_after));
        self
    }

    /// Serves the spec in this folder (its `*.yaml` and `*.yml` files) instead of the embedded
    /// one: yours, when you extend the spec. A folder without spec files is refused
    /// ([`MockError::NoSpec`]) when the mock starts.
    pub fn spec_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spec_dir = Some(dir.into());
        self
    }

    /// 商用密码 (`WECHATPAY2-SM2-WITH-SM3`): the merchant's and the platform's keys are SM2 (the
    /// merchant must sign with that scheme, answers are signed with SM2 and SM3, sensitive fields
    /// are SM2-encrypted) and notifications are `AEAD_SM4_GCM`. The platform trusts its WeChat
    /// Pay public key only ([`TrustMode::PublicKey`]): it makes no SM2 certificates.
    #[cfg(feature = "shangmi")]
    pub fn shangmi(mut self) -> Self {
        self.shangmi = true;
        self.trust = TrustMode::PublicKey;
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

    /// Bounds the request log ([`MockPlatform::requests`]): the newest `requests` requests
    /// holding at most about `bytes` bytes (targets, headers, bodies) are kept, older ones
    /// dropped first (default 10,000 requests and 64 MiB). Whatever the bounds, the body of a
    /// request without the merchant's valid signature is never kept.
    pub fn request_log_limits(mut self, requests: usize, bytes: usize) -> Self {
        self.log_limits = LogLimits { requests, bytes };
        self
    }

    /// The largest request body accepted (default 8 MiB, room for a 5 MiB video upload). A larger one gets 413
    /// `REQUEST_ENTITY_TOO_LARGE` and the connection is closed: refused by its `Content-Length`
    /// before any of it is read, or (chunked) once the bytes read pass the limit.
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.limits.max_body_bytes = max;
        self
    }

    /// The largest request head, request line and headers together (default 64 KiB). A larger
    /// one gets 431 and the connection is closed.
    pub fn max_header_bytes(mut self, max: usize) -> Self {
        self.limits.max_header_bytes = max;
        self
    }

    /// How long a connection may send nothing, when new, between requests, mid-head or
    /// mid-body, before the mock closes it (default 8 s, as the platform closes idle connections
    /// after about 8 s; mid-body it answers 408 first).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// Generates test keys and starts serving on `127.0.0.1` in a thread of its own, so it works
    /// from async and blocking code alike.
    pub fn start(self) -> Result<MockPlatform, MockError> {
        let limits = self.limits;
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
                runtime.block_on(server::serve(listener, serving, limits, stopped));
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
        let limits = self.limits;
        let (state, listener, base_url) = self.prepare()?;
        let (shutdown, stopped) = tokio::sync::oneshot::channel();
        tokio::spawn(server::serve(listener, state.clone(), limits, stopped));
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
            Some(dir) => match wechatpay_spec::read_dir(dir)? {
                sources if sources.is_empty() => return Err(MockError::NoSpec(dir.clone())),
                sources => sources,
            },
            None => embedded_spec(),
        };
        let api = wechatpay_spec::lower(&sources).map_err(wechatpay_spec::Error::from)?;
        // The keys a merchant and the platform sign with: RSA-2048, or SM2. The certificate is
        // RSA either way (an SM2 platform serves no certificate).
        let signing_key = || -> Result<PrivateKey, MockError> {
            #[cfg(feature = "shangmi")]
            if self.shangmi {
                return Ok(PrivateKey::generate_sm2());
            }
            Ok(PrivateKey::generate(Backend::default())?)
        };
        let merchant = signing_key()?;
        let keys = Keys {
            public_key: signing_key()?,
            certificate_key: PrivateKey::generate(Backend::default())?,
            wrong_key: signing_key()?,
            merchant_public: merchant.public_key()?,
        };
        let platform_certificate_serial = self
            .certificate
            .serial
            .clone()
            .unwrap_or_else(|| random_hex(20));
        let platform_certificate_pem = self_signed_certificate(
            &keys.certificate_key,
            &platform_certificate_serial,
            self.certificate.validity,
        )?;
        // Round-trip through the core's parser, so the serial we announce is the one it reads.
        let parsed = Certificate::from_pem(&platform_certificate_pem)?;
        let credentials = TestCredentials {
            mchid: (self.mchid.clone()).unwrap_or_else(|| Self::DEFAULT_MCHID.to_owned()),
            merchant_serial: random_hex(20),
            merchant_private_key_pem: merchant.to_pkcs8_pem(),
            public_key_id: format!("PUB_KEY_ID_{}", &random_hex(16)[..28]),
            public_key_pem: keys.public_key.public_key()?.to_pem(),
            platform_certificate_pem,
            platform_certificate_serial: parsed.serial,
            apiv3_key: Zeroizing::new(random_alnum(32)),
        };
        let listener = std::net::TcpListener::bind(("127.0.0.1", self.port))?;
        listener.set_nonblocking(true)?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(State {
            api,
            keys,
            credentials,
            trust: self.trust,
            fault: Mutex::new(self.fault),
            fault_next: Mutex::new(None),
            log: Mutex::new(RequestLog::new(self.log_limits)),
            log_requests: self.log_requests,
            notifications_with_certificate: std::sync::atomic::AtomicBool::new(
                self.trust == TrustMode::Certificates,
            ),
            handled: Default::default(),
            ledger: Default::default(),
            bills: crate::bills::Bills::new(base_url.clone()),
        });
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
            .entries()
    }

    /// The last request received for the operation `operation_id`, if any: for tests that
    /// look at one request without depending on the order of the others.
    pub fn last_request(&self, operation_id: &str) -> Option<LoggedRequest> {
        self.requests()
            .into_iter()
            .rev()
            .find(|r| r.operation_id.as_deref() == Some(operation_id))
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
        let (algorithm, ciphertext) =
            state.seal(&key, nonce.as_bytes(), aad.as_bytes(), plaintext.as_bytes());
        let ciphertext = ciphertext.unwrap_or_default();
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
                "algorithm": algorithm,
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
            body = tamper(body);
        }
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        SignedNotification { headers, body }
    }

    /// Forgets every order, refund and bill file the platform holds, as a platform that has
    /// seen no request yet: tests that share one mock start each case from a clean state.
    /// Keys, faults and the request log are kept.
    pub fn reset(&self) {
        self.state.ledger.clear();
        self.state.bills.clear();
    }

    /// A signed, encrypted notification of an event the spec declares (`x-wechatpay-events`):
    /// its resource is the spec's example of the event's model with `values` laid over it
    /// (objects merged member by member, anything else replaced), e.g.
    /// `mock.event("TRANSACTION.SUCCESS", &json!({"out_trade_no": "T-1"}))`. An event type that
    /// several groups declare with different resources takes the first shape that defines
    /// every top-level member of `values` (else the first declared); [`MockPlatform::event_as`]
    /// names the shape. `None` for an event type the spec does not declare.
    pub fn event(
        &self,
        event_type: &str,
        values: &serde_json::Value,
    ) -> Option<SignedNotification> {
        let api = &self.state.api;
        let shapes: Vec<&ir::Event> = (api.groups.iter())
            .flat_map(|g| &g.events)
            .filter(|e| e.event_type == event_type)
            .collect();
        let defines_all = |event: &&&ir::Event| {
            let ir::Ty::Named(name) = &event.resource else {
                return false;
            };
            let Some(ir::TypeKind::Struct(fields)) = api.types.get(name).map(|t| &t.kind) else {
                return false;
            };
            (values.as_object().into_iter().flatten())
                .all(|(key, _)| fields.iter().any(|f| &f.wire_name == key))
        };
        let event = shapes.iter().find(defines_all).or(shapes.first())?;
        Some(self.notification_of(event, values))
    }

    /// [`MockPlatform::event`] for the resource shape whose `Event` variant is `variant` (e.g.
    /// `PartnerTransactionSuccess`, the service provider's `TRANSACTION.SUCCESS`). `None` if no
    /// event has that variant.
    pub fn event_as(
        &self,
        variant: &str,
        values: &serde_json::Value,
    ) -> Option<SignedNotification> {
        let event = (self.state.api.groups.iter())
            .flat_map(|g| &g.events)
            .find(|e| e.rust_name == variant)?;
        Some(self.notification_of(event, values))
    }

    fn notification_of(&self, event: &ir::Event, values: &serde_json::Value) -> SignedNotification {
        let mut resource = event
            .example
            .clone()
            .unwrap_or_else(|| serde_json::json!({}));
        lay_over(&mut resource, values);
        let summary = event.summary.as_deref().unwrap_or(&event.event_type);
        self.notification(
            &event.event_type,
            summary,
            &event.original_type,
            &resource,
            None,
        )
    }

    /// Makes something happen to a resource the platform keeps, as the spec declares it
    /// (`x-wechatpay-resources` … `scenarios`): the user pays an order (`"order"`, `"pay"`), a
    /// refund completes (`"refund"`, `"complete"`), a user confirms a transfer
    /// (`"transfer_bill"`, `"confirm"`)… `key` is any of the resource's keys (the merchant's
    /// number or an id the platform issued). The state moves, and the event the scenario
    /// notifies comes back signed and encrypted, its resource what the ledger now knows of it
    /// in the event's model. `None` if there is no such resource or scenario, the resource is
    /// not in a state the scenario applies in, or the scenario notifies nothing (its effect
    /// still happened then only if the first two hold: see [`MockPlatform::state_of`]).
    pub fn scenario(&self, resource: &str, key: &str, name: &str) -> Option<SignedNotification> {
        let api = &self.state.api;
        let (event, view) = self.state.ledger.scenario(api, resource, key, name)?;
        let event = event?;
        let shapes: Vec<&ir::Event> = (api.groups.iter())
            .flat_map(|g| &g.events)
            .filter(|e| e.event_type == event)
            .collect();
        // The shape that names the most of what the ledger knows (a service provider's order
        // has `sp_mchid`, a direct merchant's `mchid`), the first on a tie.
        let score = |e: &ir::Event| match &e.resource {
            ir::Ty::Named(name) => match api.types.get(name).map(|t| &t.kind) {
                Some(ir::TypeKind::Struct(fields)) => fields
                    .iter()
                    .filter(|f| view.facts.get(&f.wire_name).is_some())
                    .count(),
                _ => 0,
            },
            _ => 0,
        };
        let best = shapes.iter().map(|e| score(e)).max()?;
        let shape = shapes.into_iter().find(|e| score(e) == best)?;
        let resource = crate::flows::project(
            api,
            &shape.resource,
            Some(&view.facts),
            shape.example.as_ref(),
        )
        .unwrap_or_default();
        let summary = shape.summary.as_deref().unwrap_or(&shape.event_type);
        Some(self.notification(
            &shape.event_type,
            summary,
            &shape.original_type,
            &resource,
            None,
        ))
    }

    /// The state of the resource `resource` named `key` (any of its keys), as the platform now
    /// has it: e.g. `NOTPAY`, `SUCCESS`, `CLOSED` for an order. `None` if it has none.
    pub fn state_of(&self, resource: &str, key: &str) -> Option<String> {
        let view = self.state.ledger.one(&self.state.api, resource, key)?;
        Some(view.state)
    }

    /// The user pays the order `out_trade_no`: [`MockPlatform::scenario`]`("order", out_trade_no, "pay")`,
    /// which gives the `TRANSACTION.SUCCESS` notification.
    pub fn pay(&self, out_trade_no: &str) -> Option<SignedNotification> {
        self.scenario("order", out_trade_no, "pay")
    }

    /// The refund `out_refund_no` completes: [`MockPlatform::scenario`]`("refund", out_refund_no, "complete")`,
    /// which gives the `REFUND.SUCCESS` notification.
    pub fn complete_refund(&self, out_refund_no: &str) -> Option<SignedNotification> {
        self.scenario("refund", out_refund_no, "complete")
    }

    /// Sets the platform's clock to `time` (`None`: the system clock again). It stamps what
    /// happens from now on (payments, refunds, their bills' day) and decides expiry: an order
    /// past its `time_expire` is `CLOSED`, a transfer left unconfirmed 24 hours fails.
    pub fn set_time(&self, time: Option<time::OffsetDateTime>) {
        self.state.ledger.set_time(time);
    }

    /// Moves the platform's clock forward by `by` (from the system clock if none was set).
    pub fn advance_time(&self, by: time::Duration) {
        self.state.ledger.advance(by);
    }

    /// The platform's clock: the time set, else the system clock.
    pub fn now(&self) -> time::OffsetDateTime {
        self.state.ledger.now()
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

/// `values` laid over `base`: objects merged member by member, anything else replaced.
fn lay_over(base: &mut serde_json::Value, values: &serde_json::Value) {
    match (base, values) {
        (serde_json::Value::Object(base), serde_json::Value::Object(values)) => {
            for (key, value) in values {
                lay_over(
                    base.entry(key.clone()).or_insert(serde_json::Value::Null),
                    value,
                );
            }
        }
        (base, value) => *base = value.clone(),
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
