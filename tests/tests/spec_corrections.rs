//! The spec corrections of the coverage issue, each checked on the wire against the mock (which
//! validates requests against the same spec) or by decoding an answer of the documented shape.

mod common;

use serde_json::json;
use wechatpay_api::bills::{
    ApplySubMerchantFundFlowBill, ApplySubMerchantFundFlowBillAlgorithm,
    ApplySubMerchantFundFlowBillRequired, ApplyTradeBill, SubMerchantFundAccountType,
    TradeBillType,
};
use wechatpay_api::merchant_complaints::{ComplaintServiceOrderState, MerchantComplaint};
use wechatpay_api::pay_transactions::{
    Amount, IdentityType, JsapiPrepay, JsapiPrepayRequired, Payer, PayerIdentity,
    PayerIdentityRequired,
};
use wechatpay_api::profit_sharing::{
    CreateProfitSharingOrder, CreateProfitSharingOrderRequired, ProfitSharingReceiverShare,
    ProfitSharingReceiverShareRequired, ProfitSharingReceiverType, QueryProfitSharingOrder,
    QueryProfitSharingOrderRequired,
};
use wechatpay_api::Error;
use wechatpay_mock::MockPlatform;

/// The body the mock received last, as JSON.
fn last_body(mock: &MockPlatform) -> serde_json::Value {
    let requests = mock.requests();
    serde_json::from_slice(&requests.last().expect("a request").body).expect("a JSON body")
}

/// A call the mock's validation let through: success, or a state error of the platform.
fn accepted<T: std::fmt::Debug>(result: Result<T, Error>) {
    if let Err(Error::Api(api)) = &result {
        assert_ne!(api.code, "PARAM_ERROR", "{api}");
    } else {
        result.expect("accepted");
    }
}

#[tokio::test]
async fn profit_sharing_takes_the_sub_merchant_of_a_service_provider() {
    let mock = MockPlatform::start().unwrap();
    let client = common::client(&mock);
    let receiver = ProfitSharingReceiverShare::new(ProfitSharingReceiverShareRequired {
        type_: ProfitSharingReceiverType::PersonalSubOpenid,
        account: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        amount: 888,
        description: "分给个人A".into(),
    });
    let order = CreateProfitSharingOrder::new(CreateProfitSharingOrderRequired {
        transaction_id: "4208450740201411110007820472".into(),
        out_order_no: "P20150806125346".into(),
        receivers: vec![receiver],
        unfreeze_unsplit: true,
    })
    .with_sub_mchid("1900000109")
    .with_sub_appid("wx8888888888888889");
    accepted(client.execute(&order).await);
    let body = last_body(&mock);
    assert_eq!(body["sub_mchid"], "1900000109");
    assert_eq!(body["sub_appid"], "wx8888888888888889");
    assert_eq!(body["receivers"][0]["type"], "PERSONAL_SUB_OPENID");
    let query = QueryProfitSharingOrder::new(QueryProfitSharingOrderRequired {
        out_order_no: "P20150806125346".into(),
        transaction_id: "4208450740201411110007820472".into(),
    })
    .with_sub_mchid("1900000109");
    accepted(client.execute(&query).await);
    let target = mock.requests().last().unwrap().target.clone();
    assert!(target.contains("sub_mchid=1900000109"), "{target}");
}

#[tokio::test]
async fn bills_take_every_documented_type_algorithm_and_account() {
    let mock = MockPlatform::start().unwrap();
    let client = common::client(&mock);
    for bill_type in [
        TradeBillType::RechargeRefund,
        TradeBillType::AllSpecial,
        TradeBillType::SucSpecial,
        TradeBillType::RefSpecial,
    ] {
        let wire = bill_type.as_str().to_owned();
        let op = ApplyTradeBill::new("2019-06-11").with_bill_type(bill_type);
        accepted(client.execute(&op).await);
        let target = mock.requests().last().unwrap().target.clone();
        assert!(target.contains(&format!("bill_type={wire}")), "{target}");
    }
    let op = ApplySubMerchantFundFlowBill::new(ApplySubMerchantFundFlowBillRequired {
        sub_mchid: "19000000001".into(),
        bill_date: "2019-06-11".into(),
        account_type: SubMerchantFundAccountType::Deposit,
        algorithm: ApplySubMerchantFundFlowBillAlgorithm::Sm4Gcm,
    });
    accepted(client.execute(&op).await);
    let target = mock.requests().last().unwrap().target.clone();
    assert!(target.contains("account_type=DEPOSIT"), "{target}");
    assert!(target.contains("algorithm=SM4_GCM"), "{target}");
}

#[tokio::test]
async fn a_prepay_limits_payment_methods_and_names_the_payer() {
    let mock = MockPlatform::start().unwrap();
    let client = common::client(&mock);
    let identity = PayerIdentity::new(PayerIdentityRequired {
        type_: IdentityType::IdCard,
        number: "110101199003077777".into(),
        name: "张三".into(),
    });
    let op = JsapiPrepay::new(JsapiPrepayRequired {
        appid: "wxd678efh567hg6787".into(),
        mchid: mock.credentials().mchid.clone(),
        description: "QQ公仔".into(),
        out_trade_no: "LIMIT-PAY-1".into(),
        notify_url: "https://example.com/notify".into(),
        amount: Amount::new(1),
        payer: Payer::new("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o").with_identity(identity),
    })
    .with_limit_pay(vec!["no_credit".into()]);
    accepted(client.execute(&op).await);
    let body = last_body(&mock);
    assert_eq!(body["limit_pay"], json!(["no_credit"]));
    assert_eq!(body["payer"]["identity"]["type"], "IDCARD");
    // 实名支付 takes the identity in plaintext (the official page says so): no encryption.
    assert_eq!(body["payer"]["identity"]["name"], "张三");
}

#[test]
fn a_complaint_about_a_payscore_order_decodes_without_order_info() {
    let complaint: MerchantComplaint = serde_json::from_value(json!({
        "complaint_id": "200201820200101080076610000",
        "complaint_time": "2015-05-20T13:29:35.120+08:00",
        "complaint_detail": "反馈一个重复扣费的问题",
        "complaint_state": "PENDING",
        "complainted_mchid": "1900012181",
        "complaint_full_refunded": false,
        "incoming_user_response": false,
        "problem_description": "不满意服务",
        "user_complaint_times": 1,
        "service_order_info": [
            {"order_id": "15646546545165651651", "out_order_no": "1234323JKHDFE1243252", "state": "DOING"}
        ]
    }))
    .expect("a 支付分 complaint carries service_order_info instead of complaint_order_info");
    assert!(complaint.complaint_order_info.is_none());
    let orders = complaint.service_order_info.expect("the service orders");
    assert_eq!(orders[0].state, Some(ComplaintServiceOrderState::Doing));
}
