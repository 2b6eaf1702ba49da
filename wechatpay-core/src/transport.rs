//! The HTTP exchange, behind a small trait: one request out, one bounded answer back, or, for
//! downloads, an answer read chunk by chunk. The default is reqwest (rustls); the pipeline
//! around it (sign, failover, verify, decode) is the same whatever sends the bytes.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::error::{TransportError, TransportErrorKind};

/// How to read an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadPolicy {
    /// The largest body read; a longer one is a [`TransportErrorKind::TooLarge`] error.
    pub limit: usize,
    /// The answer must be signed: a `2xx` without `Wechatpay-Signature` is returned at once
    /// with an empty body (verification then refuses it) instead of reading its body.
    pub signed: bool,
}

/// The future a [`Transport`] returns.
pub type Exchange<'a> =
    Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, TransportError>> + Send + 'a>>;

/// The future of the next chunk of a streamed body: `None` at its end.
pub type Chunk<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Bytes>, TransportError>> + Send + 'a>>;

/// An answer body read chunk by chunk (downloads).
pub trait BodyStream: Send {
    /// The next chunk, or `None` at the end of the body.
    fn next_chunk(&mut self) -> Chunk<'_>;
}

/// The future a [`Transport::send_streamed`] returns: the answer's head, and its body to read.
pub type StreamedExchange<'a> = Pin<
    Box<
        dyn Future<Output = Result<http::Response<Box<dyn BodyStream>>, TransportError>>
            + Send
            + 'a,
    >,
>;

/// Sends one HTTP request and reads its answer. Implementations must never follow redirects
/// (a `3xx` is returned as it is) and must honour [`ReadPolicy`].
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// Sends `request` and reads the answer.
    fn send(&self, request: http::Request<Bytes>, policy: ReadPolicy) -> Exchange<'_>;

    /// Sends `request` and returns the answer with its body still to read, for downloads
    /// streamed to a writer. The pipeline counts the bytes against `limit` as it reads them.
    ///
    /// The default reads the whole answer (at most `limit` bytes) with [`Transport::send`] and
    /// gives it as one chunk; [`ReqwestTransport`] streams.
    fn send_streamed(&self, request: http::Request<Bytes>, limit: usize) -> StreamedExchange<'_> {
        Box::pin(async move {
            let policy = ReadPolicy {
                limit,
                signed: false,
            };
            let answer = self.send(request, policy).await?;
            Ok(answer.map(|body| Box::new(Whole(Some(body))) as Box<dyn BodyStream>))
        })
    }
}

/// A body already read, given as one chunk.
struct Whole(Option<Bytes>);

impl BodyStream for Whole {
    fn next_chunk(&mut self) -> Chunk<'_> {
        let chunk = self.0.take().filter(|b| !b.is_empty());
        Box::pin(std::future::ready(Ok(chunk)))
    }
}

/// A reqwest answer body, read as it arrives.
struct Streamed(reqwest::Response);

impl BodyStream for Streamed {
    fn next_chunk(&mut self) -> Chunk<'_> {
        Box::pin(async move { self.0.chunk().await.map_err(classify) })
    }
}

/// How the default transport connects. Every field has a default; set them through
/// [`ClientBuilder`](crate::ClientBuilder) (`timeout`, `connect_timeout`, `pool_idle_timeout`,
/// `proxy`) or build a [`ReqwestTransport`] with them.
#[derive(Clone)]
#[non_exhaustive]
pub struct TransportSettings {
    /// The whole request, answer included (default 30 s).
    pub timeout: Duration,
    /// Opening the connection (default 10 s).
    pub connect_timeout: Duration,
    /// How long an idle connection is kept for the next call (default 7 s). WeChat Pay closes
    /// idle connections after about 8 s; kept below that, a call is not sent on a connection the
    /// platform has closed or is about to close.
    pub pool_idle_timeout: Duration,
    /// An HTTP(S) proxy URL every request goes through (`http://user:pass@proxy:3128`). `None`
    /// (default): direct, whatever `HTTP_PROXY`/`HTTPS_PROXY` say, so a proxy is never used
    /// unless configured here.
    pub proxy: Option<String>,
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            pool_idle_timeout: Duration::from_secs(7),
            proxy: None,
        }
    }
}

