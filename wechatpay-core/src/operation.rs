//! The contract between generated code and the client: an operation is a value that describes
//! its request as data ([`Request`]) and decodes its verified answer. Generated code decides
//! nothing at run time; the one pipeline in the client fills the path, encodes the query,
//! serializes the body once, encrypts what is sensitive, signs, sends, verifies and only then
//! calls [`Operation::decode`].
//!
//! A new kind of body or answer is a new variant of [`Body`] or [`Answer`] and one branch of the
//! pipeline, never a new trait method.

use std::borrow::Cow;

use bytes::Bytes;
pub use http::{HeaderName, Method};

pub use crate::upload::MetaDigest;
use crate::upload::Upload;

/// Which WeChat Pay access point serves an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Host {
    /// `https://api.mch.weixin.qq.com`, with `https://api2.mch.weixin.qq.com` as the backup.
    #[default]
    Mainland,
    /// `https://apihk.mch.weixin.qq.com` (cross-border: `/v3/global/*` and others).
    HongKong,
}

/// What the platform answers on success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Answer {
    /// A signed JSON body, verified and then given to [`Operation::decode`].
    Json,
    /// A signed answer without a body (`204`); the signature covers an empty body line.
    Empty,
    /// A signed answer without a body whose status is `202`, for operations that declare it as
    /// their success. For every other operation a `202` ("accepted, not processed: repeat the
    /// request") is an error.
    Accepted,
    /// An unsigned download (bill files, media): `execute` gives the bytes as received (at most
    /// [`Limits::download`](crate::Limits::download)); `download` streams them to a writer and
    /// checks a digest.
    Download,
}

impl Answer {
    /// Whether the platform signs this answer (every kind but downloads).
    pub fn is_signed(self) -> bool {
        !matches!(self, Answer::Download)
    }
}

/// A request body that can be serialized to JSON; implemented for every `serde::Serialize`
/// type, so generated models need nothing more. Object-safe, so [`Body`] holds a reference.
pub trait JsonBody {
    /// The JSON bytes, serialized once: these are the bytes signed and sent.
    fn to_json_vec(&self) -> Result<Vec<u8>, serde_json::Error>;
    /// The JSON value, for bodies whose sensitive fields are encrypted before serializing.
    fn to_json_value(&self) -> Result<serde_json::Value, serde_json::Error>;
}

impl<T: serde::Serialize + ?Sized> JsonBody for T {
    fn to_json_vec(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }
    fn to_json_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

/// The body of a request. Built with [`Body::json`] and [`Body::multipart`], so that a variant
/// can gain a field without breaking generated code.
#[non_exhaustive]
pub enum Body<'a> {
    /// No body (and no `Content-Type`).
    None,
    /// A JSON body.
    #[non_exhaustive]
    Json {
        /// The value to serialize.
        value: &'a dyn JsonBody,
        /// JSON pointers (RFC 6901; `*` matches every array element) of the fields to encrypt
        /// with the platform key before sending. The caller writes them in plaintext.
        encrypted: &'a [&'a str],
    },
    /// A `multipart/form-data` upload: a `meta` JSON part and a `file` part. The client adds
    /// the file's `sha256` (and `filename`) to `meta`, signs the `meta` JSON and sends both
    /// parts.
    #[non_exhaustive]
    Multipart {
        /// The operation's own `meta` fields, if it has any besides `filename` and `sha256`.
        meta: Option<&'a dyn JsonBody>,
        /// The file.
        file: &'a Upload,
        /// Whether `meta` carries the file's name as `filename`.
        filename_in_meta: bool,
        /// Which digest of the file `meta` carries.
        digest: MetaDigest<'a>,
    },
}

impl<'a> Body<'a> {
    /// A JSON body whose fields at `encrypted` (JSON pointers) the pipeline encrypts.
    pub fn json(value: &'a dyn JsonBody, encrypted: &'a [&'a str]) -> Self {
        Body::Json { value, encrypted }
    }

    /// A `multipart/form-data` upload of `file`, with the operation's own `meta` fields.
    pub fn multipart(
        meta: Option<&'a dyn JsonBody>,
        file: &'a Upload,
        filename_in_meta: bool,
    ) -> Self {
        Body::Multipart {
            meta,
            file,
            filename_in_meta,
            digest: MetaDigest::Sha256,
        }
    }

    /// An upload whose `meta` carries another digest than `sha256` (no change to other
    /// bodies).
    #[must_use]
    pub fn with_digest(mut self, digest: MetaDigest<'a>) -> Self {
        if let Body::Multipart { digest: d, .. } = &mut self {
            *d = digest;
        }
        self
    }
}

impl std::fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::None => f.write_str("None"),
            Body::Json { encrypted, .. } => f
                .debug_struct("Json")
                .field("encrypted", encrypted)
                .finish_non_exhaustive(),
            Body::Multipart { file, .. } => f
                .debug_struct("Multipart")
                .field("file", file)
                .finish_non_exhaustive(),
        }
    }
}

