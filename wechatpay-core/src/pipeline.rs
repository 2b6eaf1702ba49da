//! The one send path, used by the async client, the blocking client and the generic call:
//! prepare (fill the path, encode the query, serialize the body once, encrypt sensitive fields,
//! sign) → send (with opt-in failover) → check the status → verify the raw answer → decode.

use std::borrow::Cow;
use std::future::Future as _;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::Uri;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};
use tracing::Instrument as _;

use crate::credentials::{Clock, Credentials};
use crate::crypto::PublicKey;
use crate::download::{Checksum, Downloaded};
use crate::error::{
    ApiError, CryptoError, Error, PathError, RawBody, SignMismatch, TransportError,
};
use crate::keys::{ApiV3Key, KeyStore};
use crate::operation::{Answer, Body, HeaderName, Host, Method, Operation, Request};
use crate::protocol::pointer::Pointer;
use crate::protocol::{encode_query, fill_path, four_byte_char, nonce, verify};
use crate::retry::RetryPolicy;
use crate::sensitive::{decrypt_answer, encrypt_pairs};
use crate::transport::{too_large, BodyStream, ReadPolicy, Transport};
use crate::upload;

/// The header naming the platform key a request's sensitive fields are encrypted with.
const WECHATPAY_SERIAL: &str = "wechatpay-serial";

/// Headers the pipeline or the transport owns; an operation's or caller's extra headers
/// cannot set them. The framing and connection headers among them would make what is sent
/// differ from what was signed (a `Content-Length` of another length) or reach another host.
const OWNED_HEADERS: [&str; 15] = [
    "authorization",
    "accept",
    "content-type",
    "user-agent",
    WECHATPAY_SERIAL,
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

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

/// The largest answers read, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// JSON and empty answers (default 4 MiB).
    pub answer: usize,
    /// Downloads: bills and media (default 256 MiB).
    pub download: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            answer: 4 << 20,
            download: 256 << 20,
        }
    }
}

/// A successful answer: the decoded value plus what support asks for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Response<T> {
    /// The decoded body (`()` for 204).
    pub data: T,
    /// HTTP status.
    pub status: u16,
    /// The `Request-ID` header.
    pub request_id: Option<String>,
    /// The body as received, after its signature was verified: the bytes to store when an
    /// answer must be kept and read again later (decode them with the operation's output type,
    /// e.g. `serde_json::from_slice::<Transaction>(&response.body)`). Sensitive answer fields
    /// are still encrypted in it, as the platform sent them. Shares the buffer `data` was
    /// decoded from: keeping it costs no copy.
    pub body: Bytes,
}

/// A request signed and not sent ([`Client::sign`](crate::Client::sign)): the exact bytes the
/// first attempt of `execute` would send, and the message its `Authorization` header signs.
/// For debugging a `SIGN_ERROR` or a gateway, and for the command line's `build`.
///
/// It holds what goes on the wire (sensitive fields encrypted) and a signature that the platform
/// accepts for five minutes; never the merchant key.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignedRequest {
    /// Method, full URL (the operation's host), headers (`Authorization` included) and body.
    pub request: http::Request<Bytes>,
    /// `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`: what was signed (for an upload, the
    /// body line is the `meta` JSON).
    pub message: Bytes,
}

/// Everything a client holds: credentials, keys, hosts, limits, the clock and the transport.
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub(crate) credentials: Credentials,
    pub(crate) keys: KeyStore,
    pub(crate) apiv3_key: Option<ApiV3Key>,
    pub(crate) hosts: Hosts,
    pub(crate) origins: Origins,
    pub(crate) failover: bool,
    pub(crate) limits: Limits,
    pub(crate) retry: RetryPolicy,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) user_agent: HeaderValue,
    pub(crate) transport: Arc<dyn Transport>,
}

/// A request with every byte decided and signed.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) id: String,
    pub(crate) method: Method,
    pub(crate) host: Host,
    pub(crate) target: PathAndQuery,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) answer: Answer,
    /// Whether sending it again cannot make the platform act twice.
    pub(crate) idempotent: bool,
    /// What was signed besides the method and the target, to explain a `SIGN_ERROR`.
    pub(crate) signed: Signed,
}

