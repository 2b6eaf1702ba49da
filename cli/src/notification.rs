//! A notification as captured: an HTTP request's text (an optional request line, headers, an
//! empty line, the body), or the headers alone followed by the body. Read with limits: it comes
//! from outside.

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::Failure;

/// The most a notification file may hold (1 MiB); WeChat Pay's notifications are a few KiB.
pub(crate) const MAX_NOTIFICATION_BYTES: usize = 1 << 20;

/// A captured request's headers and body.
pub(crate) struct Captured {
    pub(crate) headers: HeaderMap,
    /// The body: exactly `Content-Length` bytes when the capture names it, otherwise all that
    /// follows the empty line.
    pub(crate) body: Vec<u8>,
    /// Whether the body's length is known (`Content-Length`): otherwise a line break a
    /// capture may have added after it is a guess, for the caller to try without.
    pub(crate) exact: bool,
}

impl Captured {
    /// The body without one trailing line break, when its length was not given and it ends
    /// with one: what to verify if the body as captured fails (a signature covers the bytes
    /// sent, which may or may not have ended with the line break).
    pub(crate) fn without_trailing_line_break(&self) -> Option<&[u8]> {
        if self.exact {
            return None;
        }
        (self.body.strip_suffix(b"\r\n")).or_else(|| self.body.strip_suffix(b"\n"))
    }
}

/// Splits a captured request into its headers and body. Lines may end in `\r\n` or `\n`.
pub(crate) fn parse(text: &[u8]) -> Result<Captured, Failure> {
    if text.len() > MAX_NOTIFICATION_BYTES {
        return Err(Failure::usage(format!(
            "the notification is larger than {MAX_NOTIFICATION_BYTES} bytes"
        )));
    }
    let (head, body) = split_head(text).ok_or_else(|| {
        Failure::usage(
            "expected the request's headers, an empty line, then the body (a captured HTTP request)",
        )
    })?;
    let head = std::str::from_utf8(head)
        .map_err(|_| Failure::usage("the notification's headers are not UTF-8"))?;
    let mut headers = HeaderMap::new();
    for (number, line) in head.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        // A request line (`POST /notify HTTP/1.1`) may come first.
        if number == 0 && line.contains(" HTTP/") {
            continue;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| {
            Failure::usage(format!("header line {} is not `Name: value`", number + 1))
        })?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
            Failure::usage(format!("header line {} has an invalid name", number + 1))
        })?;
        let value = HeaderValue::from_str(value.trim()).map_err(|_| {
            Failure::usage(format!("header line {} has an invalid value", number + 1))
        })?;
        headers.append(name, value);
    }
    let length = match headers.get(http::header::CONTENT_LENGTH) {
        None => None,
        Some(value) => Some(
            (value.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok())
                .ok_or_else(|| Failure::usage("Content-Length is not a number"))?,
        ),
    };
    match length {
        Some(n) if n > body.len() => Err(Failure::usage(format!(
            "Content-Length says {n} bytes and the body has {}",
            body.len()
        ))),
        Some(n) => Ok(Captured {
            headers,
            body: body[..n].to_vec(),
            exact: true,
        }),
        None => Ok(Captured {
            headers,
            body: body.to_vec(),
            exact: false,
        }),
    }
}

/// The head and the body, at the first empty line.
fn split_head(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let crlf = find(text, b"\r\n\r\n").map(|i| (i, 4));
    let lf = find(text, b"\n\n").map(|i| (i, 2));
    let (at, len) = match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    Some((&text[..at], &text[at + len..]))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_captured_request_gives_its_headers_and_exact_body() {
        let text = b"POST /notify HTTP/1.1\r\nWechatpay-Serial: PUB_KEY_ID_1\r\nWechatpay-Nonce: abc\r\n\r\n{\"id\":\"1\"}\r\n";
        let captured = parse(text).unwrap();
        assert_eq!(captured.headers["wechatpay-serial"], "PUB_KEY_ID_1");
        assert_eq!(captured.headers["wechatpay-nonce"], "abc");
        // Without a length the body is kept as captured, and the guess without the line
        // break is offered.
        assert_eq!(captured.body, b"{\"id\":\"1\"}\r\n");
        assert_eq!(
            captured.without_trailing_line_break(),
            Some(&b"{\"id\":\"1\"}"[..])
        );
        // With one, exactly that many bytes, a body ending in a line break included.
        let sized = parse(b"Content-Length: 3\n\n{}\n\n").unwrap();
        assert_eq!((sized.body.as_slice(), sized.exact), (&b"{}\n"[..], true));
        assert_eq!(sized.without_trailing_line_break(), None);
        assert!(parse(b"Content-Length: 9\n\n{}").is_err());
        assert!(parse(b"Content-Length: x\n\n{}").is_err());
    }

    #[test]
    fn headers_alone_then_the_body_with_bare_line_feeds() {
        let captured = parse(b"Wechatpay-Timestamp: 1\n\n{}").unwrap();
        assert_eq!(captured.headers["wechatpay-timestamp"], "1");
        assert_eq!(captured.body, b"{}");
        assert_eq!(captured.without_trailing_line_break(), None);
    }

    #[test]
    fn malformed_input_is_refused_with_the_line() {
        let Err(Failure::Usage(text)) = parse(b"{\"id\":1}") else {
            panic!("a body without headers must be refused");
        };
        assert!(text.contains("empty line"), "{text}");
        let Err(Failure::Usage(text)) = parse(b"Bad header line\n\n{}") else {
            panic!("a header without a colon must be refused");
        };
        assert!(text.contains("line 1"), "{text}");
        let big = vec![b'a'; MAX_NOTIFICATION_BYTES + 1];
        assert!(matches!(parse(&big), Err(Failure::Usage(_))));
    }
}
