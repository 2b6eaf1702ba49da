//! A bill in one call: apply for it, check the answer's `download_url`, stream the unsigned file
//! into a writer (un-gzipped when asked for gzip), and check its digest.
//!
//! The digest (`hash_value`) is that of the bill itself: for a gzip download, of the bytes once
//! un-gzipped, as the platform documents it ("原始账单(gzip需要解压缩)的摘要值") and as the
//! official SDKs check it.

use std::borrow::Cow;
use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Uri;
use percent_encoding::percent_decode_str;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};
use wechatpay_core::operation::{Operation, Request};
use wechatpay_core::{Bytes, Checksum, Client, Error, Hasher, Hosts};

use crate::generated::bills::{
    ApplyFundFlowBill, ApplyTradeBill, BillDownloadInfo, DownloadBill, TarType,
};

/// The path of every bill file.
const DOWNLOAD_PATH: &str = "/v3/billdownload/file";

/// An operation that applies for a bill and answers where to download it
/// ([`BillDownloadInfo`]): [`ApplyTradeBill`] and [`ApplyFundFlowBill`].
pub trait ApplyBill: Operation<Output = BillDownloadInfo> {
    /// The compression the file is asked in (`tar_type`); `None` for a plain file.
    fn tar_type(&self) -> Option<&TarType>;
}

impl ApplyBill for ApplyTradeBill {
    fn tar_type(&self) -> Option<&TarType> {
        self.tar_type.as_ref()
    }
}

impl ApplyBill for ApplyFundFlowBill {
    fn tar_type(&self) -> Option<&TarType> {
        self.tar_type.as_ref()
    }
}

/// What [`download_bill`] did: the bill is in the writer, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillDownload {
    /// The digest the bill matched (`hash_type` and `hash_value` of the apply answer).
    pub checksum: Checksum,
    /// Whether the file came gzip-compressed and was un-gzipped.
    pub gzip: bool,
    /// Bytes written: the bill itself.
    pub len: u64,
    /// Bytes received: the compressed size for a gzip download, else `len`.
    pub received: u64,
    /// The `Request-ID` of the apply answer.
    pub apply_request_id: Option<String>,
    /// The `Request-ID` of the download.
    pub request_id: Option<String>,
}

/// Why [`download_bill`] failed. Unless the variant says nothing was sent, what was written to
/// the writer is incomplete or untrusted: discard it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BillError {
    /// The apply call or the download failed: an API error (400 `NO_STATEMENT_EXIST` for a day
    /// without a bill), a transport error (the file past
    /// [`Limits::download`](crate::Limits::download)), a failing writer, or
    /// [`Error::DigestMismatch`] (the bill is not the one the platform described).
    #[error(transparent)]
    Client(#[from] Error),
    /// The verified apply answer's `download_url` is not one this client follows: it must be
    /// this client's own mainland host (or its backup), or WeChat Pay's over https, with the
    /// bill download path and a `token`. Nothing was downloaded.
    #[error("the bill's download_url ({origin}) is refused: {reason}")]
    DownloadUrl {
        /// `scheme://host[:port]` of the URL (never its token), or `not a URL`.
        origin: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The apply answer's `hash_type` is neither `SHA1` nor `SM3`: the file could not be
    /// checked, so it was not downloaded.
    #[error(
        "the bill's hash_type `{hash_type}` is not SHA1 or SM3: the file cannot be checked, so it was not downloaded"
    )]
    UnsupportedHashType {
        /// The `hash_type` given.
        hash_type: String,
    },
    /// The apply asks for a `tar_type` this version cannot read (only `GZIP`); nothing was
    /// sent.
    #[error(
        "tar_type `{tar_type}` is not GZIP: this version cannot read such a file, so nothing was sent"
    )]
    UnsupportedTarType {
        /// The `tar_type` asked for.
        tar_type: String,
    },
    /// The gzip file is malformed: corrupt, truncated, with a wrong CRC, or with bytes after its
    /// end.
    #[error("the bill is not valid gzip: {source}; discard what was written")]
    Gzip {
        /// What the decompressor found.
        #[source]
        source: io::Error,
    },
    /// The un-gzipped bill is larger than the client's
    /// [`Limits::download`](crate::Limits::download) (default 256 MiB): a gzip bomb, or a
    /// limit set too low.
    #[error(
        "the un-gzipped bill is larger than {limit} bytes (`Limits::download`); discard what was written"
    )]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
}

