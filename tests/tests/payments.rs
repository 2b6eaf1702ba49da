//! The payment core (issue 11): every operation of `pay-transactions`,
//! `pay-partner-transactions`, `combine-transactions`, `refund-domestic` and `certificates`
//! called once with its required members against the mock over real HTTP, with the decoded
//! answer's key fields checked.

mod common;

use common::*;
use wechatpay_api::certificates::{DownloadCertificates, EncryptCertificateAlgorithm};
use wechatpay_api::combine_transactions::{
    CloseCombineOrder, CloseCombineOrderRequired, CloseSubOrder, CloseSubOrderRequired,
    CombineAppPrepay, CombineAppPrepayRequired, CombineH5Info, CombineH5Prepay,
    CombineH5PrepayRequired, CombineH5SceneInfo, CombineH5SceneInfoRequired, CombineJsapiPrepay,
    CombineJsapiPrepayRequired, CombineNativePrepay, CombineNativePrepayRequired, CombinePayerInfo,
    CombineSubTransactionTradeState, QueryCombineOrder, SubOrder, SubOrderAmount,
    SubOrderAmountRequired, SubOrderRequired,
};
use wechatpay_api::pay_partner_transactions::{
    PartnerAppPrepay, PartnerAppPrepayRequired, PartnerCloseOrder, PartnerCloseOrderRequired,
    PartnerH5Prepay, PartnerH5PrepayRequired, PartnerJsapiPrepay, PartnerJsapiPrepayRequired,
    PartnerNativePrepay, PartnerNativePrepayRequired, PartnerPayer, PartnerQueryOrderById,
    PartnerQueryOrderByIdRequired, PartnerQueryOrderByOutTradeNo,
    PartnerQueryOrderByOutTradeNoRequired,
};
use wechatpay_api::pay_transactions::{
    Amount, AppPrepay, AppPrepayRequired, CloseOrder, CloseOrderRequired, H5Info, H5Prepay,
    H5PrepayRequired, H5SceneInfo, H5SceneInfoRequired, JsapiPrepay, JsapiPrepayRequired,
    NativePrepay, NativePrepayRequired, Payer, QueryOrderById, QueryOrderByIdRequired,
    QueryOrderByOutTradeNo, QueryOrderByOutTradeNoRequired, TradeState, TradeType,
};
use wechatpay_api::refund_domestic::{
    AmountReq, AmountReqRequired, ApplyAbnormalRefund, ApplyAbnormalRefundRequestType,
    ApplyAbnormalRefundRequired, CreateRefund, CreateRefundRequired, QueryRefundByOutRefundNo,
    RefundChannel, RefundStatus,
};
use wechatpay_api::Error;
use wechatpay_mock::{MockPlatform, TrustMode};

const APPID: &str = "wxd678efh567hg6787";
const MCHID: &str = "1230000109";
const SUB_MCHID: &str = "1900000109";
const OUT_TRADE_NO: &str = "1217752501201407033233368018";
const NOTIFY_URL: &str = "https://www.weixin.qq.com/wxpay/pay.php";
const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
const PREPAY_ID: &str = "wx201410272009395522657a690389285100";
const H5_URL: &str = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx2916263004719461949c84457c735b0000&package=2150917749";

/// A mock whose merchant is the one the examples name (`MCHID`): an order names its merchant.
fn platform() -> MockPlatform {
    MockPlatform::builder().mchid(MCHID).start().unwrap()
}

fn h5_scene() -> H5SceneInfo {
    H5SceneInfo::new(H5SceneInfoRequired {
        payer_client_ip: "14.23.150.211".into(),
        h5_info: H5Info::new("Wap"),
    })
}