impl std::fmt::Debug for TransportSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A proxy URL may carry a password.
        let proxy = self.proxy.as_deref().map(|url| match url.rsplit_once('@') {
            Some((before, host)) => {
                let scheme = before.split_once("://").map_or("", |(scheme, _)| scheme);
                format!("{scheme}://<redacted>@{host}")
            }
            None => url.to_owned(),
        });
        f.debug_struct("TransportSettings")
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("proxy", &proxy)
            .finish()
    }
}

/// The default transport: reqwest with rustls, no redirects, the client's timeouts.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    http: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with these timeouts (whole request, and connect) and the other settings'
    /// defaults.
    pub fn new(timeout: Duration, connect_timeout: Duration) -> Result<Self, TransportError> {
        Self::with_settings(&TransportSettings {
            timeout,
            connect_timeout,
            ..TransportSettings::default()
        })
    }

    /// A transport with these settings. A proxy URL reqwest cannot use is an error.
    pub fn with_settings(settings: &TransportSettings) -> Result<Self, TransportError> {
        let other = |e| TransportError::new(TransportErrorKind::Other, e);
        let builder = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .pool_idle_timeout(settings.pool_idle_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        let builder = match &settings.proxy {
            Some(url) => builder.proxy(reqwest::Proxy::all(url).map_err(other)?),
            None => builder,
        };
        let http = builder.build().map_err(other)?;
        Ok(Self { http })
    }

    async fn exchange(
        &self,
        request: http::Request<Bytes>,
        policy: ReadPolicy,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let request = reqwest::Request::try_from(request).map_err(classify)?;
        let mut response = self.http.execute(request).await.map_err(classify)?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let unsigned =
            status.is_success() && policy.signed && !headers.contains_key("Wechatpay-Signature");
        let body = if unsigned {
            Bytes::new()
        } else {
            read_bounded(response, policy.limit).await?
        };
        let mut answer = http::Response::new(body);
        *answer.status_mut() = status;
        *answer.headers_mut() = headers;
        Ok(answer)
    }
}

impl Transport for ReqwestTransport {
    fn send(&self, request: http::Request<Bytes>, policy: ReadPolicy) -> Exchange<'_> {
        Box::pin(self.exchange(request, policy))
    }

    fn send_streamed(&self, request: http::Request<Bytes>, limit: usize) -> StreamedExchange<'_> {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(classify)?;
            let mut response = self.http.execute(request).await.map_err(classify)?;
            if response.content_length().is_some_and(|n| n > limit as u64) {
                return Err(too_large(limit));
            }
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            let mut answer =
                http::Response::new(Box::new(Streamed(response)) as Box<dyn BodyStream>);
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            Ok(answer)
        })
    }
}

/// The error for an answer longer than `limit` bytes.
pub(crate) fn too_large(limit: usize) -> TransportError {
    TransportError::new(
        TransportErrorKind::TooLarge { limit },
        format!("the answer is larger than {limit} bytes"),
    )
}

/// Reads the body, refusing more than `limit` bytes (checked against `Content-Length` first,
/// then while reading). A body that arrives in one chunk is kept as it is, not copied.
async fn read_bounded(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Bytes, TransportError> {
    let too_large = || too_large(limit);
    let declared = response.content_length().unwrap_or(0);
    if declared > limit as u64 {
        return Err(too_large());
    }
    let Some(first) = response.chunk().await.map_err(classify)? else {
        return Ok(Bytes::new());
    };
    if first.len() > limit {
        return Err(too_large());
    }
    let Some(second) = response.chunk().await.map_err(classify)? else {
        return Ok(first);
    };
    let mut body = BytesMut::with_capacity((declared as usize).max(first.len() + second.len()));
    body.extend_from_slice(&first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
        next = response.chunk().await.map_err(classify)?;
    }
    Ok(body.freeze())
}

/// The transport error of a reqwest error, whose message names the request's URL: the URL's
/// query values are replaced by `REDACTED` first (a bill download's `token` is one).
fn classify(mut e: reqwest::Error) -> TransportError {
    if let Some(url) = e.url_mut() {
        redact_query(url);
    }
    let kind = if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_timeout() {
        TransportErrorKind::Timeout
    } else {
        TransportErrorKind::Other
    };
    TransportError::new(kind, e)
}

/// Replaces every query value of `url` by `REDACTED`, keeping the names.
fn redact_query(url: &mut reqwest::Url) {
    if url.query().is_none() {
        return;
    }
    let names: Vec<String> = url
        .query_pairs()
        .map(|(name, _)| name.into_owned())
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(names.iter().map(|name| (name, "REDACTED")));
}
