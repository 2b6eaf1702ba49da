//! With the feature `serde-both`, models derive the serde direction they do not need, so a
//! merchant can store what it received (or built) and read it back. Answers come over real HTTP
//! from the mock's state, so they carry what the platform's would.
#![cfg(feature = "serde-both")]

use wechatpay_api::pay_transactions::{
    Amount, JsapiPrepay, JsapiPrepayRequest, JsapiPrepayRequired, Payer, QueryOrderByOutTradeNo,
    QueryOrderByOutTradeNoRequired, TradeState, Transaction,
};
use wechatpay_api::refund_domestic::{AmountReq, AmountReqRequired};
use wechatpay_mock::MockPlatform;

const MCHID: &str = "1230000109";

#[tokio::test]
async fn an_answer_stored_as_json_reads_back_equal_and_as_the_platform_sent_it() {
    let mock = MockPlatform::builder().mchid(MCHID).start().unwrap();
    let client = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .build()
        .unwrap();
    let prepay = JsapiPrepay::new(JsapiPrepayRequired {
        appid: "wxd678efh567hg6787".into(),
        mchid: MCHID.into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: "RT20261207000001".into(),
        notify_url: "https://www.weixin.qq.com/wxpay/pay.php".into(),
        amount: Amount::new(100).with_currency("CNY"),
        payer: Payer::new("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
    })
    .with_attach("自定义数据");
    client.execute(&prepay).await.unwrap();
    mock.pay("RT20261207000001").unwrap();
    let answer = client
        .execute(&QueryOrderByOutTradeNo::new(
            QueryOrderByOutTradeNoRequired {
                out_trade_no: "RT20261207000001".into(),
                mchid: MCHID.into(),
            },
        ))
        .await
        .unwrap();
    assert_eq!(answer.data.trade_state, TradeState::Success);
    assert!(answer.data.success_time.is_some() && answer.data.payer.is_some());

    let stored = serde_json::to_vec(&answer.data).unwrap();
    let back: Transaction = serde_json::from_slice(&stored).unwrap();
    assert_eq!(back, answer.data);
    // The same JSON as the verified answer: no `null` for absent fields, the time with its
    // `+08:00`, every member the platform sent (the mock sends only what the model declares).
    let sent: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&stored).unwrap();
    assert_eq!(stored, sent);
}

#[test]
fn an_unknown_enum_value_and_an_unknown_member_survive_as_far_as_the_model_goes() {
    let text = r#"{"mchid":"1230000109","out_trade_no":"T1","trade_state":"SOMETHING_NEW","trade_state_desc":"?","future_member":1}"#;
    let first: Transaction = serde_json::from_str(text).unwrap();
    assert_eq!(first.trade_state, TradeState::from("SOMETHING_NEW"));
    let stored = serde_json::to_string(&first).unwrap();
    // The unknown value round-trips; the member this version does not know is not kept (keep
    // `Response::body` for that).
    assert_eq!(
        stored,
        r#"{"mchid":"1230000109","out_trade_no":"T1","trade_state":"SOMETHING_NEW","trade_state_desc":"?"}"#
    );
    assert_eq!(serde_json::from_str::<Transaction>(&stored).unwrap(), first);
}

#[test]
fn a_request_body_stored_as_json_reads_back_equal() {
    let amount = AmountReq::new(AmountReqRequired {
        refund: 1,
        total: 100,
        currency: "CNY".into(),
    });
    let stored = serde_json::to_string(&amount).unwrap();
    assert_eq!(stored, r#"{"refund":1,"total":100,"currency":"CNY"}"#);
    assert_eq!(serde_json::from_str::<AmountReq>(&stored).unwrap(), amount);
    // A request body type reads back too: absent optional fields stay absent.
    let body: JsapiPrepayRequest = serde_json::from_str(
        r#"{"appid":"wx1","mchid":"1","description":"d","out_trade_no":"o","notify_url":"https://e.example/n","amount":{"total":1},"payer":{"openid":"x"}}"#,
    )
    .unwrap();
    assert_eq!(body.attach, None);
    let again: JsapiPrepayRequest =
        serde_json::from_str(&serde_json::to_string(&body).unwrap()).unwrap();
    assert_eq!(again, body);
}