/// The parts of the signed message that the request's head does not carry as they are.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub(crate) timestamp: i64,
    pub(crate) nonce: String,
    /// The bytes signed: the JSON body, or an upload's `meta` JSON.
    pub(crate) body: Bytes,
    /// The merchant certificate serial named in `Authorization`.
    pub(crate) serial: String,
}

/// A request body as the pipeline sends and signs it.
struct Encoded {
    /// The bytes signed: the JSON body, or an upload's `meta` JSON.
    signed: Bytes,
    /// The bytes sent.
    sent: Bytes,
    /// The `Content-Type` header, when there is a body.
    content_type: Option<String>,
}

/// The longest a signer may take to sign one request (10 s).
pub const MAX_SIGNING: Duration = Duration::from_secs(10);

/// Where an answer's body goes.
pub(crate) enum Sink<'w> {
    /// Read whole into memory: at most [`Limits::answer`] bytes ([`Limits::download`] for an
    /// unsigned download).
    Buffer,
    /// Streamed into `writer`, at most [`Limits::download`] bytes, `checksum` checked as the
    /// bytes pass; `written` once any byte went to the writer.
    Stream {
        writer: &'w mut (dyn AsyncWrite + Unpin + Send),
        checksum: Option<&'w Checksum>,
        written: bool,
    },
}

impl Sink<'_> {
    /// Whether a failed attempt may be repeated: not once bytes went to a writer, which cannot
    /// take them back.
    fn repeatable(&self) -> bool {
        !matches!(self, Sink::Stream { written: true, .. })
    }
}

/// Who checks a signed answer's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verification {
    /// The client's key store, inside the loop, before anything reads the body.
    Keys,
    /// The caller's `finish`, before it uses anything in the body: the certificate list, which
    /// on its first download carries the certificate that signed it.
    Bootstrap,
}

/// An answer that went through the loop: a success status, verified (with
/// [`Verification::Keys`]), its body held or streamed.
pub(crate) struct Answered {
    pub(crate) parts: http::response::Parts,
    /// The body; empty when it was streamed.
    pub(crate) body: Bytes,
    /// The bytes streamed into the sink's writer.
    pub(crate) streamed: u64,
    pub(crate) request_id: Option<String>,
}

impl Pipeline {
    /// The one orchestration of a call, for signed JSON, downloads and the certificate refresh
    /// alike: prepare and sign → send → check the status → verify → `finish`, each attempt in a
    /// `wechatpay` tracing span. A failed attempt is repeated only as the retry policy allows,
    /// signed afresh, and never once bytes went to a writer. A failure is logged as a warning,
    /// unless `expected` says the caller turns it into an answer (the certificate list's
    /// "none for this merchant").
    pub(crate) async fn run<T>(
        &self,
        prepare: impl Fn() -> Result<Prepared, Error>,
        mut sink: Sink<'_>,
        verification: Verification,
        expected: fn(&Error) -> bool,
        finish: impl FnOnce(&Prepared, Answered) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut attempt = 1;
        loop {
            // The request is data borrowed from the operation, not `Send`: `prepare` builds and
            // drops it before any await.
            let mut prepared = prepare()?;
            let span = span(&prepared);
            span.record("attempt", attempt);
            let started = std::time::Instant::now();
            let result = async {
                // Signed afresh for each attempt, in its span: a signer's failure is logged.
                self.authorize(&mut prepared).await?;
                self.attempt(&prepared, &mut sink, verification).await
            }
            .instrument(span.clone())
            .await;
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            let retry = match &result {
                Err(e) if sink.repeatable() => {
                    self.retry.next_delay(attempt, prepared.idempotent, e)
                }
                _ => None,
            };
            if let (Err(e), Some(delay)) = (&result, retry) {
                span.in_scope(|| {
                    tracing::warn!(operation = %prepared.id, attempt, delay_ms = delay.as_millis() as u64, error = %e, "WeChat Pay call failed; retrying");
                });
                // Nothing of the failed attempt is held while waiting.
                drop((result, prepared, span));
                tokio::time::sleep(delay).await;
                attempt += 1;
                continue;
            }
            let result = result.and_then(|answered| span.in_scope(|| finish(&prepared, answered)));
            match &result {
                Err(e) if !expected(e) => warn_on_failure(&prepared, e),
                _ => {}
            }
            return result;
        }
    }