/// What the pipeline encrypts or decrypts besides the body's own sensitive fields (敏感字段).
///
/// Query and header parameters listed here are written in plaintext by the caller; the pipeline
/// encrypts each value with the platform key (RSA-OAEP-SHA1, base64), the same key as the
/// body's sensitive fields, and names it in `Wechatpay-Serial`. Answer fields listed here are
/// encrypted by the platform with the merchant's public key; the pipeline decrypts them with
/// the merchant private key after verifying the answer, and before decoding it.
///
/// Built from [`Sensitive::NONE`] with the `with_…` methods (usable in constants), so that it
/// can gain a field without breaking generated code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sensitive<'a> {
    /// Wire names of the query parameters to encrypt.
    pub query: &'a [&'a str],
    /// Names of the headers to encrypt (compared without regard to case, as HTTP does).
    pub headers: &'a [&'a str],
    /// JSON pointers (RFC 6901; `*` matches every array element) of the answer fields to
    /// decrypt.
    pub answer: &'a [&'a str],
}

impl<'a> Sensitive<'a> {
    /// Nothing to encrypt or decrypt.
    pub const NONE: Sensitive<'static> = Sensitive {
        query: &[],
        headers: &[],
        answer: &[],
    };

    /// These query parameters (wire names) are encrypted.
    #[must_use]
    pub const fn with_query(self, query: &'a [&'a str]) -> Self {
        Sensitive { query, ..self }
    }

    /// These headers (names in any case) are encrypted.
    #[must_use]
    pub const fn with_headers(self, headers: &'a [&'a str]) -> Self {
        Sensitive { headers, ..self }
    }

    /// These answer fields (JSON pointers, `*` for every array element) are decrypted.
    #[must_use]
    pub const fn with_answer(self, answer: &'a [&'a str]) -> Self {
        Sensitive { answer, ..self }
    }

    /// Whether the query pair of this name is sensitive: names compare exactly. The pipeline
    /// encrypts, and `Debug` redacts, by this one rule.
    pub(crate) fn is_sensitive_query(&self, name: &str) -> bool {
        self.query.contains(&name)
    }

    /// Whether the header of this name is sensitive: names compare without regard to case.
    /// The pipeline encrypts, and `Debug` redacts, by this one rule.
    pub(crate) fn is_sensitive_header(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
    }
}

/// An operation's request, as data. Built by generated code (and by the generic call) with
/// [`Request::new`] and the `with_…` methods, so that a new per-request attribute is a new
/// field with a default and never breaks a generated crate; read only by the client's
/// pipeline. `Debug` shows sensitive parameters as `<redacted>`.
#[non_exhaustive]
pub struct Request<'a> {
    /// The spec's `operationId`, used in tracing spans and errors.
    pub id: &'a str,
    /// HTTP method.
    pub method: Method,
    /// The access point.
    pub host: Host,
    /// The path template, e.g. `/v3/papay/contracts/{contract_id}/fail-notify`.
    pub path: &'a str,
    /// The value of each `{name}` of the template, unencoded. The pipeline refuses values that
    /// would change the path's shape and percent-encodes the rest.
    pub path_params: Vec<(&'a str, Cow<'a, str>)>,
    /// Query pairs in order, unencoded; the pipeline encodes them once and signs what it sends.
    pub query: Vec<(&'a str, Cow<'a, str>)>,
    /// Extra request headers (never `Authorization`, `Accept`, `Content-Type`, `User-Agent` or
    /// `Wechatpay-Serial`: the pipeline owns those).
    pub headers: Vec<(HeaderName, Cow<'a, str>)>,
    /// The body.
    pub body: Body<'a>,
    /// The request must carry `Wechatpay-Serial` naming a platform key, even without encrypted
    /// fields.
    pub platform_serial: bool,
    /// What the platform answers on success.
    pub answer: Answer,
    /// Sensitive query and header parameters, and answer fields.
    pub sensitive: Sensitive<'a>,
    /// Sending it again cannot make the platform act twice, so a retry policy may repeat it.
    /// By default `true` for `GET`, `HEAD`, `PUT`, `DELETE` and `OPTIONS`, `false` for `POST` and
    /// `PATCH`; generated operations set what their spec's `x-wechatpay-idempotent` says.
    pub idempotent: bool,
}