/// The operation ids the mock saw, in order, each answered 2xx.
fn seen(mock: &MockPlatform) -> Vec<String> {
    mock.requests()
        .iter()
        .map(|r| {
            assert_eq!(
                r.status / 100,
                2,
                "{} {} answered {}",
                r.method,
                r.target,
                r.status
            );
            format!(
                "{} {}",
                r.method,
                r.operation_id.clone().unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test]
async fn direct_merchant_payments() {
    let mock = platform();
    let client = client(&mock);
    let amount = || Amount::new(100).with_currency("CNY");
    let desc = "Image形象店-深圳腾大-QQ公仔";
    // One order per way to pay: a number placed again with other values is refused.
    let number = |way: &str| format!("{OUT_TRADE_NO}{way}");

    let j = client
        .execute(&JsapiPrepay::new(JsapiPrepayRequired {
            appid: APPID.into(),
            mchid: MCHID.into(),
            description: desc.into(),
            out_trade_no: number("J"),
            notify_url: NOTIFY_URL.into(),
            amount: amount(),
            payer: Payer::new(OPENID),
        }))
        .await
        .unwrap();
    let a = client
        .execute(&AppPrepay::new(AppPrepayRequired {
            appid: APPID.into(),
            mchid: MCHID.into(),
            description: desc.into(),
            out_trade_no: number("A"),
            notify_url: NOTIFY_URL.into(),
            amount: amount(),
        }))
        .await
        .unwrap();
    // Each order its own prepay_id, in the documented form: `wx`, the time, 20 hex digits.
    for id in [&j.data.prepay_id, &a.data.prepay_id] {
        assert!(id.starts_with("wx") && id.len() == 36, "{id}");
        assert!(id[2..16].bytes().all(|b| b.is_ascii_digit()), "{id}");
    }
    assert_ne!(j.data.prepay_id, a.data.prepay_id);
    let h = client
        .execute(&H5Prepay::new(H5PrepayRequired {
            appid: APPID.into(),
            mchid: MCHID.into(),
            description: desc.into(),
            out_trade_no: number("H"),
            notify_url: NOTIFY_URL.into(),
            amount: amount(),
            scene_info: h5_scene(),
        }))
        .await
        .unwrap();
    assert!(h.data.h5_url.starts_with("https://"), "{}", h.data.h5_url);
    let n = client
        .execute(&NativePrepay::new(NativePrepayRequired {
            appid: APPID.into(),
            mchid: MCHID.into(),
            description: desc.into(),
            out_trade_no: number("N"),
            notify_url: NOTIFY_URL.into(),
            amount: amount(),
        }))
        .await
        .unwrap();
    assert!(
        n.data.code_url.starts_with("weixin://"),
        "{}",
        n.data.code_url
    );

    let query = |no: String| {
        QueryOrderByOutTradeNo::new(QueryOrderByOutTradeNoRequired {
            out_trade_no: no,
            mchid: MCHID.into(),
        })
    };
    let unpaid = client.execute(&query(number("J"))).await.unwrap().data;
    // The ledger answers for the order placed above, and only with what it knows: not paid,
    // no transaction id yet, no payer total, no success time, no promotion.
    assert_eq!(unpaid.mchid, MCHID);
    assert_eq!(unpaid.trade_state, TradeState::NotPay);
    assert_eq!(unpaid.trade_state_desc, "订单未支付");
    assert_eq!(unpaid.trade_type, Some(TradeType::Jsapi));
    assert_eq!(unpaid.transaction_id, None);
    assert_eq!(unpaid.success_time, None);
    assert!(unpaid.promotion_detail.is_none());
    let asked = unpaid.amount.as_ref().unwrap();
    assert_eq!((asked.total, asked.payer_total), (100, None));
    assert_eq!(
        unpaid.payer.as_ref().unwrap().openid.as_deref(),
        Some(OPENID)
    );

    mock.pay(&number("J")).expect("an unpaid order can be paid");
    let paid = client.execute(&query(number("J"))).await.unwrap().data;
    assert_eq!(paid.trade_state, TradeState::Success);
    let transaction_id = paid.transaction_id.clone().unwrap();
    assert_eq!(transaction_id.len(), 28, "{transaction_id}");
    assert!(transaction_id.starts_with("42"), "{transaction_id}");
    let amount_paid = paid.amount.as_ref().unwrap();
    assert_eq!(
        (amount_paid.total, amount_paid.payer_total),
        (100, Some(100))
    );
    assert!(paid.success_time.is_some());
    let by_id = client
        .execute(&QueryOrderById::new(QueryOrderByIdRequired {
            transaction_id: transaction_id.clone(),
            mchid: MCHID.into(),
        }))
        .await
        .unwrap()
        .data;
    assert_eq!(by_id.out_trade_no, number("J"));

    let c = client
        .execute(&CloseOrder::new(CloseOrderRequired {
            out_trade_no: number("N"),
            mchid: MCHID.into(),
        }))
        .await
        .unwrap();
    assert_eq!((c.status, c.data), (204, ()));
    let closed = client.execute(&query(number("N"))).await.unwrap().data;
    assert_eq!(closed.trade_state, TradeState::Closed);

    assert_eq!(
        seen(&mock),
        [
            "POST jsapiPrepay",
            "POST appPrepay",
            "POST h5Prepay",
            "POST nativePrepay",
            "GET queryOrderByOutTradeNo",
            "GET queryOrderByOutTradeNo",
            "GET queryOrderById",
            "POST closeOrder",
            "GET queryOrderByOutTradeNo",
        ]
    );
    let by_id_target = format!("/v3/pay/transactions/id/{transaction_id}?mchid={MCHID}");
    let close_body = (mock.requests().iter())
        .find(|r| r.operation_id.as_deref() == Some("closeOrder"))
        .map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).unwrap());
    assert!(mock.requests().iter().any(|r| r.target == by_id_target));
    assert_eq!(close_body, Some(serde_json::json!({ "mchid": MCHID })));
}

#[tokio::test]
async fn service_provider_payments() {
    let mock = platform();
    let client = client(&mock);
    let sp_appid = "wx8888888888888888";
    let amount = || Amount::new(100);
    let desc = "Image形象店-深圳腾大-QQ公仔";
    let number = |way: &str| format!("{OUT_TRADE_NO}{way}");

    let j = client
        .execute(&PartnerJsapiPrepay::new(PartnerJsapiPrepayRequired {
            sp_appid: sp_appid.into(),
            sp_mchid: MCHID.into(),
            sub_mchid: SUB_MCHID.into(),
            description: desc.into(),
            out_trade_no: number("J"),
            notify_url: NOTIFY_URL.into(),
            amount: amount(),
            payer: PartnerPayer::new().with_sp_openid(OPENID),
        }))
        .await
        .unwrap();
    let a = client
        .execute(&PartnerAppPrepay::new(PartnerAppPrepayRequired {
            sp_appid: sp_appid.into(),
            sp_mchid: MCHID.into(),
            sub_mchid: SUB_MCHID.into(),
            description: desc.into(),
            out_trade_no: number("A"),
            notify_url: NOTIFY_URL.into(),
            amount: amount(),
        }))
        .await
        .unwrap();
    assert_ne!(j.data.prepay_id, a.data.prepay_id);
    let h = client
        .execute(&PartnerH5Prepay::new(PartnerH5PrepayRequired {
            sp_appid: sp_appid.into(),
            sp_mchid: MCHID.into(),
            sub_mchid: SUB_MCHID.into(),
            description: desc.into(),
            out_trade_no: number("H"),
            notify_url: NOTIFY_URL.into(),
            amount: amount(),
            scene_info: h5_scene(),
        }))
        .await
        .unwrap();
    assert!(h.data.h5_url.starts_with("https://"));
    let n = client
        .execute(&PartnerNativePrepay::new(PartnerNativePrepayRequired {
            sp_appid: sp_appid.into(),
            sp_mchid: MCHID.into(),
            sub_mchid: SUB_MCHID.into(),
            description: desc.into(),
            out_trade_no: number("N"),
            notify_url: NOTIFY_URL.into(),
            amount: amount(),
        }))
        .await
        .unwrap();
    assert!(n.data.code_url.starts_with("weixin://"));

    let by_no = client
        .execute(&PartnerQueryOrderByOutTradeNo::new(
            PartnerQueryOrderByOutTradeNoRequired {
                out_trade_no: number("J"),
                sp_mchid: MCHID.into(),
                sub_mchid: SUB_MCHID.into(),
            },
        ))
        .await
        .unwrap()
        .data;
    // Placed above and not paid: the ledger says so, with the prepay's own values.
    assert_eq!(by_no.trade_state, TradeState::NotPay);
    assert_eq!(
        (by_no.sp_mchid.as_str(), by_no.sub_mchid.as_str()),
        (MCHID, SUB_MCHID)
    );
    assert_eq!(by_no.sp_appid, sp_appid);
    assert_eq!(by_no.amount.as_ref().map(|a| a.total), Some(100));
    let payer = by_no.payer.as_ref().unwrap();
    assert_eq!(
        (payer.sp_openid.as_deref(), payer.sub_openid.as_deref()),
        (Some(OPENID), None)
    );
    // The service provider's notification, with the order's own values.
    let paid = mock.pay(&number("J")).expect("an unpaid order can be paid");
    let handler = client.notification_handler().unwrap();
    let event = handler
        .parse_event::<wechatpay_api::Event>(&paid.headers, &paid.body)
        .unwrap();
    let (_, wechatpay_api::Event::PartnerTransactionSuccess(resource)) = event else {
        panic!("{event:?}")
    };
    assert_eq!(
        (resource.out_trade_no.as_str(), resource.sub_mchid.as_str()),
        (number("J").as_str(), SUB_MCHID)
    );
    let by_id = client
        .execute(&PartnerQueryOrderById::new(PartnerQueryOrderByIdRequired {
            transaction_id: resource.transaction_id.clone().unwrap(),
            sp_mchid: MCHID.into(),
            sub_mchid: SUB_MCHID.into(),
        }))
        .await
        .unwrap()
        .data;
    assert_eq!(by_id.out_trade_no, number("J"));
    assert_eq!(by_id.trade_state, TradeState::Success);

    let c = client
        .execute(&PartnerCloseOrder::new(PartnerCloseOrderRequired {
            out_trade_no: number("N"),
            sp_mchid: MCHID.into(),
            sub_mchid: SUB_MCHID.into(),
        }))
        .await
        .unwrap();
    assert_eq!((c.status, c.data), (204, ()));

    assert_eq!(
        seen(&mock),
        [
            "POST partnerJsapiPrepay",
            "POST partnerAppPrepay",
            "POST partnerH5Prepay",
            "POST partnerNativePrepay",
            "GET partnerQueryOrderByOutTradeNo",
            "GET partnerQueryOrderById",
            "POST partnerCloseOrder"
        ]
    );
    assert_eq!(
        mock.last_request("partnerQueryOrderByOutTradeNo")
            .unwrap()
            .target,
        format!(
            "/v3/pay/partner/transactions/out-trade-no/{}?sp_mchid=1230000109&sub_mchid=1900000109",
            number("J")
        )
    );
    let close = mock.last_request("partnerCloseOrder").unwrap();
    let close: serde_json::Value = serde_json::from_slice(&close.body).unwrap();
    assert_eq!(
        close,
        serde_json::json!({ "sp_mchid": MCHID, "sub_mchid": SUB_MCHID })
    );
}

#[tokio::test]
async fn combined_payments() {
    let mock = mock();
    let client = client(&mock);
    let combine_mchid = "1900000109";
    let combine_no = "P20150806125346";
    let sub_orders = || {
        vec![
            SubOrder::new(SubOrderRequired {
                mchid: "1900000109".into(),
                attach: "深圳分店".into(),
                amount: SubOrderAmount::new(SubOrderAmountRequired {
                    total_amount: 100,
                    currency: "CNY".into(),
                }),
                out_trade_no: "20150806125346".into(),
                description: "腾讯充值中心-QQ会员充值".into(),
            }),
            SubOrder::new(SubOrderRequired {
                mchid: "1900000110".into(),
                attach: "广州分店".into(),
                amount: SubOrderAmount::new(SubOrderAmountRequired {
                    total_amount: 200,
                    currency: "CNY".into(),
                }),
                out_trade_no: "20150806125347".into(),
                description: "腾讯充值中心-QQ会员充值".into(),
            }),
        ]
    };
    let notify = "https://yourapp.com/notify";

    let j = client
        .execute(&CombineJsapiPrepay::new(CombineJsapiPrepayRequired {
            combine_appid: APPID.into(),
            combine_mchid: combine_mchid.into(),
            combine_out_trade_no: combine_no.into(),
            sub_orders: sub_orders(),
            combine_payer_info: CombinePayerInfo::new(OPENID),
            notify_url: notify.into(),
        }))
        .await
        .unwrap();
    assert_eq!(j.data.prepay_id, PREPAY_ID);
    let a = client
        .execute(&CombineAppPrepay::new(CombineAppPrepayRequired {
            combine_appid: APPID.into(),
            combine_mchid: combine_mchid.into(),
            combine_out_trade_no: combine_no.into(),
            sub_orders: sub_orders(),
            notify_url: notify.into(),
        }))
        .await
        .unwrap();
    assert_eq!(a.data.prepay_id, PREPAY_ID);
    let h = client
        .execute(
            &CombineH5Prepay::new(CombineH5PrepayRequired {
                combine_appid: APPID.into(),
                combine_mchid: combine_mchid.into(),
                combine_out_trade_no: combine_no.into(),
                sub_orders: sub_orders(),
                notify_url: notify.into(),
            })
            // 合单H5下单: `scene_info` and its `h5_info` are optional, `device_id` is required
            // (at most 32 characters).
            .with_scene_info(
                CombineH5SceneInfo::new(CombineH5SceneInfoRequired {
                    device_id: "013467007045764-POS-0001-2026".into(),
                    payer_client_ip: "14.17.22.32".into(),
                })
                .with_h5_info(CombineH5Info::new("iOS")),
            ),
        )
        .await
        .unwrap();
    assert_eq!(h.data.h5_url, H5_URL);
    let n = client
        .execute(&CombineNativePrepay::new(CombineNativePrepayRequired {
            combine_appid: APPID.into(),
            combine_mchid: combine_mchid.into(),
            combine_out_trade_no: combine_no.into(),
            sub_orders: sub_orders(),
            notify_url: notify.into(),
        }))
        .await
        .unwrap();
    assert_eq!(n.data.code_url, "weixin://wxpay/bizpayurl?pr=123456");

    let q = client
        .execute(&QueryCombineOrder::new(combine_no))
        .await
        .unwrap()
        .data;
    assert_eq!(q.combine_out_trade_no, combine_no);
    assert_eq!(q.combine_mchid, combine_mchid);
    let sub = &q.sub_orders.as_ref().expect("the example lists sub-orders")[0];
    assert_eq!(sub.trade_state, CombineSubTransactionTradeState::Success);
    assert_eq!(
        (sub.amount.total_amount, sub.amount.currency.as_str()),
        (100, "CNY")
    );
    assert_eq!(sub.out_trade_no, "20150806125346");

    let c = client
        .execute(&CloseCombineOrder::new(CloseCombineOrderRequired {
            combine_out_trade_no: combine_no.into(),
            combine_appid: APPID.into(),
            sub_orders: vec![CloseSubOrder::new(CloseSubOrderRequired {
                mchid: "1900000109".into(),
                out_trade_no: "20150806125346".into(),
            })],
        }))
        .await
        .unwrap();
    assert_eq!((c.status, c.data), (204, ()));

    assert_eq!(
        seen(&mock),
        [
            "POST combineJsapiPrepay",
            "POST combineAppPrepay",
            "POST combineH5Prepay",
            "POST combineNativePrepay",
            "GET queryCombineOrder",
            "POST closeCombineOrder"
        ]
    );
}

#[tokio::test]
async fn a_combined_order_needs_two_sub_orders() {
    let mock = mock();
    let one = vec![SubOrder::new(SubOrderRequired {
        mchid: "1900000109".into(),
        attach: "深圳分店".into(),
        amount: SubOrderAmount::new(SubOrderAmountRequired {
            total_amount: 100,
            currency: "CNY".into(),
        }),
        out_trade_no: "20150806125346".into(),
        description: "腾讯充值中心-QQ会员充值".into(),
    })];
    let err = client(&mock)
        .execute(&CombineAppPrepay::new(CombineAppPrepayRequired {
            combine_appid: APPID.into(),
            combine_mchid: "1900000109".into(),
            combine_out_trade_no: "P20150806125346".into(),
            sub_orders: one,
            notify_url: "https://yourapp.com/notify".into(),
        }))
        .await
        .unwrap_err();
    match err {
        Error::Api(api) => assert_eq!((api.status, api.code.as_str()), (400, "PARAM_ERROR")),
        other => panic!("expected PARAM_ERROR, got {other:?}"),
    }
}

#[tokio::test]
async fn refunds() {
    let mock = platform();
    let client = client(&mock);
    let out_refund_no = "1217752501201407033233368018";
    // A paid order of 888 fen to refund.
    client
        .execute(&JsapiPrepay::new(JsapiPrepayRequired {
            appid: APPID.into(),
            mchid: MCHID.into(),
            description: "refund me".into(),
            out_trade_no: OUT_TRADE_NO.into(),
            notify_url: NOTIFY_URL.into(),
            amount: Amount::new(888),
            payer: Payer::new(OPENID),
        }))
        .await
        .unwrap();
    mock.pay(OUT_TRADE_NO).unwrap();

    let r = client
        .execute(
            &CreateRefund::new(CreateRefundRequired {
                out_refund_no: out_refund_no.into(),
                amount: AmountReq::new(AmountReqRequired {
                    refund: 888,
                    total: 888,
                    currency: "CNY".into(),
                }),
            })
            .with_out_trade_no(OUT_TRADE_NO),
        )
        .await
        .unwrap()
        .data;
    // A refund id in the documented form: 29 digits from `50`.
    assert_eq!(r.refund_id.len(), 29, "{}", r.refund_id);
    assert!(r.refund_id.starts_with("50") && r.refund_id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(r.out_refund_no, out_refund_no);
    assert_eq!(r.out_trade_no, OUT_TRADE_NO);
    assert_eq!(r.status, RefundStatus::Processing);
    assert_eq!(r.channel, RefundChannel::Original);
    assert_eq!(
        (
            r.amount.total,
            r.amount.refund,
            r.amount.payer_refund,
            r.amount.currency.as_str()
        ),
        (888, 888, 888, "CNY")
    );
    assert!(r.promotion_detail.is_none());

    let q = client
        .execute(&QueryRefundByOutRefundNo::new(out_refund_no).with_sub_mchid(SUB_MCHID))
        .await
        .unwrap()
        .data;
    assert_eq!(
        (q.refund_id, q.out_refund_no, q.status),
        (
            r.refund_id.clone(),
            r.out_refund_no.clone(),
            RefundStatus::Processing
        )
    );

    let account = "6222020200012345678";
    let abnormal = client
        .execute(
            &ApplyAbnormalRefund::new(ApplyAbnormalRefundRequired {
                refund_id: (&r.refund_id).into(),
                out_refund_no: out_refund_no.into(),
                type_: ApplyAbnormalRefundRequestType::UserBankCard,
            })
            .with_bank_type("ICBC_DEBIT")
            .with_bank_account(account)
            .with_real_name("张三"),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(abnormal.refund_id, r.refund_id);

    assert_eq!(
        seen(&mock),
        [
            "POST jsapiPrepay",
            "POST createRefund",
            "GET queryRefundByOutRefundNo",
            "POST applyAbnormalRefund"
        ]
    );
    assert_eq!(
        mock.last_request("queryRefundByOutRefundNo")
            .unwrap()
            .target,
        "/v3/refund/domestic/refunds/1217752501201407033233368018?sub_mchid=1900000109"
    );
    // The sensitive fields travel encrypted and decrypt to what the user wrote.
    let abnormal = mock.last_request("applyAbnormalRefund").unwrap();
    let wire = String::from_utf8_lossy(&abnormal.body).into_owned();
    assert!(!wire.contains(account) && !wire.contains("张三"), "{wire}");
    let plain = abnormal.plaintext_body.as_ref().unwrap();
    assert_eq!(
        (plain["bank_account"].as_str(), plain["real_name"].as_str()),
        (Some(account), Some("张三"))
    );
    assert_eq!(
        abnormal.header("Wechatpay-Serial"),
        Some(mock.credentials().public_key_id.as_str())
    );
}

#[tokio::test]
async fn platform_certificates() {
    let mock = mock();
    let answer = client(&mock)
        .execute(&DownloadCertificates)
        .await
        .unwrap()
        .data;
    assert_eq!(answer.data.len(), 1);
    let cert = &answer.data[0];
    assert_eq!(
        cert.serial_no,
        mock.credentials().platform_certificate_serial
    );
    assert!(cert.effective_time < cert.expire_time);
    let sealed = &cert.encrypt_certificate;
    assert_eq!(sealed.algorithm, EncryptCertificateAlgorithm::AeadAes256Gcm);
    assert_eq!(sealed.associated_data, "certificate");
    assert_eq!(sealed.nonce.len(), 12);
    assert!(!sealed.ciphertext.is_empty());
    // The mock answers `/v3/certificates` itself (real certificate, encrypted with the APIv3 key).
    let log = mock.requests();
    assert_eq!(
        (
            log.len(),
            log[0].method.as_str(),
            log[0].target.as_str(),
            log[0].status
        ),
        (1, "GET", "/v3/certificates", 200)
    );

    // A merchant with only a WeChat Pay public key has no certificates to list.
    let key_only = MockPlatform::builder()
        .trust(TrustMode::PublicKey)
        .start()
        .unwrap();
    match client(&key_only).execute(&DownloadCertificates).await {
        Err(Error::Api(api)) => {
            assert_eq!(
                (api.status, api.code.as_str()),
                (404, "RESOURCE_NOT_EXISTS")
            )
        }
        other => panic!("expected 404 RESOURCE_NOT_EXISTS, got {other:?}"),
    }
}
