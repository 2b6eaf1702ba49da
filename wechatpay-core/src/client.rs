//! The clients: serialize once → encrypt sensitive fields → sign → send → verify the raw answer →
//! decode. [`Client`] is async; `blocking::Client` (feature `blocking`) runs the very same
//! [`Shared::prepare`] and [`Shared::finish`] around a blocking transport.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument as _;

use crate::auth::{nonce, verify, Clock, Credentials, SystemClock};
use crate::error::{ApiError, Error};
use crate::generic::GenericCall;
use crate::keys::{ApiV3Key, KeyStore};
use crate::operation::{encode_query, Host, Method, Operation};

/// The WeChat Pay access points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hosts {
    /// Mainland, nearest access point.
    pub mainland: String,
    /// Mainland backup (remote access point), used only by opt-in failover.
    pub mainland_backup: String,
    /// Hong Kong.
    pub hong_kong: String,
}

impl Default for Hosts {
    fn default() -> Self {
        Self {
            mainland: "https://api.mch.weixin.qq.com".into(),
            mainland_backup: "https://api2.mch.weixin.qq.com".into(),
            hong_kong: "https://apihk.mch.weixin.qq.com".into(),
        }
    }
}

/// A successful answer: the decoded value plus what support asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Response<T> {
    /// The decoded body (`()` for 204).
    pub data: T,
    /// HTTP status.
    pub status: u16,
    /// The `Request-ID` header.
    pub request_id: Option<String>,
}

/// Configuration shared by the async and blocking clients.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) credentials: Credentials,
    pub(crate) keys: KeyStore,
    pub(crate) apiv3_key: Option<ApiV3Key>,
    pub(crate) hosts: Hosts,
    pub(crate) failover: bool,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) user_agent: String,
}

/// A request ready to send: every byte decided and signed.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) id: String,
    pub(crate) method: Method,
    pub(crate) urls: Vec<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// What came back, before verification.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: Vec<u8>,
}

impl RawResponse {
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers.get(&name.to_ascii_lowercase()).cloned()
    }
}

impl Shared {
    pub(crate) fn prepare<O: Operation + ?Sized>(&self, op: &O) -> Result<Prepared, Error> {
        let mut target = op.path();
        let query = op.query();
        if !query.is_empty() {
            target.push('?');
            target.push_str(&encode_query(&query));
        }
        let (body, encrypted_with) = self.body(op)?;
        let mut serial = encrypted_with.or_else(|| self.keys.public_key_id());
        if op.requires_platform_serial() && serial.is_none() {
            serial = self.keys.encryption_key().map(|(s, _)| s);
            if serial.is_none() {
                return Err(Error::Config(format!("{} needs `Wechatpay-Serial`: configure a WeChat Pay public key or platform certificates", op.id())));
            }
        }
        if let Some(c) = four_byte_char(&body) {
            return Err(Error::Config(format!("the body of {} contains `{c}` (U+{:04X}): WeChat Pay accepts only 1–3-byte UTF-8 characters, so emoji and other supplementary-plane characters must be removed", op.id(), c as u32)));
        }
        let method = op.method();
        let timestamp = self.clock.now();
        let authorization =
            self.credentials
                .authorization(method.as_str(), &target, &body, timestamp, &nonce())?;
        let mut headers = vec![
            ("Authorization".to_owned(), authorization),
            ("Accept".to_owned(), "application/json".to_owned()),
            ("User-Agent".to_owned(), self.user_agent.clone()),
        ];
        if op.body().is_some() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        if let Some(serial) = serial {
            headers.push(("Wechatpay-Serial".to_owned(), serial));
        }
        headers.extend(op.headers());
        let urls = match op.host() {
            Host::Mainland if self.failover => vec![
                format!("{}{target}", self.hosts.mainland),
                format!("{}{target}", self.hosts.mainland_backup),
            ],
            Host::Mainland => vec![format!("{}{target}", self.hosts.mainland)],
            Host::HongKong => vec![format!("{}{target}", self.hosts.hong_kong)],
        };
        Ok(Prepared {
            id: op.id().to_owned(),
            method,
            urls,
            headers,
            body,
        })
    }

    /// The body bytes, serialized once, with sensitive fields encrypted; and the serial of the
    /// key used for them, if any.
    fn body<O: Operation + ?Sized>(&self, op: &O) -> Result<(Vec<u8>, Option<String>), Error> {
        let serialize_error = |e: serde_json::Error| {
            Error::Config(format!("cannot serialize the body of {}: {e}", op.id()))
        };
        let Some(body) = op.body() else {
            return Ok((Vec::new(), None));
        };
        let encrypted = op.encrypted_fields();
        if encrypted.is_empty() {
            return Ok((serde_json::to_vec(body).map_err(serialize_error)?, None));
        }
        let (serial, key) = self.keys.encryption_key().ok_or_else(|| Error::Config(format!("{} has sensitive fields: configure a WeChat Pay public key or platform certificates to encrypt them", op.id())))?;
        let mut value = serde_json::to_value(body).map_err(serialize_error)?;
        for pointer in encrypted {
            let segments: Vec<&str> = pointer.split('/').skip(1).collect();
            encrypt_at(&mut value, &segments, &key)?;
        }
        Ok((
            serde_json::to_vec(&value).map_err(serialize_error)?,
            Some(serial),
        ))
    }

