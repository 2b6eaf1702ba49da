//! The error types. One `#[non_exhaustive]` enum, [`Error`], for everything a call can return;
//! smaller enums for keys, crypto and verification that it wraps. No variant ever holds a secret.

use bytes::Bytes;
use std::time::Duration;

/// A key or certificate could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not PEM.
    #[error("not a PEM document: {0}")]
    NotPem(String),
    /// The PEM block has the wrong label.
    #[error("the PEM block is `{found}`; expected {expected}")]
    WrongPemLabel {
        /// The label found.
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// The key is not an `rsaEncryption` (RSA PKCS#1 v1.5) key.
    #[error(
        "the key is {algorithm}, not RSA (rsaEncryption, PKCS#1 v1.5): WeChat Pay uses RSA-2048 keys"
    )]
    NotRsa {
        /// The algorithm found in the key's AlgorithmIdentifier: `RSA-PSS`, `EC`, `Ed25519`,
        /// `Ed448`, `X25519`, `X448`, `DSA`, `DH`, `RSA-OAEP`, `SM2` or `unknown`.
        algorithm: &'static str,
    },
    /// The key is not 2048 bits.
    #[error("the key has {bits} bits: WeChat Pay uses RSA-2048 keys")]
    WrongSize {
        /// The size found.
        bits: usize,
    },
    /// The RSA public exponent is not 65537.
    #[error("the RSA public exponent is {exponent}: WeChat Pay keys use 65537")]
    WrongExponent {
        /// The exponent found (`u64::MAX` when it is larger).
        exponent: u64,
    },
    /// The numbers of an RSA private key do not fit together (for example a CRT value does not
    /// match the primes), so no backend will use it.
    #[error("the RSA private key's numbers are inconsistent")]
    Inconsistent,
    /// A platform certificate with a serial already held carries another key: a held key is
    /// pinned and never replaced.
    #[error("the key store already holds another key under the serial `{serial}`; a held key is never replaced")]
    PinnedKeyMismatch {
        /// The serial.
        serial: String,
    },
    /// The DER inside the PEM is not a valid key.
    #[error("the key could not be parsed: {0}")]
    Malformed(String),
    /// The certificate could not be parsed.
    #[error("the certificate could not be parsed: {0}")]
    Certificate(String),
    /// The APIv3 key is not 32 bytes.
    #[error("the APIv3 key has {len} bytes; it must have exactly 32")]
    ApiV3KeyLength {
        /// The length found.
        len: usize,
    },
    /// A key file could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        message: String,
    },
}

/// A cryptographic operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Signing failed (a remote signer may give its own reason).
    #[error("signing failed")]
    Sign,
    /// A remote or hardware signer failed.
    #[error("the signer failed: {0}")]
    Signer(String),
    /// Encryption failed.
    #[error("encryption failed")]
    Encrypt,
    /// A sensitive field is too long for RSA-OAEP with a 2048-bit key.
    #[error(
        "a sensitive field has {len} bytes; RSA-OAEP-SHA1 with a 2048-bit key takes at most 214"
    )]
    PlaintextTooLong {
        /// The length.
        len: usize,
    },
    /// Decryption or authentication failed: wrong key, or tampered data.
    #[error("decryption failed: wrong key or tampered data")]
    Decrypt,
    /// An RSA operation (`sign_sha256`, the OAEP functions) was asked of an SM2 key: use the
    /// algorithm-neutral `sign`, `verify`, `decrypt` and `encrypt_field`.
    #[error("this is an RSA operation and the key is SM2")]
    NotRsa,
}

/// A platform certificate was used outside its validity window: it is neither used to verify
/// nor to encrypt. Refresh the certificates, or configure the WeChat Pay public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the platform certificate `{serial}` is valid from {not_before} to {not_after} (unix time), not at {now}")]
pub struct CertificateNotValid {
    /// The certificate's serial.
    pub serial: String,
    /// Start of validity, unix seconds.
    pub not_before: i64,
    /// End of validity, unix seconds.
    pub not_after: i64,
    /// The time of use, unix seconds.
    pub now: i64,
}