impl<'a> Request<'a> {
    /// A request for `method` on the path template `path` of the mainland host, with no
    /// parameters, no body, nothing sensitive, and a signed JSON answer.
    pub fn new(id: &'a str, method: Method, path: &'a str) -> Self {
        Request {
            id,
            host: Host::Mainland,
            path,
            path_params: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::None,
            platform_serial: false,
            answer: Answer::Json,
            sensitive: Sensitive::NONE,
            idempotent: method != Method::POST && method != Method::PATCH,
            method,
        }
    }

    /// Served by `host`.
    #[must_use]
    pub fn with_host(mut self, host: Host) -> Self {
        self.host = host;
        self
    }

    /// The values of the path template's `{name}`s.
    #[must_use]
    pub fn with_path_params(mut self, params: Vec<(&'a str, Cow<'a, str>)>) -> Self {
        self.path_params = params;
        self
    }

    /// The query pairs, in order.
    #[must_use]
    pub fn with_query(mut self, query: Vec<(&'a str, Cow<'a, str>)>) -> Self {
        self.query = query;
        self
    }

    /// Extra request headers.
    #[must_use]
    pub fn with_headers(mut self, headers: Vec<(HeaderName, Cow<'a, str>)>) -> Self {
        self.headers = headers;
        self
    }

    /// The body.
    #[must_use]
    pub fn with_body(mut self, body: Body<'a>) -> Self {
        self.body = body;
        self
    }

    /// `Wechatpay-Serial` must name a platform key, even without encrypted fields.
    #[must_use]
    pub fn with_platform_serial(mut self) -> Self {
        self.platform_serial = true;
        self
    }

    /// What the platform answers on success.
    #[must_use]
    pub fn with_answer(mut self, answer: Answer) -> Self {
        self.answer = answer;
        self
    }

    /// The sensitive parameters and answer fields.
    #[must_use]
    pub fn with_sensitive(mut self, sensitive: Sensitive<'a>) -> Self {
        self.sensitive = sensitive;
        self
    }

    /// Whether sending it again cannot make the platform act twice, when the method's default
    /// is wrong for it (a `POST` whose merchant number makes a repeat safe).
    #[must_use]
    pub fn with_idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |sensitive: bool, value: &'_ str| -> String {
            match sensitive {
                true => "<redacted>".to_owned(),
                false => value.to_owned(),
            }
        };
        let query: Vec<_> = (self.query.iter())
            .map(|(k, v)| (*k, shown(self.sensitive.is_sensitive_query(k), v)))
            .collect();
        let headers: Vec<_> = (self.headers.iter())
            .map(|(k, v)| (k, shown(self.sensitive.is_sensitive_header(k.as_str()), v)))
            .collect();
        f.debug_struct("Request")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("host", &self.host)
            .field("path", &self.path)
            .field("path_params", &self.path_params)
            .field("query", &query)
            .field("headers", &headers)
            .field("body", &self.body)
            .field("platform_serial", &self.platform_serial)
            .field("answer", &self.answer)
            .field("sensitive", &self.sensitive)
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

/// A WeChat Pay API operation: generated from the spec, or the generic call of
/// `Client::chain`.
pub trait Operation {
    /// What a successful call returns: a model, `()` for `204`, or [`Bytes`] for downloads.
    type Output;

    /// The request, as data.
    fn request(&self) -> Request<'_>;

    /// Decodes a success body. Signed answers are verified before this is called, with one
    /// exception: a platform-certificate list whose signer is not held yet is decoded after its
    /// signature headers are checked and before its signature is, to find the listed
    /// certificate that signed it (see [`CertificateList`](crate::CertificateList)).
    fn decode(&self, body: &Bytes) -> Result<Self::Output, serde_json::Error>;
}