    pub(crate) fn finish<O: Operation + ?Sized>(
        &self,
        op: &O,
        raw: RawResponse,
    ) -> Result<Response<O::Output>, Error> {
        let request_id = raw.header("Request-ID");
        if !(200..300).contains(&raw.status) || raw.status == 202 {
            return Err(api_error(raw, request_id));
        }
        if op.signed_response() {
            verify(
                &self.keys,
                self.clock.as_ref(),
                &|name| raw.header(name),
                &raw.body,
            )
            .map_err(|source| Error::Verify {
                source,
                request_id: request_id.clone(),
            })?;
        }
        let data = op.decode(&raw.body).map_err(|source| Error::Decode {
            operation: op.id().to_owned(),
            source,
            body: raw.body.clone(),
            request_id: request_id.clone(),
        })?;
        Ok(Response {
            data,
            status: raw.status,
            request_id,
        })
    }
}

/// The first character that takes 4 bytes in UTF-8 (emoji and the like), which WeChat Pay rejects.
pub fn four_byte_char(body: &[u8]) -> Option<char> {
    std::str::from_utf8(body)
        .ok()?
        .chars()
        .find(|c| c.len_utf8() == 4)
}

pub(crate) fn api_error(raw: RawResponse, request_id: Option<String>) -> Error {
    let parsed: serde_json::Value =
        serde_json::from_slice(&raw.body).unwrap_or(serde_json::Value::Null);
    let text = |k: &str| {
        parsed
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    Error::Api(Box::new(ApiError {
        status: raw.status,
        code: text("code"),
        message: text("message"),
        detail: parsed.get("detail").cloned(),
        request_id,
        body: raw.body,
    }))
}

fn encrypt_at(
    value: &mut serde_json::Value,
    segments: &[&str],
    key: &crate::crypto::PublicKey,
) -> Result<(), Error> {
    let Some((first, rest)) = segments.split_first() else {
        if let serde_json::Value::String(s) = value {
            *s = key.encrypt_field(s)?;
        }
        return Ok(());
    };
    match (*first, value) {
        ("*", serde_json::Value::Array(items)) => items
            .iter_mut()
            .try_for_each(|item| encrypt_at(item, rest, key)),
        (name, serde_json::Value::Object(map)) => {
            let name = name.replace("~1", "/").replace("~0", "~");
            match map.get_mut(&name) {
                Some(v) => encrypt_at(v, rest, key),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// Builds a [`Client`] (and, with the `blocking` feature, a `blocking::Client`).
#[derive(Debug)]
pub struct ClientBuilder {
    credentials: Credentials,
    keys: KeyStore,
    apiv3_key: Option<ApiV3Key>,
    hosts: Hosts,
    failover: bool,
    timeout: Duration,
    connect_timeout: Duration,
    clock: Arc<dyn Clock>,
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
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            clock: Arc::new(SystemClock),
        }
    }

    /// The key store used to verify answers and encrypt sensitive fields.
    pub fn key_store(mut self, keys: KeyStore) -> Self {
        self.keys = keys;
        self
    }

    /// The APIv3 key, needed to download platform certificates.
    pub fn apiv3_key(mut self, key: ApiV3Key) -> Self {
        self.apiv3_key = Some(key);
        self
    }

    /// Replaces every host (mainland, backup and Hong Kong) with one base URL, e.g.
    /// `http://127.0.0.1:8080` for a mock or a proxy.
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

    /// Whole-request timeout (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The clock for timestamps and skew checks (tests inject a fixed one).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn shared(self) -> (Shared, Duration, Duration) {
        let user_agent = format!(
            "wechatpay-rust/{} ({}) reqwest rustls",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS
        );
        (
            Shared {
                credentials: self.credentials,
                keys: self.keys,
                apiv3_key: self.apiv3_key,
                hosts: self.hosts,
                failover: self.failover,
                clock: self.clock,
                user_agent,
            },
            self.timeout,
            self.connect_timeout,
        )
    }

    /// Builds the async client.
    pub fn build(self) -> Result<Client, Error> {
        let (shared, timeout, connect_timeout) = self.shared();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            shared: Arc::new(shared),
            http,
        })
    }

    /// Builds the blocking client. Do not call it, or use the client, inside an async runtime.
    #[cfg(feature = "blocking")]
    pub fn build_blocking(self) -> Result<crate::blocking::Client, Error> {
        let (shared, timeout, connect_timeout) = self.shared();
        crate::blocking::Client::new(shared, timeout, connect_timeout)
    }
}

/// The async WeChat Pay client. Cheap to clone; clones share connections and keys.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
    http: reqwest::Client,
}