    /// Prepares and signs an operation as its first attempt would be, without sending it.
    pub(crate) async fn sign(
        &self,
        op: &(impl Operation + ?Sized),
    ) -> Result<SignedRequest, Error> {
        let mut prepared = self.prepare(&op.request())?;
        self.authorize(&mut prepared).await?;
        let signed = &prepared.signed;
        let message = crate::protocol::request_message(
            prepared.method.as_str(),
            prepared.target.as_str(),
            signed.timestamp,
            &signed.nonce,
            &signed.body,
        );
        Ok(SignedRequest {
            request: self.primary(prepared.host).request(&prepared),
            message: Bytes::from(message),
        })
    }

    /// The origin a host's requests go to first.
    fn primary(&self, host: Host) -> &Origin {
        match host {
            Host::Mainland => &self.origins.mainland,
            Host::HongKong => &self.origins.hong_kong,
        }
    }

    /// Runs an operation from request to decoded answer: verified, its sensitive fields
    /// decrypted, decoded.
    pub(crate) async fn execute<O: Operation + ?Sized>(
        &self,
        op: &O,
    ) -> Result<Response<O::Output>, Error> {
        let prepare = || self.prepare(&op.request());
        self.run(
            prepare,
            Sink::Buffer,
            Verification::Keys,
            none_expected,
            |prepared, answered| {
                let Answered {
                    parts,
                    body,
                    request_id,
                    ..
                } = answered;
                let sensitive = op.request().sensitive.answer;
                let plain = decrypt_answer(
                    &self.credentials,
                    &prepared.id,
                    sensitive,
                    &body,
                    request_id.as_ref(),
                )?;
                // A decode error keeps the answer as received: no plaintext of a sensitive field.
                match op.decode(plain.as_ref().unwrap_or(&body)) {
                    Ok(data) => Ok(Response {
                        data,
                        status: parts.status.as_u16(),
                        request_id,
                        body,
                    }),
                    Err(source) => Err(Error::Decode {
                        operation: prepared.id.clone(),
                        source,
                        body: RawBody(body),
                        request_id,
                    }),
                }
            },
        )
        .await
    }

    /// Runs a download: streams the unsigned answer into `writer`, at most
    /// [`Limits::download`] bytes, checking `checksum` as the bytes pass. On an error the bytes
    /// already written must be discarded.
    pub(crate) async fn download<O: Operation + ?Sized>(
        &self,
        op: &O,
        writer: &mut (dyn AsyncWrite + Unpin + Send),
        checksum: Option<&Checksum>,
    ) -> Result<Downloaded, Error> {
        let prepare = || {
            let prepared = self.prepare(&op.request())?;
            match prepared.answer {
                Answer::Download => Ok(prepared),
                _ => Err(Error::NotADownload {
                    operation: prepared.id,
                }),
            }
        };
        let sink = Sink::Stream {
            writer,
            checksum,
            written: false,
        };
        self.run(
            prepare,
            sink,
            Verification::Keys,
            none_expected,
            |_, answered| {
                Ok(Downloaded {
                    len: answered.streamed,
                    status: answered.parts.status.as_u16(),
                    request_id: answered.request_id,
                })
            },
        )
        .await
    }

    /// One attempt: send, check the status, verify (with [`Verification::Keys`], for a signed
    /// answer), with the body into `sink`.
    async fn attempt(
        &self,
        prepared: &Prepared,
        sink: &mut Sink<'_>,
        verification: Verification,
    ) -> Result<Answered, Error> {
        let Sink::Stream {
            writer,
            checksum,
            written,
        } = sink
        else {
            let answer = self.send(prepared).await?;
            record_status(answer.status());
            let request_id = record_request_id(answer.headers());
            let now = self.clock.now();
            let (parts, body) = accepted(prepared, answer, request_id.clone(), now)?;
            if verification == Verification::Keys && prepared.answer.is_signed() {
                verify(&self.keys, now, &parts.headers, &body).map_err(|source| Error::Verify {
                    source,
                    request_id: request_id.clone(),
                })?;
            }
            return Ok(Answered {
                parts,
                body,
                streamed: 0,
                request_id,
            });
        };
        // Boxed: a download's state (the digest, the chunk in flight) would otherwise make
        // every call's future larger.
        Box::pin(self.streamed(prepared, &mut **writer, *checksum, written)).await
    }

