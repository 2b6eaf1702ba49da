//! More product lines whose resources the spec declares (`x-wechatpay-resources`,
//! `x-wechatpay-flow`): e-commerce refunds, e-commerce profit sharing (orders and returns) and the
//! older merchant transfer batches (direct and service provider's), each
//! through the typed client over real HTTP against the mock. For each: what is created is what
//! is read back (with ids in the platform's form), a scenario moves it (and says so in a
//! notification where the group declares one), a number never used is not found, and a number
//! used again with other values is refused.

mod common;

use wechatpay_api::ecommerce_profit_sharing::{
    EcommerceCreateProfitSharingOrder, EcommerceCreateProfitSharingOrderRequired,
    EcommerceCreateProfitSharingReturnOrder, EcommerceCreateProfitSharingReturnOrderRequired,
    EcommerceProfitSharingOrderStatus, EcommerceProfitSharingReceiverRequest,
    EcommerceProfitSharingReceiverRequestRequired, EcommerceProfitSharingReceiverType,
    EcommerceProfitSharingReturnResult, EcommerceQueryProfitSharingOrder,
    EcommerceQueryProfitSharingOrderRequired, EcommerceQueryProfitSharingReturnOrder,
    EcommerceQueryProfitSharingReturnOrderRequired,
};
use wechatpay_api::ecommerce_refunds::{
    EcommerceCreateRefund, EcommerceCreateRefundRequestAmount,
    EcommerceCreateRefundRequestAmountRequired, EcommerceCreateRefundRequired,
    EcommerceQueryRefundById, EcommerceQueryRefundByOutRefundNo, EcommerceRefundStatus,
};
use wechatpay_api::partner_transfer_batches::{
    PartnerCreateTransferBatch, PartnerCreateTransferBatchRequired,
    PartnerQueryTransferBatchByBatchId, PartnerQueryTransferBatchByBatchIdRequired,
    PartnerQueryTransferBatchByOutBatchNo, PartnerQueryTransferBatchByOutBatchNoRequired,
    PartnerTransferAuthorizationType, PartnerTransferBatchCloseReason,
    PartnerTransferBatchDetailInput, PartnerTransferBatchDetailInputRequired,
    PartnerTransferBatchStatus, PartnerTransferBatchType,
};
use wechatpay_api::pay_partner_transactions::{
    PartnerJsapiPrepay, PartnerJsapiPrepayRequired, PartnerPayer, PartnerQueryOrderByOutTradeNo,
    PartnerQueryOrderByOutTradeNoRequired,
};
use wechatpay_api::pay_transactions::Amount;
use wechatpay_api::transfer_batches::{
    CreateTransferBatch, CreateTransferBatchRequired, QueryTransferBatchByBatchId,
    QueryTransferBatchByBatchIdRequired, QueryTransferBatchByOutBatchNo,
    QueryTransferBatchByOutBatchNoRequired, TransferBatchCloseReason, TransferBatchDetailInput,
    TransferBatchDetailInputRequired, TransferBatchStatus, TransferBatchType,
};
use wechatpay_api::{Client, Error, Event};
use wechatpay_mock::MockPlatform;

const MCHID: &str = "1230000109";
const SUB_MCHID: &str = "1900000109";
const SP_APPID: &str = "wx8888888888888888";
const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

fn platform() -> (MockPlatform, Client) {
    let mock = MockPlatform::builder().mchid(MCHID).start().unwrap();
    let client = common::client(&mock);
    (mock, client)
}

