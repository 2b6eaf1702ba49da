//! The blocking client (feature `blocking`): a thin adapter that drives the async
//! [`crate::Client`] — the very same pipeline — on a small runtime of its own, as
//! `reqwest::blocking` does. Do not use it inside an async runtime.

use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;

use crate::certificates::{CertificateList, CertificateRefresh};
use crate::chain::{Chain, ChainResult};
use crate::client::ClientBuilder;
use crate::download::{Checksum, Downloaded};
use crate::error::Error;
use crate::invoke::{AppPayment, JsapiPayment};
use crate::keys::KeyStore;
use crate::notify::NotificationHandler;
use crate::operation::{Method, Operation};
use crate::pipeline::{Hosts, Limits, Response};

/// The blocking WeChat Pay client. Build it with `ClientBuilder::build_blocking`. Cheap to
/// clone; clones share connections, keys and the runtime.
#[derive(Debug, Clone)]
pub struct Client {
    inner: crate::client::Client,
    runtime: Arc<Runtime>,
}

/// One worker thread drives the connections; each call runs on the calling thread.
#[derive(Debug)]
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        // Dropping a runtime from async code would panic; shutting it down in the background
        // never does.
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl Client {
    fn new(inner: crate::client::Client) -> Result<Self, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wechatpay-blocking")
            .enable_all()
            .build()
            .map_err(|e| Error::HttpClient(Box::new(e)))?;
        Ok(Self {
            inner,
            runtime: Arc::new(Runtime(Some(runtime))),
        })
    }

    fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        match &self.runtime.0 {
            Some(runtime) => runtime.block_on(future),
            None => unreachable!("the runtime is only taken on drop"),
        }
    }

    /// The key store.
    pub fn key_store(&self) -> &KeyStore {
        self.inner.key_store()
    }

    /// See [`crate::Client::hosts`].
    pub fn hosts(&self) -> &Hosts {
        self.inner.hosts()
    }

    /// See [`crate::Client::limits`].
    pub fn limits(&self) -> Limits {
        self.inner.limits()
    }

    /// Executes an operation: sign, send, verify the raw answer, decode.
    pub fn execute<O: Operation + ?Sized>(&self, op: &O) -> Result<Response<O::Output>, Error> {
        self.block_on(self.inner.execute(op))
    }

    /// The blocking twin of [`crate::Client::download`]: streams the download into a
    /// [`std::io::Write`].
    pub fn download<O: Operation + ?Sized, W: Write + Send>(
        &self,
        op: &O,
        writer: &mut W,
        checksum: Option<&Checksum>,
    ) -> Result<Downloaded, Error> {
        self.block_on(self.inner.download(op, &mut SyncWriter(writer), checksum))
    }

    /// Starts a call to an endpoint not in the spec, in the `chain('v3/…')` style.
    pub fn chain(&self, path_template: &str) -> Chain<'_, Self> {
        Chain::new(self, path_template)
    }

    /// See [`crate::Client::jsapi_payment`].
    pub fn jsapi_payment(&self, app_id: &str, prepay_id: &str) -> Result<JsapiPayment, Error> {
        self.block_on(self.inner.jsapi_payment(app_id, prepay_id))
    }

    /// See [`crate::Client::app_payment`].
    pub fn app_payment(&self, app_id: &str, prepay_id: &str) -> Result<AppPayment, Error> {
        self.block_on(self.inner.app_payment(app_id, prepay_id))
    }

    /// The blocking twin of [`crate::Client::refresh_certificates`].
    pub fn refresh_certificates<O>(&self, op: &O) -> Result<CertificateRefresh, Error>
    where
        O: Operation + ?Sized,
        O::Output: CertificateList,
    {
        self.block_on(self.inner.refresh_certificates(op))
    }

    /// See [`crate::Client::notification_handler`].
    pub fn notification_handler(&self) -> Result<NotificationHandler, Error> {
        self.inner.notification_handler()
    }
}

/// A [`std::io::Write`] seen as an `AsyncWrite`. Each call runs on the calling thread (the
/// blocking client's `block_on`), where blocking is what the caller asked for.
struct SyncWriter<'w, W>(&'w mut W);

impl<W: Write> AsyncWrite for SyncWriter<'_, W> {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.get_mut().0.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(self.get_mut().0.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(self.get_mut().0.flush())
    }
}

impl ClientBuilder {
    /// Builds the blocking client. Do not call it, or use the client, inside an async runtime.
    pub fn build_blocking(self) -> Result<Client, Error> {
        Client::new(self.build()?)
    }
}

impl Chain<'_, Client> {
    /// `GET`.
    pub fn get(self) -> ChainResult {
        self.send(Method::GET, None)
    }

    /// `POST` with a JSON body.
    pub fn post(self, body: serde_json::Value) -> ChainResult {
        self.send(Method::POST, Some(body))
    }

    /// `PUT` with a JSON body.
    pub fn put(self, body: serde_json::Value) -> ChainResult {
        self.send(Method::PUT, Some(body))
    }

    /// `PATCH` with a JSON body.
    pub fn patch(self, body: serde_json::Value) -> ChainResult {
        self.send(Method::PATCH, Some(body))
    }

    /// `DELETE`.
    pub fn delete(self) -> ChainResult {
        self.send(Method::DELETE, None)
    }

    fn send(self, method: Method, body: Option<serde_json::Value>) -> ChainResult {
        let (client, call) = self.finish(method, body);
        client.execute(&call)
    }
}
