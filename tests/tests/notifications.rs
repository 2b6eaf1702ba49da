//! Notifications and platform certificates, end to end: the mock sends signed, encrypted
//! notifications over HTTP to a receiver built on `NotificationHandler`; certificates are
//! downloaded, verified, refreshed in the background, or reported absent.

mod common;

use std::time::Duration;

use common::*;
use wechatpay_api::certificates::DownloadCertificates;
use wechatpay_api::wechatpay_core::MIN_REFRESH_INTERVAL;
use wechatpay_api::{
    CertificateRefresh, Error, KeyStore, NotificationError, NotificationHandler, VerifyError,
};
use wechatpay_mock::{Fault, MockPlatform, TrustMode};

fn complaint() -> serde_json::Value {
    serde_json::json!({"complaint_id": "200201820200101080076610000", "action_type": "CREATE_COMPLAINT"})
}

#[tokio::test]
async fn a_complaint_notification_round_trips_over_http() {
    let mock = mock();
    // The client's own keys and APIv3 key verify and decrypt its notifications.
    let (url, mut parsed) = receiver(client(&mock).notification_handler().unwrap()).await;
    let sent = mock.notification(
        "COMPLAINT.CREATE",
        "产生新投诉",
        "complaint",
        &complaint(),
        None,
    );
    let (status, body) = mock.send_notification(&url, &sent).await.unwrap();
    assert_eq!((status, body.as_str()), (204, ""));
    let n = parsed.recv().await.unwrap().unwrap();
    assert_eq!(n.event_type, "COMPLAINT.CREATE");
    assert_eq!(n.resource_type, "encrypt-resource");
    assert_eq!(n.summary.as_deref(), Some("产生新投诉"));
    assert_eq!(n.original_type.as_deref(), Some("complaint"));
    assert_eq!(n.resource, complaint());
    assert!(n.create_time.is_some(), "{}", n.create_time_raw);
    #[derive(serde::Deserialize)]
    struct Complaint {
        complaint_id: String,
    }
    assert_eq!(
        n.decode::<Complaint>().unwrap().complaint_id,
        "200201820200101080076610000"
    );
}

#[tokio::test]
async fn bad_notifications_are_refused_with_their_reason_and_a_failure_answer() {
    let mock = mock();
    let creds = mock.credentials();
    let (url, mut parsed) = receiver(NotificationHandler::new(
        creds.key_store().unwrap(),
        creds.apiv3_key().unwrap(),
    ))
    .await;
    type Check = fn(&NotificationError) -> bool;
    let cases: [(Fault, Check); 6] = [
        (Fault::TamperedBody, |e| {
            matches!(e, NotificationError::Verify(VerifyError::BadSignature))
        }),
        (Fault::WrongKey, |e| {
            matches!(e, NotificationError::Verify(VerifyError::BadSignature))
        }),
        (Fault::WrongSerial, |e| {
            matches!(e, NotificationError::Verify(VerifyError::UnknownSerial(_)))
        }),
        (Fault::StaleTimestamp, |e| {
            matches!(
                e,
                NotificationError::Verify(VerifyError::StaleTimestamp { .. })
            )
        }),
        (Fault::SignTest, |e| {
            matches!(e, NotificationError::Verify(VerifyError::SignTestProbe))
        }),
        (Fault::MissingSignature, |e| {
            matches!(e, NotificationError::Verify(VerifyError::MissingHeader(_)))
        }),
    ];
    for (fault, check) in cases {
        let sent = mock.notification(
            "COMPLAINT.STATE_CHANGE",
            "投诉状态变化",
            "complaint",
            &complaint(),
            Some(fault),
        );
        let (status, body) = mock.send_notification(&url, &sent).await.unwrap();
        assert_eq!(status, 500, "{fault:?}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"],
            "FAIL"
        );
        let err = parsed.recv().await.unwrap().unwrap_err();
        assert!(check(&err), "{fault:?} gave {err:?}");
    }
    // A wrong APIv3 key cannot open the resource.
    let wrong = NotificationHandler::new(
        creds.key_store().unwrap(),
        wechatpay_api::ApiV3Key::new("0123456789abcdefghijklmnopqrstuv").unwrap(),
    );
    let sent = mock.notification("COMPLAINT.CREATE", "", "complaint", &complaint(), None);
    let err = wrong.parse(&sent.headers, &sent.body).unwrap_err();
    assert!(matches!(err, NotificationError::Resource(_)), "{err:?}");
    // Re-serialized JSON (what frameworks hand over after parsing) does not verify.
    let reserialized = serde_json::to_vec_pretty(
        &serde_json::from_slice::<serde_json::Value>(&sent.body).unwrap(),
    )
    .unwrap();
    let handler = NotificationHandler::new(creds.key_store().unwrap(), creds.apiv3_key().unwrap());
    assert!(matches!(
        handler.parse(&sent.headers, &reserialized),
        Err(NotificationError::Verify(VerifyError::BadSignature))
    ));
    assert!(handler.parse(&sent.headers, &sent.body).is_ok());
    // A repeated signature header is refused with the same error as in an answer.
    let mut twice = sent.headers.clone();
    let serial = twice.get("Wechatpay-Serial").unwrap().clone();
    twice.append("Wechatpay-Serial", serial);
    assert!(matches!(
        handler.parse(&twice, &sent.body),
        Err(NotificationError::Verify(VerifyError::DuplicateHeader(
            "Wechatpay-Serial"
        )))
    ));
}

