//! Every variant of `Error` that a call can produce, each provoked for real and matched by name:
//! configuration mistakes are refused before anything is sent, and hostile answers (redirects,
//! oversized or unsigned bodies, mislabelled certificates) are refused when they arrive.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use wechatpay_api::certificates::DownloadCertificates;
use wechatpay_api::operation::{Answer, Body, HeaderName, Method, Request};
use wechatpay_api::transport::ReqwestTransport;
use wechatpay_api::wechatpay_core::{Bytes, TransportError, TransportErrorKind};
use wechatpay_api::{
    ApiV3Key, Client, Error, Host, KeyError, Limits, Operation, PathError, PrivateKey, VerifyError,
};
use wechatpay_mock::{Fault, MockPlatform, TrustMode};

/// A loopback server that answers every request with `answer` (raw HTTP/1.1) and counts the
/// requests it received. With `hold`, it keeps the connection open after answering.
async fn canned(answer: &'static str, hold: bool) -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = vec![0; 65536];
                let mut head = Vec::new();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = stream.write_all(answer.as_bytes()).await;
                if hold {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
            });
        }
    });
    (url, seen)
}

fn client_at(mock: &MockPlatform, url: &str) -> Client {
    mock.credentials()
        .client_builder(url)
        .unwrap()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_redirect_is_an_error_and_is_never_followed() {
    let mock = mock();
    let (target, followed) = canned("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", false).await;
    let answer: &'static str = Box::leak(
        format!("HTTP/1.1 307 Temporary Redirect\r\nlocation: {target}/v3/elsewhere\r\nrequest-id: r-1\r\ncontent-length: 0\r\n\r\n")
            .into_boxed_str(),
    );
    let (url, seen) = canned(answer, false).await;
    let err = client_at(&mock, &url).execute(&audit()).await.unwrap_err();
    let Error::Redirect {
        status,
        location,
        request_id,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*status, 307);
    assert_eq!(
        location.as_deref(),
        Some(&*format!("{target}/v3/elsewhere"))
    );
    assert_eq!(request_id.as_deref(), Some("r-1"));
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    assert_eq!(
        followed.load(Ordering::SeqCst),
        0,
        "the signed request went nowhere else"
    );
}

#[tokio::test]
async fn an_answer_over_the_limit_is_refused() {
    let mock = mock();
    let client = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .limits(Limits {
            answer: 8,
            ..Limits::default()
        })
        .build()
        .unwrap();
    let err = client.execute(&audit()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { source, .. } if source.kind() == TransportErrorKind::TooLarge { limit: 8 }),
        "{err}"
    );
    // The same call within the default limit succeeds.
    assert!(common::client(&mock).execute(&audit()).await.is_ok());
}

#[tokio::test]
async fn a_signed_operation_without_signature_headers_fails_without_reading_the_body() {
    let mock = mock();
    // Announces a megabyte and never sends it: reading the body would time out instead.
    let (url, _) = canned(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n{",
        true,
    )
    .await;
    let err = client_at(&mock, &url).execute(&audit()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Verify {
                source: VerifyError::MissingHeader("Wechatpay-Signature"),
                ..
            }
        ),
        "{err}"
    );
}

/// A body whose serialization fails.
struct Unserializable;

impl serde::Serialize for Unserializable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("this value cannot be JSON"))
    }
}

struct PostUnserializable(Unserializable);

impl Operation for PostUnserializable {
    type Output = ();
    fn request(&self) -> Request<'_> {
        Request::new("postUnserializable", Method::POST, "/v3/x")
            .with_body(Body::json(&self.0, &[]))
            .with_answer(Answer::Empty)
    }
    fn decode(&self, _: &Bytes) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

