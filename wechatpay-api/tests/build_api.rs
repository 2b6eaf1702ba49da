//! Pins the public API shape of a sample of the seed groups' operations, one per kind of body
//! and answer (in the style of progenitor's `tests/build_*.rs`): each is called, with its exact
//! types, inside functions that are compiled but never run, so a change to the generated API
//! fails to compile here. The runtime tests check what each puts on the wire: method, host,
//! path, encrypted fields. Every generated operation is called against the mock by
//! `tests/generated/every_operation.rs`, which `cargo xtask codegen` writes.

use wechatpay_api::hk_complaint_notifications::{
    ComplaintNotificationUrl, CreateComplaintNotification, DeleteComplaintNotification,
    QueryComplaintNotification, UpdateComplaintNotification,
};
use wechatpay_api::operation::{Answer, Body, Method};
use wechatpay_api::papay::{NotifyDeductionFailure, NotifyDeductionFailureRequired};
use wechatpay_api::webank_audit_result::{
    AuditResult, NotifyAuditResult, NotifyAuditResultRequired, NotifyAuditResultResponse,
};
use wechatpay_api::webank_recover::{
    RecoverLedgerControl, RecoverLedgerControlRequired, RecoverLedgerControlResponse,
};
use wechatpay_api::wechatpay_core::Bytes;
use wechatpay_api::{Client, Error, Host, Operation, Response};
use wechatpay_core::__private::fill_path;

fn audit() -> NotifyAuditResult {
    NotifyAuditResult::new(NotifyAuditResultRequired {
        out_request_no: "htozr8denqegbt6tk6u10iymo7yww5pn".into(),
        mchid: "1900016681".into(),
        audit_result: AuditResult::Pass,
    })
    .with_audit_finish_time(time::macros::datetime!(2015-05-20 13:29:35 +08:00))
    .with_attach_info("updateidcard")
    .with_fail_code("1001")
    .with_fail_msg("IDCARD_ILLEGAL")
}

fn recover() -> RecoverLedgerControl {
    RecoverLedgerControl::new(RecoverLedgerControlRequired {
        out_request_no: "out".into(),
        related_webank_punish_no: "webank".into(),
        related_wxpay_punish_no: "wxpay".into(),
        mchid: "1900016681".into(),
        bal_account_no: "6222000011112222".into(),
    })
    .with_recover_reason("resolved")
}

#[allow(dead_code)]
async fn every_operation(client: &Client) -> Result<(), Error> {
    let _: Response<NotifyAuditResultResponse> = client.execute(&audit()).await?;
    let _: Response<RecoverLedgerControlResponse> = client.execute(&recover()).await?;
    let _: Response<ComplaintNotificationUrl> = client
        .execute(&CreateComplaintNotification::new("https://a.example/n"))
        .await?;
    let _: Response<ComplaintNotificationUrl> = client.execute(&QueryComplaintNotification).await?;
    let _: Response<ComplaintNotificationUrl> = client
        .execute(&UpdateComplaintNotification::new("https://a.example/n"))
        .await?;
    let _: Response<()> = client.execute(&DeleteComplaintNotification).await?;
    let _: Response<()> = client
        .execute(&NotifyDeductionFailure::new(
            NotifyDeductionFailureRequired {
                contract_id: "123".into(),
                mchid: "1230000109".into(),
                appid: "wxd678efh567hg6787".into(),
            },
        ))
        .await?;
    let _: Response<Option<serde_json::Value>> = client
        .chain("/v3/papay/contracts/{contract_id}/fail-notify")
        .param("contract_id", "123")
        .post(serde_json::json!({}))
        .await?;
    Ok(())
}

#[cfg(feature = "blocking")]
#[allow(dead_code)]
fn every_operation_blocking(client: &wechatpay_api::blocking::Client) -> Result<(), Error> {
    let _: Response<NotifyAuditResultResponse> = client.execute(&audit())?;
    let _: Response<RecoverLedgerControlResponse> = client.execute(&recover())?;
    let _: Response<ComplaintNotificationUrl> =
        client.execute(&CreateComplaintNotification::new("https://a.example/n"))?;
    let _: Response<ComplaintNotificationUrl> = client.execute(&QueryComplaintNotification)?;
    let _: Response<ComplaintNotificationUrl> =
        client.execute(&UpdateComplaintNotification::new("https://a.example/n"))?;
    let _: Response<()> = client.execute(&DeleteComplaintNotification)?;
    let _: Response<()> = client.execute(&NotifyDeductionFailure::new(
        NotifyDeductionFailureRequired {
            contract_id: "123".into(),
            mchid: "1230000109".into(),
            appid: "wxd678efh567hg6787".into(),
        },
    ))?;
    Ok(())
}