/// Applies for a bill and downloads it into `writer` in one call.
///
/// 1. executes `apply` (signed and verified like any call);
/// 2. checks its `download_url` ([`BillError::DownloadUrl`]) and `hash_type`;
/// 3. sends the signed download request — to this client's own host, never to another one —
///    with the URL's `token` and its other query pairs;
/// 4. streams the unsigned file into `writer`, un-gzipping it when `apply` asked for
///    `tar_type=GZIP`, at most [`Limits::download`](crate::Limits::download) bytes on the wire
///    and again once un-gzipped;
/// 5. checks `hash_value` over the bill as written ([`Error::DigestMismatch`] otherwise).
///
/// On an error, discard what was written: write to a temporary file and keep it only on `Ok`.
pub async fn download_bill<A, W>(
    client: &Client,
    apply: &A,
    writer: &mut W,
) -> Result<BillDownload, BillError>
where
    A: ApplyBill + ?Sized,
    W: AsyncWrite + Unpin + Send,
{
    let gzip = gzip_asked(apply)?;
    let applied = client.execute(apply).await?;
    let plan = Plan::new(&applied.data, client.hosts())?;
    let apply_request_id = applied.request_id;
    if !gzip {
        let done = client
            .download(&plan.file, writer, Some(&plan.checksum))
            .await?;
        return Ok(plan.done(false, done.len, done.len, apply_request_id, done.request_id));
    }
    let limit = client.limits().download as u64;
    let mut gunzip = AsyncGunzip {
        writer,
        inflater: Inflater::new(&plan.checksum, limit),
        sent: 0,
    };
    let done = match client.download(&plan.file, &mut gunzip, None).await {
        Ok(done) => done,
        Err(e) => return Err(gunzip.inflater.explain(e)),
    };
    gunzip.finish().await?;
    let len = gunzip
        .inflater
        .verify(&plan.checksum, done.request_id.as_deref())?;
    Ok(plan.done(true, len, done.len, apply_request_id, done.request_id))
}

/// The blocking download (feature `blocking`).
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking {
    use std::io::Write;

    use super::{ApplyBill, BillDownload, BillError, Inflater, Plan, SyncGunzip, gzip_asked};

    /// The blocking twin of [`download_bill`](super::download_bill): the same steps, with the
    /// blocking client, into a [`std::io::Write`]. Do not call it inside an async runtime.
    pub fn download_bill<A, W>(
        client: &wechatpay_core::blocking::Client,
        apply: &A,
        writer: &mut W,
    ) -> Result<BillDownload, BillError>
    where
        A: ApplyBill + ?Sized,
        W: Write + Send,
    {
        let gzip = gzip_asked(apply)?;
        let applied = client.execute(apply)?;
        let plan = Plan::new(&applied.data, client.hosts())?;
        let apply_request_id = applied.request_id;
        if !gzip {
            let done = client.download(&plan.file, writer, Some(&plan.checksum))?;
            return Ok(plan.done(false, done.len, done.len, apply_request_id, done.request_id));
        }
        let limit = client.limits().download as u64;
        let mut gunzip = SyncGunzip {
            writer,
            inflater: Inflater::new(&plan.checksum, limit),
        };
        let done = match client.download(&plan.file, &mut gunzip, None) {
            Ok(done) => done,
            Err(e) => return Err(gunzip.inflater.explain(e)),
        };
        gunzip.finish()?;
        let len = gunzip
            .inflater
            .verify(&plan.checksum, done.request_id.as_deref())?;
        Ok(plan.done(true, len, done.len, apply_request_id, done.request_id))
    }
}

/// Whether the file comes gzip-compressed; a `tar_type` this version cannot read is refused
/// before anything is sent.
fn gzip_asked<A: ApplyBill + ?Sized>(apply: &A) -> Result<bool, BillError> {
    match apply.tar_type() {
        None => Ok(false),
        Some(TarType::Gzip) => Ok(true),
        Some(other) => Err(BillError::UnsupportedTarType {
            tar_type: other.to_string(),
        }),
    }
}

/// The checked answer of an apply: the digest to match and the download to send.
struct Plan {
    checksum: Checksum,
    file: BillFile,
}

impl Plan {
    fn new(info: &BillDownloadInfo, hosts: &Hosts) -> Result<Self, BillError> {
        let checksum = Checksum::new(info.hash_type.as_str(), info.hash_value.as_str())
            .ok_or_else(|| BillError::UnsupportedHashType {
                hash_type: info.hash_type.to_string(),
            })?;
        let file = BillFile::from_url(&info.download_url, hosts)?;
        Ok(Self { checksum, file })
    }

