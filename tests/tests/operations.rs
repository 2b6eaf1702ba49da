//! Every operation of `wechatpay-api` against the mock over real HTTP, async and blocking, with
//! what the platform must see on the wire: signatures, headers, hosts, encrypted fields.

mod common;

use common::*;
use wechatpay_api::hk_complaint_notifications::{
    CreateComplaintNotification, DeleteComplaintNotification, QueryComplaintNotification,
    UpdateComplaintNotification,
};
use wechatpay_api::{Error, Host, Hosts, Operation, PathError};
use wechatpay_mock::{LoggedRequest, MockPlatform};

/// What every request must carry, whichever client sent it.
fn assert_wire(mock: &MockPlatform, log: &[LoggedRequest]) {
    let creds = mock.credentials();
    for r in log {
        assert_eq!(
            r.status / 100,
            2,
            "{} {} answered {}",
            r.method,
            r.target,
            r.status
        );
        assert_eq!(r.header("Accept"), Some("application/json"));
        assert!(
            r.header("User-Agent").is_some_and(
                |ua| ua.starts_with("wechatpay-rust/") && ua.contains(std::env::consts::OS)
            ),
            "{:?}",
            r.header("User-Agent")
        );
        // Public-key mode: the key id on every request, as the official Go and Java SDKs do.
        assert_eq!(
            r.header("Wechatpay-Serial"),
            Some(creds.public_key_id.as_str())
        );
        let auth = r.header("Authorization").unwrap();
        assert!(
            auth.starts_with(&format!(
                "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"",
                creds.mchid
            )),
            "{auth}"
        );
        assert!(
            auth.ends_with(&format!("serial_no=\"{}\"", creds.merchant_serial)),
            "{auth}"
        );
        assert_eq!(
            r.header("Content-Type").is_some(),
            !r.body.is_empty(),
            "Content-Type only with a body: {}",
            r.target
        );
        assert!(
            !String::from_utf8_lossy(&r.body).contains("null"),
            "no nulls in bodies"
        );
    }
}

#[tokio::test]
async fn every_operation_async() {
    let mock = mock();
    let client = client(&mock);
    let a = client.execute(&audit()).await.unwrap();
    assert_eq!(a.data.ret_msg, "SUCCESS");
    assert!(a
        .request_id
        .as_deref()
        .is_some_and(|id| id.starts_with("mock-")));
    let r = client.execute(&recover()).await.unwrap();
    assert_eq!(r.data.wxpay_recover_no, "4200001234202510010000000001");
    let url = "https://www.xxx.com/notify";
    let c = client
        .execute(&CreateComplaintNotification::new(url))
        .await
        .unwrap();
    // The answer names the mock's own merchant, and echoes the URL given.
    assert_eq!(
        (c.data.mchid.as_str(), c.data.url.as_str()),
        (
            mock.credentials().mchid.as_str(),
            "https://www.xxx.com/notify"
        )
    );
    assert_eq!(
        client
            .execute(&QueryComplaintNotification)
            .await
            .unwrap()
            .data,
        c.data
    );
    assert_eq!(
        client
            .execute(&UpdateComplaintNotification::new(url))
            .await
            .unwrap()
            .data,
        c.data
    );
    let d = client.execute(&DeleteComplaintNotification).await.unwrap();
    assert_eq!((d.status, d.data), (204, ()));
    let p = client.execute(&papay()).await.unwrap();
    assert_eq!((p.status, p.data), (204, ()));
    let log = mock.requests();
    let seen: Vec<(String, String)> = log
        .iter()
        .map(|r| (r.method.clone(), r.operation_id.clone().unwrap()))
        .collect();
    assert_eq!(
        seen.iter()
            .map(|(m, id)| format!("{m} {id}"))
            .collect::<Vec<_>>(),
        [
            "POST notifyAuditResult",
            "POST recoverLedgerControl",
            "POST createComplaintNotification",
            "GET queryComplaintNotification",
            "PUT updateComplaintNotification",
            "DELETE deleteComplaintNotification",
            "POST notifyDeductionFailure"
        ]
    );
    assert_wire(&mock, &log);
}

