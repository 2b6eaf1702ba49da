//! Every fault the mock injects maps to the right typed error, for the async and the blocking
//! client alike, and nothing panics. Also: opt-in failover to the backup host.

mod common;

use wechatpay_api::operation::HeaderName;

use std::time::Duration;

use common::*;
use wechatpay_api::{Error, Hosts, VerifyError};
use wechatpay_mock::Fault;

/// The error each fault must give.
fn expected(fault: Fault, err: &Error) -> bool {
    match (fault, err) {
        (
            Fault::TamperedBody | Fault::WrongKey,
            Error::Verify {
                source: VerifyError::BadSignature,
                request_id: Some(_),
            },
        ) => true,
        (
            Fault::WrongSerial,
            Error::Verify {
                source: VerifyError::UnknownSerial(s),
                ..
            },
        ) => s.starts_with("PUB_KEY_ID_0000"),
        (
            Fault::StaleTimestamp,
            Error::Verify {
                source: VerifyError::StaleTimestamp { skew, .. },
                ..
            },
        ) => (599..=601).contains(skew),
        (
            Fault::SignTest,
            Error::Verify {
                source: VerifyError::SignTestProbe,
                ..
            },
        ) => true,
        (
            Fault::MissingSignature,
            Error::Verify {
                source: VerifyError::MissingHeader("Wechatpay-Signature"),
                ..
            },
        ) => true,
        (Fault::SystemError, Error::Api(e)) => {
            e.status == 500
                && e.code == "SYSTEM_ERROR"
                && e.is_retryable()
                && e.request_id.is_some()
        }
        (Fault::RateLimited, Error::Api(e)) => {
            e.status == 429 && e.code == "FREQUENCY_LIMITED" && e.is_retryable()
        }
        (Fault::Slow(_), Error::Transport { source, .. }) => source.is_timeout(),
        (Fault::ConnectionReset, Error::Transport { .. }) => true,
        _ => false,
    }
}

const FAULTS: [Fault; 10] = [
    Fault::TamperedBody,
    Fault::WrongSerial,
    Fault::StaleTimestamp,
    Fault::WrongKey,
    Fault::SignTest,
    Fault::MissingSignature,
    Fault::SystemError,
    Fault::RateLimited,
    Fault::Slow(Duration::from_millis(1500)),
    Fault::ConnectionReset,
];

#[tokio::test]
async fn every_fault_gives_its_typed_error_async() {
    let mock = mock();
    let client = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .timeout(Duration::from_millis(700))
        .build()
        .unwrap();
    for fault in FAULTS {
        // A JSON answer and a 204 answer: both are verified.
        mock.fault_next(fault);
        let err = client.execute(&audit()).await.unwrap_err();
        assert!(
            expected(fault, &err),
            "{fault:?} on a JSON answer gave {err:?}"
        );
        mock.fault_next(fault);
        let err = client.execute(&papay()).await.unwrap_err();
        assert!(expected(fault, &err), "{fault:?} on a 204 gave {err:?}");
    }
    // The instance recovers: no fault, success.
    assert_eq!(
        client.execute(&audit()).await.unwrap().data.ret_msg,
        "SUCCESS"
    );
}

#[test]
fn every_fault_gives_its_typed_error_blocking() {
    let mock = mock();
    let client = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .timeout(Duration::from_millis(700))
        .build_blocking()
        .unwrap();
    for fault in FAULTS {
        mock.set_fault(Some(fault));
        let err = client.execute(&recover()).unwrap_err();
        assert!(expected(fault, &err), "{fault:?} gave {err:?}");
    }
    mock.set_fault(None);
    assert_eq!(client.execute(&papay()).unwrap().status, 204);
}

#[tokio::test]
async fn faults_can_be_chosen_per_request_by_header() {
    let mock = mock();
    let client = client(&mock);
    let hk = "/v3/global/merchant-service/complaint-notifications";
    let err = client
        .chain(hk)
        .host(wechatpay_api::Host::HongKong)
        .header(HeaderName::from_static("x-mock-fault"), "signtest")
        .get()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Verify {
                source: VerifyError::SignTestProbe,
                ..
            }
        ),
        "{err}"
    );
    // Only that request: the next one, without the header, succeeds.
    assert!(client
        .chain(hk)
        .host(wechatpay_api::Host::HongKong)
        .get()
        .await
        .is_ok());
    assert_eq!(mock.requests()[0].header("X-Mock-Fault"), Some("signtest"));
}

fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[tokio::test]
async fn failover_to_the_backup_host_on_connection_errors_only_when_enabled() {
    let mock = mock();
    let hosts = Hosts {
        mainland: closed_port(),
        mainland_backup: mock.base_url().to_owned(),
        hong_kong: mock.base_url().to_owned(),
    };
    let builder = || {
        mock.credentials()
            .client_builder(mock.base_url())
            .unwrap()
            .hosts(hosts.clone())
    };
    let err = builder()
        .build()
        .unwrap()
        .execute(&audit())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport { source, .. } if source.is_connect()),
        "{err:?}"
    );
    assert!(mock.requests().is_empty());
    // With failover, a non-idempotent POST is safe: it never reached the first host.
    let ok = builder()
        .failover(true)
        .build()
        .unwrap()
        .execute(&audit())
        .await
        .unwrap();
    assert_eq!(ok.data.ret_msg, "SUCCESS");
    assert_eq!(mock.requests().len(), 1);
    // An answer that arrived (even a 500) is never sent again to the backup.
    let failover_to_same = Hosts {
        mainland: mock.base_url().to_owned(),
        ..hosts.clone()
    };
    mock.fault_next(Fault::SystemError);
    let client = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .hosts(failover_to_same)
        .failover(true)
        .build()
        .unwrap();
    assert!(matches!(client.execute(&audit()).await, Err(Error::Api(_))));
    assert_eq!(mock.requests().len(), 2);
}
