//! The async client and its builder. Every call runs the one pipeline (`pipeline.rs`); the
//! blocking client (`blocking.rs`) drives this very client on a runtime of its own.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use tokio::io::AsyncWrite;

use crate::certificates::{
    CertificateList, CertificateRefresh, MAX_REFRESH_INTERVAL, MIN_REFRESH_INTERVAL,
};
use crate::chain::{Chain, ChainResult};
use crate::credentials::{Clock, Credentials, SystemClock};
use crate::download::{Checksum, Downloaded};
use crate::error::Error;
use crate::invoke::{AppPayment, JsapiPayment};
use crate::keys::{ApiV3Key, KeyStore};
use crate::notify::NotificationHandler;
use crate::operation::{Method, Operation};
use crate::pipeline::{Hosts, Limits, Origins, Pipeline, Response, SignedRequest};
use crate::protocol::nonce;
use crate::retry::RetryPolicy;
use crate::transport::{ReqwestTransport, Transport, TransportSettings};

/// Builds a [`Client`] (and, with the `blocking` feature, a `blocking::Client`).
#[derive(Debug)]
pub struct ClientBuilder {
    credentials: Credentials,
    keys: KeyStore,
    apiv3_key: Option<ApiV3Key>,
    hosts: Hosts,
    failover: bool,
    limits: Limits,
    retry: RetryPolicy,
    transport_settings: TransportSettings,
    clock: Arc<dyn Clock>,
    transport: Option<Arc<dyn Transport>>,
}

impl ClientBuilder {
    /// A builder for these merchant credentials, with an empty key store.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            keys: KeyStore::new(),
            apiv3_key: None,
            hosts: Hosts::default(),
            failover: false,
            limits: Limits::default(),
            retry: RetryPolicy::default(),
            transport_settings: TransportSettings::default(),
            clock: Arc::new(SystemClock),
            transport: None,
        }
    }

    /// The key store used to verify answers and encrypt sensitive fields.
    pub fn key_store(mut self, keys: KeyStore) -> Self {
        self.keys = keys;
        self
    }

    /// The APIv3 key: downloads platform certificates and decrypts notifications.
    pub fn apiv3_key(mut self, key: ApiV3Key) -> Self {
        self.apiv3_key = Some(key);
        self
    }

    /// Replaces every host (mainland, backup and Hong Kong) with one base URL, e.g.
    /// `http://127.0.0.1:8080` for a mock or a proxy. Checked by [`build`](Self::build).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        let url = url.into().trim_end_matches('/').to_owned();
        self.hosts = Hosts {
            mainland: url.clone(),
            mainland_backup: url.clone(),
            hong_kong: url,
        };
        self
    }

    /// Sets each host separately.
    pub fn hosts(mut self, hosts: Hosts) -> Self {
        self.hosts = hosts;
        self
    }

    /// Opt-in failover to the mainland backup host, on connection-level errors only (the request
    /// never reached the platform, so even a non-idempotent call is safe to send there).
    pub fn failover(mut self, enabled: bool) -> Self {
        self.failover = enabled;
        self
    }

    /// The largest answers read (defaults: 4 MiB for JSON, 256 MiB for downloads).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Whole-request timeout (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.transport_settings.timeout = timeout;
        self
    }

    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport_settings.connect_timeout = timeout;
        self
    }

    /// How long an idle connection is kept for the next call (default 7 s: WeChat Pay closes
    /// idle connections after about 8 s). Like the timeouts and `proxy`, it configures the
    /// default transport, and has no effect with [`transport`](Self::transport).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.transport_settings.pool_idle_timeout = timeout;
        self
    }

    /// Sends every request through this HTTP(S) proxy (`http://user:pass@proxy:3128`), for
    /// egress proxies and IP allow-lists. Without it the client connects directly, whatever
    /// `HTTP_PROXY` or `HTTPS_PROXY` say. A URL the transport cannot use fails `build`. No
    /// effect with [`transport`](Self::transport).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.transport_settings.proxy = Some(url.into());
        self
    }

    /// The clock for timestamps and skew checks (tests inject a fixed one).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sends through this transport instead of the default reqwest one (then the timeouts
    /// above are the transport's business).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Repeats failed calls that are safe to repeat (see [`RetryPolicy`]); off by default.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Builds the async client. Refuses a client that could verify no answer: it needs the
    /// WeChat Pay public key, a platform certificate, or the APIv3 key to download them.
    pub fn build(self) -> Result<Client, Error> {
        if self.keys.is_empty() && self.apiv3_key.is_none() {
            return Err(Error::NoTrustAnchor);
        }
        let origins = Origins::new(&self.hosts)?;
        let transport: Arc<dyn Transport> = match self.transport {
            Some(t) => t,
            None => Arc::new(
                ReqwestTransport::with_settings(&self.transport_settings)
                    .map_err(|e| Error::HttpClient(Box::new(e)))?,
            ),
        };
        let user_agent = format!(
            "wechatpay-rust/{} ({}) reqwest rustls",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS
        );
        // The version and the OS name are ASCII, so this never falls back.
        let user_agent = HeaderValue::from_str(&user_agent)
            .unwrap_or(HeaderValue::from_static("wechatpay-rust"));
        Ok(Client {
            pipeline: Arc::new(Pipeline {
                credentials: self.credentials,
                keys: self.keys,
                apiv3_key: self.apiv3_key,
                hosts: self.hosts,
                origins,
                failover: self.failover,
                limits: self.limits,
                retry: self.retry,
                clock: self.clock,
                user_agent,
                transport,
            }),
        })
    }
}