#[tokio::test]
async fn certificates_download_verify_and_serve_for_verification_and_encryption() {
    let mock = MockPlatform::builder()
        .trust(TrustMode::Certificates)
        .start()
        .unwrap();
    let creds = mock.credentials();
    let client = certificate_mode_client(&mock);
    // No key yet: an answer cannot be verified.
    let err = client.execute(&audit()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Verify {
                source: VerifyError::UnknownSerial(_),
                ..
            }
        ),
        "{err}"
    );
    // A tampered download is rejected and installs nothing.
    mock.fault_next(Fault::TamperedBody);
    assert!(client
        .refresh_certificates(&DownloadCertificates)
        .await
        .is_err());
    assert!(client.key_store().serials().is_empty());
    // The first download is verified with the certificate it carries.
    let refreshed = client
        .refresh_certificates(&DownloadCertificates)
        .await
        .unwrap();
    assert_eq!(
        refreshed,
        CertificateRefresh::Updated(vec![creds.platform_certificate_serial.clone()])
    );
    assert_eq!(
        client.execute(&audit()).await.unwrap().data.ret_msg,
        "SUCCESS"
    );
    // Sensitive fields are encrypted with the certificate, named by its serial.
    client.execute(&recover()).await.unwrap();
    let last = mock.requests().pop().unwrap();
    assert_eq!(
        last.header("Wechatpay-Serial"),
        Some(creds.platform_certificate_serial.as_str())
    );
    assert_eq!(
        last.plaintext_body.unwrap()["bal_account_no"],
        BAL_ACCOUNT_NO
    );
    // Wrong APIv3 key: the certificates do not decrypt.
    let wrong = wechatpay_api::Client::builder(creds.credentials().unwrap())
        .apiv3_key(wechatpay_api::ApiV3Key::new("0123456789abcdefghijklmnopqrstuv").unwrap())
        .base_url(mock.base_url())
        .build()
        .unwrap();
    assert!(matches!(
        wrong.refresh_certificates(&DownloadCertificates).await,
        Err(Error::Crypto(_))
    ));
}

#[tokio::test]
async fn public_key_only_merchants_get_not_available_not_a_crash() {
    let mock = MockPlatform::builder()
        .trust(TrustMode::PublicKey)
        .start()
        .unwrap();
    let client = client(&mock);
    assert_eq!(
        client
            .refresh_certificates(&DownloadCertificates)
            .await
            .unwrap(),
        CertificateRefresh::NotAvailable
    );
    // The background task ends by itself.
    let task = client.spawn_certificate_refresh(DownloadCertificates, Duration::from_millis(50));
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the refresh task stops")
        .unwrap();
    assert_eq!(client.execute(&papay()).await.unwrap().status, 204);
    // A client that holds a certificate keeps asking: those it holds would expire with no
    // successor.
    let keys = mock.credentials().key_store().unwrap();
    assert!(
        !keys.has_certificates(),
        "a public key is not a certificate"
    );
    let cert = mock.credentials().platform_certificate_pem.clone();
    keys.add_certificate(&wechatpay_api::Certificate::from_pem(&cert).unwrap())
        .unwrap();
    assert!(keys.has_certificates());
    let holding = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .key_store(keys)
        .build()
        .unwrap();
    let before = certificate_downloads(&mock);
    let task = holding.spawn_certificate_refresh(DownloadCertificates, Duration::from_millis(1));
    let seen = wait_for_certificate_downloads(&mock, before + 2).await;
    assert!(!task.is_finished(), "the refresh task keeps going");
    task.abort();
    assert!(seen >= before + 2, "asked {} times", seen - before);
}

