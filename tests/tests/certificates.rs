//! Platform certificates are trusted only within their validity window, a held key is pinned,
//! and a downloaded list is verified before anything in it is stored.

mod common;

use common::*;
use std::sync::atomic::{AtomicUsize, Ordering};

use wechatpay_api::certificates::{DownloadCertificates, DownloadCertificatesResponse};
use wechatpay_api::operation::{Answer, HeaderName, Request};
use wechatpay_api::time::{Duration, OffsetDateTime};
use wechatpay_api::{
    Bytes, Certificate, CertificateRefresh, Client, Error, KeyError, KeyStore, Limits,
    NotificationError, NotificationHandler, Operation, PublicKey, TransportErrorKind, VerifyError,
};
use wechatpay_mock::{Fault, MockPlatform, TrustMode};

/// A mock that has only a platform certificate, valid in `[not_before, not_after]`.
fn certificate_mock(not_before: OffsetDateTime, not_after: OffsetDateTime) -> MockPlatform {
    MockPlatform::builder()
        .trust(TrustMode::Certificates)
        .platform_certificate_validity(not_before, not_after)
        .start()
        .unwrap()
}

#[tokio::test]
async fn a_certificate_outside_its_validity_window_is_not_used_to_verify_or_encrypt() {
    let now = OffsetDateTime::now_utc();
    for (not_before, not_after) in [
        (now - Duration::days(3650), now - Duration::days(1)), // expired
        (now + Duration::days(1), now + Duration::days(3650)), // not yet valid
    ] {
        let mock = certificate_mock(not_before, not_after);
        let serial = mock.credentials().platform_certificate_serial.clone();
        let stale = |e: &VerifyError| matches!(e, VerifyError::CertificateNotValid(c) if c.serial == serial);
        // The first download is signed with that certificate: refused, nothing stored.
        let fresh = certificate_mode_client(&mock);
        let err = fresh
            .refresh_certificates(&DownloadCertificates)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Verify { source, .. } if stale(source)),
            "{err}"
        );
        assert!(fresh.key_store().is_empty());
        // Held already: answers signed with it are refused, and it encrypts nothing.
        let (client, _) = client_trusting_certificate(&mock);
        let err = client.execute(&audit()).await.unwrap_err();
        assert!(
            matches!(&err, Error::Verify { source, .. } if stale(source)),
            "{err}"
        );
        let before = mock.requests().len();
        let err = client.execute(&recover()).await.unwrap_err();
        assert!(
            matches!(&err, Error::CertificateNotValid { source, .. } if source.serial == serial),
            "{err}"
        );
        assert_eq!(mock.requests().len(), before, "nothing was sent");
        // Notifications signed with it are refused too.
        mock.sign_notifications_with_certificate(true);
        let sent = mock.notification(
            "COMPLAINT.CREATE",
            "",
            "complaint",
            &serde_json::json!({}),
            None,
        );
        let handler = client.notification_handler().unwrap();
        assert!(matches!(
            handler.parse(&sent.headers, &sent.body),
            Err(NotificationError::Verify(ref e)) if stale(e)
        ));
    }
}

#[tokio::test]
async fn a_held_key_is_pinned_across_refreshes() {
    let serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
    let first = MockPlatform::builder()
        .platform_certificate_serial(serial)
        .start()
        .unwrap();
    let creds = first.credentials();
    let keys = KeyStore::new();
    let client = Client::builder(creds.credentials().unwrap())
        .key_store(keys.clone())
        .apiv3_key(creds.apiv3_key().unwrap())
        .base_url(first.base_url())
        .build()
        .unwrap();
    client
        .refresh_certificates(&DownloadCertificates)
        .await
        .unwrap();
    let pinned = keys.get(serial).unwrap();
    // Another platform lists the same serial with another key, in a list that verifies (it is
    // signed with a public key the store trusts).
    let second = MockPlatform::builder()
        .platform_certificate_serial(serial)
        .start()
        .unwrap();
    let other = second.credentials();
    keys.add_public_key(
        &other.public_key_id,
        PublicKey::from_pem(&other.public_key_pem).unwrap(),
    );
    let client = Client::builder(other.credentials().unwrap())
        .key_store(keys.clone())
        .apiv3_key(other.apiv3_key().unwrap())
        .base_url(second.base_url())
        .build()
        .unwrap();
    let err = client
        .refresh_certificates(&DownloadCertificates)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Key(KeyError::PinnedKeyMismatch { serial: s }) if s == serial),
        "{err}"
    );
    assert!(
        keys.get(serial).unwrap().same_key(&pinned),
        "the held key stays"
    );
    // The same certificate again is not a change.
    let again = Certificate::from_pem(&creds.platform_certificate_pem).unwrap();
    assert!(keys.add_certificate(&again).is_ok());
}