/// The async WeChat Pay client. Cheap to clone; clones share connections and keys.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) pipeline: Arc<Pipeline>,
}

impl Client {
    /// A builder for these credentials.
    pub fn builder(credentials: Credentials) -> ClientBuilder {
        ClientBuilder::new(credentials)
    }

    /// The key store (shared with every clone of this client).
    pub fn key_store(&self) -> &KeyStore {
        &self.pipeline.keys
    }

    /// The merchant id this client signs as.
    pub fn mchid(&self) -> &str {
        self.pipeline.credentials.mchid()
    }

    /// The hosts this client sends to (validated when it was built).
    pub fn hosts(&self) -> &Hosts {
        &self.pipeline.hosts
    }

    /// The size limits this client reads answers and downloads with.
    pub fn limits(&self) -> Limits {
        self.pipeline.limits
    }

    /// Executes an operation: sign, send, verify the raw answer, decode.
    pub async fn execute<O: Operation + ?Sized>(
        &self,
        op: &O,
    ) -> Result<Response<O::Output>, Error> {
        self.pipeline.execute(op).await
    }

    /// Prepares and signs an operation without sending it: the exact request the first attempt
    /// of [`Client::execute`] would send (sensitive fields encrypted, `Wechatpay-Serial` set),
    /// and the message its `Authorization` header signs. Nothing goes to the network.
    pub async fn sign<O: Operation + ?Sized>(&self, op: &O) -> Result<SignedRequest, Error> {
        self.pipeline.sign(op).await
    }

    /// Downloads a file (a bill, an image): signs and sends the request like
    /// [`Client::execute`], then streams the unsigned answer into `writer` (at most
    /// [`Limits::download`](crate::Limits::download) bytes), checking `checksum` as the bytes
    /// pass. Only for operations whose answer is a download ([`Error::NotADownload`]
    /// otherwise).
    ///
    /// On an error (too large, a digest mismatch, a broken connection) what was written is
    /// incomplete or untrusted: write to a temporary file and keep it only on `Ok`.
    pub async fn download<O: Operation + ?Sized, W: AsyncWrite + Unpin + Send>(
        &self,
        op: &O,
        writer: &mut W,
        checksum: Option<&Checksum>,
    ) -> Result<Downloaded, Error> {
        self.pipeline.download(op, writer, checksum).await
    }

    /// The parameters a mini program (`wx.requestPayment`) or an official-account page
    /// (`getBrandWCPayRequest`) needs to pay the order of `prepay_id`, signed with the merchant
    /// key, with the current time and a fresh nonce. Serialize it to JSON for the front end.
    pub async fn jsapi_payment(
        &self,
        app_id: &str,
        prepay_id: &str,
    ) -> Result<JsapiPayment, Error> {
        let pipeline = &self.pipeline;
        let now = pipeline.clock.now();
        Ok(pipeline
            .credentials
            .jsapi_payment(app_id, prepay_id, now, &nonce())
            .await?)
    }