    /// A download's attempt: the answer's body streamed into `writer`, at most
    /// [`Limits::download`] bytes, `checksum` checked as the bytes pass; `written` once any byte
    /// went to it.
    async fn streamed(
        &self,
        prepared: &Prepared,
        writer: &mut (dyn AsyncWrite + Unpin + Send),
        checksum: Option<&Checksum>,
        written: &mut bool,
    ) -> Result<Answered, Error> {
        let limit = self.limits.download;
        let answer = self
            .exchange(prepared, |request| {
                self.transport.send_streamed(request, limit)
            })
            .await?;
        record_status(answer.status());
        let request_id = record_request_id(answer.headers());
        let (parts, mut body) = answer.into_parts();
        let transport_error = |source| Error::Transport {
            operation: prepared.id.clone(),
            source,
        };
        if !success(prepared, &parts) {
            let body = read_all(&mut *body, self.limits.answer)
                .await
                .map_err(transport_error)?;
            return Err(refusal(
                prepared,
                &parts,
                body,
                request_id,
                self.clock.now(),
            ));
        }
        let mut hasher = checksum.map(Checksum::hasher);
        let mut len = 0u64;
        let write_error = |source| Error::Write {
            operation: prepared.id.clone(),
            source,
        };
        while let Some(chunk) = body.next_chunk().await.map_err(transport_error)? {
            len += chunk.len() as u64;
            if len > limit as u64 {
                return Err(transport_error(too_large(limit)));
            }
            if let Some(hasher) = &mut hasher {
                hasher.update(&chunk);
            }
            *written = true;
            writer.write_all(&chunk).await.map_err(write_error)?;
        }
        writer.flush().await.map_err(write_error)?;
        if let (Some(hasher), Some(checksum)) = (hasher, checksum) {
            let actual = hasher.finish();
            if !checksum.matches(&actual) {
                return Err(Error::DigestMismatch {
                    operation: prepared.id.clone(),
                    algorithm: checksum.algorithm(),
                    expected: checksum.expected().to_owned(),
                    actual,
                    request_id,
                });
            }
        }
        Ok(Answered {
            parts,
            body: Bytes::new(),
            streamed: len,
            request_id,
        })
    }

    /// Signs a prepared request: its `Authorization` header, from the merchant's signer (which
    /// may be remote, so it is awaited).
    ///
    /// The timestamp is taken here, just before signing, and a signer that takes longer than
    /// [`MAX_SIGNING`] fails the call: a remote signer that hangs must not hang it.
    async fn authorize(&self, prepared: &mut Prepared) -> Result<(), Error> {
        prepared.signed.timestamp = self.clock.now();
        prepared.signed.nonce = nonce();
        let signed = &prepared.signed;
        let signing = self.credentials.authorization(
            prepared.method.as_str(),
            prepared.target.as_str(),
            &signed.body,
            signed.timestamp,
            &signed.nonce,
        );
        // A local key signs at once and needs no timer (a runtime without one works); a signer
        // that is not ready at once is given at most `MAX_SIGNING`.
        let mut signing = std::pin::pin!(signing);
        let first = std::future::poll_fn(|cx| Poll::Ready(signing.as_mut().poll(cx))).await;
        let authorization = match first {
            Poll::Ready(signed) => signed?,
            Poll::Pending => tokio::time::timeout(MAX_SIGNING, signing)
                .await
                .map_err(|_| {
                    CryptoError::Signer(format!("no signature within {} s", MAX_SIGNING.as_secs()))
                })??,
        };
        let value = header_value(&prepared.id, "Authorization", authorization)?;
        prepared.headers.insert(AUTHORIZATION, value);
        Ok(())
    }

