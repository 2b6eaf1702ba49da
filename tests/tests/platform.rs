//! The mock as the platform a shop's tests meet (issue 20): what a new user met, each case
//! through the typed client over real HTTP, now answered as the platform answers. Resources
//! (orders, refunds, transfer bills) are declared in the spec (`x-wechatpay-resources`,
//! `x-wechatpay-flow`); a last test declares a new one in YAML alone.

mod common;

use std::sync::{Arc, Mutex};
use time::Duration;
use wechatpay_api::hk_complaint_notifications::QueryComplaintNotification;
use wechatpay_api::pay_transactions::{
    Amount, CloseOrder, CloseOrderRequired, JsapiPrepay, JsapiPrepayRequired, Payer,
    QueryOrderByOutTradeNo, QueryOrderByOutTradeNoRequired, TradeState,
};
use wechatpay_api::refund_domestic::{
    AmountReq, AmountReqRequired, CreateRefund, CreateRefundRequired, QueryRefundByOutRefundNo,
};
use wechatpay_api::transfer_bills::{
    CreateTransferBill, CreateTransferBillRequired, QueryTransferBillByOutBillNo,
    TransferBillState, TransferSceneReportInfo, TransferSceneReportInfoRequired,
};

use wechatpay_api::transport::{Exchange, ReadPolicy, ReqwestTransport, Transport};
use wechatpay_api::{Bytes, Client, Error, Event};
use wechatpay_mock::MockPlatform;

const MCHID: &str = "1230000109";

fn platform() -> (MockPlatform, Client) {
    let mock = MockPlatform::builder().mchid(MCHID).start().unwrap();
    let client = common::client(&mock);
    (mock, client)
}

