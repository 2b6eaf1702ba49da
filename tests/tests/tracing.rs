//! Each call runs in a `wechatpay` span carrying the operation id, the `Request-ID`, the status,
//! the attempt and its latency; no span,
//! log line or error carries a secret.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::Layer;

/// Records every span and event field as `name=value`.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields<'a>(&'a mut Vec<String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push(format!("{}={:?}", field.name(), value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push(format!("{}={value}", field.name()));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: Context<'_, S>,
    ) {
        let mut seen = self.0.lock().unwrap();
        seen.push(format!("span={}", attrs.metadata().name()));
        attrs.record(&mut Fields(&mut seen));
    }
    fn on_record(
        &self,
        _: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: Context<'_, S>,
    ) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        event.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn calls_are_traced_with_operation_id_and_request_id() {
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let mock = mock();
    let answer = client(&mock).execute(&audit()).await.unwrap();
    let seen = capture.0.lock().unwrap().clone();
    assert!(seen.contains(&"span=wechatpay".to_owned()), "{seen:?}");
    assert!(
        seen.contains(&"operation=notifyAuditResult".to_owned()),
        "{seen:?}"
    );
    assert!(seen.contains(&"method=POST".to_owned()), "{seen:?}");
    assert!(
        seen.contains(&format!("request_id={}", answer.request_id.unwrap())),
        "{seen:?}"
    );
    // The answer's status, the attempt and how long it took.
    assert!(
        seen.contains(&format!("status={}", answer.status)),
        "{seen:?}"
    );
    assert!(seen.contains(&"attempt=1".to_owned()), "{seen:?}");
    assert!(
        seen.iter().any(|f| f.starts_with("latency_ms=")),
        "{seen:?}"
    );
    // Nothing secret is recorded.
    let creds = mock.credentials();
    let all = seen.join(" ");
    assert!(
        !all.contains(creds.apiv3_key.as_str())
            && !all.contains("PRIVATE KEY")
            && !all.contains("signature="),
        "{all}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_download_names_no_token_in_its_error_or_logs() {
    use wechatpay_api::bills::DownloadBill;
    use wechatpay_mock::Fault;
    const TOKEN: &str = "SECRET-TOKEN-0123456789";
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    let mock = mock();
    mock.fault_next(Fault::ConnectionReset);
    let mut file = Vec::new();
    let err = client(&mock)
        .download(&DownloadBill::new(TOKEN), &mut file, None)
        .await
        .unwrap_err();
    let mut shown = vec![err.to_string(), format!("{err:?}")];
    let mut source = std::error::Error::source(&err);
    while let Some(e) = source {
        shown.push(e.to_string());
        source = e.source();
    }
    shown.extend(capture.0.lock().unwrap().iter().cloned());
    let all = shown.join("\n");
    assert!(
        all.contains("token=REDACTED"),
        "the URL is still named: {all}"
    );
    assert!(!all.contains(TOKEN), "{all}");
}

#[tokio::test(flavor = "current_thread")]
async fn the_certificate_refresh_is_traced_and_none_for_a_public_key_merchant_is_no_warning() {
    use wechatpay_api::certificates::DownloadCertificates;
    use wechatpay_api::CertificateRefresh;
    let capture = Capture::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
    // A merchant with certificates: the refresh runs in the call's span like any call.
    let mock = mock();
    let refreshed = client(&mock)
        .refresh_certificates(&DownloadCertificates)
        .await;
    assert!(
        matches!(refreshed, Ok(CertificateRefresh::Updated(_))),
        "{refreshed:?}"
    );
    let seen = std::mem::take(&mut *capture.0.lock().unwrap());
    assert!(
        seen.contains(&"operation=downloadCertificates".to_owned()),
        "{seen:?}"
    );

    // A public-key-only merchant: "none" is an answer, not a failure to warn about.
    let mock = wechatpay_mock::MockPlatform::builder()
        .trust(wechatpay_mock::TrustMode::PublicKey)
        .start()
        .unwrap();
    let refreshed = client(&mock)
        .refresh_certificates(&DownloadCertificates)
        .await;
    assert!(
        matches!(refreshed, Ok(CertificateRefresh::NotAvailable)),
        "{refreshed:?}"
    );
    let seen = capture.0.lock().unwrap().clone();
    assert!(seen.contains(&"span=wechatpay".to_owned()), "{seen:?}");
    assert!(
        !seen.iter().any(|f| f.contains("WeChat Pay call failed")),
        "{seen:?}"
    );
}