    /// Decides every byte of the request, and what is signed ([`Pipeline::authorize`] signs it).
    pub(crate) fn prepare(&self, request: &Request<'_>) -> Result<Prepared, Error> {
        let id = request.id;
        let mut target =
            fill_path(request.path, &request.path_params).map_err(|source| Error::Path {
                operation: id.to_owned(),
                source,
            })?;
        let key = self.sensitive_key(request)?;
        let public = key.as_ref().map(|(_, key)| key);
        let query = encrypt_pairs(
            &request.query,
            |n| request.sensitive.is_sensitive_query(n),
            public,
        )?;
        if !query.is_empty() {
            target.push('?');
            target.push_str(&encode_query(&query));
        }
        let body = self.body(id, &request.body, public)?;
        if let Some(character) = four_byte_char(&body.signed) {
            return Err(Error::UnsupportedCharacter {
                operation: id.to_owned(),
                character,
            });
        }
        let serial = match key.as_ref() {
            Some((serial, _)) => Some(serial.clone()),
            None if request.platform_serial => Some(self.platform_serial(id)?),
            None => self.keys.public_key_id(),
        };
        let extra = encrypt_pairs(
            &request.headers,
            |n| request.sensitive.is_sensitive_header(n),
            public,
        )?;
        let mut headers = extra_headers(id, &extra)?;
        // The timestamp and nonce are set when the request is signed (`authorize`).
        let signed = Signed {
            timestamp: 0,
            nonce: String::new(),
            body: body.signed.clone(),
            serial: self.credentials.serial().to_owned(),
        };
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, self.user_agent.clone());
        if let Some(content_type) = body.content_type {
            headers.insert(
                CONTENT_TYPE,
                header_value(id, "Content-Type", content_type)?,
            );
        }
        if let Some(serial) = serial {
            headers.insert(
                WECHATPAY_SERIAL,
                header_value(id, "Wechatpay-Serial", serial)?,
            );
        }
        let target = PathAndQuery::try_from(target).map_err(|_| Error::Path {
            operation: id.to_owned(),
            source: PathError::BadTemplate(request.path.to_owned()),
        })?;
        Ok(Prepared {
            id: id.to_owned(),
            method: request.method.clone(),
            host: request.host,
            target,
            headers,
            body: body.sent,
            answer: request.answer,
            idempotent: request.idempotent,
            signed,
        })
    }

    /// The serial of the key sent in `Wechatpay-Serial` when no field was encrypted.
    fn platform_serial(&self, id: &str) -> Result<String, Error> {
        self.encryption_key(id).map(|(serial, _)| serial)
    }

    /// The one platform key (and its serial) for every sensitive value of a request, its body's
    /// fields and its parameters alike; `None` when it has none.
    fn sensitive_key(&self, request: &Request<'_>) -> Result<Option<(String, PublicKey)>, Error> {
        let body = matches!(
            request.body,
            Body::Json {
                encrypted: [_, ..],
                ..
            }
        );
        let params = request.sensitive.query.len() + request.sensitive.headers.len();
        match body || params > 0 {
            true => self.encryption_key(request.id).map(Some),
            false => Ok(None),
        }
    }

    /// The platform key for sensitive fields now, and its serial.
    fn encryption_key(&self, id: &str) -> Result<(String, PublicKey), Error> {
        match self.keys.encryption_key(self.clock.now()) {
            Ok(Some(key)) => Ok(key),
            Ok(None) => Err(Error::NoPlatformKey {
                operation: id.to_owned(),
            }),
            Err(source) => Err(Error::CertificateNotValid {
                operation: id.to_owned(),
                source,
            }),
        }
    }

    /// The body bytes, serialized once, with sensitive fields encrypted with `key` (the
    /// request's [`sensitive_key`](Self::sensitive_key)), or the upload's parts; and the bytes
    /// signed.
    fn body(&self, id: &str, body: &Body<'_>, key: Option<&PublicKey>) -> Result<Encoded, Error> {
        let serialize = |source| Error::Serialize {
            operation: id.to_owned(),
            source,
        };
        let json = |bytes: Vec<u8>| {
            let bytes = Bytes::from(bytes);
            Encoded {
                signed: bytes.clone(),
                sent: bytes,
                content_type: Some("application/json".into()),
            }
        };
        match body {
            Body::None => Ok(Encoded {
                signed: Bytes::new(),
                sent: Bytes::new(),
                content_type: None,
            }),
            Body::Json {
                value,
                encrypted: [],
            } => Ok(json(value.to_json_vec().map_err(serialize)?)),
            Body::Json { value, encrypted } => {
                let key = key.ok_or_else(|| Error::NoPlatformKey {
                    operation: id.to_owned(),
                })?;
                let mut json_value = value.to_json_value().map_err(serialize)?;
                for pointer in *encrypted {
                    let pointer = Pointer::parse(pointer).map_err(|e| Error::Serialize {
                        operation: id.to_owned(),
                        source: serde::ser::Error::custom(e),
                    })?;
                    pointer.for_each_mut(&mut json_value, &mut |field| {
                        if let serde_json::Value::String(text) = field {
                            *text = key.encrypt_field(text)?;
                        }
                        Ok::<_, Error>(())
                    })?;
                }
                let bytes = serde_json::to_vec(&json_value).map_err(serialize)?;
                Ok(json(bytes))
            }
            Body::Multipart {
                meta,
                file,
                filename_in_meta,
                digest,
            } => {
                let meta = meta
                    .map(|m| m.to_json_value())
                    .transpose()
                    .map_err(serialize)?;
                let upload_error = |source| Error::Upload {
                    operation: id.to_owned(),
                    source,
                };
                let meta = upload::meta_json(meta, file, *filename_in_meta, *digest)
                    .map_err(upload_error)?;
                let (sent, content_type) = upload::encode(&meta, file);
                Ok(Encoded {
                    signed: meta.into(),
                    sent,
                    content_type: Some(content_type),
                })
            }
        }
    }

    /// Sends to the operation's host and reads the answer whole (at most the limit of its
    /// kind).
    async fn send(&self, prepared: &Prepared) -> Result<http::Response<Bytes>, Error> {
        let policy = ReadPolicy {
            limit: match prepared.answer {
                Answer::Download => self.limits.download,
                _ => self.limits.answer,
            },
            signed: prepared.answer.is_signed(),
        };
        self.exchange(prepared, |request| self.transport.send(request, policy))
            .await
    }

    /// Sends to the operation's host with `send`; on a connection error (nothing sent), and
    /// only with failover on, sends the same signed bytes to the mainland backup.
    async fn exchange<'t, T, F>(&self, prepared: &Prepared, send: F) -> Result<T, Error>
    where
        F: Fn(
            http::Request<Bytes>,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<T, TransportError>> + Send + 't>,
        >,
    {
        let transport_error = |source: TransportError| Error::Transport {
            operation: prepared.id.clone(),
            source,
        };
        match send(self.primary(prepared.host).request(prepared)).await {
            Err(e) if e.is_connect() && self.failover && prepared.host == Host::Mainland => {
                tracing::warn!(error = %e, "connection failed; failing over to the backup host");
                let backup = self.origins.mainland_backup.request(prepared);
                send(backup).await.map_err(transport_error)
            }
            other => other.map_err(transport_error),
        }
    }
}