#[tokio::test]
async fn migration_accepts_both_keys_chosen_by_each_messages_serial() {
    let mock = MockPlatform::builder()
        .trust(TrustMode::Both)
        .start()
        .unwrap();
    let creds = mock.credentials();
    let client = client(&mock);
    client
        .refresh_certificates(&DownloadCertificates)
        .await
        .unwrap();
    let keys: KeyStore = client.key_store().clone();
    assert_eq!(
        keys.serials().len(),
        2,
        "public key and certificate side by side"
    );
    let handler = NotificationHandler::new(keys, creds.apiv3_key().unwrap());
    for with_certificate in [false, true] {
        mock.sign_notifications_with_certificate(with_certificate);
        let sent = mock.notification("COMPLAINT.CREATE", "", "complaint", &complaint(), None);
        let serial = sent.header("Wechatpay-Serial").unwrap();
        assert_eq!(serial.starts_with("PUB_KEY_ID_"), !with_certificate);
        assert!(
            handler.parse(&sent.headers, &sent.body).is_ok(),
            "signed by {serial}"
        );
    }
    // Requests still name the public key, so answers come signed by it.
    client.execute(&audit()).await.unwrap();
    assert_eq!(
        mock.requests().last().unwrap().header("Wechatpay-Serial"),
        Some(creds.public_key_id.as_str())
    );
}

#[tokio::test]
async fn certificates_refresh_in_the_background() {
    let mock = MockPlatform::builder()
        .trust(TrustMode::Certificates)
        .start()
        .unwrap();
    let creds = mock.credentials();
    let client = certificate_mode_client(&mock);
    // Asked for every millisecond: raised to the floor, so three downloads take two intervals.
    let started = std::time::Instant::now();
    let task = client.spawn_certificate_refresh(DownloadCertificates, Duration::from_millis(1));
    let seen = wait_for_certificate_downloads(&mock, 3).await;
    let elapsed = started.elapsed();
    task.abort();
    assert!(seen >= 3, "periodic refresh ran {seen} times");
    assert!(elapsed >= 2 * MIN_REFRESH_INTERVAL, "{elapsed:?}");
    assert_eq!(
        client.key_store().serials(),
        vec![creds.platform_certificate_serial.clone()]
    );
}

/// A store whose database is down.
struct Unavailable;

impl wechatpay_api::HandledNotifications for Unavailable {
    fn claim<'a>(&'a self, _: &'a str) -> wechatpay_api::StoreFuture<'a, wechatpay_api::Claim> {
        Box::pin(async { Err("the database is down".into()) })
    }
    fn complete<'a>(&'a self, _: &'a str) -> wechatpay_api::StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn release<'a>(&'a self, _: &'a str) -> wechatpay_api::StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn a_notification_delivered_again_is_acknowledged_without_running_the_handler_twice() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use wechatpay_api::{Event, RecentNotifications};
    let mock = mock();
    let handler = client(&mock).notification_handler().unwrap();
    let store = RecentNotifications::new();
    let runs = AtomicUsize::new(0);
    let fail_next = std::sync::atomic::AtomicBool::new(false);
    let (handler, store, runs, fail_next) = (&handler, &store, &runs, &fail_next);
    let deliver = |sent: wechatpay_mock::SignedNotification| async move {
        let handle = |n: wechatpay_api::Notification, event: Event| {
            runs.fetch_add(1, Ordering::SeqCst);
            let failing = fail_next.swap(false, Ordering::SeqCst);
            async move {
                assert_eq!(n.event_type, "COMPLAINT.CREATE");
                assert!(!matches!(event, Event::Unknown { .. }), "typed: {event:?}");
                if failing {
                    Err("the order system is down")
                } else {
                    Ok(())
                }
            }
        };
        (handler
            .handle_once(store, &sent.headers, &sent.body, handle)
            .await)
            .status
    };
    let sent = mock.notification(
        "COMPLAINT.CREATE",
        "产生新投诉",
        "complaint",
        &complaint(),
        None,
    );
    assert_eq!(deliver(sent.clone()).await, 204);
    // Delivered again (WeChat Pay did not see the answer): acknowledged, not handled again.
    assert_eq!(deliver(sent).await, 204);
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // A handler that fails gives its claim back: the next delivery runs it again.
    let other = mock.notification(
        "COMPLAINT.CREATE",
        "产生新投诉",
        "complaint",
        &complaint(),
        None,
    );
    fail_next.store(true, Ordering::SeqCst);
    assert_eq!(deliver(other.clone()).await, 500);
    assert_eq!(deliver(other.clone()).await, 204);
    assert_eq!(deliver(other).await, 204);
    assert_eq!(runs.load(Ordering::SeqCst), 3);

