//! A whole checkout offline, over real HTTP: JSAPI prepay → the front end's payment parameters
//! → the `TRANSACTION.SUCCESS` notification received by an axum route and typed → query by
//! `out_trade_no` → refund → `REFUND.SUCCESS` → refund query. The mock keeps the order and the
//! refund between the calls.

mod common;

use axum::routing::post;
use axum::Router;
use tokio::sync::mpsc;
use wechatpay_api::axum::Notified;
use wechatpay_api::pay_transactions::{
    Amount, CloseOrder, CloseOrderRequired, JsapiPrepay, JsapiPrepayRequired, Payer,
    QueryOrderByOutTradeNo, QueryOrderByOutTradeNoRequired, TradeState,
};
use wechatpay_api::refund_domestic::{
    AmountReq, AmountReqRequired, CreateRefund, CreateRefundRequired, QueryRefundByOutRefundNo,
    RefundNotificationRefundStatus, RefundStatus,
};
use wechatpay_api::{Error, Event, NotificationAnswer, NotificationHandler};
use wechatpay_mock::{Fault, MockPlatform};

const APPID: &str = "wxd678efh567hg6787";

/// An axum service receiving notifications at `/notify`; what it accepted comes out of the
/// channel.
async fn service(handler: NotificationHandler) -> (String, mpsc::UnboundedReceiver<Event>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let route = move |Notified(_, event): Notified<Event>| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(event);
            NotificationAnswer::success()
        }
    };
    let router = Router::new()
        .route("/notify", post(route))
        .with_state(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, rx)
}