/// Refuses redirects and error statuses, before anything verifies the answer; returns the head
/// and the body, held once.
fn accepted(
    prepared: &Prepared,
    answer: http::Response<Bytes>,
    request_id: Option<String>,
    now: i64,
) -> Result<(http::response::Parts, Bytes), Error> {
    let (parts, body) = answer.into_parts();
    if !success(prepared, &parts) {
        return Err(refusal(prepared, &parts, body, request_id, now));
    }
    Ok((parts, body))
}

/// Whether the status is the operation's success: a `2xx`, but `202` only where declared.
fn success(prepared: &Prepared, parts: &http::response::Parts) -> bool {
    let declared_accepted = prepared.answer == Answer::Accepted;
    parts.status.is_success() && (parts.status != http::StatusCode::ACCEPTED || declared_accepted)
}

/// The error for an answer that is not a success: a redirect (never followed) or an error
/// answer.
fn refusal(
    prepared: &Prepared,
    parts: &http::response::Parts,
    body: Bytes,
    request_id: Option<String>,
    now: i64,
) -> Error {
    let status = parts.status.as_u16();
    if parts.status.is_redirection() {
        return Error::Redirect {
            operation: prepared.id.clone(),
            status,
            location: parts
                .headers
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            request_id,
        };
    }
    let retry_after = retry_after(&parts.headers, now);
    let mut error = api_error(status, body, request_id, retry_after);
    if let Error::Api(e) = &mut error {
        if e.code == "SIGN_ERROR" {
            e.sign_mismatch = sign_mismatch(prepared, e.detail.as_ref());
        }
    }
    error
}

