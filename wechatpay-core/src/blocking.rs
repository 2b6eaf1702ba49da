//! The blocking client (feature `blocking`): the same prepare → send → verify → decode path as
//! the async [`crate::Client`], over `reqwest::blocking`. Do not use it inside an async runtime.

use std::sync::Arc;
use std::time::Duration;

use crate::client::{collect_headers, reqwest_method, Prepared, RawResponse, Response, Shared};
use crate::error::Error;
use crate::generic::{GenericCall, GenericCallBuilder};
use crate::keys::KeyStore;
use crate::operation::{Host, Method, Operation};

/// The blocking WeChat Pay client. Build it with `ClientBuilder::build_blocking`.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
    http: reqwest::blocking::Client,
}

impl Client {
    pub(crate) fn new(
        shared: Shared,
        timeout: Duration,
        connect_timeout: Duration,
    ) -> Result<Self, Error> {
        let http = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            shared: Arc::new(shared),
            http,
        })
    }

    /// The key store.
    pub fn key_store(&self) -> &KeyStore {
        &self.shared.keys
    }

    /// Executes an operation: sign, send, verify the raw answer, decode.
    pub fn execute<O: Operation + ?Sized>(&self, op: &O) -> Result<Response<O::Output>, Error> {
        let prepared = self.shared.prepare(op)?;
        let span = tracing::info_span!("wechatpay", operation = %prepared.id, method = %prepared.method, request_id = tracing::field::Empty);
        let _entered = span.enter();
        let raw = self.send(&prepared)?;
        if let Some(id) = raw.header("Request-ID") {
            span.record("request_id", id.as_str());
        }
        self.shared.finish(op, raw)
    }

    /// Starts a call to an endpoint not in the spec, in the `chain('v3/…')` style.
    pub fn chain(&self, path_template: &str) -> Chain<'_> {
        Chain {
            client: self,
            call: GenericCall::builder(path_template),
        }
    }

    pub(crate) fn send(&self, prepared: &Prepared) -> Result<RawResponse, Error> {
        let mut last = None;
        for (i, url) in prepared.urls.iter().enumerate() {
            let mut request = self.http.request(reqwest_method(prepared.method), url);
            for (k, v) in &prepared.headers {
                request = request.header(k, v);
            }
            if !prepared.body.is_empty() {
                request = request.body(prepared.body.clone());
            }
            match request.send() {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = collect_headers(response.headers());
                    let body = response
                        .bytes()
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

/// The blocking twin of [`crate::Chain`].
#[derive(Debug)]
#[must_use = "a chain does nothing until get/post/put/patch/delete is called"]
pub struct Chain<'a> {
    client: &'a Client,
    call: GenericCallBuilder,
}

impl Chain<'_> {
    /// Sets a `{name}` path parameter.
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

    /// Chooses the host.
    pub fn host(mut self, host: Host) -> Self {
        self.call = self.call.host(host);
        self
    }

    /// `GET`.
    pub fn get(self) -> Result<Response<Option<serde_json::Value>>, Error> {
        self.send(Method::Get, None)
    }

    /// `POST` with a JSON body.
    pub fn post(
        self,
        body: serde_json::Value,
    ) -> Result<Response<Option<serde_json::Value>>, Error> {
        self.send(Method::Post, Some(body))
    }

    /// `PUT` with a JSON body.
    pub fn put(
        self,
        body: serde_json::Value,
    ) -> Result<Response<Option<serde_json::Value>>, Error> {
        self.send(Method::Put, Some(body))
    }

    /// `PATCH` with a JSON body.
    pub fn patch(
        self,
        body: serde_json::Value,
    ) -> Result<Response<Option<serde_json::Value>>, Error> {
        self.send(Method::Patch, Some(body))
    }

    /// `DELETE`.
    pub fn delete(self) -> Result<Response<Option<serde_json::Value>>, Error> {
        self.send(Method::Delete, None)
    }

    fn send(
        self,
        method: Method,
        body: Option<serde_json::Value>,
    ) -> Result<Response<Option<serde_json::Value>>, Error> {
        let call = self.call.build(method, body)?;
        self.client.execute(&call)
    }
}
