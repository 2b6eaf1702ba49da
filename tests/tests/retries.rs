//! Opt-in retries over real HTTP against the mock: off by default; on, only what is safe to
//! repeat is repeated, each attempt signed afresh.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{audit, mock, recover};
use wechatpay_api::bills::{ApplyTradeBill, DownloadBill};
use wechatpay_api::certificates::DownloadCertificates;
use wechatpay_api::hk_complaint_notifications::QueryComplaintNotification;
use wechatpay_api::transport::{
    BodyStream, Chunk, Exchange, ReadPolicy, ReqwestTransport, StreamedExchange, Transport,
};
use wechatpay_api::{
    Bytes, CertificateRefresh, Client, Error, Limits, RetryPolicy, TransportError,
    TransportErrorKind, VerifyError,
};
use wechatpay_mock::{Fault, MockPlatform};

fn policy() -> RetryPolicy {
    RetryPolicy::attempts(3).with_delays(Duration::from_millis(10), Duration::from_millis(40))
}

fn retrying_client(mock: &MockPlatform, timeout: Duration) -> Client {
    mock.credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .timeout(timeout)
        .retry(policy())
        .build()
        .unwrap()
}

fn statuses(mock: &MockPlatform) -> Vec<u16> {
    mock.requests().iter().map(|r| r.status).collect()
}

#[tokio::test]
async fn retries_are_off_by_default() {
    let mock = mock();
    mock.fault_next(Fault::SystemError);
    let err = common::client(&mock).execute(&audit()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.code == "SYSTEM_ERROR"),
        "{err:?}"
    );
    assert_eq!(statuses(&mock), [500]);
}

#[tokio::test]
async fn a_post_not_marked_idempotent_is_sent_once_whatever_the_answer() {
    let mock = mock();
    let client = retrying_client(&mock, Duration::from_secs(10));
    // `NotifyAuditResult` is a POST its spec does not mark idempotent.
    for fault in [Fault::SystemError, Fault::RateLimited, Fault::Accepted] {
        mock.fault_next(fault);
        let err = client.execute(&audit()).await.unwrap_err();
        assert!(matches!(&err, Error::Api(e) if e.is_retryable()), "{err:?}");
    }
    assert_eq!(statuses(&mock), [500, 429, 202]);
}

#[tokio::test]
async fn an_idempotent_post_is_repeated_when_asked_and_each_attempt_is_signed_afresh() {
    let mock = mock();
    let client = retrying_client(&mock, Duration::from_secs(10));
    // `RecoverLedgerControl` is a POST its spec marks `x-wechatpay-idempotent`: its merchant
    // number makes a repeat safe.
    for fault in [Fault::SystemError, Fault::RateLimited, Fault::Accepted] {
        mock.fault_next(fault);
        client
            .execute(&recover())
            .await
            .expect("the second attempt succeeds");
    }
    assert_eq!(statuses(&mock), [500, 200, 429, 200, 202, 200]);
    let authorizations: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| r.header("Authorization").unwrap().to_owned())
        .collect();
    assert_ne!(authorizations[0], authorizations[1]);
}

#[tokio::test]
async fn retry_after_is_waited_for_up_to_the_cap_and_past_it_the_error_comes_back() {
    let mock = mock();
    let client = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .retry(policy().with_max_retry_after(Duration::from_secs(2)))
        .build()
        .unwrap();
    mock.fault_next(Fault::RetryAfter(Duration::from_secs(1)));
    let started = Instant::now();
    client
        .execute(&QueryComplaintNotification)
        .await
        .expect("repeated after the second asked for");
    // A lower bound only: a slow machine makes it longer, never shorter.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(statuses(&mock), [429, 200]);

    mock.fault_next(Fault::RetryAfter(Duration::from_secs(3600)));
    let err = client
        .execute(&QueryComplaintNotification)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(e) if e.retry_after == Some(Duration::from_secs(3600))),
        "{err:?}"
    );
    assert_eq!(statuses(&mock), [429, 200, 429]);
}

#[tokio::test]
async fn an_answer_too_large_or_unverifiable_is_never_repeated() {
    let mock = mock();
    let client = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .limits(Limits {
            answer: 8,
            ..Limits::default()
        })
        .retry(policy())
        .build()
        .unwrap();
    let err = client
        .execute(&QueryComplaintNotification)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Transport { source, .. } if source.is_too_large()),
        "{err:?}"
    );
    assert_eq!(mock.requests().len(), 1);

    let client = retrying_client(&mock, Duration::from_secs(10));
    mock.fault_next(Fault::TamperedBody);
    let err = client
        .execute(&QueryComplaintNotification)
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Verify { .. }), "{err:?}");
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn a_probe_is_never_repeated() {
    let mock = mock();
    let client = retrying_client(&mock, Duration::from_secs(10));
    mock.fault_next(Fault::SignTest);
    let err = client.execute(&audit()).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Verify {
                source: VerifyError::SignTestProbe,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(mock.requests().len(), 1);
}

/// Counts the requests a transport is given.
#[derive(Debug)]
struct Counting(ReqwestTransport, Arc<AtomicUsize>);

impl Transport for Counting {
    fn send(&self, request: http::Request<Bytes>, policy: ReadPolicy) -> Exchange<'_> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.send(request, policy)
    }
}