/// Where the message the platform rebuilt (`detail.sign_information`) differs from the one
/// signed: the first line that differs (the body as far as the platform shows it), else the
/// length, else the key. `None` when the answer does not show the rebuilt message.
fn sign_mismatch(prepared: &Prepared, detail: Option<&serde_json::Value>) -> Option<SignMismatch> {
    let information = detail?.get("sign_information")?;
    let rebuilt = information.get("truncated_sign_message")?.as_str()?;
    let rebuilt_length = information.get("sign_message_length")?.as_u64()?;
    let signed = &prepared.signed;
    let mut lines = rebuilt.splitn(5, '\n');
    let body = String::from_utf8_lossy(&signed.body);
    let expected = [
        ("method", prepared.method.as_str().to_owned()),
        ("URL", prepared.target.as_str().to_owned()),
        ("timestamp", signed.timestamp.to_string()),
        ("nonce", signed.nonce.clone()),
    ];
    for (part, line) in expected {
        let seen = lines.next().unwrap_or_default();
        if seen != line {
            return Some(SignMismatch::Part {
                part,
                signed: line,
                rebuilt: seen.to_owned(),
            });
        }
    }
    // The platform shows the body's first characters, then the message's final newline.
    let shown = lines.next().unwrap_or_default();
    let shown = shown.strip_suffix('\n').unwrap_or(shown);
    if !body.starts_with(shown) {
        let signed: String = body.chars().take(shown.chars().count()).collect();
        return Some(SignMismatch::Part {
            part: "body",
            signed,
            rebuilt: shown.to_owned(),
        });
    }
    let message = crate::protocol::request_message(
        prepared.method.as_str(),
        prepared.target.as_str(),
        signed.timestamp,
        &signed.nonce,
        &signed.body,
    );
    let signed_length = message.len();
    if signed_length as u64 != rebuilt_length {
        return Some(SignMismatch::Length {
            signed: signed_length,
            rebuilt: usize::try_from(rebuilt_length).unwrap_or(usize::MAX),
        });
    }
    Some(SignMismatch::Key {
        serial: signed.serial.clone(),
    })
}

/// The wait a `Retry-After` header asks for: delta-seconds, or an HTTP date measured from `now`
/// (unix seconds; a date in the past asks for no wait). `None` without the header, or when it
/// is neither.
fn retry_after(headers: &HeaderMap, now: i64) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    let at = date.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    let now = u64::try_from(now).unwrap_or(0);
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Reads a streamed body whole, refusing more than `limit` bytes.
async fn read_all(body: &mut dyn BodyStream, limit: usize) -> Result<Bytes, TransportError> {
    let mut all = BytesMut::new();
    while let Some(chunk) = body.next_chunk().await? {
        if all.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        all.extend_from_slice(&chunk);
    }
    Ok(all.freeze())
}

/// The `wechatpay` tracing span of a call.
fn span(prepared: &Prepared) -> tracing::Span {
    tracing::info_span!("wechatpay", operation = %prepared.id, method = %prepared.method, attempt = tracing::field::Empty, request_id = tracing::field::Empty, status = tracing::field::Empty, latency_ms = tracing::field::Empty)
}

/// The HTTP status of an answer, recorded in the current span.
fn record_status(status: http::StatusCode) {
    tracing::Span::current().record("status", status.as_u16());
}

/// The `Request-ID` of an answer, recorded in the current span.
fn record_request_id(headers: &HeaderMap) -> Option<String> {
    let id = request_id(headers);
    if let Some(id) = &id {
        tracing::Span::current().record("request_id", id.as_str());
    }
    id
}

fn warn_on_failure(prepared: &Prepared, error: &Error) {
    tracing::warn!(operation = %prepared.id, error = %error, "WeChat Pay call failed");
}

/// For calls where every failure is a failure.
pub(crate) fn none_expected(_: &Error) -> bool {
    false
}

