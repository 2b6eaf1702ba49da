//! The contract between generated code and the client: an operation is a sans-IO value that
//! says what to send (method, host, path, query, headers, body) and how to read the answer.
//! The client does all I/O, so async and blocking share one implementation per operation, and
//! responses are verified over their raw bytes before [`Operation::decode`] sees them.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method as sent on the wire and signed.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which WeChat Pay access point serves an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host {
    /// `https://api.mch.weixin.qq.com`, with `https://api2.mch.weixin.qq.com` as the backup.
    Mainland,
    /// `https://apihk.mch.weixin.qq.com` (cross-border: `/v3/global/*` and others).
    HongKong,
}

/// A WeChat Pay API operation, as generated from the spec (or built by hand, see
/// [`crate::GenericCall`]).
pub trait Operation {
    /// The JSON body type; `()` for operations without a body.
    type Body: serde::Serialize;
    /// What a successful call returns: a model, `()` for 204, or bytes for downloads.
    type Output;

    /// The spec's `operationId`; used in tracing spans and errors.
    fn id(&self) -> &str;
    /// HTTP method.
    fn method(&self) -> Method;
    /// The access point.
    fn host(&self) -> Host;
    /// The path with every parameter percent-encoded (see [`push_path_segment`]).
    fn path(&self) -> String;
    /// Query pairs, unencoded; the client encodes them once and signs what it sends.
    fn query(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// Extra request headers.
    fn headers(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// The body to serialize, if any.
    fn body(&self) -> Option<&Self::Body>;
    /// JSON pointers (`*` matches every array element) of the body fields to encrypt with the
    /// platform key before sending. The user writes them in plaintext.
    fn encrypted_fields(&self) -> &'static [&'static str] {
        &[]
    }
    /// The request must carry `Wechatpay-Serial` (the key used for encrypted fields).
    fn requires_platform_serial(&self) -> bool {
        false
    }
    /// Whether the platform signs the answer (downloads are not signed).
    fn signed_response(&self) -> bool {
        true
    }
    /// Whether sending the same request twice is safe; only then may the client retry it.
    fn idempotent(&self) -> bool {
        false
    }
    /// Decodes a verified success body. Never called with an unverified body.
    fn decode(&self, body: &[u8]) -> Result<Self::Output, serde_json::Error>;
}

/// Characters kept as they are in a path segment: RFC 3986 unreserved.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Appends one percent-encoded path segment. `/`, `?`, `#`, spaces and non-ASCII are encoded, so
/// a parameter can never change the shape of the path; case is kept as it is.
pub fn push_path_segment(path: &mut String, value: &str) {
    path.extend(utf8_percent_encode(value, SEGMENT));
}

/// Characters kept as they are in a query key or value.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes query pairs as `k=v&k=v`, the exact text that is sent and signed.
pub fn encode_query(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(k, QUERY));
        out.push('=');
        out.extend(utf8_percent_encode(v, QUERY));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded_and_keep_their_case() {
        let mut p = String::from("/v3/x/");
        push_path_segment(&mut p, "Ab/c d?é#");
        assert_eq!(p, "/v3/x/Ab%2Fc%20d%3F%C3%A9%23");
    }

    #[test]
    fn query_is_encoded_in_order() {
        let q = encode_query(&[("b".into(), "1 2".into()), ("a".into(), "x&y=z".into())]);
        assert_eq!(q, "b=1%202&a=x%26y%3Dz");
    }
}
