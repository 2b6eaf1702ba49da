//! Shared set-up for the end-to-end tests: a mock, clients for it, request values, and a
//! notification receiver over real HTTP.
#![allow(dead_code)]

use std::sync::Arc;

use wechatpay_api::papay::{NotifyDeductionFailure, NotifyDeductionFailureRequired};
use wechatpay_api::time::format_description::well_known::Rfc3339;
use wechatpay_api::time::OffsetDateTime;
use wechatpay_api::webank_audit_result::{
    AuditResult, NotifyAuditResult, NotifyAuditResultRequired,
};
use wechatpay_api::webank_recover::{RecoverLedgerControl, RecoverLedgerControlRequired};
use wechatpay_api::{
    Client, Notification, NotificationAnswer, NotificationError, NotificationHandler,
};
use wechatpay_mock::MockPlatform;

/// The workspace's root folder.
pub fn workspace() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub const BAL_ACCOUNT_NO: &str = "6222 0000 1111 2222 台账";

pub fn mock() -> MockPlatform {
    MockPlatform::start().expect("the mock starts")
}

pub fn client(mock: &MockPlatform) -> Client {
    mock.credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .build()
        .unwrap()
}

/// A client with the APIv3 key and no trust anchor yet: it must download the certificates.
pub fn certificate_mode_client(mock: &MockPlatform) -> Client {
    let creds = mock.credentials();
    Client::builder(creds.credentials().unwrap())
        .apiv3_key(creds.apiv3_key().unwrap())
        .base_url(mock.base_url())
        .build()
        .unwrap()
}

/// A client holding only the mock's platform certificate (as if downloaded earlier), and its key
/// store.
pub fn client_trusting_certificate(mock: &MockPlatform) -> (Client, wechatpay_api::KeyStore) {
    let creds = mock.credentials();
    let keys = wechatpay_api::KeyStore::new();
    let cert = wechatpay_api::Certificate::from_pem(&creds.platform_certificate_pem).unwrap();
    keys.add_certificate(&cert).unwrap();
    let client = Client::builder(creds.credentials().unwrap())
        .key_store(keys.clone())
        .apiv3_key(creds.apiv3_key().unwrap())
        .base_url(mock.base_url())
        .build()
        .unwrap();
    (client, keys)
}

pub fn blocking_client(mock: &MockPlatform) -> wechatpay_api::blocking::Client {
    mock.credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .build_blocking()
        .unwrap()
}

/// The audit result's finish time, in WeChat Pay's `+08:00` form.
pub const AUDIT_FINISH_TIME: &str = "2015-05-20T13:29:35+08:00";

pub fn audit() -> NotifyAuditResult {
    NotifyAuditResult::new(NotifyAuditResultRequired {
        out_request_no: "htozr8denqegbt6tk6u10iymo7yww5pn".into(),
        mchid: "1900016681".into(),
        audit_result: AuditResult::Pass,
    })
    .with_audit_finish_time(OffsetDateTime::parse(AUDIT_FINISH_TIME, &Rfc3339).unwrap())
    .with_attach_info("updateidcard")
    .with_fail_code("1001")
    .with_fail_msg("IDCARD_ILLEGAL")
}

pub fn recover() -> RecoverLedgerControl {
    RecoverLedgerControl::new(RecoverLedgerControlRequired {
        out_request_no: "R202611220001".into(),
        related_webank_punish_no: "WB-P-1".into(),
        related_wxpay_punish_no: "WX-P-1".into(),
        mchid: "1900016681".into(),
        bal_account_no: BAL_ACCOUNT_NO.into(),
    })
    .with_recover_reason("资料已补齐")
}

pub fn papay() -> NotifyDeductionFailure {
    NotifyDeductionFailure::new(NotifyDeductionFailureRequired {
        contract_id: "123124412412423431".into(),
        mchid: "1230000109".into(),
        appid: "wxd678efh567hg6787".into(),
    })
}

/// Serves notifications on loopback like a merchant endpoint: verifies the raw bytes, answers
/// as WeChat Pay expects, and hands each parse result to the test.
pub async fn receiver(
    handler: NotificationHandler,
) -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<Result<Notification, NotificationError>>,
) {
    use http_body_util::BodyExt as _;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = handler.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let handler = handler.clone();
                        let tx = tx.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let raw = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let parsed = handler.parse(&parts.headers, &raw);
                            let answer = match &parsed {
                                Ok(_) => NotificationAnswer::success(),
                                Err(e) => NotificationAnswer::failure(&e.to_string()),
                            };
                            let _ = tx.send(parsed);
                            hyper::Response::builder()
                                .status(answer.status)
                                .body(http_body_util::Full::new(bytes::Bytes::from(answer.body)))
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, rx)
}

/// How many times the mock was asked for the platform certificates.
pub fn certificate_downloads(mock: &MockPlatform) -> usize {
    (mock.requests().iter())
        .filter(|r| r.target == "/v3/certificates")
        .count()
}

/// Waits (10 s at most) until the mock was asked for the platform certificates `count` times;
/// returns how many times it was.
pub async fn wait_for_certificate_downloads(mock: &MockPlatform, count: usize) -> usize {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while certificate_downloads(mock) < count && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    certificate_downloads(mock)
}