/// A validated `scheme://host[:port]`, the only part of a URL that configuration decides.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    scheme: Scheme,
    authority: Authority,
}

impl Origin {
    /// Parses a base URL: `http` or `https`, a host, and no path, query or user info.
    pub(crate) fn parse(url: &str) -> Result<Self, Error> {
        let invalid = |reason| Error::InvalidBaseUrl {
            url: url.to_owned(),
            reason,
        };
        let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
        let parts = uri.into_parts();
        let scheme = parts.scheme.ok_or_else(|| invalid("no scheme"))?;
        if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
            return Err(invalid("the scheme must be http or https"));
        }
        let authority = parts.authority.ok_or_else(|| invalid("no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid("user info is not allowed"));
        }
        if parts.path_and_query.is_some_and(|p| p.as_str() != "/") {
            return Err(invalid("a path or query is not allowed"));
        }
        Ok(Self { scheme, authority })
    }

    /// The prepared request, addressed to this origin.
    fn request(&self, prepared: &Prepared) -> http::Request<Bytes> {
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(prepared.target.clone());
        let mut request = http::Request::new(prepared.body.clone());
        *request.method_mut() = prepared.method.clone();
        // Scheme, authority and path are each valid, so the parts always make a URI.
        *request.uri_mut() = Uri::from_parts(parts).unwrap_or_default();
        *request.headers_mut() = prepared.headers.clone();
        request
    }
}

/// The origins of [`Hosts`], validated once when the client is built.
#[derive(Debug, Clone)]
pub(crate) struct Origins {
    pub(crate) mainland: Origin,
    pub(crate) mainland_backup: Origin,
    pub(crate) hong_kong: Origin,
}

impl Origins {
    pub(crate) fn new(hosts: &Hosts) -> Result<Self, Error> {
        Ok(Self {
            mainland: Origin::parse(&hosts.mainland)?,
            mainland_backup: Origin::parse(&hosts.mainland_backup)?,
            hong_kong: Origin::parse(&hosts.hong_kong)?,
        })
    }
}

fn extra_headers(id: &str, extra: &[(HeaderName, Cow<'_, str>)]) -> Result<HeaderMap, Error> {
    let mut headers = HeaderMap::with_capacity(extra.len() + 5);
    for (name, value) in extra {
        if OWNED_HEADERS.contains(&name.as_str()) {
            return Err(Error::Header {
                operation: id.to_owned(),
                name: name.to_string(),
                reason: "the client sets it",
            });
        }
        let value = header_value(id, name.as_str(), value.as_ref())?;
        headers.append(name.clone(), value);
    }
    Ok(headers)
}

fn header_value(id: &str, name: &str, value: impl AsRef<str>) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value.as_ref()).map_err(|_| Error::Header {
        operation: id.to_owned(),
        name: name.to_owned(),
        reason: "the value has characters HTTP does not allow",
    })
}

/// The `Request-ID` header, if it is text.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("Request-ID")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// An error answer, its `{code, message, detail}` read leniently.
fn api_error(
    status: u16,
    body: Bytes,
    request_id: Option<String>,
    retry_after: Option<Duration>,
) -> Error {
    let parsed: serde_json::Value =
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let text = |k: &str| {
        parsed
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    Error::Api(Box::new(ApiError {
        status,
        code: text("code"),
        message: text("message"),
        detail: parsed.get("detail").cloned(),
        request_id,
        body: RawBody(body),
        retry_after,
        sign_mismatch: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_against_the_clock() {
        // 2015-10-21T07:28:00Z, and an hour later.
        let now = 1_445_412_480;
        let seconds = |v: &str| retry_after(&with(v), now).map(|d| d.as_secs());
        assert_eq!(seconds("120"), Some(120));
        assert_eq!(seconds(" 0 "), Some(0));
        assert_eq!(seconds("Wed, 21 Oct 2015 08:28:00 GMT"), Some(3600));
        assert_eq!(seconds("Wed, 21 Oct 2015 06:28:00 GMT"), Some(0));
        assert_eq!(seconds("-5"), None);
        assert_eq!(seconds("soon"), None);
        assert_eq!(seconds("99999999999999999999999"), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }
}
