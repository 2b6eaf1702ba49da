//! A notification as captured: an HTTP request's text (an optional request line, headers, an
//! empty line, the body), or the headers alone followed by the body. Read with limits: it comes
//! from outside.

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::Failure;

/// The most a notification file may hold (1 MiB); WeChat Pay's notifications are a few KiB.
pub(crate) const MAX_NOTIFICATION_BYTES: usize = 1 << 20;

/// Splits a captured request into its headers and body. Lines may end in `\r\n` or `\n`.
pub(crate) fn parse(text: &[u8]) -> Result<(HeaderMap, Vec<u8>), Failure> {
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
    // A body captured with its line break keeps it: the signature covers the bytes sent,
    // which WeChat Pay ends without one.
    let body = body
        .strip_suffix(b"\r\n")
        .or_else(|| body.strip_suffix(b"\n"))
        .unwrap_or(body);
    Ok((headers, body.to_vec()))
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
        let (headers, body) = parse(text).unwrap();
        assert_eq!(headers["wechatpay-serial"], "PUB_KEY_ID_1");
        assert_eq!(headers["wechatpay-nonce"], "abc");
        assert_eq!(body, b"{\"id\":\"1\"}");
    }

    #[test]
    fn headers_alone_then_the_body_with_bare_line_feeds() {
        let (headers, body) = parse(b"Wechatpay-Timestamp: 1\n\n{}").unwrap();
        assert_eq!(headers["wechatpay-timestamp"], "1");
        assert_eq!(body, b"{}");
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