#[test]
fn a_list_naming_one_serial_with_two_keys_stores_nothing() {
    let serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
    let certificate = || {
        let mock = MockPlatform::builder()
            .platform_certificate_serial(serial)
            .start()
            .unwrap();
        Certificate::from_pem(&mock.credentials().platform_certificate_pem).unwrap()
    };
    let (first, second) = (certificate(), certificate());
    assert!(!first.public_key.same_key(&second.public_key));
    let keys = KeyStore::new();
    let err = keys.add_certificates(&[first.clone(), second]).unwrap_err();
    assert!(
        matches!(&err, KeyError::PinnedKeyMismatch { serial: s } if s == serial),
        "{err}"
    );
    assert!(keys.is_empty(), "nothing of the refused list is stored");
    // The same certificate twice is one key: stored.
    keys.add_certificates(&[first.clone(), first]).unwrap();
    assert_eq!(keys.serials(), [serial]);
}

#[tokio::test]
async fn the_certificate_list_is_verified_before_anything_is_stored() {
    let now = OffsetDateTime::now_utc();
    for fault in [Fault::TamperedBody, Fault::WrongKey, Fault::StaleTimestamp] {
        // A refresh, the signer's certificate held: verified before the list is even parsed.
        let mock = certificate_mock(now - Duration::days(1), now + Duration::days(365));
        let (client, keys) = client_trusting_certificate(&mock);
        let held = keys.serials();
        mock.set_fault(Some(fault));
        let err = client
            .refresh_certificates(&DownloadCertificates)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Verify { .. }), "{fault:?}: {err}");
        assert_eq!(keys.serials(), held, "{fault:?}: nothing stored");
        // The first download: refused (the tampered list may not even parse), nothing stored.
        let fresh = certificate_mode_client(&mock);
        let err = fresh
            .refresh_certificates(&DownloadCertificates)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Verify { .. } | Error::Decode { .. }),
            "{fault:?}: {err}"
        );
        assert!(fresh.key_store().is_empty(), "{fault:?}: nothing stored");
    }
    // A handler on an empty store trusts nothing.
    let mock = mock();
    let sent = mock.notification(
        "COMPLAINT.CREATE",
        "",
        "complaint",
        &serde_json::json!({}),
        None,
    );
    let empty = NotificationHandler::new(KeyStore::new(), mock.credentials().apiv3_key().unwrap());
    assert!(matches!(
        empty.parse(&sent.headers, &sent.body),
        Err(NotificationError::Verify(VerifyError::UnknownSerial(_)))
    ));
}

/// The generated operation, counting how often its answer is decoded.
#[derive(Default)]
struct CountingDownload {
    decoded: AtomicUsize,
}

impl Operation for CountingDownload {
    type Output = DownloadCertificatesResponse;

    fn request(&self) -> Request<'_> {
        let mut request = DownloadCertificates.request();
        request.id = "countingDownload";
        request
            .headers
            .push((HeaderName::from_static("x-counting"), "1".into()));
        request
    }

    fn decode(&self, body: &Bytes) -> Result<Self::Output, serde_json::Error> {
        self.decoded.fetch_add(1, Ordering::SeqCst);
        DownloadCertificates.decode(body)
    }
}