    fn done(
        self,
        gzip: bool,
        len: u64,
        received: u64,
        apply_request_id: Option<String>,
        request_id: Option<String>,
    ) -> BillDownload {
        BillDownload {
            gzip,
            checksum: self.checksum,
            len,
            received,
            apply_request_id,
            request_id,
        }
    }
}

/// The download of one bill file: the generated [`DownloadBill`] with its `token`, plus the
/// other query pairs of `download_url` (the platform may add some, e.g. `tartype`), sent as
/// given. Its path and host are the operation's: the client's own mainland host.
struct BillFile {
    op: DownloadBill,
    extra: Vec<(String, String)>,
}

impl BillFile {
    /// Checks `download_url` and takes its query. Accepted origins: the client's mainland host
    /// and its backup, as configured (a mock or a proxy on `http://` included), and WeChat
    /// Pay's own over https.
    fn from_url(url: &str, hosts: &Hosts) -> Result<Self, BillError> {
        let refuse = |origin: String, reason| BillError::DownloadUrl { origin, reason };
        let uri: Uri = url
            .parse()
            .map_err(|_| refuse("not a URL".into(), "it does not parse as a URL"))?;
        let origin = Origin::of(&uri).ok_or_else(|| {
            refuse(
                "not a URL".into(),
                "it has no http(s) scheme and host, or has user info",
            )
        })?;
        let shown = origin.to_string();
        let official = Hosts::default();
        let allowed = [
            &hosts.mainland,
            &hosts.mainland_backup,
            &official.mainland,
            &official.mainland_backup,
        ];
        let trusted = allowed.iter().any(|host| {
            host.parse::<Uri>()
                .ok()
                .and_then(|u| Origin::of(&u))
                .is_some_and(|o| o == origin)
        });
        if !trusted {
            return Err(refuse(
                shown,
                "it is neither this client's host nor WeChat Pay's over https",
            ));
        }
        if uri.path() != DOWNLOAD_PATH {
            return Err(refuse(shown, "its path is not /v3/billdownload/file"));
        }
        let mut token = None;
        let mut extra = Vec::new();
        for pair in uri.query().unwrap_or_default().split('&') {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_decode_str(s)
                    .decode_utf8()
                    .map(Cow::into_owned)
                    .map_err(|_| refuse(shown.clone(), "its query is not UTF-8"))
            };
            let (name, value) = (decode(name)?, decode(value)?);
            if name == "token" {
                if token.replace(value).is_some() {
                    return Err(refuse(shown, "it has more than one token"));
                }
            } else {
                extra.push((name, value));
            }
        }
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| refuse(shown.clone(), "it has no token"))?;
        Ok(Self {
            op: DownloadBill::new(token),
            extra,
        })
    }
}

impl Operation for BillFile {
    type Output = Bytes;

    fn request(&self) -> Request<'_> {
        let mut request = self.op.request();
        request.query.extend(
            self.extra
                .iter()
                .map(|(k, v)| (k.as_str(), Cow::Borrowed(v.as_str()))),
        );
        request
    }

    fn decode(&self, body: &Bytes) -> Result<Bytes, serde_json::Error> {
        self.op.decode(body)
    }
}

/// `scheme://host:port`, lowercase, with the scheme's default port made explicit.
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    fn of(uri: &Uri) -> Option<Self> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return None,
        };
        let authority = uri.authority()?;
        if authority.as_str().contains('@') {
            return None;
        }
        Some(Self {
            host: authority.host().to_ascii_lowercase(),
            port: authority.port_u16().unwrap_or(default_port),
            scheme,
        })
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// What went wrong inside the un-gzipping writer, which the client only sees as a failed
/// write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    Gzip,
    TooLarge,
}

/// Un-gzips what is fed to it into a buffer, digesting and counting the bill as it comes out.
/// Each [`feed`](Self::feed) consumes part of its input and leaves at most a few tens of KiB
/// of output in the buffer, so a gzip bomb cannot grow it; the limit stops it.
struct Inflater {
    decoder: flate2::write::MultiGzDecoder<Sink>,
    failure: Option<Failure>,
    limit: u64,
}

