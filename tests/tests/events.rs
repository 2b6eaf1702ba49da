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
fn the_mock_sends_each_declared_event_and_it_parses() {
    let mock = mock();
    let handler = common::client(&mock).notification_handler().unwrap();
    for event_type in [
        "TRANSACTION.SUCCESS",
        "REFUND.ABNORMAL",
        "MCHTRANSFER.BILL.FINISHED",
    ] {
        let sent = mock.event(event_type, &json!({})).unwrap();
        let (notification, event) = handler
            .parse_event::<Event>(&sent.headers, &sent.body)
            .unwrap();
        assert_eq!(notification.event_type, event_type);
        // The spec crate's own events know none of the fixture's types.
        assert_eq!(event.event_type(), event_type);
        assert!(matches!(event, Event::Unknown { .. }), "{event:?}");
    }
    assert!(mock.event("NOT.DECLARED", &json!({})).is_none());
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