impl Client {
    /// A builder for these credentials.
    pub fn builder(credentials: Credentials) -> ClientBuilder {
        ClientBuilder::new(credentials)
    }

    /// The key store (shared with every clone of this client).
    pub fn key_store(&self) -> &KeyStore {
        &self.shared.keys
    }

    /// Executes an operation: sign, send, verify the raw answer, decode.
    pub async fn execute<O: Operation + ?Sized>(
        &self,
        op: &O,
    ) -> Result<Response<O::Output>, Error> {
        let prepared = self.shared.prepare(op)?;
        let span = tracing::info_span!("wechatpay", operation = %prepared.id, method = %prepared.method, request_id = tracing::field::Empty);
        let raw = self.send(&prepared).instrument(span.clone()).await?;
        if let Some(id) = raw.header("Request-ID") {
            span.record("request_id", id.as_str());
        }
        let _entered = span.enter();
        let result = self.shared.finish(op, raw);
        if let Err(e) = &result {
            tracing::warn!(error = %e, "WeChat Pay call failed");
        }
        result
    }

    /// Starts a call to an endpoint not in the spec, in the `chain('v3/…')` style.
    pub fn chain(&self, path_template: &str) -> Chain<'_> {
        Chain {
            client: self,
            call: GenericCall::builder(path_template),
        }
    }

    pub(crate) async fn send(&self, prepared: &Prepared) -> Result<RawResponse, Error> {
        let mut last = None;
        for (i, url) in prepared.urls.iter().enumerate() {
            let mut request = self.http.request(reqwest_method(prepared.method), url);
            for (k, v) in &prepared.headers {
                request = request.header(k, v);
            }
            if !prepared.body.is_empty() {
                request = request.body(prepared.body.clone());
            }
            match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = collect_headers(response.headers());
                    let body = response
                        .bytes()
                        .await
                        .map_err(|source| Error::Transport {
                            operation: prepared.id.clone(),
                            source,
                        })?
                        .to_vec();
                    return Ok(RawResponse {
                        status,
                        headers,
                        body,
                    });
                }
                Err(e) if e.is_connect() && i + 1 < prepared.urls.len() => {
                    tracing::warn!(error = %e, "connection failed; failing over to the backup host");
                    last = Some(e);
                }
                Err(source) => {
                    return Err(Error::Transport {
                        operation: prepared.id.clone(),
                        source,
                    })
                }
            }
        }
        Err(match last {
            Some(source) => Error::Transport {
                operation: prepared.id.clone(),
                source,
            },
            None => Error::Config("no host to send to".into()),
        })
    }
}

pub(crate) fn reqwest_method(method: Method) -> reqwest::Method {
    match method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    }
}

pub(crate) fn collect_headers(map: &reqwest::header::HeaderMap) -> HashMap<String, String> {
    map.iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_owned()))
        })
        .collect()
}

/// A call to an endpoint not (yet) in the spec, signed and verified like any typed call.
/// Made by [`Client::chain`].
#[derive(Debug)]
#[must_use = "a chain does nothing until get/post/put/patch/delete is awaited"]
pub struct Chain<'a> {
    client: &'a Client,
    call: crate::generic::GenericCallBuilder,
}

impl Chain<'_> {
    /// Sets a `{name}` path parameter (percent-encoded when sent).
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.call = self.call.param(name, value);
        self
    }

    /// Adds a query pair.
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.call = self.call.query(name, value);
        self
    }

    /// Adds a request header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.call = self.call.header(name, value);
        self
    }

    /// Sends to the Hong Kong host instead of the mainland one.
    pub fn host(mut self, host: Host) -> Self {
        self.call = self.call.host(host);
        self
    }

    /// `GET`; answers the JSON body, or `None` for 204.
    pub async fn get(self) -> Result<Response<Option<serde_json::Value>>, Error> {
        self.send(Method::Get, None).await
    }

    /// `POST` with a JSON body.
    pub async fn post(
        self,
        body: serde_json::Value,
    ) -> Result<Response<Option<serde_json::Value>>, Error> {
        self.send(Method::Post, Some(body)).await
    }

    /// `PUT` with a JSON body.
    pub async fn put(
        self,
        body: serde_json::Value,
    ) -> Result<Response<Option<serde_json::Value>>, Error> {
        self.send(Method::Put, Some(body)).await
    }

    /// `PATCH` with a JSON body.
    pub async fn patch(
        self,
        body: serde_json::Value,
    ) -> Result<Response<Option<serde_json::Value>>, Error> {
        self.send(Method::Patch, Some(body)).await
    }

    /// `DELETE`.
    pub async fn delete(self) -> Result<Response<Option<serde_json::Value>>, Error> {
        self.send(Method::Delete, None).await
    }

    async fn send(
        self,
        method: Method,
        body: Option<serde_json::Value>,
    ) -> Result<Response<Option<serde_json::Value>>, Error> {
        let call = self.call.build(method, body)?;
        self.client.execute(&call).await
    }
}
