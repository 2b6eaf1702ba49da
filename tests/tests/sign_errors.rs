//! A `SIGN_ERROR` explains itself: the mock answers a signature that does not verify as the
//! platform does (`detail.sign_information`: the message it rebuilt, its body cut short, and the
//! message's length), and the client names the first thing that differs from what it signed.
//! Each cause is provoked for real over HTTP: a transport that alters the request after it was
//! signed, or a key that is not the merchant's.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use wechatpay_api::transport::{Exchange, ReadPolicy, ReqwestTransport, Transport};
use wechatpay_api::{Bytes, Client, Credentials, Error, PrivateKey, SignMismatch};
use wechatpay_mock::MockPlatform;

/// A transport that changes each request after the client signed it.
#[derive(Debug)]
struct Alters(
    ReqwestTransport,
    fn(http::Request<Bytes>) -> http::Request<Bytes>,
);

impl Transport for Alters {
    fn send(&self, request: http::Request<Bytes>, policy: ReadPolicy) -> Exchange<'_> {
        self.0.send((self.1)(request), policy)
    }
}

fn altering_client(
    mock: &MockPlatform,
    alter: fn(http::Request<Bytes>) -> http::Request<Bytes>,
) -> Client {
    let transport = ReqwestTransport::new(Duration::from_secs(10), Duration::from_secs(1)).unwrap();
    mock.credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .transport(Arc::new(Alters(transport, alter)))
        .build()
        .unwrap()
}

fn mismatch(err: &Error) -> SignMismatch {
    match err {
        Error::Api(e) if e.code == "SIGN_ERROR" => {
            let information = &e.detail.as_ref().unwrap()["sign_information"];
            assert!(information["truncated_sign_message"].is_string(), "{e:?}");
            e.sign_mismatch
                .clone()
                .expect("the answer shows the rebuilt message")
        }
        other => panic!("not a SIGN_ERROR: {other:?}"),
    }
}

