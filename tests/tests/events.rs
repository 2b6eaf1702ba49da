//! Typed notification events end to end: the mock sends each event type a spec declares, signed
//! and encrypted; `NotificationHandler::parse_event` verifies, decrypts and types it.

mod common;

use std::path::Path;

use serde_json::json;
use wechatpay_api::{Event, NotificationError};
use wechatpay_mock::MockPlatform;

fn mock() -> MockPlatform {
    let events =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../generator/tests/fixtures/ok/events");
    MockPlatform::builder().spec_dir(events).start().unwrap()
}

#[test]
fn every_event_the_spec_declares_is_sent_by_the_mock_and_typed() {
    // The embedded spec: the one `wechatpay_api` is generated from.
    let mock = MockPlatform::start().unwrap();
    let handler = common::client(&mock).notification_handler().unwrap();
    let declared: Vec<(String, String)> = mock
        .api()
        .groups
        .iter()
        .flat_map(|g| g.events.iter())
        .map(|e| (e.event_type.clone(), e.rust_name.clone()))
        .collect();
    assert!(declared.len() >= 7, "{declared:?}");
    // Every resource shape of every event type, and each decodes as its own variant.
    for (event_type, variant) in &declared {
        let sent = mock.event_as(variant, &json!({})).unwrap();
        let (notification, event) = handler
            .parse_event::<Event>(&sent.headers, &sent.body)
            .unwrap_or_else(|e| panic!("{event_type}: {e}"));
        assert_eq!(&notification.event_type, event_type);
        assert_eq!(event.event_type(), event_type);
        assert!(
            format!("{event:?}").starts_with(&format!("{variant}(")),
            "{variant}: {event:?}"
        );
    }
    assert!(mock.event("NOT.DECLARED", &json!({})).is_none());
}

/// One event type, three receivers: a direct merchant, a service provider and a combine-order
/// merchant each get `TRANSACTION.SUCCESS` with the resource of their own kind.
#[test]
fn a_payment_notification_decodes_into_the_receivers_own_resource() {
    let mock = MockPlatform::start().unwrap();
    let handler = common::client(&mock).notification_handler().unwrap();
    let parse = |sent: wechatpay_mock::SignedNotification| {
        handler
            .parse_event::<Event>(&sent.headers, &sent.body)
            .unwrap()
            .1
    };
    let direct = mock.event(
        "TRANSACTION.SUCCESS",
        &json!({"mchid": "1230000109", "out_trade_no": "D-1"}),
    );
    match parse(direct.unwrap()) {
        Event::TransactionSuccess(t) => {
            assert_eq!(
                (t.mchid.as_str(), t.out_trade_no.as_str()),
                ("1230000109", "D-1")
            )
        }
        other => panic!("{other:?}"),
    }
    let partner = mock.event(
        "TRANSACTION.SUCCESS",
        &json!({"sp_mchid": "1900000100", "sub_mchid": "1900000109", "out_trade_no": "P-1"}),
    );
    match parse(partner.unwrap()) {
        Event::PartnerTransactionSuccess(t) => {
            assert_eq!(t.sp_mchid, "1900000100");
            assert_eq!(t.sub_mchid, "1900000109");
            assert_eq!(t.out_trade_no, "P-1");
        }
        other => panic!("{other:?}"),
    }
    let combine = mock.event(
        "TRANSACTION.SUCCESS",
        &json!({"combine_mchid": "1900000109", "combine_out_trade_no": "C-1"}),
    );
    match parse(combine.unwrap()) {
        Event::CombineTransactionSuccess(t) => {
            assert_eq!(t.combine_out_trade_no, "C-1");
            assert!(
                t.sub_orders.is_some_and(|s| !s.is_empty()),
                "the example's sub-orders"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_event_types_keep_their_json_and_mismatched_resources_are_errors() {
    let mock = mock();
    let handler = common::client(&mock).notification_handler().unwrap();
    let sent = mock.event("MCHTRANSFER.BILL.FINISHED", &json!({"out_bill_no": "B-1"}));
    let sent = sent.unwrap();
    // The fixture declares it with another model than the API's: the API's model wants more.
    let resource = json!({"complaint_id": "C-1"});
    let other = mock.notification("COMPLAINT.UNHEARD_OF", "?", "complaint", &resource, None);
    match handler
        .parse_event::<Event>(&other.headers, &other.body)
        .unwrap()
        .1
    {
        Event::Unknown {
            event_type,
            resource,
        } => {
            assert_eq!(event_type, "COMPLAINT.UNHEARD_OF");
            assert_eq!(resource["complaint_id"], "C-1");
        }
        typed => panic!("{typed:?}"),
    }
    match handler.parse_event::<Event>(&sent.headers, &sent.body) {
        Err(wechatpay_api::NotificationError::Event { event_type, .. }) => {
            assert_eq!(event_type, "MCHTRANSFER.BILL.FINISHED")
        }
        other => panic!("a resource that does not match its model is an error: {other:?}"),
    }
    // The untyped path still reads it.
    let notification = handler.parse(&sent.headers, &sent.body).unwrap();
    assert_eq!(notification.resource["out_bill_no"], "B-1");
}

#[test]
fn values_lay_over_the_example_and_the_original_type_follows_the_event() {
    let mock = mock();
    let handler = common::client(&mock).notification_handler().unwrap();
    let sent = mock
        .event(
            "TRANSACTION.SUCCESS",
            &json!({"out_trade_no": "T-9", "amount": {"total": 9}}),
        )
        .unwrap();
    let notification = handler.parse(&sent.headers, &sent.body).unwrap();
    assert_eq!(notification.original_type.as_deref(), Some("transaction"));
    // Examples from the spec stay where no value was given.
    assert_eq!(
        notification.resource,
        json!({"out_trade_no": "T-9", "trade_state": "SUCCESS", "amount": {"total": 9}})
    );
    // A required member without an example is synthesised.
    let refund = mock.event("REFUND.ABNORMAL", &json!({})).unwrap();
    let refund = handler.parse(&refund.headers, &refund.body).unwrap();
    assert!(refund.resource["out_refund_no"].is_string());
    assert_eq!(refund.resource["refund_status"], "SUCCESS");
}

#[test]
fn a_tampered_event_is_refused_before_typing() {
    let mock = mock();
    let handler = common::client(&mock).notification_handler().unwrap();
    let mut sent = mock.event("TRANSACTION.SUCCESS", &json!({})).unwrap();
    let at = sent.body.len() / 2;
    sent.body[at] ^= 1;
    let err = handler
        .parse_event::<Event>(&sent.headers, &sent.body)
        .unwrap_err();
    assert!(matches!(err, NotificationError::Verify(_)), "{err:?}");
}