/// Where the decoder writes: the bill's bytes, their digest and count.
struct Sink {
    out: Vec<u8>,
    hasher: Option<Hasher>,
    len: u64,
    limit: u64,
    exceeded: bool,
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let len = self.len + data.len() as u64;
        if len > self.limit {
            self.exceeded = true;
            return Err(io::Error::other("the un-gzipped bill passes the limit"));
        }
        if let Some(hasher) = &mut self.hasher {
            hasher.update(data);
        }
        self.len = len;
        self.out.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Inflater {
    fn new(checksum: &Checksum, limit: u64) -> Self {
        let sink = Sink {
            out: Vec::new(),
            hasher: Some(checksum.hasher()),
            len: 0,
            limit,
            exceeded: false,
        };
        Self {
            decoder: flate2::write::MultiGzDecoder::new(sink),
            failure: None,
            limit,
        }
    }

    /// Un-gzips part of `input`; returns how much of it was taken.
    fn feed(&mut self, input: &[u8]) -> io::Result<usize> {
        let result = match self.decoder.write(input) {
            Ok(0) if !input.is_empty() => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bytes after the end of the gzip stream",
            )),
            other => other,
        };
        self.note(result)
    }

    /// The end of the file: the last bytes out, and the gzip trailer (CRC, length) checked.
    fn end(&mut self) -> io::Result<()> {
        let result = self.decoder.try_finish();
        self.note(result)
    }

    fn note<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        if result.is_err() {
            self.failure = Some(if self.decoder.get_ref().exceeded {
                Failure::TooLarge
            } else {
                Failure::Gzip
            });
        }
        result
    }

    fn output(&mut self) -> &mut Vec<u8> {
        &mut self.decoder.get_mut().out
    }

    /// An error of the download or of the end, told apart: the decompressor's and the limit's
    /// own failures reach the client as failed writes.
    fn explain(&mut self, error: Error) -> BillError {
        match (self.failure.take(), error) {
            (Some(Failure::TooLarge), Error::Write { .. }) => {
                BillError::TooLarge { limit: self.limit }
            }
            (Some(Failure::Gzip), Error::Write { source, .. }) => BillError::Gzip { source },
            (_, error) => BillError::Client(error),
        }
    }

    /// An error at the end: the decompressor's, the limit's, or the writer's.
    fn explain_io(&mut self, source: io::Error) -> BillError {
        match self.failure.take() {
            Some(Failure::TooLarge) => BillError::TooLarge { limit: self.limit },
            Some(Failure::Gzip) => BillError::Gzip { source },
            None => BillError::Client(Error::Write {
                operation: "downloadBill".into(),
                source,
            }),
        }
    }

    /// Checks the digest of the bill written; its length.
    fn verify(&mut self, checksum: &Checksum, request_id: Option<&str>) -> Result<u64, BillError> {
        let sink = self.decoder.get_mut();
        let actual = sink.hasher.take().map(Hasher::finish).unwrap_or_default();
        if !checksum.matches(&actual) {
            return Err(BillError::Client(Error::DigestMismatch {
                operation: "downloadBill".into(),
                algorithm: checksum.algorithm(),
                expected: checksum.expected().to_owned(),
                actual,
                request_id: request_id.map(str::to_owned),
            }));
        }
        Ok(sink.len)
    }
}

/// The un-gzipping writer the async client streams into.
struct AsyncGunzip<'w, W> {
    writer: &'w mut W,
    inflater: Inflater,
    /// How much of the inflater's output is already in `writer`.
    sent: usize,
}

impl<W: AsyncWrite + Unpin> AsyncGunzip<'_, W> {
    /// Writes the pending output.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let out = &self.inflater.decoder.get_ref().out;
            if self.sent == out.len() {
                self.inflater.output().clear();
                self.sent = 0;
                return Poll::Ready(Ok(()));
            }
            let n = ready!(Pin::new(&mut *self.writer).poll_write(cx, &out[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
    }

    /// After the last byte arrived: the end of the gzip stream, written and flushed.
    async fn finish(&mut self) -> Result<(), BillError> {
        if let Err(e) = self.inflater.end() {
            return Err(self.inflater.explain_io(e));
        }
        let drained = std::future::poll_fn(|cx| self.poll_drain(cx)).await;
        match drained {
            Ok(()) => self.writer.flush().await,
            Err(e) => Err(e),
        }
        .map_err(|e| self.inflater.explain_io(e))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for AsyncGunzip<'_, W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Poll::Ready(this.inflater.feed(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut *this.writer).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut *this.writer).poll_shutdown(cx)
    }
}

/// The un-gzipping writer the blocking client streams into.
#[cfg(feature = "blocking")]
struct SyncGunzip<'w, W> {
    writer: &'w mut W,
    inflater: Inflater,
}