/// The status and code of an API error.
fn refused<T: std::fmt::Debug>(result: Result<T, Error>) -> (u16, String) {
    match result {
        Err(Error::Api(e)) => (e.status, e.code.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// E-commerce refunds (`ecommerce_refund`, against a service provider's order).

/// A sub-merchant's order, placed by the platform (the service provider).
fn partner_order(no: &str, fen: i64) -> PartnerJsapiPrepay {
    PartnerJsapiPrepay::new(PartnerJsapiPrepayRequired {
        sp_appid: SP_APPID.into(),
        sp_mchid: MCHID.into(),
        sub_mchid: SUB_MCHID.into(),
        description: "a pot of tea".into(),
        out_trade_no: no.into(),
        notify_url: "https://shop.example/notify".into(),
        amount: Amount::new(fen),
        payer: PartnerPayer::new().with_sp_openid(OPENID),
    })
}

fn ecommerce_refund(no: &str, of: &str, fen: i64, total: i64) -> EcommerceCreateRefund {
    EcommerceCreateRefund::new(EcommerceCreateRefundRequired {
        sp_appid: SP_APPID.into(),
        out_refund_no: no.into(),
        amount: EcommerceCreateRefundRequestAmount::new(
            EcommerceCreateRefundRequestAmountRequired { refund: fen, total },
        ),
    })
    .with_sub_mchid(SUB_MCHID)
    .with_out_trade_no(of)
}

/// `50`, 8 digits, the Beijing date, 11 digits: 29 digits in all.
fn is_refund_id(id: &str) -> bool {
    id.len() == 29 && id.starts_with("50") && id.bytes().all(|b| b.is_ascii_digit())
}

#[tokio::test]
async fn an_ecommerce_refund_is_applied_read_back_and_completed() {
    let (mock, client) = platform();
    client
        .execute(&partner_order("ECO-0001", 300))
        .await
        .unwrap();
    mock.pay("ECO-0001").unwrap();
    let created = client
        .execute(&ecommerce_refund("ER-0001", "ECO-0001", 120, 300))
        .await
        .unwrap()
        .data;
    assert_eq!(created.out_refund_no, "ER-0001");
    assert!(is_refund_id(&created.refund_id), "{}", created.refund_id);
    assert_eq!(
        (created.amount.refund, created.amount.payer_refund),
        (120, 120)
    );

    // Read back by the platform's number and by the merchant's: the same refund.
    let by_id = client
        .execute(
            &EcommerceQueryRefundById::new(created.refund_id.clone()).with_sub_mchid(SUB_MCHID),
        )
        .await
        .unwrap()
        .data;
    let by_no = client
        .execute(&EcommerceQueryRefundByOutRefundNo::new("ER-0001").with_sub_mchid(SUB_MCHID))
        .await
        .unwrap()
        .data;
    assert_eq!(by_id, by_no);
    assert_eq!(by_id.refund_id, created.refund_id);
    assert_eq!(by_id.out_trade_no, "ECO-0001");
    assert!(!by_id.transaction_id.is_empty(), "the paid order's id");
    assert_eq!(by_id.status, EcommerceRefundStatus::Processing);
    assert_eq!(by_id.amount.refund, 120);
    assert_eq!(by_id.success_time, None);
    assert_eq!(
        mock.state_of("ecommerce_refund", "ER-0001").as_deref(),
        Some("PROCESSING")
    );

    // The refund completes: the merchant is told, and the query says so.
    let done = mock
        .scenario("ecommerce_refund", &created.refund_id, "complete")
        .unwrap();
    let handler = client.notification_handler().unwrap();
    let (_, event) = handler
        .parse_event::<Event>(&done.headers, &done.body)
        .unwrap();
    let Event::RefundSuccess(notified) = event else {
        panic!("{event:?}")
    };
    assert_eq!(notified.out_refund_no, "ER-0001");
    assert_eq!(notified.refund_id, created.refund_id);
    assert_eq!(notified.out_trade_no, "ECO-0001");
    assert_eq!(notified.sub_mchid.as_deref(), Some(SUB_MCHID));
    assert_eq!((notified.amount.refund, notified.amount.total), (120, 300));
    let after = client
        .execute(&EcommerceQueryRefundByOutRefundNo::new("ER-0001").with_sub_mchid(SUB_MCHID))
        .await
        .unwrap()
        .data;
    assert_eq!(after.status, EcommerceRefundStatus::Success);
    assert!(after.success_time.is_some());
    // A completed refund does not complete again.
    assert!(mock
        .scenario("ecommerce_refund", "ER-0001", "complete")
        .is_none());
}

#[tokio::test]
async fn an_ecommerce_refund_never_applied_or_of_an_unpaid_order_is_not_found() {
    let (mock, client) = platform();
    let missing = client
        .execute(&EcommerceQueryRefundByOutRefundNo::new("ER-404").with_sub_mchid(SUB_MCHID))
        .await;
    assert_eq!(refused(missing), (404, "RESOURCE_NOT_EXISTS".to_owned()));
    let missing = client
        .execute(
            &EcommerceQueryRefundById::new("50000000382019052709732678859")
                .with_sub_mchid(SUB_MCHID),
        )
        .await;
    assert_eq!(refused(missing), (404, "RESOURCE_NOT_EXISTS".to_owned()));
    // No such order, then an order not paid yet: nothing to refund.
    let answer = client
        .execute(&ecommerce_refund("ER-0002", "ECO-NONE", 1, 100))
        .await;
    assert_eq!(refused(answer), (404, "RESOURCE_NOT_EXISTS".to_owned()));
    client
        .execute(&partner_order("ECO-0002", 100))
        .await
        .unwrap();
    let answer = client
        .execute(&ecommerce_refund("ER-0002", "ECO-0002", 1, 100))
        .await;
    assert_eq!(refused(answer), (404, "RESOURCE_NOT_EXISTS".to_owned()));
    // Paid, but another sub-merchant's order: not one this sub-merchant can refund.
    mock_pay(&mock, "ECO-0002");
    let other = ecommerce_refund("ER-0003", "ECO-0002", 1, 100).with_sub_mchid("1900000110");
    assert_eq!(
        refused(client.execute(&other).await),
        (404, "RESOURCE_NOT_EXISTS".to_owned())
    );
    client
        .execute(&ecommerce_refund("ER-0003", "ECO-0002", 1, 100))
        .await
        .expect("its own sub-merchant refunds it");
}

fn mock_pay(mock: &MockPlatform, out_trade_no: &str) {
    mock.pay(out_trade_no).expect("the order waits for payment");
}

#[tokio::test]
async fn an_ecommerce_refund_number_used_again_is_the_same_refund_or_refused() {
    let (mock, client) = platform();
    client
        .execute(&partner_order("ECO-0003", 100))
        .await
        .unwrap();
    mock.pay("ECO-0003").unwrap();
    let first = client
        .execute(&ecommerce_refund("ER-0003", "ECO-0003", 60, 100))
        .await
        .unwrap()
        .data;
    let again = client
        .execute(&ecommerce_refund("ER-0003", "ECO-0003", 60, 100))
        .await
        .unwrap()
        .data;
    assert_eq!(first.refund_id, again.refund_id);
    let changed = client
        .execute(&ecommerce_refund("ER-0003", "ECO-0003", 50, 100))
        .await;
    assert_eq!(refused(changed), (400, "INVALID_REQUEST".to_owned()));
    // 60 refunded: 41 more is past what was paid; 40 is not.
    let over = client
        .execute(&ecommerce_refund("ER-0004", "ECO-0003", 41, 100))
        .await;
    assert_eq!(refused(over), (400, "INVALID_REQUEST".to_owned()));
    client
        .execute(&ecommerce_refund("ER-0005", "ECO-0003", 40, 100))
        .await
        .unwrap();
    // A closed refund gives its amount back.
    mock.scenario("ecommerce_refund", "ER-0003", "close")
        .unwrap();
    let closed = client
        .execute(&EcommerceQueryRefundByOutRefundNo::new("ER-0003").with_sub_mchid(SUB_MCHID))
        .await
        .unwrap()
        .data;
    assert_eq!(closed.status, EcommerceRefundStatus::Closed);
    client
        .execute(&ecommerce_refund("ER-0006", "ECO-0003", 60, 100))
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Merchant transfer batches, the older product (`transfer_batch`).

fn batch(no: &str, details: &[(&str, i64)]) -> CreateTransferBatch {
    let list: Vec<TransferBatchDetailInput> = details
        .iter()
        .map(|(detail, fen)| {
            TransferBatchDetailInput::new(TransferBatchDetailInputRequired {
                out_detail_no: (*detail).into(),
                transfer_amount: *fen,
                transfer_remark: "reimbursement".into(),
                openid: "o-MYE42l80oelYMDE34nYD456Xoy".into(),
            })
        })
        .collect();
    CreateTransferBatch::new(CreateTransferBatchRequired {
        appid: "wxf636efh567hg4356".into(),
        out_batch_no: no.into(),
        batch_name: "expenses".into(),
        batch_remark: "expenses of May".into(),
        total_amount: details.iter().map(|(_, fen)| fen).sum(),
        total_num: details.len() as i64,
        transfer_detail_list: list,
    })
}

fn batch_by_no(no: &str) -> QueryTransferBatchByOutBatchNo {
    QueryTransferBatchByOutBatchNo::new(QueryTransferBatchByOutBatchNoRequired {
        out_batch_no: no.into(),
        need_query_detail: false,
    })
}

fn batch_by_id(id: &str) -> QueryTransferBatchByBatchId {
    QueryTransferBatchByBatchId::new(QueryTransferBatchByBatchIdRequired {
        batch_id: id.into(),
        need_query_detail: false,
    })
}

/// `1030000`, 14 digits, the Beijing date, 11 digits: 40 digits in all.
fn is_batch_id(id: &str) -> bool {
    id.len() == 40 && id.starts_with("1030000") && id.bytes().all(|b| b.is_ascii_digit())
}

#[tokio::test]
async fn a_transfer_batch_is_accepted_read_back_and_finished() {
    let (mock, client) = platform();
    let created = client
        .execute(&batch("BATCH20260001", &[("D1", 200), ("D2", 300)]))
        .await
        .unwrap()
        .data;
    assert_eq!(created.out_batch_no, "BATCH20260001");
    assert!(is_batch_id(&created.batch_id), "{}", created.batch_id);
    assert_eq!(created.batch_status, Some(TransferBatchStatus::Accepted));

    let by_no = client
        .execute(&batch_by_no("BATCH20260001"))
        .await
        .unwrap()
        .data
        .transfer_batch;
    let by_id = client
        .execute(&batch_by_id(&created.batch_id))
        .await
        .unwrap()
        .data
        .transfer_batch;
    assert_eq!(by_no, by_id);
    assert_eq!(by_no.batch_id, created.batch_id);
    assert_eq!(by_no.out_batch_no, "BATCH20260001");
    assert_eq!(by_no.appid, "wxf636efh567hg4356");
    assert_eq!(by_no.batch_status, TransferBatchStatus::Accepted);
    assert_eq!(by_no.batch_type, TransferBatchType::Api);
    assert_eq!(
        (by_no.batch_name.as_str(), by_no.batch_remark.as_str()),
        ("expenses", "expenses of May")
    );
    assert_eq!((by_no.total_amount, by_no.total_num), (500, 2));
    assert_eq!(by_no.create_time, Some(created.create_time));
    assert_eq!(by_no.success_amount, None);

    // The platform starts, then finishes: the merchant is told, and the query says so.
    assert!(
        mock.scenario("transfer_batch", "BATCH20260001", "process")
            .is_none(),
        "processing notifies nothing"
    );
    assert_eq!(
        mock.state_of("transfer_batch", "BATCH20260001").as_deref(),
        Some("PROCESSING")
    );
    let done = mock
        .scenario("transfer_batch", &created.batch_id, "finish")
        .unwrap();
    let handler = client.notification_handler().unwrap();
    let (_, event) = handler
        .parse_event::<Event>(&done.headers, &done.body)
        .unwrap();
    let Event::TransferBatchFinished(notified) = event else {
        panic!("{event:?}")
    };
    assert_eq!(notified.out_batch_no, "BATCH20260001");
    assert_eq!(notified.batch_id, created.batch_id);
    assert_eq!(notified.batch_status, TransferBatchStatus::Finished);
    assert_eq!((notified.total_amount, notified.total_num), (500, 2));
    assert_eq!(
        (notified.success_amount, notified.success_num),
        (Some(500), Some(2))
    );
    let finished = client
        .execute(&batch_by_no("BATCH20260001"))
        .await
        .unwrap()
        .data
        .transfer_batch;
    assert_eq!(finished.batch_status, TransferBatchStatus::Finished);
    assert_eq!(
        (finished.fail_amount, finished.fail_num),
        (Some(0), Some(0))
    );
    let (created, updated) = (finished.create_time.unwrap(), finished.update_time.unwrap());
    assert!(updated >= created, "{created} {updated}");
}

#[tokio::test]
async fn a_transfer_batch_closed_by_the_platform_says_why() {
    let (mock, client) = platform();
    client
        .execute(&batch("BATCH20260002", &[("D1", 100)]))
        .await
        .unwrap();
    let closed = mock
        .scenario("transfer_batch", "BATCH20260002", "close")
        .unwrap();
    let handler = client.notification_handler().unwrap();
    let (_, event) = handler
        .parse_event::<Event>(&closed.headers, &closed.body)
        .unwrap();
    let Event::TransferBatchClosed(notified) = event else {
        panic!("{event:?}")
    };
    assert_eq!(notified.batch_status, TransferBatchStatus::Closed);
    assert_eq!(
        notified.close_reason,
        Some(TransferBatchCloseReason::OverdueClose)
    );
    let read = client
        .execute(&batch_by_no("BATCH20260002"))
        .await
        .unwrap()
        .data
        .transfer_batch;
    assert_eq!(read.batch_status, TransferBatchStatus::Closed);
    assert_eq!(
        read.close_reason,
        Some(TransferBatchCloseReason::OverdueClose)
    );
    // A closed batch does not finish.
    assert!(mock
        .scenario("transfer_batch", "BATCH20260002", "finish")
        .is_none());
}

#[tokio::test]
async fn a_transfer_batch_never_made_is_not_found_and_a_number_used_again_must_match() {
    let (_mock, client) = platform();
    let missing = client.execute(&batch_by_no("BATCH404")).await;
    assert_eq!(refused(missing), (404, "NOT_FOUND".to_owned()));
    let missing = client
        .execute(&batch_by_id("1030000071100999991182020050700019480001"))
        .await;
    assert_eq!(refused(missing), (404, "NOT_FOUND".to_owned()));

    let first = client
        .execute(&batch("BATCH20260003", &[("D1", 100)]))
        .await
        .unwrap()
        .data;
    // The same batch again (the documented retry): the same batch.
    let again = client
        .execute(&batch("BATCH20260003", &[("D1", 100)]))
        .await
        .unwrap()
        .data;
    assert_eq!(first.batch_id, again.batch_id);
    // The same number with another amount.
    match client
        .execute(&batch("BATCH20260003", &[("D1", 150)]))
        .await
    {
        Err(Error::Api(e)) => {
            assert_eq!((e.status, e.code.as_str()), (400, "INVALID_REQUEST"));
            assert!(e.message.contains("不一致"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// A service provider's transfer batches for a sub-merchant (`partner_transfer_batch`).

fn partner_batch(no: &str, fen: i64) -> PartnerCreateTransferBatch {
    PartnerCreateTransferBatch::new(PartnerCreateTransferBatchRequired {
        sub_mchid: SUB_MCHID.into(),
        authorization_type: PartnerTransferAuthorizationType::FundAuthorizationType,
        out_batch_no: no.into(),
        batch_name: "commissions".into(),
        batch_remark: "commissions of May".into(),
        total_amount: fen,
        total_num: 1,
        transfer_detail_list: vec![PartnerTransferBatchDetailInput::new(
            PartnerTransferBatchDetailInputRequired {
                out_detail_no: "PD1".into(),
                transfer_amount: fen,
                transfer_remark: "commission".into(),
                openid: "o-MYE42l80oelYMDE34nYD456Xoy".into(),
                user_name: "张三".into(),
            },
        )],
    })
}

fn partner_batch_by_no(no: &str) -> PartnerQueryTransferBatchByOutBatchNo {
    PartnerQueryTransferBatchByOutBatchNo::new(PartnerQueryTransferBatchByOutBatchNoRequired {
        out_batch_no: no.into(),
        need_query_detail: false,
    })
}

#[tokio::test]
async fn a_partner_transfer_batch_is_accepted_read_back_and_finished() {
    let (mock, client) = platform();
    let created = client
        .execute(&partner_batch("PBATCH20260001", 800))
        .await
        .unwrap()
        .data;
    assert_eq!(created.out_batch_no, "PBATCH20260001");
    assert!(is_batch_id(&created.batch_id), "{}", created.batch_id);
    let by_no = client
        .execute(&partner_batch_by_no("PBATCH20260001"))
        .await
        .unwrap()
        .data;
    let by_id = client
        .execute(&PartnerQueryTransferBatchByBatchId::new(
            PartnerQueryTransferBatchByBatchIdRequired {
                batch_id: created.batch_id.clone(),
                need_query_detail: false,
            },
        ))
        .await
        .unwrap()
        .data;
    assert_eq!(by_no, by_id);
    assert_eq!(by_no.batch_id, created.batch_id);
    assert_eq!(by_no.sub_mchid, SUB_MCHID);
    assert_eq!(by_no.batch_status, PartnerTransferBatchStatus::Accepted);
    assert_eq!(by_no.batch_type, PartnerTransferBatchType::Api);
    assert_eq!(
        by_no.authorization_type,
        PartnerTransferAuthorizationType::FundAuthorizationType
    );
    assert_eq!((by_no.total_amount, by_no.total_num), (800, 1));
    assert_eq!(by_no.create_time, Some(created.create_time));

    // The group declares no notification: the scenario moves the state and says nothing.
    assert!(mock
        .scenario("partner_transfer_batch", "PBATCH20260001", "finish")
        .is_none());
    let finished = client
        .execute(&partner_batch_by_no("PBATCH20260001"))
        .await
        .unwrap()
        .data;
    assert_eq!(finished.batch_status, PartnerTransferBatchStatus::Finished);
    assert_eq!(finished.success_amount, Some(800));

    client
        .execute(&partner_batch("PBATCH20260002", 100))
        .await
        .unwrap();
    // This group declares no notifications: the scenario sends none.
    assert!(mock
        .scenario("partner_transfer_batch", "PBATCH20260002", "close")
        .is_none());
    let closed = client
        .execute(&partner_batch_by_no("PBATCH20260002"))
        .await
        .unwrap()
        .data;
    assert_eq!(closed.batch_status, PartnerTransferBatchStatus::Closed);
    assert_eq!(
        closed.close_reason,
        Some(PartnerTransferBatchCloseReason::OverdueClose)
    );
}

#[tokio::test]
async fn a_partner_transfer_batch_never_made_is_not_found_and_a_number_used_again_must_match() {
    let (_mock, client) = platform();
    let missing = client.execute(&partner_batch_by_no("PBATCH404")).await;
    assert_eq!(refused(missing), (404, "NOT_FOUND".to_owned()));
    let first = client
        .execute(&partner_batch("PBATCH20260003", 100))
        .await
        .unwrap()
        .data;
    let again = client
        .execute(&partner_batch("PBATCH20260003", 100))
        .await
        .unwrap()
        .data;
    assert_eq!(first.batch_id, again.batch_id);
    let changed = client.execute(&partner_batch("PBATCH20260003", 200)).await;
    assert_eq!(refused(changed), (400, "INVALID_REQUEST".to_owned()));
}

// ---------------------------------------------------------------------------------------------
// E-commerce profit sharing (`ecommerce_profit_sharing_order` against a service provider's paid
// order, `ecommerce_profit_sharing_return` against a profit-sharing order).
//
// Codes: the pages' tables (chapter3_1 create, chapter3_2 query) give 404 RESOURCE_NOT_EXISTS
// for an unknown number and 400 INVALID_REQUEST for a broken business rule. Assumed (not
// documented, see the YAML comments): the code for an unknown or unpaid order, for a return
// against no known profit-sharing order, for a number reused with other values, and the query
// of an unknown return (the query-order row).

/// The merchant that receives a share.
const RECEIVER_MCHID: &str = "1900000110";

/// Places and pays a sub-merchant's order; its `transaction_id`.
async fn paid_partner_order(mock: &MockPlatform, client: &Client, no: &str, fen: i64) -> String {
    client.execute(&partner_order(no, fen)).await.unwrap();
    mock.pay(no).unwrap();
    client
        .execute(&PartnerQueryOrderByOutTradeNo::new(
            PartnerQueryOrderByOutTradeNoRequired {
                out_trade_no: no.into(),
                sp_mchid: MCHID.into(),
                sub_mchid: SUB_MCHID.into(),
            },
        ))
        .await
        .unwrap()
        .data
        .transaction_id
        .expect("a paid order has its transaction_id")
}

fn profit_sharing(no: &str, transaction_id: &str, fen: i64) -> EcommerceCreateProfitSharingOrder {
    EcommerceCreateProfitSharingOrder::new(EcommerceCreateProfitSharingOrderRequired {
        sub_mchid: SUB_MCHID.into(),
        transaction_id: transaction_id.into(),
        out_order_no: no.into(),
        receivers: vec![EcommerceProfitSharingReceiverRequest::new(
            EcommerceProfitSharingReceiverRequestRequired {
                type_: EcommerceProfitSharingReceiverType::MerchantId,
                receiver_account: RECEIVER_MCHID.into(),
                amount: fen,
                description: "platform commission".into(),
            },
        )],
        finish: false,
    })
}

fn profit_sharing_query(no: &str, transaction_id: &str) -> EcommerceQueryProfitSharingOrder {
    EcommerceQueryProfitSharingOrder::new(EcommerceQueryProfitSharingOrderRequired {
        sub_mchid: SUB_MCHID.into(),
        transaction_id: transaction_id.into(),
        out_order_no: no.into(),
    })
}

fn profit_sharing_return(no: &str, of: &str, fen: i64) -> EcommerceCreateProfitSharingReturnOrder {
    EcommerceCreateProfitSharingReturnOrder::new(EcommerceCreateProfitSharingReturnOrderRequired {
        sub_mchid: SUB_MCHID.into(),
        out_return_no: no.into(),
        return_mchid: RECEIVER_MCHID.into(),
        amount: fen,
        description: "refund to the buyer".into(),
    })
    .with_out_order_no(of)
}

fn profit_sharing_return_query(no: &str, of: &str) -> EcommerceQueryProfitSharingReturnOrder {
    EcommerceQueryProfitSharingReturnOrder::new(EcommerceQueryProfitSharingReturnOrderRequired {
        sub_mchid: SUB_MCHID.into(),
        out_return_no: no.into(),
    })
    .with_out_order_no(of)
}

/// `digits` ASCII digits, as the pages' example ids (28 digits).
fn is_digits(id: &str, digits: usize) -> bool {
    id.len() == digits && id.bytes().all(|b| b.is_ascii_digit())
}

#[tokio::test]
async fn an_ecommerce_profit_sharing_is_requested_read_back_finished_and_returned() {
    let (mock, client) = platform();
    let transaction_id = paid_partner_order(&mock, &client, "ECO-PS-0001", 1000).await;
    let created = client
        .execute(&profit_sharing("EPS-0001", &transaction_id, 100))
        .await
        .unwrap()
        .data;
    assert_eq!(created.out_order_no, "EPS-0001");
    assert!(is_digits(&created.order_id, 28), "{}", created.order_id);
    assert_eq!(created.transaction_id, transaction_id);
    assert_eq!(created.sub_mchid, SUB_MCHID);
    assert_eq!(
        created.status,
        Some(EcommerceProfitSharingOrderStatus::Processing)
    );
    let receivers = created.receivers.clone().unwrap();
    assert_eq!(receivers.len(), 1);
    assert_eq!(receivers[0].receiver_account, RECEIVER_MCHID);
    assert_eq!(receivers[0].amount, 100);
    assert_eq!(
        receivers[0].type_,
        EcommerceProfitSharingReceiverType::MerchantId
    );

    let read = client
        .execute(&profit_sharing_query("EPS-0001", &transaction_id))
        .await
        .unwrap()
        .data;
    assert_eq!(read.order_id, created.order_id);
    assert_eq!(read.transaction_id, transaction_id);
    assert_eq!(
        read.status,
        Some(EcommerceProfitSharingOrderStatus::Processing)
    );
    assert_eq!(
        mock.state_of("ecommerce_profit_sharing_order", "EPS-0001")
            .as_deref(),
        Some("PROCESSING")
    );

    // The platform finishes it (no notification is declared for this): the query says so.
    assert!(mock
        .scenario(
            "ecommerce_profit_sharing_order",
            &created.order_id,
            "finish"
        )
        .is_none());
    let finished = client
        .execute(&profit_sharing_query("EPS-0001", &transaction_id))
        .await
        .unwrap()
        .data;
    assert_eq!(
        finished.status,
        Some(EcommerceProfitSharingOrderStatus::Finished)
    );
    // A finished order does not close.
    assert!(mock
        .scenario("ecommerce_profit_sharing_order", "EPS-0001", "close")
        .is_none());
    assert_eq!(
        mock.state_of("ecommerce_profit_sharing_order", "EPS-0001")
            .as_deref(),
        Some("FINISHED")
    );

    // A return against it: answered at once (the page: processed synchronously).
    let returned = client
        .execute(&profit_sharing_return("EPR-0001", "EPS-0001", 40))
        .await
        .unwrap()
        .data;
    assert_eq!(returned.out_return_no, "EPR-0001");
    assert!(
        is_digits(&returned.return_no, 28) && returned.return_no.starts_with("30"),
        "{}",
        returned.return_no
    );
    assert_eq!(returned.order_id, created.order_id, "the parent's id");
    assert_eq!(returned.out_order_no, "EPS-0001");
    assert_eq!(returned.return_mchid, RECEIVER_MCHID);
    assert_eq!(returned.amount, 40);
    assert_eq!(returned.result, EcommerceProfitSharingReturnResult::Success);
    let read = client
        .execute(&profit_sharing_return_query("EPR-0001", "EPS-0001"))
        .await
        .unwrap()
        .data;
    assert_eq!(read.return_no, returned.return_no);
    assert_eq!(read.result, EcommerceProfitSharingReturnResult::Success);
    assert_eq!(read.amount, 40);
    assert_eq!(read.finish_time, returned.finish_time);
}

#[tokio::test]
async fn an_ecommerce_profit_sharing_never_requested_is_not_found() {
    let (mock, client) = platform();
    let missing = client
        .execute(&profit_sharing_query(
            "EPS-404",
            "4208450740201411110007820472",
        ))
        .await;
    assert_eq!(refused(missing), (404, "RESOURCE_NOT_EXISTS".to_owned()));
    let missing = client
        .execute(&profit_sharing_return_query("EPR-404", "EPS-404"))
        .await;
    // Assumed code (the query-return table was not readable): the query-order row.
    assert_eq!(refused(missing), (404, "RESOURCE_NOT_EXISTS".to_owned()));

    // No such paid order: nothing to share (assumed code). An order not paid yet has no
    // transaction_id to name it by.
    let answer = client
        .execute(&profit_sharing(
            "EPS-0002",
            "4208450740201411110007820472",
            10,
        ))
        .await;
    assert_eq!(refused(answer), (400, "INVALID_REQUEST".to_owned()));
    client
        .execute(&partner_order("ECO-PS-0002", 100))
        .await
        .unwrap();
    let unpaid = client
        .execute(&PartnerQueryOrderByOutTradeNo::new(
            PartnerQueryOrderByOutTradeNoRequired {
                out_trade_no: "ECO-PS-0002".into(),
                sp_mchid: MCHID.into(),
                sub_mchid: SUB_MCHID.into(),
            },
        ))
        .await
        .unwrap()
        .data;
    assert_eq!(unpaid.transaction_id, None, "unpaid: no transaction_id yet");

    // A return against no known profit-sharing order (assumed code).
    let answer = client
        .execute(&profit_sharing_return("EPR-0002", "EPS-NONE", 10))
        .await;
    assert_eq!(refused(answer), (400, "INVALID_REQUEST".to_owned()));
    // Nor against a closed one.
    let transaction_id = paid_partner_order(&mock, &client, "ECO-PS-0003", 500).await;
    client
        .execute(&profit_sharing("EPS-0003", &transaction_id, 50))
        .await
        .unwrap();
    assert!(mock
        .scenario("ecommerce_profit_sharing_order", "EPS-0003", "close")
        .is_none());
    let closed = client
        .execute(&profit_sharing_query("EPS-0003", &transaction_id))
        .await
        .unwrap()
        .data;
    assert_eq!(
        closed.status,
        Some(EcommerceProfitSharingOrderStatus::Closed)
    );
    let answer = client
        .execute(&profit_sharing_return("EPR-0003", "EPS-0003", 10))
        .await;
    assert_eq!(refused(answer), (400, "INVALID_REQUEST".to_owned()));
}

#[tokio::test]
async fn an_ecommerce_profit_sharing_number_used_again_is_the_same_or_refused() {
    let (mock, client) = platform();
    let transaction_id = paid_partner_order(&mock, &client, "ECO-PS-0004", 1000).await;
    let first = client
        .execute(&profit_sharing("EPS-0004", &transaction_id, 100))
        .await
        .unwrap()
        .data;
    // "同一分账单号多次请求等同一次": the same order.
    let again = client
        .execute(&profit_sharing("EPS-0004", &transaction_id, 100))
        .await
        .unwrap()
        .data;
    assert_eq!(first.order_id, again.order_id);
    // Other receivers' amounts under the same number (assumed code).
    let changed = client
        .execute(&profit_sharing("EPS-0004", &transaction_id, 150))
        .await;
    assert_eq!(refused(changed), (400, "INVALID_REQUEST".to_owned()));

    let first = client
        .execute(&profit_sharing_return("EPR-0004", "EPS-0004", 30))
        .await
        .unwrap()
        .data;
    let again = client
        .execute(&profit_sharing_return("EPR-0004", "EPS-0004", 30))
        .await
        .unwrap()
        .data;
    assert_eq!(first.return_no, again.return_no);
    let changed = client
        .execute(&profit_sharing_return("EPR-0004", "EPS-0004", 20))
        .await;
    assert_eq!(refused(changed), (400, "INVALID_REQUEST".to_owned()));
}