    // A delivery while another is still handling the same notification is answered a failure
    // (WeChat Pay delivers again), not success: the first may yet fail.
    let slow = mock.notification(
        "COMPLAINT.CREATE",
        "产生新投诉",
        "complaint",
        &complaint(),
        None,
    );
    let first = handler.handle_once(store, &slow.headers, &slow.body, |_, _: Event| async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        Err::<(), _>("failed after a while")
    });
    let second = async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        deliver(slow.clone()).await
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!((first.status, second), (500, 500));
    assert_eq!(
        runs.load(Ordering::SeqCst),
        3,
        "the second delivery did not run it"
    );
    // The first gave its claim back: the next delivery handles it.
    assert_eq!(deliver(slow).await, 204);
    assert_eq!(runs.load(Ordering::SeqCst), 4);

    // The replay window holds before any claim: a stale copy is refused, a new id or not.
    let stale = mock.notification(
        "COMPLAINT.CREATE",
        "产生新投诉",
        "complaint",
        &complaint(),
        Some(Fault::StaleTimestamp),
    );
    assert_eq!(deliver(stale).await, 500);
    assert_eq!(runs.load(Ordering::SeqCst), 4);

    // A store that cannot claim: refused (WeChat Pay delivers again later), nothing run.
    let fresh = mock.notification(
        "COMPLAINT.CREATE",
        "产生新投诉",
        "complaint",
        &complaint(),
        None,
    );
    let answer = handler
        .handle_once(
            &Unavailable,
            &fresh.headers,
            &fresh.body,
            |_, _: Event| async { Ok::<(), String>(()) },
        )
        .await;
    assert_eq!(answer.status, 500);
}

/// An axum service at `/notify` whose route handles each notification once through
/// `axum::Delivery`, with `RecentNotifications` as the state's store: it counts its runs, and
/// the next run fails, or waits for `proceed` after telling `started`, when asked.
#[derive(Clone, Default)]
struct OnceService {
    runs: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    fail_next: std::sync::Arc<std::sync::atomic::AtomicBool>,
    hold_next: std::sync::Arc<std::sync::atomic::AtomicBool>,
    started: std::sync::Arc<tokio::sync::Notify>,
    proceed: std::sync::Arc<tokio::sync::Notify>,
    /// Claims the store was asked for.
    claims: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// `RecentNotifications`, counting the claims asked of it.
struct CountingStore {
    inner: wechatpay_api::RecentNotifications,
    claims: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl wechatpay_api::HandledNotifications for CountingStore {
    fn claim<'a>(&'a self, id: &'a str) -> wechatpay_api::StoreFuture<'a, wechatpay_api::Claim> {
        self.claims
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.claim(id)
    }

    fn complete<'a>(&'a self, id: &'a str) -> wechatpay_api::StoreFuture<'a, ()> {
        self.inner.complete(id)
    }

    fn release<'a>(&'a self, id: &'a str) -> wechatpay_api::StoreFuture<'a, ()> {
        self.inner.release(id)
    }
}

#[derive(Clone)]
struct OnceState {
    handler: NotificationHandler,
    handled: std::sync::Arc<dyn wechatpay_api::HandledNotifications>,
    service: OnceService,
}

impl axum::extract::FromRef<OnceState> for NotificationHandler {
    fn from_ref(state: &OnceState) -> Self {
        state.handler.clone()
    }
}

impl axum::extract::FromRef<OnceState> for std::sync::Arc<dyn wechatpay_api::HandledNotifications> {
    fn from_ref(state: &OnceState) -> Self {
        state.handled.clone()
    }
}

impl OnceService {
    async fn start(handler: NotificationHandler) -> (String, Self) {
        use std::sync::atomic::Ordering;
        use wechatpay_api::axum::Delivery;
        use wechatpay_api::{Event, NotificationAnswer};
        async fn route(
            axum::extract::State(state): axum::extract::State<OnceState>,
            delivery: Delivery,
        ) -> NotificationAnswer {
            let service = state.service;
            delivery
                .handle_once(|n, event: Event| async move {
                    assert_eq!(n.event_type, "COMPLAINT.CREATE");
                    assert!(!matches!(event, Event::Unknown { .. }), "typed: {event:?}");
                    service.runs.fetch_add(1, Ordering::SeqCst);
                    if service.hold_next.swap(false, Ordering::SeqCst) {
                        service.started.notify_one();
                        service.proceed.notified().await;
                    }
                    if service.fail_next.swap(false, Ordering::SeqCst) {
                        return Err("the order system is down");
                    }
                    Ok(())
                })
                .await
        }
        let service = OnceService::default();
        let state = OnceState {
            handler,
            handled: std::sync::Arc::new(CountingStore {
                inner: wechatpay_api::RecentNotifications::new(),
                claims: service.claims.clone(),
            }),
            service: service.clone(),
        };
        let router = axum::Router::new()
            .route("/notify", axum::routing::post(route))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        (url, service)
    }

