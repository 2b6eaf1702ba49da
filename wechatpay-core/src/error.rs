//! The error types. One `#[non_exhaustive]` enum, [`Error`], for everything a call can return;
//! smaller enums for keys, crypto and verification that it wraps. No variant ever holds a secret.

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
}

/// A response or notification failed verification. The body must not be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A `Wechatpay-*` header is missing.
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    /// No key with this serial: fetch platform certificates or configure the public key.
    #[error("no key with serial `{0}`: configure that WeChat Pay public key or refresh the platform certificates")]
    UnknownSerial(String),
    /// The timestamp is more than 300 s away from the local clock.
    #[error("the timestamp {timestamp} is {skew} s away from the local clock (at most 300 s allowed): a replay, or a wrong clock")]
    StaleTimestamp {
        /// The message's timestamp.
        timestamp: i64,
        /// Its distance from now, in seconds.
        skew: i64,
    },
    /// The timestamp is not a number.
    #[error("the `Wechatpay-Timestamp` header `{0}` is not a unix time")]
    BadTimestamp(String),
    /// The signature does not match the message.
    #[error("the signature does not match: the message was altered or signed with another key")]
    BadSignature,
    /// A `WECHATPAY/SIGNTEST/` probe: WeChat Pay checking that signatures are verified. The call
    /// itself may have succeeded: re-query its state rather than blindly repeating it.
    #[error("a WECHATPAY/SIGNTEST/ probe signature: the platform is testing verification; re-query the result instead of retrying")]
    SignTestProbe,
}

/// An error answer from WeChat Pay (4xx/5xx): `{code, message, detail}` plus the context
/// support will ask for.
#[derive(Debug, Clone, PartialEq)]
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
    pub body: Vec<u8>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {}: {}", self.status, self.code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (Request-ID {id})")?;
        }
        Ok(())
    }
}

impl ApiError {
    /// Whether repeating the same request later may succeed (429, 5xx, and 202 "accepted but
    /// not processed").
    pub fn is_retryable(&self) -> bool {
        self.status == 202 || self.status == 429 || self.status >= 500
    }
}

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// WeChat Pay answered with an error.
    #[error("WeChat Pay error: {0}")]
    Api(Box<ApiError>),
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
    #[error("transport error calling {operation}: {source}")]
    Transport {
        /// The operation id.
        operation: String,
        /// The reqwest error.
        #[source]
        source: reqwest::Error,
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
        body: Vec<u8>,
        /// The `Request-ID` header, if any.
        request_id: Option<String>,
    },
    /// A key could not be loaded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Encryption, decryption or signing failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The client is not configured for this call.
    #[error("configuration error: {0}")]
    Config(String),
}

impl Error {
    /// The `Request-ID` of the answer, where there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id.as_deref(),
            Error::Verify { request_id, .. } | Error::Decode { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }
}