/// A response or notification failed verification. The body must not be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A `Wechatpay-*` header is missing.
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    /// A `Wechatpay-*` header appears more than once: which one to trust is ambiguous, so the
    /// message is refused (answers and notifications alike).
    #[error("the `{0}` header appears more than once")]
    DuplicateHeader(&'static str),
    /// A `Wechatpay-*` header is not visible ASCII text.
    #[error("the `{0}` header is not text")]
    InvalidHeader(&'static str),
    /// No key with this serial: fetch platform certificates or configure the public key.
    #[error("no key with serial `{0}`: configure that WeChat Pay public key or refresh the platform certificates")]
    UnknownSerial(String),
    /// The timestamp is more than 300 s away from the local clock.
    #[error("the timestamp {timestamp} is {skew} s away from the local clock (at most 300 s allowed): a replay, or a wrong clock")]
    StaleTimestamp {
        /// The message's timestamp.
        timestamp: i64,
        /// Its distance from now, in seconds (saturated at `u64::MAX`).
        skew: u64,
    },
    /// The timestamp is not a number.
    #[error("the `Wechatpay-Timestamp` header `{0}` is not a unix time")]
    BadTimestamp(String),
    /// The serial names a platform certificate outside its validity window.
    #[error(transparent)]
    CertificateNotValid(#[from] CertificateNotValid),
    /// The signature does not match the message.
    #[error("the signature does not match: the message was altered or signed with another key")]
    BadSignature,
    /// A `WECHATPAY/SIGNTEST/` probe: WeChat Pay checking that signatures are verified. The call
    /// itself may have succeeded: re-query its state rather than blindly repeating it.
    #[error("a WECHATPAY/SIGNTEST/ probe signature: the platform is testing verification; re-query the result instead of retrying")]
    SignTestProbe,
}

/// Raw bytes of an answer, kept for diagnosis. `Debug` shows them as (lossy, truncated) text,
/// which is what `fn main() -> Result<…>` prints on a failure.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct RawBody(pub Bytes);

impl RawBody {
    /// How many bytes `Debug` shows before truncating.
    pub const DEBUG_LIMIT: usize = 512;

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes as text, lossily.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl std::ops::Deref for RawBody {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for RawBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = &self.0[..self.0.len().min(Self::DEBUG_LIMIT)];
        let text = String::from_utf8_lossy(shown);
        if self.0.len() > Self::DEBUG_LIMIT {
            write!(f, "{text:?}… ({} bytes)", self.0.len())
        } else {
            write!(f, "{text:?}")
        }
    }
}

/// An error answer from WeChat Pay (3xx/4xx/5xx, or `202`): `{code, message, detail}` plus the
/// context support will ask for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `code`, e.g. `PARAM_ERROR` (empty if the body had none).
    pub code: String,
    /// `message`.
    pub message: String,
    /// `detail`, any JSON.
    pub detail: Option<serde_json::Value>,
    /// The `Request-ID` header.
    pub request_id: Option<String>,
    /// The raw body.
    pub body: RawBody,
    /// How long the `Retry-After` header asked to wait (delta-seconds, or an HTTP date read
    /// against the client's clock), if the answer had one.
    pub retry_after: Option<Duration>,
    /// For a `SIGN_ERROR` whose answer shows the message the platform rebuilt
    /// (`detail.sign_information`): where it differs from the message this client signed.
    pub sign_mismatch: Option<SignMismatch>,
}

/// Why the platform refused a request's signature (`SIGN_ERROR`), found by comparing the
/// message this client signed with the one the platform rebuilt from the request it received
/// (`detail.sign_information`; the platform shows the body's first characters only).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignMismatch {
    /// A line of the message differs: `part` is `method`, `URL`, `timestamp`, `nonce` or
    /// `body` (its first characters), with the line as signed and as the platform rebuilt it.
    Part {
        /// Which line.
        part: &'static str,
        /// The line this client signed (cut to the length the platform shows, for the body).
        signed: String,
        /// The line the platform rebuilt.
        rebuilt: String,
    },
    /// The lines the platform shows agree, but the messages' lengths do not: the body that
    /// arrived is not the body signed (re-encoded or altered on the way, after its first
    /// characters).
    Length {
        /// Bytes of the message this client signed.
        signed: usize,
        /// Bytes of the message the platform rebuilt.
        rebuilt: usize,
    },
    /// The platform rebuilt the message this client signed, as far as it shows it and with the
    /// same length, so most likely the private key does not belong to the merchant certificate
    /// whose serial the `Authorization` header names (a body changed after its first characters
    /// without changing its length would look the same).
    Key {
        /// The merchant certificate serial sent.
        serial: String,
    },
}

