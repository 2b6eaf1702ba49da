//! 商用密码 end to end (feature `shangmi`): a merchant on an SM2 key against a platform on SM2
//! keys, over real HTTP. Requests are signed `WECHATPAY2-SM2-WITH-SM3`, answers verified with
//! the platform's SM2 key, sensitive fields SM2-encrypted and notifications `AEAD_SM4_GCM`. The
//! primitives are cross-checked with openssl in `wechatpay-core/tests/shangmi.rs`.

use wechatpay_api::pay_transactions::{
    Amount, JsapiPrepay, JsapiPrepayRequired, Payer, QueryOrderByOutTradeNo,
    QueryOrderByOutTradeNoRequired, TradeState,
};
use wechatpay_api::transfer_bills::{
    CreateTransferBill, CreateTransferBillRequired, TransferSceneReportInfo,
    TransferSceneReportInfoRequired,
};
use wechatpay_api::{Client, Credentials, Error, PrivateKey};
use wechatpay_mock::{Fault, MockPlatform};

fn platform() -> MockPlatform {
    MockPlatform::builder().shangmi().start().unwrap()
}

fn client(mock: &MockPlatform) -> Client {
    let creds = mock.credentials();
    creds
        .client_builder(mock.base_url())
        .unwrap()
        .build()
        .unwrap()
}

fn order(mock: &MockPlatform, out_trade_no: &str) -> JsapiPrepay {
    JsapiPrepay::new(JsapiPrepayRequired {
        appid: "wxd678efh567hg6787".into(),
        mchid: mock.credentials().mchid.clone(),
        description: "SM2".into(),
        out_trade_no: out_trade_no.into(),
        notify_url: "https://example.com/notify".into(),
        amount: Amount::new(100),
        payer: Payer::new("o-sm2"),
    })
}

#[tokio::test]
async fn an_sm2_merchant_pays_queries_and_reads_the_notification() {
    let mock = platform();
    let client = client(&mock);
    assert!(mock
        .credentials()
        .merchant_private_key_pem
        .contains("PRIVATE KEY"));
    let placed = client.execute(&order(&mock, "SM2-ORDER-1")).await.unwrap();
    assert!(!placed.data.prepay_id.is_empty());
    let sent = mock.last_request("jsapiPrepay").unwrap();
    let authorization = sent.header("Authorization").unwrap();
    assert!(
        authorization.starts_with("WECHATPAY2-SM2-WITH-SM3 mchid="),
        "{authorization}"
    );
    // The JSAPI parameters say `signType: RSA`: an SM2 signature is refused, not mislabelled.
    let jsapi = client
        .jsapi_payment("wxd678efh567hg6787", &placed.data.prepay_id)
        .await;
    assert!(
        matches!(
            jsapi,
            Err(Error::Crypto(wechatpay_api::CryptoError::NotRsa))
        ),
        "{jsapi:?}"
    );

    // The answer is verified with the platform's SM2 key: a tampered one is refused.
    mock.fault_next(Fault::TamperedBody);
    let query = QueryOrderByOutTradeNo::new(QueryOrderByOutTradeNoRequired {
        out_trade_no: "SM2-ORDER-1".into(),
        mchid: mock.credentials().mchid.clone(),
    });
    let tampered = client.execute(&query).await.unwrap_err();
    assert!(matches!(tampered, Error::Verify { .. }), "{tampered:?}");
    let found = client.execute(&query).await.unwrap().data;
    assert_eq!(found.trade_state, TradeState::NotPay);

    // The payment's notification: SM2-signed, its resource sealed with AEAD_SM4_GCM.
    let notification = mock.pay("SM2-ORDER-1").unwrap();
    let envelope: serde_json::Value = serde_json::from_slice(&notification.body).unwrap();
    assert_eq!(envelope["resource"]["algorithm"], "AEAD_SM4_GCM");
    assert_eq!(
        notification.header("Wechatpay-Signature-Type"),
        Some("WECHATPAY2-SM2-WITH-SM3")
    );
    let handler = client.notification_handler().unwrap();
    let opened = handler
        .parse(&notification.headers, &notification.body)
        .unwrap();
    assert_eq!(opened.resource["out_trade_no"], "SM2-ORDER-1");
    assert_eq!(opened.resource["trade_state"], "SUCCESS");
    let mut body = notification.body.clone();
    let at = body.len() / 2;
    body[at] ^= 1;
    assert!(handler.parse(&notification.headers, &body).is_err());
}

#[tokio::test]
async fn sensitive_fields_are_sm2_encrypted_and_the_platform_reads_them() {
    let mock = platform();
    let op = CreateTransferBill::new(CreateTransferBillRequired {
        appid: "wxf636efh567hg4356".into(),
        out_bill_no: "sm2transfer0001".into(),
        transfer_scene_id: "1000".into(),
        openid: "o-MYE42l80oelYMDE34nYD456Xoy".into(),
        transfer_amount: 400000,
        transfer_remark: "SM2".into(),
        transfer_scene_report_infos: vec![TransferSceneReportInfo::new(
            TransferSceneReportInfoRequired {
                info_type: "活动名称".into(),
                info_content: "新会员有礼".into(),
            },
        )],
    })
    .with_user_name("张三");
    // The platform decrypts `user_name` with its SM2 key before it validates the body: a field
    // it could not decrypt would be a 400.
    client(&mock).execute(&op).await.unwrap();
    let sent = mock.last_request("createTransferBill").unwrap();
    let body = String::from_utf8_lossy(&sent.body);
    assert!(!body.contains("张三"), "{body}");
    assert_eq!(
        sent.header("Wechatpay-Serial"),
        Some(mock.credentials().public_key_id.as_str())
    );
}

#[tokio::test]
async fn an_rsa_signature_is_refused_by_an_sm2_platform() {
    let mock = platform();
    let creds = mock.credentials();
    let rsa = PrivateKey::generate(Default::default()).unwrap();
    let client = Client::builder(Credentials::new(&creds.mchid, &creds.merchant_serial, rsa))
        .key_store(creds.key_store().unwrap())
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let refused = client
        .execute(&order(&mock, "SM2-ORDER-2"))
        .await
        .unwrap_err();
    assert_eq!(refused.api_code(), Some("SIGN_ERROR"), "{refused}");
}