#[tokio::test]
async fn jsapi_checkout_pay_query_refund_end_to_end() {
    let mock = MockPlatform::start().unwrap();
    let client = common::client(&mock);
    let mchid = mock.credentials().mchid.clone();
    let (notify_url, mut events) = service(client.notification_handler().unwrap()).await;

    // 1. Prepay, and what the mini program needs to pay.
    let prepay = JsapiPrepay::new(JsapiPrepayRequired {
        appid: APPID.into(),
        mchid: (&mchid).into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: "CHECKOUT-1".into(),
        notify_url: (&notify_url).into(),
        amount: Amount::new(888),
        payer: Payer::new("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
    })
    .with_attach("order 1");
    let prepaid = client.execute(&prepay).await.unwrap().data;
    let params = client
        .jsapi_payment(APPID, &prepaid.prepay_id)
        .await
        .unwrap();
    assert_eq!(params.package, format!("prepay_id={}", prepaid.prepay_id));
    let query = QueryOrderByOutTradeNo::new(QueryOrderByOutTradeNoRequired {
        out_trade_no: "CHECKOUT-1".into(),
        mchid: (&mchid).into(),
    });
    let unpaid = client.execute(&query).await.unwrap().data;
    assert_eq!(unpaid.trade_state, TradeState::NotPay);
    assert_eq!(unpaid.out_trade_no, "CHECKOUT-1");

    // 2. The user pays: the platform notifies the service, which gets the typed order.
    let paid = mock.pay("CHECKOUT-1").expect("an unpaid order");
    let (status, _) = mock.send_notification(&notify_url, &paid).await.unwrap();
    assert_eq!(status, 204);
    let order = match events.recv().await.unwrap() {
        Event::TransactionSuccess(order) => order,
        other => panic!("expected TRANSACTION.SUCCESS, got {other:?}"),
    };
    assert_eq!(order.out_trade_no, "CHECKOUT-1");
    assert_eq!(order.trade_state, TradeState::Success);
    assert_eq!(order.amount.as_ref().map(|a| a.total), Some(888));
    assert_eq!(order.attach.as_deref(), Some("order 1"));
    let transaction_id = order.transaction_id.clone().unwrap();

    // 3. The query agrees with the notification; a paid order cannot be closed.
    let queried = client.execute(&query).await.unwrap().data;
    assert_eq!(queried.trade_state, TradeState::Success);
    assert_eq!(
        queried.transaction_id.as_deref(),
        Some(transaction_id.as_str())
    );
    assert_eq!(queried.mchid, mchid);
    let close = client
        .execute(&CloseOrder::new(CloseOrderRequired {
            out_trade_no: "CHECKOUT-1".into(),
            mchid: (&mchid).into(),
        }))
        .await
        .unwrap_err();
    assert!(
        matches!(&close, Error::Api(e) if e.code == "ORDER_PAID"),
        "{close:?}"
    );

    // 4. Refund part of it, more than paid is refused.
    let too_much = CreateRefund::new(CreateRefundRequired {
        out_refund_no: "REFUND-0".into(),
        amount: AmountReq::new(AmountReqRequired {
            refund: 999,
            total: 888,
            currency: "CNY".into(),
        }),
    })
    .with_out_trade_no("CHECKOUT-1");
    assert!(client.execute(&too_much).await.is_err());
    let refund = CreateRefund::new(CreateRefundRequired {
        out_refund_no: "REFUND-1".into(),
        amount: AmountReq::new(AmountReqRequired {
            refund: 300,
            total: 888,
            currency: "CNY".into(),
        }),
    })
    .with_out_trade_no("CHECKOUT-1")
    .with_notify_url(&notify_url);
    let accepted = client.execute(&refund).await.unwrap().data;
    assert_eq!(accepted.status, RefundStatus::Processing);
    assert_eq!(accepted.out_trade_no, "CHECKOUT-1");
    assert_eq!(accepted.transaction_id, transaction_id);
    assert_eq!(accepted.amount.refund, 300);

    // 5. The refund completes: REFUND.SUCCESS, typed; the query says so.
    let done = mock
        .complete_refund("REFUND-1")
        .expect("a refund in progress");
    let (status, _) = mock.send_notification(&notify_url, &done).await.unwrap();
    assert_eq!(status, 204);
    match events.recv().await.unwrap() {
        Event::RefundSuccess(n) => {
            assert_eq!(n.out_refund_no, "REFUND-1");
            assert_eq!(n.refund_status, RefundNotificationRefundStatus::Success);
            assert_eq!(n.refund_id, accepted.refund_id);
        }
        other => panic!("expected REFUND.SUCCESS, got {other:?}"),
    }
    let refunded = client
        .execute(&QueryRefundByOutRefundNo::new("REFUND-1"))
        .await
        .unwrap()
        .data;
    assert_eq!(refunded.status, RefundStatus::Success);
    assert_eq!(refunded.refund_id, accepted.refund_id);
}

#[tokio::test]
async fn an_unpaid_order_can_be_closed_and_not_refunded() {
    let mock = MockPlatform::start().unwrap();
    let client = common::client(&mock);
    let mchid = mock.credentials().mchid.clone();
    let prepay = JsapiPrepay::new(JsapiPrepayRequired {
        appid: APPID.into(),
        mchid: (&mchid).into(),
        description: "desc".into(),
        out_trade_no: "CHECKOUT-2".into(),
        notify_url: "https://example.com/notify".into(),
        amount: Amount::new(1),
        payer: Payer::new("o1"),
    });
    client.execute(&prepay).await.unwrap();
    let refund = CreateRefund::new(CreateRefundRequired {
        out_refund_no: "REFUND-2".into(),
        amount: AmountReq::new(AmountReqRequired {
            refund: 1,
            total: 1,
            currency: "CNY".into(),
        }),
    })
    .with_out_trade_no("CHECKOUT-2");
    // The refund page: an unpaid order cannot be refunded, 404 `RESOURCE_NOT_EXISTS`.
    let err = client.execute(&refund).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.status == 404 && e.code == "RESOURCE_NOT_EXISTS"),
        "{err:?}"
    );
    client
        .execute(&CloseOrder::new(CloseOrderRequired {
            out_trade_no: "CHECKOUT-2".into(),
            mchid: (&mchid).into(),
        }))
        .await
        .unwrap();
    let closed = client
        .execute(&QueryOrderByOutTradeNo::new(
            QueryOrderByOutTradeNoRequired {
                out_trade_no: "CHECKOUT-2".into(),
                mchid: (&mchid).into(),
            },
        ))
        .await
        .unwrap()
        .data;
    assert_eq!(closed.trade_state, TradeState::Closed);
    assert!(
        mock.pay("CHECKOUT-2").is_none(),
        "a closed order cannot be paid"
    );
}

#[tokio::test]
async fn a_notification_that_does_not_verify_gets_the_generic_failure_and_no_reason() {
    let mock = MockPlatform::start().unwrap();
    let client = common::client(&mock);
    let (notify_url, mut events) = service(client.notification_handler().unwrap()).await;
    let resource = serde_json::json!({"complaint_id": "200201820200101080076610000"});
    for fault in [
        Fault::StaleTimestamp,
        Fault::WrongSerial,
        Fault::TamperedBody,
    ] {
        let sent = mock.notification("COMPLAINT.CREATE", "", "complaint", &resource, Some(fault));
        let (status, body) = mock.send_notification(&notify_url, &sent).await.unwrap();
        assert_eq!(status, 500, "{fault:?}");
        // Neither the server's clock nor which serials it knows reaches the sender.
        assert_eq!(body, r#"{"code":"FAIL","message":"失败"}"#, "{fault:?}");
    }
    assert!(events.try_recv().is_err(), "the route saw none of them");
}