/// A retrying client for the mock's credentials at `url`, with a request timeout, whose
/// transport counts the requests sent.
fn counting_client(
    mock: &MockPlatform,
    url: &str,
    timeout: Duration,
) -> (Client, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let transport = ReqwestTransport::new(timeout, Duration::from_secs(1)).unwrap();
    let client = mock
        .credentials()
        .client_builder(url)
        .unwrap()
        .transport(Arc::new(Counting(transport, count.clone())))
        .retry(policy())
        .build()
        .unwrap();
    (client, count)
}

#[tokio::test]
async fn a_timeout_repeats_a_get_but_never_a_post() {
    let mock = mock();
    let (client, count) = counting_client(&mock, mock.base_url(), Duration::from_millis(300));
    mock.fault_next(Fault::Slow(Duration::from_millis(800)));
    let err = client.execute(&audit()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { source, .. } if source.is_timeout()),
        "{err:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 1, "the POST was sent once");
    mock.fault_next(Fault::Slow(Duration::from_millis(800)));
    client
        .execute(&QueryComplaintNotification)
        .await
        .expect("the GET is repeated after its timeout");
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_connection_that_failed_before_sending_is_repeated_even_for_a_post() {
    let mock = mock();
    // A port nothing listens on: every attempt fails to connect.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (client, count) = counting_client(&mock, &url, Duration::from_secs(5));
    let err = client.execute(&audit()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { source, .. } if source.is_connect()),
        "{err:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

/// The day of the mock's bills in these tests.
const DAY: &str = "2026-11-30";

/// The download token of a trade bill of `DAY`, on which one order was paid.
async fn bill_token(mock: &MockPlatform, client: &Client) -> String {
    use wechatpay_api::pay_transactions::{Amount, JsapiPrepay, JsapiPrepayRequired, Payer};
    use wechatpay_api::time::{format_description::well_known::Rfc3339, OffsetDateTime};
    let noon = OffsetDateTime::parse("2026-11-30T12:00:00+08:00", &Rfc3339).unwrap();
    mock.set_time(Some(noon));
    let order = JsapiPrepay::new(JsapiPrepayRequired {
        appid: "wxd678efh567hg6787".into(),
        mchid: mock.credentials().mchid.clone(),
        description: "retried bill".into(),
        out_trade_no: "RETRY-BILL-1".into(),
        notify_url: "https://www.weixin.qq.com/wxpay/pay.php".into(),
        amount: Amount::new(100),
        payer: Payer::new("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
    });
    client.execute(&order).await.unwrap();
    mock.pay("RETRY-BILL-1").unwrap();
    mock.set_time(None);
    let info = client
        .execute(&ApplyTradeBill::new(DAY))
        .await
        .unwrap()
        .data;
    let token = info.download_url.split("token=").nth(1).unwrap();
    token.split('&').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_certificate_refresh_and_downloads_are_retried_by_the_same_loop() {
    let mock = mock();
    let client = retrying_client(&mock, Duration::from_secs(10));
    mock.fault_next(Fault::SystemError);
    let refreshed = client.refresh_certificates(&DownloadCertificates).await;
    assert!(
        matches!(&refreshed, Ok(CertificateRefresh::Updated(serials)) if serials.len() == 1),
        "{refreshed:?}"
    );
    assert_eq!(statuses(&mock), [500, 200]);

    let token = bill_token(&mock, &client).await;
    mock.fault_next(Fault::SystemError);
    let mut file = Vec::new();
    let done = client
        .download(&DownloadBill::new(&token), &mut file, None)
        .await
        .expect("the download is repeated: nothing had been written");
    assert_eq!(done.len, file.len() as u64);
    assert!(!file.is_empty());
    // The prepay and the application, then the download: refused once, repeated.
    assert_eq!(statuses(&mock)[2..], [200, 200, 500, 200]);
}

/// A transport whose streamed bodies break after their first chunk.
#[derive(Debug)]
struct BreaksMidStream(ReqwestTransport, Arc<AtomicUsize>);

struct OneChunkThenBroken(Option<Box<dyn BodyStream>>);

impl BodyStream for OneChunkThenBroken {
    fn next_chunk(&mut self) -> Chunk<'_> {
        Box::pin(async move {
            match self.0.take() {
                Some(mut body) => body.next_chunk().await,
                None => Err(TransportError::new(
                    TransportErrorKind::Other,
                    "connection reset by the test",
                )),
            }
        })
    }
}

impl Transport for BreaksMidStream {
    fn send(&self, request: http::Request<Bytes>, policy: ReadPolicy) -> Exchange<'_> {
        self.0.send(request, policy)
    }

    fn send_streamed(&self, request: http::Request<Bytes>, limit: usize) -> StreamedExchange<'_> {
        self.1.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            let answer = self.0.send_streamed(request, limit).await?;
            Ok(answer.map(|body| Box::new(OneChunkThenBroken(Some(body))) as Box<dyn BodyStream>))
        })
    }
}

#[tokio::test]
async fn a_download_broken_after_bytes_were_written_is_not_repeated() {
    let mock = mock();
    let streamed = Arc::new(AtomicUsize::new(0));
    let transport = ReqwestTransport::new(Duration::from_secs(10), Duration::from_secs(1)).unwrap();
    let client = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .transport(Arc::new(BreaksMidStream(transport, streamed.clone())))
        .retry(policy())
        .build()
        .unwrap();
    let token = bill_token(&mock, &client).await;
    let mut file = Vec::new();
    let err = client
        .download(&DownloadBill::new(&token), &mut file, None)
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Transport { .. }), "{err:?}");
    assert!(!file.is_empty(), "the first chunk was written");
    assert_eq!(
        streamed.load(Ordering::SeqCst),
        1,
        "a second attempt would append to what the writer holds"
    );
}
