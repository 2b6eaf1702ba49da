//! A JSAPI / mini-program checkout, end to end against the embedded mock: place the order, give
//! the front end its payment parameters, receive the `TRANSACTION.SUCCESS` notification (typed),
//! query the order, refund part of it, receive `REFUND.SUCCESS`, query the refund.
//!
//! Against the real platform the same code runs with your credentials and a public
//! `notify_url`; here the mock plays the user paying (`MockPlatform::pay`) and the refund
//! completing (`MockPlatform::complete_refund`).
//!
//! `cargo run -p wechatpay-api --example jsapi_checkout`

use wechatpay_api::pay_transactions::{
    Amount, JsapiPrepay, JsapiPrepayRequired, Payer, QueryOrderByOutTradeNo,
    QueryOrderByOutTradeNoRequired,
};
use wechatpay_api::refund_domestic::{
    AmountReq, AmountReqRequired, CreateRefund, CreateRefundRequired, QueryRefundByOutRefundNo,
};
use wechatpay_api::{Event, NotificationHandler};
use wechatpay_mock::{MockPlatform, SignedNotification};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const APPID: &str = "wxd678efh567hg6787";
const NOTIFY_URL: &str = "https://merchant.example.com/wechatpay/notify";

/// What your notification endpoint does with the raw headers and body it receives.
fn receive(handler: &NotificationHandler, sent: &SignedNotification) -> Result<Event, BoxError> {
    let (notification, event) = handler.parse_event::<Event>(&sent.headers, &sent.body)?;
    println!(
        "notification {} ({})",
        notification.id, notification.event_type
    );
    Ok(event)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mock = MockPlatform::start()?;
    let client = mock
        .credentials()
        .client_builder(mock.base_url())?
        .build()?;
    let handler = client.notification_handler()?;
    let mchid = mock.credentials().mchid.clone();

    // 1. Place the order, and hand the mini program what `wx.requestPayment` needs.
    let order = JsapiPrepay::new(JsapiPrepayRequired {
        appid: APPID.into(),
        mchid: (&mchid).into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: "CHECKOUT-20261201-1".into(),
        notify_url: NOTIFY_URL.into(),
        amount: Amount::new(888),
        payer: Payer::new("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
    });
    let prepaid = client.execute(&order).await?.data;
    let pay = client.jsapi_payment(APPID, &prepaid.prepay_id).await?;
    println!("wx.requestPayment({})", serde_json::to_string(&pay)?);

    // 2. The user pays; WeChat Pay notifies the merchant.
    let paid = mock
        .pay("CHECKOUT-20261201-1")
        .ok_or("no such unpaid order")?;
    let Event::TransactionSuccess(transaction) = receive(&handler, &paid)? else {
        return Err("expected TRANSACTION.SUCCESS".into());
    };
    println!(
        "paid: {} {:?}",
        transaction.out_trade_no, transaction.trade_state
    );

    // 3. Query the order (as after a missed notification).
    let query = QueryOrderByOutTradeNo::new(QueryOrderByOutTradeNoRequired {
        out_trade_no: "CHECKOUT-20261201-1".into(),
        mchid: (&mchid).into(),
    });
    let queried = client.execute(&query).await?.data;
    println!(
        "queried: {:?}, transaction {:?}",
        queried.trade_state, queried.transaction_id
    );

    // 4. Refund part of it.
    let refund = CreateRefund::new(CreateRefundRequired {
        out_refund_no: "REFUND-20261201-1".into(),
        amount: AmountReq::new(AmountReqRequired {
            refund: 300,
            total: 888,
            currency: "CNY".into(),
        }),
    })
    .with_out_trade_no("CHECKOUT-20261201-1")
    .with_reason("商品已售完");
    let accepted = client.execute(&refund).await?.data;
    println!("refund {} {:?}", accepted.refund_id, accepted.status);

    // 5. The refund completes; WeChat Pay notifies; the query agrees.
    let done = mock
        .complete_refund("REFUND-20261201-1")
        .ok_or("no such refund")?;
    let Event::RefundSuccess(refunded) = receive(&handler, &done)? else {
        return Err("expected REFUND.SUCCESS".into());
    };
    println!(
        "refunded: {} {:?}",
        refunded.out_refund_no, refunded.refund_status
    );
    let status = client
        .execute(&QueryRefundByOutRefundNo::new("REFUND-20261201-1"))
        .await?
        .data
        .status;
    println!("refund query: {status:?}");
    Ok(())
}