#[tokio::test]
async fn a_body_changed_after_signing_is_named_by_its_first_characters_or_its_length() {
    let mock = mock();
    // Re-encoded from its first character (a pretty-printing proxy).
    let client = altering_client(&mock, |request| {
        request.map(|body| {
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            Bytes::from(serde_json::to_vec_pretty(&value).unwrap())
        })
    });
    let err = client.execute(&audit()).await.unwrap_err();
    match mismatch(&err) {
        SignMismatch::Part {
            part,
            signed,
            rebuilt,
        } => {
            assert_eq!(part, "body");
            assert!(
                signed.starts_with('{') && rebuilt.starts_with("{\n"),
                "{signed:?} {rebuilt:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("another body than the one signed"),
        "{err}"
    );

    // Changed past the characters the platform shows: only the lengths tell.
    let client = altering_client(&mock, |request| {
        request.map(|body| {
            let mut longer = body.to_vec();
            longer.insert(longer.len() - 1, b' ');
            Bytes::from(longer)
        })
    });
    let err = client.execute(&audit()).await.unwrap_err();
    match mismatch(&err) {
        SignMismatch::Length { signed, rebuilt } => assert_eq!(rebuilt, signed + 1),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_url_changed_after_signing_is_named() {
    let mock = mock();
    let client = altering_client(&mock, |request| {
        let (mut parts, body) = request.into_parts();
        let uri = format!("{}?utm_source=proxy", parts.uri);
        parts.uri = uri.parse().unwrap();
        http::Request::from_parts(parts, body)
    });
    let err = client.execute(&audit()).await.unwrap_err();
    match mismatch(&err) {
        SignMismatch::Part {
            part,
            signed,
            rebuilt,
        } => {
            assert_eq!(part, "URL");
            assert_eq!(rebuilt, format!("{signed}?utm_source=proxy"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_key_that_is_not_the_merchants_is_named_when_the_message_matches() {
    let mock = mock();
    let creds = mock.credentials();
    let stranger = PrivateKey::generate(wechatpay_api::Backend::default()).unwrap();
    let client = Client::builder(Credentials::new(
        creds.mchid.clone(),
        creds.merchant_serial.clone(),
        stranger,
    ))
    .key_store(creds.key_store().unwrap())
    .base_url(mock.base_url())
    .build()
    .unwrap();
    let err = client.execute(&audit()).await.unwrap_err();
    assert_eq!(
        mismatch(&err),
        SignMismatch::Key {
            serial: creds.merchant_serial.clone()
        }
    );
    let text = err.to_string();
    assert!(
        text.starts_with("WeChat Pay error: HTTP 401 SIGN_ERROR"),
        "{text}"
    );
    assert!(text.contains("private key does not match"), "{text}");
}

/// A signer in another process, as a KMS or an HSM daemon would be: `openssl dgst -sha256
/// -sign`, awaited through `tokio::process`.
struct OpensslProcess {
    key: tempfile::NamedTempFile,
}

impl wechatpay_api::Signer for OpensslProcess {
    fn sign<'a>(&'a self, message: &'a [u8]) -> wechatpay_api::SignFuture<'a> {
        Box::pin(async move {
            use tokio::io::AsyncWriteExt as _;
            let failed = |e: std::io::Error| wechatpay_api::CryptoError::Signer(e.to_string());
            let mut child = tokio::process::Command::new("openssl")
                .args(["dgst", "-sha256", "-sign"])
                .arg(self.key.path())
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .map_err(failed)?;
            let mut stdin = child.stdin.take().expect("piped");
            stdin.write_all(message).await.map_err(failed)?;
            drop(stdin);
            let out = child.wait_with_output().await.map_err(failed)?;
            match out.status.success() {
                true => Ok(out.stdout),
                false => Err(wechatpay_api::CryptoError::Signer("openssl failed".into())),
            }
        })
    }
}

#[tokio::test]
async fn a_signer_in_another_process_signs_calls_and_payments() {
    let mock = wechatpay_mock::MockPlatform::builder()
        .mchid("1230000109")
        .start()
        .unwrap();
    let creds = mock.credentials();
    let mut key = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut key, creds.merchant_private_key_pem.as_bytes()).unwrap();
    let signer = Arc::new(OpensslProcess { key });
    let client = Client::builder(Credentials::with_signer(
        creds.mchid.clone(),
        creds.merchant_serial.clone(),
        signer,
    ))
    .key_store(creds.key_store().unwrap())
    .base_url(mock.base_url())
    .build()
    .unwrap();
    // The platform accepts what the other process signed.
    client.execute(&audit()).await.unwrap();
    assert!(mock.requests()[0].authenticated);
    // paySign too: the same lines a local key signs, verified with the merchant's public key.
    let pay = client
        .jsapi_payment("wxd678efh567hg6787", "wx201410272009395522657a690389285100")
        .await
        .unwrap();
    let message = format!(
        "{}\n{}\n{}\n{}\n",
        pay.app_id, pay.time_stamp, pay.nonce_str, pay.package
    );
    use base64::Engine as _;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(&pay.pay_sign)
        .unwrap();
    let public = wechatpay_api::PrivateKey::from_pem(&creds.merchant_private_key_pem)
        .unwrap()
        .public_key()
        .unwrap();
    assert!(public.verify_sha256(message.as_bytes(), &signature));
}

/// A signer that never answers, as a KMS behind a dead network.
struct Hangs;

impl wechatpay_api::Signer for Hangs {
    fn sign<'a>(&'a self, _: &'a [u8]) -> wechatpay_api::SignFuture<'a> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test(start_paused = true)]
async fn a_signer_that_never_answers_fails_the_call_after_max_signing_and_sends_nothing() {
    let mock = mock();
    let creds = mock.credentials();
    let client = Client::builder(Credentials::with_signer(
        creds.mchid.clone(),
        creds.merchant_serial.clone(),
        Arc::new(Hangs),
    ))
    .key_store(creds.key_store().unwrap())
    .base_url(mock.base_url())
    .build()
    .unwrap();
    // Time is paused: the 10 s pass at once once nothing else can run.
    let err = client.execute(&audit()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Crypto(wechatpay_api::CryptoError::Signer(why)) if why.contains("10 s")),
        "{err:?}"
    );
    assert!(mock.requests().is_empty(), "nothing was sent unsigned");
    assert_eq!(wechatpay_api::MAX_SIGNING, Duration::from_secs(10));
}