impl std::fmt::Display for SignMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignMismatch::Part {
                part,
                signed,
                rebuilt,
            } => write!(
                f,
                "the platform rebuilt another {part} than the one signed: signed {signed:?}, \
                 the platform saw {rebuilt:?}"
            ),
            SignMismatch::Length { signed, rebuilt } => write!(
                f,
                "the signed message has {signed} bytes and the one the platform rebuilt {rebuilt}: \
                 the body sent is not the body signed (altered after signing?)"
            ),
            SignMismatch::Key { serial } => write!(
                f,
                "the platform rebuilt the message as signed as far as it shows it (and of the same \
                 length), so most likely the private key does not match the merchant \
                 certificate serial {serial}"
            ),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.status == 202 && self.code.is_empty() {
            write!(
                f,
                "WeChat Pay accepted the request but did not process it (HTTP 202)"
            )?;
        } else if self.is_from_platform() {
            let status = self.status;
            write!(
                f,
                "WeChat Pay error: HTTP {status} {}: {}",
                self.code, self.message
            )?;
        } else {
            let status = self.status;
            write!(
                f,
                "HTTP {status} from something that is not WeChat Pay: the answer has no "
            )?;
            write!(
                f,
                "JSON `code` (a proxy, a captive portal or a wrong base URL?)"
            )?;
        }
        if let Some(mismatch) = &self.sign_mismatch {
            write!(f, "; {mismatch}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (Request-ID {id})")?;
        }
        Ok(())
    }
}

impl ApiError {
    /// Whether the answer reads as the platform's: a JSON object with a `code`. Error answers
    /// are not signed, so a proxy's or a captive portal's `404` page is told apart this way.
    pub fn is_from_platform(&self) -> bool {
        !self.code.is_empty()
    }

    /// Whether the platform asks for the same request again: `429`, any `5xx`, `SYSTEM_ERROR`
    /// whatever its status, and `202` ("accepted, not processed"). Repeat only an idempotent
    /// operation (see [`RetryPolicy`](crate::RetryPolicy)).
    pub fn is_retryable(&self) -> bool {
        self.status == 202
            || self.status == 429
            || self.status >= 500
            || self.code == "SYSTEM_ERROR"
    }
}

/// Why a path could not be filled: the path that is signed must be the path that is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The template does not start with `/`.
    #[error("the path template `{0}` must start with `/`")]
    NoLeadingSlash(String),
    /// A `{` without its `}` (or a `}` without its `{`).
    #[error("the path template `{0}` has unbalanced braces")]
    UnbalancedBraces(String),
    /// The template has `?`, `#` or a `.`/`..` segment.
    #[error("the path template `{0}` must not contain `?`, `#` or `.`/`..` segments")]
    BadTemplate(String),
    /// A `{name}` has no value.
    #[error("the path template `{template}` needs the parameter `{name}`")]
    MissingParam {
        /// The template.
        template: String,
        /// The placeholder.
        name: String,
    },
    /// A value was given for a name the template does not have.
    #[error("the path template `{template}` has no `{{{name}}}`")]
    UnusedParam {
        /// The template.
        template: String,
        /// The parameter.
        name: String,
    },
    /// A path parameter is empty, `.` or `..`: sent, it would address another resource.
    #[error("the path parameter `{name}` is `{value}`: empty, `.` and `..` are refused")]
    DotOrEmptySegment {
        /// The parameter.
        name: String,
        /// Its value.
        value: String,
    },
}

/// What the transport failed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made: nothing was sent, so failing over is safe.
    Connect,
    /// The request or the answer timed out.
    Timeout,
    /// The answer is larger than the configured limit.
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Anything else (the connection broke, invalid HTTP, …).
    Other,
}

/// The message of the innermost error of a chain: the root cause.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut error = error;
    while let Some(source) = error.source() {
        error = source;
    }
    error.to_string()
}

impl TransportErrorKind {
    fn describe(self) -> String {
        match self {
            TransportErrorKind::Connect => "could not connect".into(),
            TransportErrorKind::Timeout => "timed out".into(),
            TransportErrorKind::TooLarge { limit } => {
                format!("the answer is larger than the limit of {limit} bytes")
            }
            TransportErrorKind::Other => "the exchange failed".into(),
        }
    }
}

/// The HTTP exchange failed. Its message says what failed, then the innermost cause (say,
/// "Connection refused"); `source()` keeps the whole chain.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", kind.describe(), innermost(&**source))]
pub struct TransportError {
    kind: TransportErrorKind,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl TransportError {
    /// A transport error of this kind.
    pub fn new(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            source: source.into(),
        }
    }