#[tokio::test]
async fn configuration_and_request_mistakes_are_typed_and_nothing_is_sent() {
    let mock = mock();
    let client = client(&mock);
    let err = client
        .execute(&PostUnserializable(Unserializable))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Serialize { operation, source } if operation == "postUnserializable" && source.to_string().contains("cannot be JSON")),
        "{err}"
    );
    // Headers the client owns cannot be set by a caller, and values must be HTTP text.
    let err = client
        .chain("/v3/global/merchant-service/complaint-notifications")
        .host(Host::HongKong)
        .header(
            http::header::AUTHORIZATION,
            "WECHATPAY2-SHA256-RSA2048 forged",
        )
        .get()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Header { name, reason, .. } if name == "authorization" && reason.contains("client sets")),
        "{err}"
    );
    // So are the transport's: framing and routing.
    for (name, value) in [
        (http::header::HOST, "evil.example"),
        (http::header::CONTENT_LENGTH, "0"),
        (http::header::TRANSFER_ENCODING, "chunked"),
        (http::header::CONNECTION, "close"),
    ] {
        let err = client
            .chain("/v3/global/merchant-service/complaint-notifications")
            .header(name.clone(), value)
            .get()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Header { name: n, reason, .. } if *n == name.as_str() && reason.contains("client sets")),
            "{err}"
        );
    }
    let err = client
        .chain("/v3/global/merchant-service/complaint-notifications")
        .header(HeaderName::from_static("x-note"), "two\nlines")
        .get()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Header { name, .. } if name == "x-note"),
        "{err}"
    );
    assert!(mock.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_client_that_could_verify_nothing_is_refused_when_built() {
    let mock = mock();
    let creds = mock.credentials();
    let err = Client::builder(creds.credentials().unwrap())
        .base_url(mock.base_url())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::NoTrustAnchor), "{err}");
    assert!(err.to_string().contains("add_public_key"), "{err}");
    // Any one anchor is enough.
    assert!(Client::builder(creds.credentials().unwrap())
        .key_store(creds.key_store().unwrap())
        .build()
        .is_ok());
}

#[tokio::test]
async fn invalid_base_urls_are_refused_when_built() {
    let mock = mock();
    for url in [
        "not a url",
        "ftp://127.0.0.1",
        "http://user@127.0.0.1",
        "http://127.0.0.1/prefix",
        "http://127.0.0.1?x=1",
        "127.0.0.1:8080",
    ] {
        let err = mock
            .credentials()
            .client_builder(url)
            .unwrap()
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidBaseUrl { url: u, .. } if u == url),
            "{url}: {err}"
        );
    }
}

#[tokio::test]
async fn what_needs_the_apiv3_key_says_so() {
    let mock = mock();
    let creds = mock.credentials();
    let client = Client::builder(creds.credentials().unwrap())
        .key_store(creds.key_store().unwrap())
        .base_url(mock.base_url())
        .build()
        .unwrap();
    assert!(matches!(
        client.notification_handler(),
        Err(Error::MissingApiV3Key { needed_for }) if needed_for.contains("notifications")
    ));
    assert!(matches!(
        client.refresh_certificates(&DownloadCertificates).await,
        Err(Error::MissingApiV3Key { needed_for }) if needed_for.contains("certificates")
    ));
}

#[tokio::test]
async fn a_certificate_listed_under_another_serial_is_refused() {
    let mock = MockPlatform::builder()
        .trust(TrustMode::Certificates)
        .fault(Fault::CertificateSerialMismatch)
        .start()
        .unwrap();
    let creds = mock.credentials();
    // A refresh: the list is signed by a certificate already held, so it verifies; its entry
    // carries a serial that is not the certificate's own.
    let (client, keys) = client_trusting_certificate(&mock);
    let err = client
        .refresh_certificates(&DownloadCertificates)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::CertificateSerialMismatch { listed, actual } if listed == &"0".repeat(40) && actual == &creds.platform_certificate_serial),
        "{err}"
    );
    assert_eq!(
        keys.serials(),
        std::slice::from_ref(&creds.platform_certificate_serial),
        "nothing else stored"
    );
}

#[test]
fn key_and_crypto_errors_convert_into_error() {
    fn load(pem: &str) -> Result<PrivateKey, Error> {
        Ok(PrivateKey::from_pem(pem)?)
    }
    assert!(matches!(
        load("not a key"),
        Err(Error::Key(KeyError::NotPem(_)))
    ));
    fn decrypt(key: &PrivateKey) -> Result<(), Error> {
        key.decrypt_field("AAAA")?;
        Ok(())
    }
    let key = PrivateKey::generate(Default::default()).unwrap();
    assert!(matches!(decrypt(&key), Err(Error::Crypto(_))));
    assert!(ApiV3Key::new("short").is_err());
}