#[tokio::test]
async fn the_refresh_sends_the_operation_it_is_given_and_parses_only_verified_lists() {
    let now = OffsetDateTime::now_utc();
    let mock = certificate_mock(now - Duration::days(1), now + Duration::days(365));
    let serial = mock.credentials().platform_certificate_serial.clone();
    let client = certificate_mode_client(&mock);
    let op = CountingDownload::default();
    // The first download is parsed once, to find the certificate that signed it.
    assert_eq!(
        client.refresh_certificates(&op).await.unwrap(),
        CertificateRefresh::Updated(vec![serial.clone()])
    );
    assert_eq!(op.decoded.load(Ordering::SeqCst), 1);
    let sent = mock.requests().pop().unwrap();
    assert_eq!(sent.target, "/v3/certificates");
    assert_eq!(
        sent.header("x-counting"),
        Some("1"),
        "the operation's request"
    );
    // Missing signature headers, a probe, a stale timestamp: refused before the list is parsed,
    // whether the signer is held or not.
    for fault in [
        Fault::MissingSignature,
        Fault::SignTest,
        Fault::StaleTimestamp,
    ] {
        for client in [certificate_mode_client(&mock), client.clone()] {
            mock.fault_next(fault);
            let err = client.refresh_certificates(&op).await.unwrap_err();
            assert!(matches!(err, Error::Verify { .. }), "{fault:?}: {err}");
        }
    }
    assert_eq!(op.decoded.load(Ordering::SeqCst), 1, "not parsed");
    // With the signer held, a tampered list is refused before the operation decodes it.
    mock.fault_next(Fault::TamperedBody);
    let err = client.refresh_certificates(&op).await.unwrap_err();
    assert!(matches!(err, Error::Verify { .. }), "{err}");
    assert_eq!(op.decoded.load(Ordering::SeqCst), 1, "not parsed");
    // A good list is verified, then decoded by the operation, once.
    client.refresh_certificates(&op).await.unwrap();
    assert_eq!(op.decoded.load(Ordering::SeqCst), 2);
}

#[test]
fn the_blocking_client_refreshes_with_the_generated_operation() {
    let mock = MockPlatform::builder()
        .trust(TrustMode::Certificates)
        .start()
        .unwrap();
    let creds = mock.credentials();
    let client = Client::builder(creds.credentials().unwrap())
        .apiv3_key(creds.apiv3_key().unwrap())
        .base_url(mock.base_url())
        .build_blocking()
        .unwrap();
    assert_eq!(
        client.refresh_certificates(&DownloadCertificates).unwrap(),
        CertificateRefresh::Updated(vec![creds.platform_certificate_serial.clone()])
    );
    assert_eq!(
        client.key_store().serials(),
        vec![creds.platform_certificate_serial.clone()]
    );
    assert_eq!(client.execute(&audit()).unwrap().data.ret_msg, "SUCCESS");
}

/// The generated operation, with another answer kind.
struct UnsignedDownload(Answer);

impl Operation for UnsignedDownload {
    type Output = DownloadCertificatesResponse;

    fn request(&self) -> Request<'_> {
        DownloadCertificates.request().with_answer(self.0)
    }

    fn decode(&self, body: &Bytes) -> Result<Self::Output, serde_json::Error> {
        DownloadCertificates.decode(body)
    }
}

#[tokio::test]
async fn the_certificate_list_is_signed_json_read_under_the_answer_limit() {
    let mock = MockPlatform::builder()
        .trust(TrustMode::Certificates)
        .start()
        .unwrap();
    let client = certificate_mode_client(&mock);
    // An operation declaring another answer kind is refused before anything is sent.
    for answer in [Answer::Download, Answer::Accepted, Answer::Empty] {
        let err = client
            .refresh_certificates(&UnsignedDownload(answer))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::NotACertificateList { operation } if operation == "downloadCertificates"),
            "{answer:?}: {err}"
        );
    }
    assert!(mock.requests().is_empty(), "nothing was sent");
    // The list is a JSON answer: bounded by the answer limit, not the download one.
    let creds = mock.credentials();
    let small = Client::builder(creds.credentials().unwrap())
        .apiv3_key(creds.apiv3_key().unwrap())
        .base_url(mock.base_url())
        .limits(Limits {
            answer: 256,
            ..Limits::default()
        })
        .build()
        .unwrap();
    let err = small
        .refresh_certificates(&DownloadCertificates)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport { source, .. } if source.kind() == TransportErrorKind::TooLarge { limit: 256 }),
        "{err}"
    );
    assert!(small.key_store().is_empty());
}