    /// What failed.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The connection could not be made (nothing was sent).
    pub fn is_connect(&self) -> bool {
        self.kind == TransportErrorKind::Connect
    }

    /// The exchange timed out.
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportErrorKind::Timeout
    }

    /// The answer was refused for its size.
    pub fn is_too_large(&self) -> bool {
        matches!(self.kind, TransportErrorKind::TooLarge { .. })
    }

    /// A timeout or a broken exchange: the same request may get through another time. Not an
    /// answer refused for its size, which would be refused again.
    pub(crate) fn is_repeatable(&self) -> bool {
        matches!(
            self.kind,
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Other
        )
    }
}

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// WeChat Pay answered with an error (or `202`, "accepted, not processed": repeat it), or
    /// something on the way answered an error status ([`ApiError::is_from_platform`] tells).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The answer was a redirect. Redirects are never followed: the signed request, its body
    /// and `Authorization` go nowhere but the configured host.
    #[error("{operation}: the answer is a redirect (HTTP {status}) to {location:?}; redirects are never followed")]
    Redirect {
        /// The operation id.
        operation: String,
        /// HTTP status (3xx).
        status: u16,
        /// The `Location` header, if any.
        location: Option<String>,
        /// The `Request-ID` header, if any.
        request_id: Option<String>,
    },
    /// The answer failed verification and was not decoded.
    #[error("response verification failed{}: {source}", request_id.as_ref().map(|r| format!(" (Request-ID {r})")).unwrap_or_default())]
    Verify {
        /// Why.
        #[source]
        source: VerifyError,
        /// The `Request-ID` header, if any.
        request_id: Option<String>,
    },
    /// The request could not be sent or the answer not received.
    #[error("calling {operation}: {source}")]
    Transport {
        /// The operation id.
        operation: String,
        /// What failed.
        #[source]
        source: TransportError,
    },
    /// The verified answer could not be decoded.
    #[error("cannot decode the answer to {operation}: {source}")]
    Decode {
        /// The operation id.
        operation: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
        /// The raw body.
        body: RawBody,
        /// The `Request-ID` header, if any.
        request_id: Option<String>,
    },
    /// The request body could not be serialized.
    #[error("cannot serialize the body of {operation}: {source}")]
    Serialize {
        /// The operation id.
        operation: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// The path could not be filled safely.
    #[error("{operation}: {source}")]
    Path {
        /// The operation id.
        operation: String,
        /// Why.
        #[source]
        source: PathError,
    },
    /// A header value has characters HTTP does not allow, or names a header the client owns.
    #[error("{operation}: the header `{name}` cannot be sent: {reason}")]
    Header {
        /// The operation id.
        operation: String,
        /// The header name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// The body has a character outside the 1–3-byte UTF-8 range (emoji and the like), which
    /// WeChat Pay refuses.
    #[error("the body of {operation} contains `{character}` (U+{:04X}): WeChat Pay accepts only 1–3-byte UTF-8 characters", *character as u32)]
    UnsupportedCharacter {
        /// The operation id.
        operation: String,
        /// The first such character.
        character: char,
    },
    /// The call needs a platform key (sensitive fields, or `Wechatpay-Serial`) and none is held.
    #[error("{operation} needs a WeChat Pay public key or a platform certificate (to encrypt sensitive fields or name it in `Wechatpay-Serial`): add one to the key store")]
    NoPlatformKey {
        /// The operation id.
        operation: String,
    },
    /// The answer has sensitive fields and the credentials have no [`Decrypter`] for them.
    ///
    /// [`Decrypter`]: crate::Decrypter
    #[error("the answer to {operation} has sensitive fields, encrypted with the merchant key: build the credentials with `Credentials::new` (a local private key) or add `Credentials::with_decrypter`")]
    NoDecrypter {
        /// The operation id.
        operation: String,
    },
    /// A sensitive answer field does not decrypt with the merchant private key. The answer's
    /// signature was valid; neither the ciphertext nor any plaintext is kept.
    #[error("the sensitive field `{pointer}` of the answer to {operation} does not decrypt with the merchant private key (RSA-OAEP-SHA1, base64): encrypted for another merchant key, or altered{}", request_id.as_ref().map(|r| format!(" (Request-ID {r})")).unwrap_or_default())]
    SensitiveField {
        /// The operation id.
        operation: String,
        /// The field's JSON pointer, as the operation declares it (`*` for every array element).
        pointer: String,
        /// The `Request-ID` header, if any.
        request_id: Option<String>,
    },
    /// The APIv3 key is needed (certificate download, notifications) and was not configured.
    #[error("the APIv3 key is needed to {needed_for}: set it with `ClientBuilder::apiv3_key`")]
    MissingApiV3Key {
        /// What needs it.
        needed_for: &'static str,
    },
    /// The client could verify no answer: no public key, no certificate and no APIv3 key to
    /// download certificates.
    #[error("the client cannot verify any answer: add the WeChat Pay public key (`KeyStore::add_public_key`), a platform certificate (`KeyStore::add_certificate`), or the APIv3 key (`ClientBuilder::apiv3_key`) to download certificates")]
    NoTrustAnchor,
    /// A configured base URL or host is not a valid `http(s)://host[:port]` URL.
    #[error("invalid base URL `{url}`: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// Why.
        reason: &'static str,
    },
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The only platform certificates held are outside their validity window, so sensitive
    /// fields cannot be encrypted (and `Wechatpay-Serial` cannot name one).
    #[error("{operation}: {source}")]
    CertificateNotValid {
        /// The operation id.
        operation: String,
        /// Which certificate, and its window.
        #[source]
        source: CertificateNotValid,
    },
    /// A downloaded certificate's own serial differs from the serial it was listed under.
    #[error("the certificate listed as `{listed}` has serial `{actual}`")]
    CertificateSerialMismatch {
        /// The serial in the list.
        listed: String,
        /// The certificate's own serial.
        actual: String,
    },
    /// The file of an upload cannot be sent as it is.
    #[error("{operation}: cannot upload the file: {source}")]
    Upload {
        /// The operation id.
        operation: String,
        /// Why.
        #[source]
        source: UploadError,
    },
    /// A download was asked of an operation whose answer is not a download (it is signed and
    /// must be verified whole before anything of it is used).
    #[error("{operation} does not answer with a download; call `execute`")]
    NotADownload {
        /// The operation id.
        operation: String,
    },
    /// A certificate refresh was asked of an operation whose answer is not signed JSON (the
    /// certificate list is read under the JSON answer limit and verified whole).
    #[error("{operation} does not answer with a signed JSON list; refresh with `certificates::DownloadCertificates`")]
    NotACertificateList {
        /// The operation id.
        operation: String,
    },
    /// A downloaded file's digest differs from the one expected: the bytes written must not
    /// be used.
    #[error("{operation}: the download's {algorithm} digest is {actual}, expected {expected}; discard what was written")]
    DigestMismatch {
        /// The operation id.
        operation: String,
        /// `SHA1` or `SM3`.
        algorithm: &'static str,
        /// The expected digest, hex, as given.
        expected: String,
        /// The digest of the bytes received, lowercase hex.
        actual: String,
        /// The `Request-ID` header, if any.
        request_id: Option<String>,
    },
    /// The writer a download streams into failed.
    #[error("{operation}: cannot write the download: {source}")]
    Write {
        /// The operation id.
        operation: String,
        /// The writer's error.
        #[source]
        source: std::io::Error,
    },
    /// A key could not be loaded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Encryption, decryption or signing failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

impl Error {
    /// The platform's error code (`ORDER_NOT_EXIST`, `PARAM_ERROR`, …) when WeChat Pay refused
    /// the call: `err.api_code() == Some("ORDER_NOT_EXIST")`.
    pub fn api_code(&self) -> Option<&str> {
        match self {
            Error::Api(e) if e.is_from_platform() => Some(e.code.as_str()),
            _ => None,
        }
    }

    /// The `Request-ID` of the answer, where there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Verify { request_id, .. }
            | Error::Decode { request_id, .. }
            | Error::Redirect { request_id, .. }
            | Error::SensitiveField { request_id, .. }
            | Error::DigestMismatch { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}

/// Why an upload could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The file name is empty.
    #[error("the file name is empty")]
    EmptyFileName,
    /// The file name holds a character a `Content-Disposition` header cannot carry: `"`,
    /// `\`, or a control character (line breaks included).
    #[error("the file name holds a quote, a backslash or a control character")]
    FileNameCharacter,
    /// The media type is not `type/subtype` in visible ASCII.
    #[error("the media type is not `type/subtype` in visible ASCII")]
    ContentType,
    /// The upload's `meta` is not a JSON object.
    #[error("the `meta` part is not a JSON object")]
    MetaNotObject,
}