#[test]
fn the_http_client_error_names_its_cause() {
    // Building reqwest's client fails only when its TLS backend cannot start, which a test
    // cannot provoke; the variant is checked for what it prints.
    let err = Error::HttpClient(Box::new(TransportError::new(
        TransportErrorKind::Other,
        "no TLS backend",
    )));
    assert!(matches!(&err, Error::HttpClient(_)));
    assert!(err.to_string().contains("no TLS backend"), "{err}");
    // The default transport builds.
    assert!(ReqwestTransport::new(Duration::from_secs(1), Duration::from_secs(1)).is_ok());
}

#[tokio::test]
async fn the_path_that_is_signed_is_the_path_that_is_sent() {
    let mock = mock();
    let client = client(&mock);
    // Dot and empty segments would be normalised away by URL parsers: refused, not encoded.
    for value in ["..", ".", ""] {
        let op = wechatpay_api::papay::NotifyDeductionFailure::new(
            wechatpay_api::papay::NotifyDeductionFailureRequired {
                contract_id: value.into(),
                mchid: "1230000109".into(),
                appid: "wx1".into(),
            },
        );
        let err = client.execute(&op).await.unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Path {
                    source: PathError::DotOrEmptySegment { .. },
                    ..
                }
            ),
            "{value:?}: {err}"
        );
    }
    // Templates that would change the host, the query or the fragment.
    for template in [
        "@127.0.0.1:1/v3/x",
        "v3/x",
        "/v3/x?y=1",
        "/v3/x#f",
        "/v3/../x",
    ] {
        let err = client.chain(template).get().await.unwrap_err();
        assert!(matches!(&err, Error::Path { .. }), "{template}: {err}");
    }
    assert!(mock.requests().is_empty(), "nothing was sent");
    // A value with every reserved character is sent exactly as signed (the mock checks the
    // signature over the target it received).
    let op = wechatpay_api::papay::NotifyDeductionFailure::new(
        wechatpay_api::papay::NotifyDeductionFailureRequired {
            contract_id: "a/b?c#d%2e..".into(),
            mchid: "1230000109".into(),
            appid: "wx1".into(),
        },
    );
    client.execute(&op).await.unwrap();
    assert_eq!(
        mock.requests()[0].target,
        "/v3/papay/contracts/a%2Fb%3Fc%23d%252e../fail-notify"
    );
}

#[tokio::test]
async fn errors_read_root_cause_first_and_tell_a_proxy_from_the_platform() {
    let mock = mock();
    // Nothing listens: the first line says so, not five levels down `source()`.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let err = client_at(&mock, &url).execute(&audit()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("calling "), "{text}");
    assert!(text.contains("could not connect: "), "{text}");
    assert!(text.to_lowercase().contains("refused"), "{text}");
    assert_eq!(err.api_code(), None);

    // A captive portal's HTML 404 is not reported as a WeChat Pay error.
    let (portal, _) = canned(
        "HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: 22\r\nconnection: close\r\n\r\n<h1>Please log in</h1>",
        false,
    )
    .await;
    let err = client_at(&mock, &portal)
        .execute(&audit())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("HTTP 404 from something that is not WeChat Pay"),
        "{err}"
    );
    assert!(
        matches!(&err, Error::Api(e) if !e.is_from_platform()),
        "{err:?}"
    );
    assert_eq!(err.api_code(), None);

    // The platform's own refusal names its code, and `api_code` matches on it.
    let mock = wechatpay_mock::MockPlatform::builder()
        .mchid("1230000109")
        .start()
        .unwrap();
    let query = wechatpay_api::pay_transactions::QueryOrderByOutTradeNo::new(
        wechatpay_api::pay_transactions::QueryOrderByOutTradeNoRequired {
            out_trade_no: "NEVER-PLACED".into(),
            mchid: "1230000109".into(),
        },
    );
    let err = client(&mock).execute(&query).await.unwrap_err();
    assert_eq!(err.api_code(), Some("ORDER_NOT_EXIST"));
    assert!(
        err.to_string()
            .starts_with("WeChat Pay error: HTTP 404 ORDER_NOT_EXIST"),
        "{err}"
    );
}