fn order(no: &str, fen: i64) -> JsapiPrepay {
    JsapiPrepay::new(JsapiPrepayRequired {
        appid: "wxd678efh567hg6787".into(),
        mchid: MCHID.into(),
        description: "a cup of tea".into(),
        out_trade_no: no.into(),
        notify_url: "https://shop.example/notify".into(),
        amount: Amount::new(fen),
        payer: Payer::new("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
    })
}

fn query(no: &str) -> QueryOrderByOutTradeNo {
    QueryOrderByOutTradeNo::new(QueryOrderByOutTradeNoRequired {
        out_trade_no: no.into(),
        mchid: MCHID.into(),
    })
}

fn refund(no: &str, of: &str, fen: i64, total: i64) -> CreateRefund {
    CreateRefund::new(CreateRefundRequired {
        out_refund_no: no.into(),
        amount: AmountReq::new(AmountReqRequired {
            refund: fen,
            total,
            currency: "CNY".into(),
        }),
    })
    .with_out_trade_no(of)
}

/// The status and code of an API error.
fn refused<T: std::fmt::Debug>(result: Result<T, Error>) -> (u16, String) {
    match result {
        Err(Error::Api(e)) => (e.status, e.code.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_order_never_placed_is_not_found_and_cannot_be_refunded_or_closed() {
    let (_mock, client) = platform();
    let answer = client.execute(&query("NO-SUCH-ORDER-2")).await;
    assert_eq!(refused(answer), (404, "ORDER_NOT_EXIST".to_owned()));
    let answer = client
        .execute(&refund("R-1", "NO-SUCH-ORDER-2", 1, 1))
        .await;
    assert_eq!(refused(answer), (404, "RESOURCE_NOT_EXISTS".to_owned()));
    let close = CloseOrder::new(CloseOrderRequired {
        out_trade_no: "NO-SUCH-ORDER-2".into(),
        mchid: MCHID.into(),
    });
    assert_eq!(
        refused(client.execute(&close).await),
        (404, "ORDER_NOT_EXIST".to_owned())
    );
    let answer = client.execute(&QueryRefundByOutRefundNo::new("R-1")).await;
    assert_eq!(refused(answer), (404, "RESOURCE_NOT_EXISTS".to_owned()));
}

#[tokio::test]
async fn refunds_are_bounded_by_what_is_left_of_the_paid_amount() {
    let (mock, client) = platform();
    client.execute(&order("TEA-0001", 100)).await.unwrap();
    // Not paid yet: the platform has nothing to refund.
    let unpaid = client.execute(&refund("R-0", "TEA-0001", 1, 100)).await;
    assert_eq!(refused(unpaid), (404, "RESOURCE_NOT_EXISTS".to_owned()));
    mock.pay("TEA-0001").unwrap();
    let over = client.execute(&refund("R-1", "TEA-0001", 200, 100)).await;
    assert_eq!(refused(over), (400, "INVALID_REQUEST".to_owned()));
    client
        .execute(&refund("R-2", "TEA-0001", 60, 100))
        .await
        .unwrap();
    client
        .execute(&refund("R-3", "TEA-0001", 40, 100))
        .await
        .unwrap();
    // 60 + 40 refunded: not one fen more.
    let past = client.execute(&refund("R-4", "TEA-0001", 1, 100)).await;
    assert_eq!(refused(past), (400, "INVALID_REQUEST".to_owned()));
    // A refund repeated with the same number and values is the same refund; with another
    // amount it is refused.
    let again = client
        .execute(&refund("R-2", "TEA-0001", 60, 100))
        .await
        .unwrap();
    let first = client
        .execute(&QueryRefundByOutRefundNo::new("R-2"))
        .await
        .unwrap();
    assert_eq!(again.data.refund_id, first.data.refund_id);
    // The conflict (the platform's message says the amounts differ), not the budget.
    match client.execute(&refund("R-2", "TEA-0001", 50, 100)).await {
        Err(Error::Api(e)) => {
            assert_eq!(e.code, "INVALID_REQUEST");
            assert!(e.message.contains("不一致"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let order = client.execute(&query("TEA-0001")).await.unwrap().data;
    assert_eq!(order.trade_state, TradeState::Refund);
}

#[tokio::test]
async fn a_paid_or_closed_order_is_not_placed_again_and_a_closed_refund_gives_its_amount_back() {
    let (mock, client) = platform();
    client.execute(&order("TEA-0201", 100)).await.unwrap();
    mock.pay("TEA-0201").unwrap();
    assert_eq!(
        refused(client.execute(&order("TEA-0201", 100)).await),
        (400, "ORDER_PAID".to_owned())
    );
    client.execute(&order("TEA-0202", 100)).await.unwrap();
    let close = CloseOrder::new(CloseOrderRequired {
        out_trade_no: "TEA-0202".into(),
        mchid: MCHID.into(),
    });
    client.execute(&close).await.unwrap();
    assert_eq!(
        refused(client.execute(&order("TEA-0202", 100)).await),
        (400, "ORDER_CLOSED".to_owned())
    );
    // All of it refunded, then that refund closed: the amount can be refunded again.
    client
        .execute(&refund("R-201", "TEA-0201", 100, 100))
        .await
        .unwrap();
    let more = client.execute(&refund("R-202", "TEA-0201", 100, 100)).await;
    assert_eq!(refused(more), (400, "INVALID_REQUEST".to_owned()));
    mock.scenario("refund", "R-201", "close").unwrap();
    client
        .execute(&refund("R-203", "TEA-0201", 100, 100))
        .await
        .unwrap();
}

#[tokio::test]
async fn keys_naming_two_different_orders_name_none() {
    let (mock, client) = platform();
    for no in ["TEA-0101", "TEA-0102"] {
        client.execute(&order(no, 100)).await.unwrap();
        mock.pay(no).unwrap();
    }
    let other = client.execute(&query("TEA-0102")).await.unwrap().data;
    let mixed =
        refund("R-101", "TEA-0101", 1, 100).with_transaction_id(other.transaction_id.unwrap());
    assert_eq!(
        refused(client.execute(&mixed).await),
        (404, "RESOURCE_NOT_EXISTS".to_owned())
    );
}

#[tokio::test]
async fn a_number_placed_again_is_the_same_order_or_refused() {
    let (_mock, client) = platform();
    let first = client.execute(&order("TEA-0002", 100)).await.unwrap();
    let again = client.execute(&order("TEA-0002", 100)).await.unwrap();
    assert_eq!(first.data.prepay_id, again.data.prepay_id);
    let other = client.execute(&order("TEA-0003", 100)).await.unwrap();
    assert_ne!(first.data.prepay_id, other.data.prepay_id);
    let changed = client.execute(&order("TEA-0002", 200)).await;
    assert_eq!(refused(changed), (400, "INVALID_REQUEST".to_owned()));
}

#[tokio::test]
async fn values_outside_the_schema_and_another_merchant_are_refused() {
    let (_mock, client) = platform();
    let negative = client.execute(&order("TEA-0004", -5)).await;
    assert_eq!(refused(negative), (400, "PARAM_ERROR".to_owned()));
    let zero = client.execute(&order("TEA-0004", 0)).await;
    assert_eq!(refused(zero), (400, "PARAM_ERROR".to_owned()));
    let mut foreign = order("TEA-0004", 1);
    foreign.body.mchid = "1900000999".into();
    let answer = client.execute(&foreign).await;
    assert_eq!(refused(answer), (400, "INVALID_REQUEST".to_owned()));
}

#[tokio::test]
async fn answers_and_notifications_say_only_what_the_state_knows() {
    let (mock, client) = platform();
    client.execute(&order("TEA-0005", 300)).await.unwrap();
    let unpaid = client.execute(&query("TEA-0005")).await.unwrap().data;
    assert_eq!(unpaid.trade_state, TradeState::NotPay);
    assert_eq!(unpaid.transaction_id, None);
    assert_eq!(unpaid.success_time, None);
    let paid = mock.pay("TEA-0005").unwrap();
    let handler = client.notification_handler().unwrap();
    let (_, event) = handler
        .parse_event::<Event>(&paid.headers, &paid.body)
        .unwrap();
    let Event::TransactionSuccess(resource) = event else {
        panic!("{event:?}")
    };
    let amount = resource.amount.unwrap();
    assert_eq!((amount.total, amount.payer_total), (300, Some(300)));
    assert!(resource.promotion_detail.is_none());
    client
        .execute(&refund("R-5", "TEA-0005", 300, 300))
        .await
        .unwrap();
    let refund = client
        .execute(&QueryRefundByOutRefundNo::new("R-5"))
        .await
        .unwrap()
        .data;
    assert!(refund.promotion_detail.is_none());
    assert!(refund.amount.from.is_none());
    let done = mock.complete_refund("R-5").unwrap();
    let (_, event) = handler
        .parse_event::<Event>(&done.headers, &done.body)
        .unwrap();
    let Event::RefundSuccess(notified) = event else {
        panic!("{event:?}")
    };
    assert_eq!(
        (notified.amount.total, notified.amount.payer_total),
        (300, 300)
    );
    // A direct merchant's refund names no service provider or sub-merchant.
    assert_eq!((notified.sp_mchid, notified.sub_mchid), (None, None));
    assert_eq!(notified.out_trade_no, "TEA-0005");
}

#[tokio::test]
async fn the_platforms_clock_closes_expired_orders_and_unconfirmed_transfers() {
    let (mock, client) = platform();
    let start = time::OffsetDateTime::now_utc();
    mock.set_time(Some(start));
    client.execute(&order("TEA-0006", 100)).await.unwrap();
    let soon = order("TEA-0007", 100).with_time_expire(start + Duration::hours(1));
    client.execute(&soon).await.unwrap();
    mock.advance_time(Duration::hours(2));
    let expired = client.execute(&query("TEA-0007")).await.unwrap().data;
    assert_eq!(expired.trade_state, TradeState::Closed);
    assert!(
        mock.pay("TEA-0007").is_none(),
        "a closed order cannot be paid"
    );
    // Without `time_expire`, an unpaid order lives seven days.
    assert_eq!(
        client
            .execute(&query("TEA-0006"))
            .await
            .unwrap()
            .data
            .trade_state,
        TradeState::NotPay
    );
    mock.advance_time(Duration::days(6));
    assert_eq!(
        client
            .execute(&query("TEA-0006"))
            .await
            .unwrap()
            .data
            .trade_state,
        TradeState::NotPay
    );
    mock.advance_time(Duration::days(1));
    assert_eq!(
        client
            .execute(&query("TEA-0006"))
            .await
            .unwrap()
            .data
            .trade_state,
        TradeState::Closed
    );

    let transfer = CreateTransferBill::new(CreateTransferBillRequired {
        appid: "wxf636efh567hg4356".into(),
        out_bill_no: "B20261207".into(),
        transfer_scene_id: "1000".into(),
        openid: "o-MYE42l80oelYMDE34nYD456Xoy".into(),
        transfer_amount: 100,
        transfer_remark: "refund of a deposit".into(),
        transfer_scene_report_infos: vec![TransferSceneReportInfo::new(
            TransferSceneReportInfoRequired {
                info_type: "活动名称".into(),
                info_content: "押金退还".into(),
            },
        )],
    });
    client.execute(&transfer).await.unwrap();
    mock.advance_time(Duration::hours(25));
    let failed = client
        .execute(&QueryTransferBillByOutBillNo::new("B20261207"))
        .await
        .unwrap()
        .data;
    assert_eq!(failed.state, TransferBillState::Fail);
    assert_eq!(failed.fail_reason.as_deref(), Some("OVERDUE_CLOSE"));
}

/// Records the `X-Mock-Source` header of every answer.
#[derive(Debug)]
struct Sources(ReqwestTransport, Arc<Mutex<Vec<Option<String>>>>);

impl Transport for Sources {
    fn send(&self, request: http::Request<Bytes>, policy: ReadPolicy) -> Exchange<'_> {
        Box::pin(async move {
            let answer = self.0.send(request, policy).await?;
            let source = answer.headers().get("X-Mock-Source");
            let source = source.and_then(|v| v.to_str().ok()).map(str::to_owned);
            self.1.lock().unwrap().push(source);
            Ok(answer)
        })
    }
}

#[tokio::test]
async fn a_paid_order_is_not_closed_and_answers_say_where_they_come_from() {
    let (mock, client) = platform();
    client.execute(&order("TEA-0008", 100)).await.unwrap();
    mock.pay("TEA-0008").unwrap();
    let close = CloseOrder::new(CloseOrderRequired {
        out_trade_no: "TEA-0008".into(),
        mchid: MCHID.into(),
    });
    assert_eq!(
        refused(client.execute(&close).await),
        (400, "ORDER_PAID".to_owned())
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let transport = ReqwestTransport::new(
        std::time::Duration::from_secs(10),
        std::time::Duration::from_secs(1),
    )
    .unwrap();
    let client = (mock.credentials().client_builder(mock.base_url()).unwrap())
        .transport(Arc::new(Sources(transport, seen.clone())))
        .build()
        .unwrap();
    // From the order's state; from the example of an operation bound to no resource; and an
    // error answer, which says nothing.
    client.execute(&query("TEA-0008")).await.unwrap();
    client.execute(&QueryComplaintNotification).await.unwrap();
    client.execute(&query("NO-SUCH")).await.unwrap_err();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [Some("state".to_owned()), Some("example".to_owned()), None]
    );
}

/// A resource declared in YAML alone gets state: created, queried, moved by a scenario with
/// its event, and refused as the declaration says.
#[tokio::test]
async fn a_resource_declared_in_yaml_alone_has_state() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tickets.yaml"), TICKETS).unwrap();
    let mock = MockPlatform::builder()
        .spec_dir(dir.path())
        .start()
        .unwrap();
    let client = common::client(&mock);
    let created = client
        .chain("/v3/tickets")
        .post(serde_json::json!({"out_ticket_no": "K-1", "seats": 2}))
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(created["state"], "OPEN");
    let ticket_id = created["ticket_id"].as_str().unwrap().to_owned();
    assert!(
        ticket_id.starts_with("TK") && ticket_id.len() == 10,
        "{ticket_id}"
    );
    let missing = client
        .chain("/v3/tickets/{out_ticket_no}")
        .param("out_ticket_no", "K-404")
        .get()
        .await;
    assert_eq!(refused(missing), (404, "TICKET_NOT_FOUND".to_owned()));
    let punched = mock.scenario("ticket", &ticket_id, "punch").unwrap();
    let notification = client
        .notification_handler()
        .unwrap()
        .parse(&punched.headers, &punched.body)
        .unwrap();
    assert_eq!(notification.event_type, "TICKET.PUNCHED");
    let read = client
        .chain("/v3/tickets/{out_ticket_no}")
        .param("out_ticket_no", "K-1")
        .get()
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(
        (read["state"].as_str(), read["seats"].as_i64()),
        (Some("PUNCHED"), Some(2))
    );
    assert!(read.get("punched_at").is_some());
}

const TICKETS: &str = r##"openapi: 3.0.3
info: { title: tickets, version: "1.0" }
paths:
  /v3/tickets:
    post:
      operationId: createTicket
      x-wechatpay-flow: { resource: ticket, action: create }
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [out_ticket_no, seats]
              properties:
                out_ticket_no: { type: string }
                seats: { type: integer, minimum: 1 }
      responses:
        "200":
          description: created
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Ticket" }
  /v3/tickets/{out_ticket_no}:
    get:
      operationId: queryTicket
      x-wechatpay-flow: { resource: ticket, action: query }
      parameters:
        - { name: out_ticket_no, in: path, required: true, schema: { type: string } }
      responses:
        "200":
          description: the ticket
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Ticket" }
x-wechatpay-events:
  TICKET.PUNCHED:
    summary: a ticket was punched
    resource: { $ref: "#/components/schemas/Ticket" }
x-wechatpay-resources:
  ticket:
    keys: [out_ticket_no, ticket_id]
    issues: { ticket_id: "TK{n:8}" }
    state: state
    initial: OPEN
    stamps: { PUNCHED: punched_at }
    scenarios:
      punch: { from: [OPEN], to: PUNCHED, event: TICKET.PUNCHED }
    not_found: { status: 404, code: TICKET_NOT_FOUND, message: no such ticket }
    conflict: { status: 400, code: INVALID_REQUEST, message: another ticket has this number }
components:
  schemas:
    Ticket:
      type: object
      required: [out_ticket_no, ticket_id, state]
      properties:
        out_ticket_no: { type: string, example: "EXAMPLE" }
        ticket_id: { type: string, example: "EXAMPLE-ID" }
        state: { type: string, example: EXAMPLE }
        seats: { type: integer, example: 1 }
        punched_at: { type: string, format: date-time }
"##;