#[test]
fn every_operation_blocking() {
    let mock = mock();
    let client = blocking_client(&mock);
    assert_eq!(client.execute(&audit()).unwrap().data.ret_msg, "SUCCESS");
    // The answer echoes the request's own number, not the example's.
    assert_eq!(
        client.execute(&recover()).unwrap().data.out_request_no,
        "R202611220001"
    );
    let url = "https://www.xxx.com/notify";
    assert_eq!(
        client
            .execute(&CreateComplaintNotification::new(url))
            .unwrap()
            .data
            .mchid,
        mock.credentials().mchid
    );
    assert_eq!(
        client
            .execute(&QueryComplaintNotification)
            .unwrap()
            .data
            .url,
        "https://www.xxx.com/notify"
    );
    assert_eq!(
        client
            .execute(&UpdateComplaintNotification::new(url))
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        client.execute(&DeleteComplaintNotification).unwrap().status,
        204
    );
    assert_eq!(client.execute(&papay()).unwrap().status, 204);
    let log = mock.requests();
    assert_eq!(log.len(), 7);
    assert_wire(&mock, &log);
}

#[tokio::test]
async fn bal_account_no_arrives_encrypted_and_decrypts_to_what_the_user_wrote() {
    let mock = mock();
    client(&mock).execute(&recover()).await.unwrap();
    let log = mock.requests();
    let sent: serde_json::Value = serde_json::from_slice(&log[0].body).unwrap();
    let wire = sent["bal_account_no"].as_str().unwrap();
    assert_ne!(wire, BAL_ACCOUNT_NO);
    assert!(
        !String::from_utf8_lossy(&log[0].body).contains("6222"),
        "the plaintext never travels"
    );
    assert_eq!(base64_len(wire), 256, "RSA-2048 OAEP ciphertext");
    assert_eq!(
        log[0].plaintext_body.as_ref().unwrap()["bal_account_no"],
        BAL_ACCOUNT_NO
    );
    assert_eq!(
        sent["recover_reason"], "资料已补齐",
        "other fields stay plaintext"
    );
    assert_eq!(
        log[0].header("Wechatpay-Serial"),
        Some(mock.credentials().public_key_id.as_str())
    );
}

fn base64_len(text: &str) -> usize {
    text.trim_end_matches('=').len() * 3 / 4
}

