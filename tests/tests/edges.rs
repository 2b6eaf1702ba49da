//! Protocol edges end to end: 4-byte UTF-8 in bodies, decode errors that keep the raw body,
//! unsigned downloads, and answers signed by a key the client does not hold.

mod common;

use std::path::Path;

use common::*;
use std::borrow::Cow;

use wechatpay_api::operation::{Answer, Body, Method, Request};
use wechatpay_api::webank_audit_result::{
    AuditResult, NotifyAuditResult, NotifyAuditResultRequired,
};
use wechatpay_api::wechatpay_core::Bytes;
use wechatpay_api::{Error, Host, Operation, VerifyError};
use wechatpay_mock::MockPlatform;

#[tokio::test]
async fn emoji_in_a_body_is_refused_before_sending_and_by_the_platform() {
    let mock = mock();
    let client = client(&mock);
    let op = NotifyAuditResult::new(NotifyAuditResultRequired {
        out_request_no: "x".into(),
        mchid: "1900016681".into(),
        audit_result: AuditResult::Pass,
    })
    .with_attach_info("好评 👍");
    let err = client.execute(&op).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::UnsupportedCharacter {
                character: '👍',
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("U+1F44D"), "{err}");
    assert!(mock.requests().is_empty(), "nothing was sent");
    // 3-byte characters (Chinese) are fine.
    let ok = NotifyAuditResult::new(NotifyAuditResultRequired {
        out_request_no: "x".into(),
        mchid: "1900016681".into(),
        audit_result: AuditResult::Pass,
    })
    .with_attach_info("好评");
    client.execute(&ok).await.unwrap();
    // The mock enforces the rule too, for clients that do not check: sign and send by hand.
    let creds = mock.credentials();
    let body = r#"{"out_request_no":"x","mchid":"1","audit_result":"PASS","attach_info":"👍"}"#;
    let path = "/v3/aggracct-bc/wb-channel/control-orders/info/update/result/notify";
    let auth = creds
        .credentials()
        .unwrap()
        .authorization(
            "POST",
            path,
            body.as_bytes(),
            now(),
            &wechatpay_core::__private::nonce(),
        )
        .await
        .unwrap();
    let response = reqwest_post(&format!("{}{path}", mock.base_url()), &auth, body).await;
    assert_eq!(response.0, 400);
    assert!(
        response.1.contains("PARAM_ERROR") && response.1.contains("1–3-byte"),
        "{}",
        response.1
    );
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn reqwest_post(url: &str, auth: &str, body: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(url)
        .header("Authorization", auth)
        .header("Accept", "application/json")
        .header("User-Agent", "test")
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The audit-result endpoint, decoded into a shape its answer does not have.
struct WrongShape;

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Expected {
    required_but_absent: String,
}

/// A request with no parameters and no body.
fn plain_request<'a>(id: &'a str, method: Method, host: Host, path: &'a str) -> Request<'a> {
    Request::new(id, method, path).with_host(host)
}

impl Operation for WrongShape {
    type Output = Expected;
    fn request(&self) -> Request<'_> {
        plain_request(
            "wrongShape",
            Method::GET,
            Host::HongKong,
            "/v3/global/merchant-service/complaint-notifications",
        )
    }
    fn decode(&self, body: &Bytes) -> Result<Expected, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

#[tokio::test]
async fn a_verified_body_that_does_not_decode_keeps_the_raw_bytes_and_request_id() {
    let mock = mock();
    let err = client(&mock).execute(&WrongShape).await.unwrap_err();
    let Error::Decode {
        operation,
        body,
        request_id,
        source,
    } = err
    else {
        panic!("{err}")
    };
    assert_eq!(operation, "wrongShape");
    assert!(source.to_string().contains("required_but_absent"));
    assert!(body.text().contains("https://www.xxx.com/notify"));
    // `Debug` shows the body as text, which is what `main` prints on a failure.
    assert!(format!("{body:?}").contains("https://www.xxx.com/notify"));
    assert!(request_id.is_some());
}

/// `GET /v3/billdownload/file` of the generator's `responses` fixture, declared unsigned there.
struct DownloadBill;

impl Operation for DownloadBill {
    type Output = Bytes;
    fn request(&self) -> Request<'_> {
        plain_request(
            "downloadBill",
            Method::GET,
            Host::Mainland,
            "/v3/billdownload/file",
        )
        .with_query(vec![("token", Cow::Borrowed("t 1"))])
        .with_answer(Answer::Download)
    }
    fn decode(&self, body: &Bytes) -> Result<Bytes, serde_json::Error> {
        Ok(body.clone())
    }
}

#[tokio::test]
async fn unsigned_downloads_are_accepted_only_when_the_operation_says_so() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../generator/tests/fixtures/ok/responses");
    let mock = MockPlatform::builder().spec_dir(fixture).start().unwrap();
    let client = client(&mock);
    let bytes = client.execute(&DownloadBill).await.unwrap();
    assert_eq!(bytes.status, 200);
    assert_eq!(
        mock.requests()[0].target,
        "/v3/billdownload/file?token=t%201"
    );
    // The same answer through a call that expects a signature is refused: it really is unsigned.
    let err = client
        .chain("/v3/billdownload/file")
        .query("token", "t")
        .get()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Verify {
                source: VerifyError::MissingHeader(_),
                ..
            }
        ),
        "{err}"
    );
}

/// `POST /v3/accepted/jobs/{job_id}/start` of the generator's `accepted` fixture, which declares
/// `202` as its success.
struct StartJob(serde_json::Value);

impl Operation for StartJob {
    type Output = ();
    fn request(&self) -> Request<'_> {
        plain_request(
            "startJob",
            Method::POST,
            Host::Mainland,
            "/v3/accepted/jobs/{job_id}/start",
        )
        .with_path_params(vec![("job_id", Cow::Borrowed("J-1"))])
        .with_body(Body::json(&self.0, &[]))
        .with_answer(Answer::Accepted)
    }
    fn decode(&self, _: &Bytes) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

#[tokio::test]
async fn a_declared_202_is_success_and_any_other_202_is_an_error() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../generator/tests/fixtures/ok/accepted");
    let mock = MockPlatform::builder().spec_dir(fixture).start().unwrap();
    let client = client(&mock);
    let body = serde_json::json!({"mchid": "1900000001"});
    let accepted = client.execute(&StartJob(body.clone())).await.unwrap();
    assert_eq!((accepted.status, accepted.data), (202, ()));
    // The same answer to a call that does not declare it: "accepted, not processed".
    let err = client
        .chain("/v3/accepted/jobs/{job_id}/start")
        .param("job_id", "J-1")
        .post(body)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status == 202 && e.is_retryable()),
        "{err}"
    );
}