/// Method, host, the path as sent, the encrypted fields, whether `Wechatpay-Serial` is needed.
fn wire<O: Operation>(op: &O) -> (Method, Host, String, Vec<&str>, bool) {
    let request = op.request();
    let encrypted = match request.body {
        Body::Json { encrypted, .. } => encrypted.to_vec(),
        _ => Vec::new(),
    };
    (
        request.method,
        request.host,
        fill_path(request.path, &request.path_params).unwrap(),
        encrypted,
        request.platform_serial,
    )
}

#[test]
fn operations_put_the_spec_on_the_wire() {
    let notify = "/v3/aggracct-bc/wb-channel/control-orders/info/update/result/notify".to_owned();
    let recover_path = "/v3/aggracct-bc/wb-channel/control-orders/recover".to_owned();
    let hk = "/v3/global/merchant-service/complaint-notifications".to_owned();
    assert_eq!(
        wire(&audit()),
        (Method::POST, Host::Mainland, notify, vec![], false)
    );
    assert_eq!(
        wire(&recover()),
        (
            Method::POST,
            Host::Mainland,
            recover_path,
            vec!["/bal_account_no"],
            true
        )
    );
    assert_eq!(
        wire(&CreateComplaintNotification::new("https://a.example/n")),
        (Method::POST, Host::HongKong, hk.clone(), vec![], false)
    );
    assert_eq!(
        wire(&QueryComplaintNotification),
        (Method::GET, Host::HongKong, hk.clone(), vec![], false)
    );
    assert_eq!(
        wire(&UpdateComplaintNotification::new("https://a.example/n")),
        (Method::PUT, Host::HongKong, hk.clone(), vec![], false)
    );
    assert_eq!(
        wire(&DeleteComplaintNotification),
        (Method::DELETE, Host::HongKong, hk, vec![], false)
    );
    let papay = NotifyDeductionFailure::new(NotifyDeductionFailureRequired {
        contract_id: "12/3 4".into(),
        mchid: "1230000109".into(),
        appid: "wxd678efh567hg6787".into(),
    });
    assert_eq!(
        wire(&papay),
        (
            Method::POST,
            Host::Mainland,
            "/v3/papay/contracts/12%2F3%204/fail-notify".to_owned(),
            vec![],
            false
        )
    );
    assert_eq!(audit().request().answer, Answer::Json);
    assert_eq!(DeleteComplaintNotification.request().answer, Answer::Empty);
}

#[test]
fn bodies_serialize_without_nulls_and_decode_204_without_serde() {
    let audit_of = |result| {
        NotifyAuditResult::new(NotifyAuditResultRequired {
            out_request_no: "a".into(),
            mchid: "b".into(),
            audit_result: result,
        })
    };
    let body = serde_json::to_value(audit_of(AuditResult::Reject).body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"out_request_no": "a", "mchid": "b", "audit_result": "REJECT"})
    );
    let unknown = serde_json::to_value(audit_of(AuditResult::from("LATER")).body).unwrap();
    assert_eq!(unknown["audit_result"], "LATER");
    assert!(
        DeleteComplaintNotification
            .decode(&Bytes::from_static(b"not json at all"))
            .is_ok(),
        "204 never reaches serde"
    );
}

#[test]
fn sensitive_fields_are_redacted_in_debug() {
    let text = format!("{:?}", recover());
    assert!(!text.contains("6222000011112222"), "{text}");
    assert!(text.contains("bal_account_no: \"<redacted>\""), "{text}");
    assert!(text.contains("webank"), "other fields stay visible: {text}");
}

#[test]
fn an_absent_sensitive_field_shows_as_absent_and_a_present_one_never_shows() {
    use wechatpay_api::refund_domestic::{
        ApplyAbnormalRefund, ApplyAbnormalRefundRequestType, ApplyAbnormalRefundRequired,
    };
    let op = ApplyAbnormalRefund::new(ApplyAbnormalRefundRequired {
        refund_id: "50000000382019052709732678859".into(),
        out_refund_no: "1217752501201407033233368018".into(),
        type_: ApplyAbnormalRefundRequestType::UserBankCard,
    });
    let absent = format!("{op:?}");
    assert!(absent.contains("bank_account: None"), "{absent}");
    let present = format!("{:?}", op.with_bank_account("6222020200012345678"));
    assert!(
        present.contains("bank_account: Some(\"<redacted>\")"),
        "{present}"
    );
    assert!(!present.contains("6222020200012345678"), "{present}");
}

/// Calls can be spawned on a multi-threaded runtime: their futures are `Send`.
#[allow(dead_code)]
fn futures_are_send(client: &Client) {
    fn send<T: Send>(_: T) {}
    send(client.execute(&audit()));
    send(client.execute(&recover()));
    send(client.chain("/v3/x").get());
    send(client.refresh_certificates(&wechatpay_api::certificates::DownloadCertificates));
}