#[tokio::test]
async fn hong_kong_operations_go_to_the_hong_kong_host() {
    let mock = mock();
    let port = mock.base_url().rsplit(':').next().unwrap().to_owned();
    let hosts = Hosts {
        mainland: format!("http://127.0.0.1:{port}"),
        mainland_backup: format!("http://127.0.0.1:{port}"),
        hong_kong: format!("http://localhost:{port}"),
    };
    let client = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .hosts(hosts)
        .build()
        .unwrap();
    assert_eq!(QueryComplaintNotification.request().host, Host::HongKong);
    client.execute(&QueryComplaintNotification).await.unwrap();
    client.execute(&papay()).await.unwrap();
    let log = mock.requests();
    assert_eq!(
        log[0].header("host"),
        Some(format!("localhost:{port}").as_str())
    );
    assert_eq!(
        log[1].header("host"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
}

#[tokio::test]
async fn the_generic_chain_call_is_signed_and_verified_like_a_typed_one() {
    let mock = mock();
    let client = client(&mock);
    let none = client
        .chain("/v3/papay/contracts/{contract_id}/fail-notify")
        .param("contract_id", "123124412412423431")
        .post(serde_json::json!({"mchid": "1230000109", "appid": "wxd678efh567hg6787"}))
        .await
        .unwrap();
    assert_eq!((none.status, none.data), (204, None));
    let some = client
        .chain("/v3/global/merchant-service/complaint-notifications")
        .host(Host::HongKong)
        .get()
        .await
        .unwrap();
    assert_eq!(some.data.unwrap()["url"], "https://www.xxx.com/notify");
    // A missing `{param}` fails before anything is sent.
    let err = client
        .chain("/v3/papay/contracts/{contract_id}/fail-notify")
        .post(serde_json::json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Path { source: PathError::MissingParam { name, .. }, .. } if name == "contract_id"),
        "{err}"
    );
    assert_eq!(mock.requests().len(), 2);
    // Blocking twin.
    let blocking = std::thread::spawn({
        let creds = (
            mock.base_url().to_owned(),
            mock.credentials().client_builder(mock.base_url()).unwrap(),
        );
        move || {
            creds
                .1
                .build_blocking()
                .unwrap()
                .chain("/v3/global/merchant-service/complaint-notifications")
                .host(Host::HongKong)
                .delete()
        }
    })
    .join()
    .unwrap()
    .unwrap();
    assert_eq!((blocking.status, blocking.data), (204, None));
}

#[tokio::test]
async fn the_mock_rejects_bad_requests_with_typed_api_errors() {
    let mock = mock();
    let client = client(&mock);
    // Schema validation: enum, maxLength, required, each naming the field.
    let cases = [
        (
            serde_json::json!({"out_request_no": "x", "mchid": "1", "audit_result": "MAYBE"}),
            "body.audit_result",
        ),
        (
            serde_json::json!({"out_request_no": "x".repeat(65), "mchid": "1", "audit_result": "PASS"}),
            "body.out_request_no",
        ),
        (
            serde_json::json!({"mchid": "1", "audit_result": "PASS"}),
            "body.out_request_no",
        ),
    ];
    for (body, field) in cases {
        let err = client
            .chain("/v3/aggracct-bc/wb-channel/control-orders/info/update/result/notify")
            .post(body)
            .await
            .unwrap_err();
        let Error::Api(api) = err else {
            panic!("{err}")
        };
        assert_eq!((api.status, api.code.as_str()), (400, "PARAM_ERROR"));
        assert_eq!(api.detail.as_ref().unwrap()["field"], field);
        assert!(api.request_id.is_some() && !api.body.is_empty());
    }
    // Unknown path, unknown method.
    for (call, method) in [
        ("/v3/nothing/here", "GET"),
        ("/v3/papay/contracts/{c}/fail-notify", "DELETE"),
    ] {
        let chain = client.chain(call);
        let chain = if call.contains("{c}") {
            chain.param("c", "1")
        } else {
            chain
        };
        let err = if method == "GET" {
            chain.get().await
        } else {
            chain.delete().await
        }
        .unwrap_err();
        assert!(matches!(&err, Error::Api(e) if e.status == 404), "{err}");
    }
    // A merchant key the platform does not know: 401 SIGN_ERROR.
    let other = wechatpay_api::PrivateKey::generate(Default::default()).unwrap();
    let creds = mock.credentials();
    let impostor = wechatpay_api::Client::builder(wechatpay_api::Credentials::new(
        &creds.mchid,
        &creds.merchant_serial,
        other,
    ))
    .key_store(creds.key_store().unwrap())
    .base_url(mock.base_url())
    .build()
    .unwrap();
    let err = impostor.execute(&audit()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status == 401 && e.code == "SIGN_ERROR"),
        "{err}"
    );
    // A sensitive field with no key to encrypt it (only the APIv3 key, to download
    // certificates later): a typed error, nothing sent.
    let before = mock.requests().len();
    let keyless = wechatpay_api::Client::builder(creds.credentials().unwrap())
        .apiv3_key(creds.apiv3_key().unwrap())
        .base_url(mock.base_url())
        .build()
        .unwrap();
    assert!(matches!(
        keyless.execute(&recover()).await,
        Err(Error::NoPlatformKey { operation }) if operation == "recoverLedgerControl"
    ));
    assert_eq!(mock.requests().len(), before);
}

#[tokio::test(flavor = "current_thread")]
async fn the_mock_can_serve_on_the_callers_runtime() {
    // One thread runs both sides: the mock's tasks interleave with the client's.
    let mock = MockPlatform::builder().start_on_current_runtime().unwrap();
    let answer = client(&mock).execute(&audit()).await.unwrap();
    assert_eq!(answer.data.ret_msg, "SUCCESS");
    assert_eq!(mock.handling_time().0, 1);
    assert_eq!(
        mock.requests()[0].operation_id.as_deref(),
        Some("notifyAuditResult")
    );
}