    /// The parameters the App SDK needs to pay the order of `prepay_id` (`partnerid` is this
    /// client's merchant id; for a sub-merchant's order use `Credentials::app_payment`).
    pub async fn app_payment(&self, app_id: &str, prepay_id: &str) -> Result<AppPayment, Error> {
        let pipeline = &self.pipeline;
        let credentials = &pipeline.credentials;
        let now = pipeline.clock.now();
        let mchid = credentials.mchid();
        Ok(credentials
            .app_payment(app_id, mchid, prepay_id, now, &nonce())
            .await?)
    }

    /// Starts a call to an endpoint not in the spec, in the `chain('v3/…')` style.
    pub fn chain(&self, path_template: &str) -> Chain<'_, Self> {
        Chain::new(self, path_template)
    }

    /// A notification handler that trusts this client's keys (public key and certificates,
    /// refreshed ones included) and decrypts with its APIv3 key.
    pub fn notification_handler(&self) -> Result<NotificationHandler, Error> {
        let apiv3_key = self
            .pipeline
            .apiv3_key
            .clone()
            .ok_or(Error::MissingApiV3Key {
                needed_for: "decrypt notifications",
            })?;
        Ok(
            NotificationHandler::new(self.pipeline.keys.clone(), apiv3_key)
                .with_clock(self.pipeline.clock.clone()),
        )
    }
}

impl Chain<'_, Client> {
    /// `GET`.
    pub async fn get(self) -> ChainResult {
        self.send(Method::GET, None).await
    }

    /// `POST` with a JSON body.
    pub async fn post(self, body: serde_json::Value) -> ChainResult {
        self.send(Method::POST, Some(body)).await
    }

    /// `PUT` with a JSON body.
    pub async fn put(self, body: serde_json::Value) -> ChainResult {
        self.send(Method::PUT, Some(body)).await
    }

    /// `PATCH` with a JSON body.
    pub async fn patch(self, body: serde_json::Value) -> ChainResult {
        self.send(Method::PATCH, Some(body)).await
    }

    /// `DELETE`.
    pub async fn delete(self) -> ChainResult {
        self.send(Method::DELETE, None).await
    }

    async fn send(self, method: Method, body: Option<serde_json::Value>) -> ChainResult {
        let (client, call) = self.finish(method, body);
        client.execute(&call).await
    }
}

impl Client {
    /// Downloads the platform certificates with `op`
    /// (`wechatpay_api::certificates::DownloadCertificates`), verifies the answer with the
    /// certificate that signed it (one it contains, or a key already held), and adds them to the
    /// key store. Answers [`CertificateRefresh::NotAvailable`] when the platform has none for
    /// this merchant (public-key-only merchants).
    pub async fn refresh_certificates<O>(&self, op: &O) -> Result<CertificateRefresh, Error>
    where
        O: Operation + ?Sized,
        O::Output: CertificateList,
    {
        self.pipeline.refresh_certificates(op).await
    }

    /// Refreshes the certificates with `op` now and then every `every` (at least
    /// [`MIN_REFRESH_INTERVAL`], 1 s; at most [`MAX_REFRESH_INTERVAL`], 12 h), in a tokio task.
    /// The task ends when the platform answers that there are none while the key store holds
    /// no certificate (a public-key-only merchant), or when the handle is aborted. Failed
    /// refreshes are logged and retried next time, and so is an answer of none while
    /// certificates are held: they would expire with no successor.
    pub fn spawn_certificate_refresh<O>(
        &self,
        op: O,
        every: Duration,
    ) -> tokio::task::JoinHandle<()>
    where
        O: Operation + Send + Sync + 'static,
        O::Output: CertificateList,
    {
        let every = every.clamp(MIN_REFRESH_INTERVAL, MAX_REFRESH_INTERVAL);
        let client = self.clone();
        tokio::spawn(async move {
            loop {
                match client.refresh_certificates(&op).await {
                    Ok(CertificateRefresh::Updated(serials)) => {
                        tracing::info!(?serials, "platform certificates refreshed")
                    }
                    Ok(CertificateRefresh::NotAvailable)
                        if client.key_store().has_certificates() =>
                    {
                        tracing::warn!(
                            "the platform lists no certificates while some are held: retrying"
                        );
                    }
                    Ok(CertificateRefresh::NotAvailable) => {
                        tracing::info!("no platform certificates for this merchant: relying on the WeChat Pay public key");
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "platform certificate refresh failed"),
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}