#[cfg(feature = "blocking")]
impl<W: Write> SyncGunzip<'_, W> {
    fn drain(&mut self) -> io::Result<()> {
        let out = self.inflater.output();
        self.writer.write_all(out)?;
        out.clear();
        Ok(())
    }

    fn finish(&mut self) -> Result<(), BillError> {
        if let Err(e) = self.inflater.end() {
            return Err(self.inflater.explain_io(e));
        }
        self.drain()
            .and_then(|()| self.writer.flush())
            .map_err(|e| self.inflater.explain_io(e))
    }
}

#[cfg(feature = "blocking")]
impl<W: Write> Write for SyncGunzip<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let taken = self.inflater.feed(buf)?;
        self.drain()?;
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(base: &str) -> Hosts {
        Hosts {
            mainland: base.into(),
            mainland_backup: base.into(),
            hong_kong: base.into(),
        }
    }

    fn refused(url: &str, hosts: &Hosts) -> &'static str {
        match BillFile::from_url(url, hosts) {
            Err(BillError::DownloadUrl { reason, .. }) => reason,
            Err(other) => panic!("{url}: {other}"),
            Ok(_) => panic!("{url} was accepted"),
        }
    }

    #[test]
    fn download_urls_on_the_clients_or_the_platforms_host_are_followed() {
        let mock = hosts("http://127.0.0.1:8080");
        let file = BillFile::from_url(
            "http://127.0.0.1:8080/v3/billdownload/file?token=a%2Bb&tartype=gzip",
            &mock,
        )
        .unwrap();
        let request = file.request();
        assert_eq!(request.path, DOWNLOAD_PATH);
        let query: Vec<(&str, &str)> = request
            .query
            .iter()
            .map(|(k, v)| (*k, v.as_ref()))
            .collect();
        assert_eq!(query, [("token", "a+b"), ("tartype", "gzip")]);
        // The platform's own host over https, whatever the client is configured with.
        for url in [
            "https://api.mch.weixin.qq.com/v3/billdownload/file?token=t",
            "https://API.MCH.WEIXIN.QQ.COM:443/v3/billdownload/file?token=t",
            "https://api2.mch.weixin.qq.com/v3/billdownload/file?token=t",
        ] {
            assert!(BillFile::from_url(url, &mock).is_ok(), "{url}");
        }
    }

    #[test]
    fn other_download_urls_are_refused() {
        let real = Hosts::default();
        let mock = hosts("http://127.0.0.1:8080");
        for (url, hosts, reason) in [
            (
                "https://evil.example/v3/billdownload/file?token=t",
                &real,
                "host",
            ),
            (
                "http://api.mch.weixin.qq.com/v3/billdownload/file?token=t",
                &real,
                "host",
            ),
            (
                "https://api.mch.weixin.qq.com:8443/v3/billdownload/file?token=t",
                &real,
                "host",
            ),
            (
                "https://apihk.mch.weixin.qq.com/v3/billdownload/file?token=t",
                &real,
                "host",
            ),
            (
                "http://127.0.0.1:8081/v3/billdownload/file?token=t",
                &mock,
                "host",
            ),
            (
                "https://user@api.mch.weixin.qq.com/v3/billdownload/file?token=t",
                &real,
                "scheme",
            ),
            ("/v3/billdownload/file?token=t", &real, "scheme"),
            (
                "ftp://api.mch.weixin.qq.com/v3/billdownload/file?token=t",
                &real,
                "scheme",
            ),
            (
                "https://api.mch.weixin.qq.com/v3/other?token=t",
                &real,
                "path",
            ),
            (
                "https://api.mch.weixin.qq.com/v3/billdownload/file",
                &real,
                "token",
            ),
            (
                "https://api.mch.weixin.qq.com/v3/billdownload/file?token=",
                &real,
                "token",
            ),
            (
                "https://api.mch.weixin.qq.com/v3/billdownload/file?token=a&token=b",
                &real,
                "token",
            ),
            (
                "https://api.mch.weixin.qq.com/v3/billdownload/file?token=%FF",
                &real,
                "UTF-8",
            ),
            ("not a url", &real, "parse"),
        ] {
            let why = refused(url, hosts);
            assert!(why.contains(reason), "{url}: {why}");
        }
        // The error names the origin, never the token.
        let err = BillFile::from_url(
            "https://evil.example/v3/billdownload/file?token=SECRET-TOKEN",
            &real,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("https://evil.example:443") && !err.contains("SECRET"),
            "{err}"
        );
    }
}