    fn runs(&self) -> usize {
        self.runs.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[tokio::test]
async fn the_axum_delivery_extractor_handles_a_notification_once_over_http() {
    use std::sync::atomic::Ordering;
    let mock = mock();
    let (url, service) = OnceService::start(client(&mock).notification_handler().unwrap()).await;
    let deliver = |sent: wechatpay_mock::SignedNotification| {
        let (mock, url) = (&mock, &url);
        async move { mock.send_notification(url, &sent).await.unwrap() }
    };
    let new = || {
        mock.notification(
            "COMPLAINT.CREATE",
            "产生新投诉",
            "complaint",
            &complaint(),
            None,
        )
    };

    // Delivered twice: both acknowledged, handled once.
    let sent = new();
    assert_eq!(deliver(sent.clone()).await, (204, String::new()));
    assert_eq!(deliver(sent).await, (204, String::new()));
    assert_eq!(service.runs(), 1);

    // A handler that fails gives its claim back: the redelivery runs it again, and the one
    // after that is acknowledged without running it.
    let other = new();
    service.fail_next.store(true, Ordering::SeqCst);
    let (status, body) = deliver(other.clone()).await;
    assert_eq!(status, 500);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["code"],
        "FAIL"
    );
    assert_eq!(service.runs(), 2);
    assert_eq!(deliver(other.clone()).await.0, 204);
    assert_eq!(service.runs(), 3);
    assert_eq!(deliver(other).await.0, 204);
    assert_eq!(service.runs(), 3);

    // A delivery while another still handles the notification is answered a failure, and the
    // handler is not run for it.
    let held = new();
    service.hold_next.store(true, Ordering::SeqCst);
    let second = async {
        tokio::time::timeout(Duration::from_secs(10), service.started.notified())
            .await
            .expect("the first delivery reaches the handler");
        let status = deliver(held.clone()).await.0;
        service.proceed.notify_one();
        status
    };
    let (first, second) = tokio::join!(deliver(held.clone()), second);
    assert_eq!((first.0, second), (204, 500));
    assert_eq!(service.runs(), 4);
    assert_eq!(deliver(held).await.0, 204);
    assert_eq!(service.runs(), 4);

    // Refused before any claim: a tampered body, and a copy outside the replay window. The
    // store is never asked: a forged delivery cannot claim (or hold) a real notification's id.
    let claims = service.claims.load(Ordering::SeqCst);
    assert!(claims >= 4, "the store counts the claims made so far");
    for fault in [Fault::TamperedBody, Fault::StaleTimestamp] {
        let sent = mock.notification(
            "COMPLAINT.CREATE",
            "产生新投诉",
            "complaint",
            &complaint(),
            Some(fault),
        );
        assert_eq!(deliver(sent).await.0, 500, "{fault:?}");
    }
    assert_eq!(service.runs(), 4);
    assert_eq!(service.claims.load(Ordering::SeqCst), claims);
}
