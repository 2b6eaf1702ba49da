//! The quickstart: runs all seven operations of the four seed API groups, printing each result
//! with its `Request-ID`, then receives and parses a `COMPLAINT.CREATE` notification.
//!
//! Without configuration it starts the embedded mock platform (test keys made on the spot). With
//! the `WECHATPAY_*` environment variables (see the README) it talks to the real platform or any
//! stand-in. It exits non-zero if anything fails, a rejected response signature included.
//!
//! `cargo run -p wechatpay-quickstart`

use std::process::ExitCode;

use wechatpay_api::hk_complaint_notifications::{
    CreateComplaintNotification, DeleteComplaintNotification, QueryComplaintNotification,
    UpdateComplaintNotification,
};
use wechatpay_api::papay::{NotifyDeductionFailure, NotifyDeductionFailureRequired};
use wechatpay_api::webank_audit_result::{
    AuditResult, NotifyAuditResult, NotifyAuditResultRequired,
};
use wechatpay_api::webank_recover::{RecoverLedgerControl, RecoverLedgerControlRequired};
use wechatpay_api::{
    ApiV3Key, Client, Credentials, KeyStore, NotificationAnswer, NotificationHandler, PrivateKey,
    PublicKey,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            println!("quickstart: all operations succeeded");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("quickstart failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The variables that point the quickstart at a platform; all but the base URL are required.
const VARS: [&str; 6] = [
    "WECHATPAY_MCHID",
    "WECHATPAY_MERCHANT_SERIAL",
    "WECHATPAY_PRIVATE_KEY_PATH",
    "WECHATPAY_PUBLIC_KEY_ID",
    "WECHATPAY_PUBLIC_KEY_PATH",
    "WECHATPAY_APIV3_KEY",
];

fn client_from_env() -> Result<Option<Client>, BoxError> {
    let values: Vec<Option<String>> = VARS
        .iter()
        .map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .collect();
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let missing: Vec<&str> = VARS
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| *k)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "incomplete configuration: set {} (or none of them, to use the embedded mock)",
            missing.join(", ")
        )
        .into());
    }
    let [mchid, serial, key_path, public_key_id, public_key_path, apiv3] =
        <[Option<String>; 6]>::try_from(values)
            .map_err(|_| "configuration")?
            .map(Option::unwrap_or_default);
    let keys = KeyStore::new();
    keys.add_public_key(public_key_id, PublicKey::from_pem_file(public_key_path)?);
    let mut builder = Client::builder(Credentials::new(
        mchid,
        serial,
        PrivateKey::from_pem_file(key_path)?,
    ))
    .key_store(keys)
    .apiv3_key(ApiV3Key::new(&apiv3)?);
    if let Ok(url) = std::env::var("WECHATPAY_BASE_URL") {
        if !url.is_empty() {
            builder = builder.base_url(url);
        }
    }
    Ok(Some(builder.build()?))
}

async fn run() -> Result<(), BoxError> {
    let mut mock = None;
    let client = match client_from_env()? {
        Some(configured) => {
            println!("using the platform configured by WECHATPAY_* variables");
            configured
        }
        None => {
            let started = wechatpay_mock::MockPlatform::start()?;
            println!(
                "no WECHATPAY_* configuration: started the embedded mock platform at {}",
                started.base_url()
            );
            let creds = started.credentials();
            let client = creds.client_builder(started.base_url())?.build()?;
            mock = Some(started);
            client
        }
    };
    let id = |r: &Option<String>| r.clone().unwrap_or_else(|| "-".into());

    let audit = NotifyAuditResult::new(NotifyAuditResultRequired {
        out_request_no: "htozr8denqegbt6tk6u10iymo7yww5pn".into(),
        mchid: "1900016681".into(),
        audit_result: AuditResult::Pass,
    })
    .with_audit_finish_time(time::macros::datetime!(2015-05-20 13:29:35 +08:00))
    .with_attach_info("updateidcard");
    let r = client.execute(&audit).await?;
    println!(
        "1. notifyAuditResult            ret_msg={:?}  Request-ID {}",
        r.data.ret_msg,
        id(&r.request_id)
    );

    let recover = RecoverLedgerControl::new(RecoverLedgerControlRequired {
        out_request_no: "example_out_request_no".into(),
        related_webank_punish_no: "example_related_webank_punish_no".into(),
        related_wxpay_punish_no: "example_related_wxpay_punish_no".into(),
        mchid: "example_mchid".into(),
        bal_account_no: "example_bal_account_no".into(),
    })
    .with_recover_reason("example_recover_reason");
    let r = client.execute(&recover).await?;
    println!(
        "2. recoverLedgerControl         wxpay_recover_no={:?}  Request-ID {}",
        r.data.wxpay_recover_no,
        id(&r.request_id)
    );

    let r = client
        .execute(&CreateComplaintNotification::new(
            "https://www.xxx.com/notify",
        ))
        .await?;
    println!(
        "3. createComplaintNotification  mchid={} url={}  Request-ID {}",
        r.data.mchid,
        r.data.url,
        id(&r.request_id)
    );

    let r = client.execute(&QueryComplaintNotification).await?;
    println!(
        "4. queryComplaintNotification   mchid={} url={}  Request-ID {}",
        r.data.mchid,
        r.data.url,
        id(&r.request_id)
    );

    let r = client
        .execute(&UpdateComplaintNotification::new(
            "https://www.xxx.com/notify/v2",
        ))
        .await?;
    println!(
        "5. updateComplaintNotification  mchid={} url={}  Request-ID {}",
        r.data.mchid,
        r.data.url,
        id(&r.request_id)
    );

    let r = client.execute(&DeleteComplaintNotification).await?;
    println!(
        "6. deleteComplaintNotification  HTTP {} (no body)  Request-ID {}",
        r.status,
        id(&r.request_id)
    );

    let r = client
        .execute(&NotifyDeductionFailure::new(
            NotifyDeductionFailureRequired {
                contract_id: "123124412412423431".into(),
                mchid: "1230000109".into(),
                appid: "wxd678efh567hg6787".into(),
            },
        ))
        .await?;
    println!(
        "7. notifyDeductionFailure       HTTP {} (no body)  Request-ID {}",
        r.status,
        id(&r.request_id)
    );

    match &mock {
        Some(mock) => {
            // The client's own key store and APIv3 key verify and decrypt notifications.
            receive_notification(mock, client.notification_handler()?).await?
        }
        None => {
            println!("8. notification round trip: skipped (needs the embedded mock to send one)")
        }
    }
    Ok(())
}

/// Serves one notification on loopback, as a merchant's endpoint would, and has the mock send
/// a `COMPLAINT.CREATE` to it.
async fn receive_notification(
    mock: &wechatpay_mock::MockPlatform,
    handler: NotificationHandler,
) -> Result<(), BoxError> {
    use http_body_util::BodyExt as _;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/wechatpay/notify", listener.local_addr()?);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Arc::new(std::sync::Mutex::new(Some(tx)));
    tokio::spawn(async move {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let service =
            hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let handler = handler.clone();
                let tx = tx.clone();
                async move {
                    let (parts, body) = req.into_parts();
                    // Verify over the raw bytes, exactly as received.
                    let raw = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    let parsed = handler.parse(&parts.headers, &raw);
                    let answer = match &parsed {
                        Ok(_) => NotificationAnswer::success(),
                        Err(_) => NotificationAnswer::refused(),
                    };
                    if let Some(tx) = tx.lock().unwrap_or_else(|e| e.into_inner()).take() {
                        let _ = tx.send(parsed);
                    }
                    hyper::Response::builder().status(answer.status).body(
                        http_body_util::Full::new(wechatpay_api::Bytes::from(answer.body)),
                    )
                }
            });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
            .await;
    });
    let resource = serde_json::json!({"complaint_id": "200201820200101080076610000", "action_type": "CREATE_COMPLAINT"});
    let notification = mock.notification(
        "COMPLAINT.CREATE",
        "产生新投诉",
        "complaint",
        &resource,
        None,
    );
    let (status, _) = mock.send_notification(&url, &notification).await?;
    let parsed = rx.await??;
    if status != 204 {
        return Err(format!("the notification endpoint answered {status}").into());
    }
    println!(
        "8. notification {}  event_type={} complaint_id={}  answered HTTP {status}",
        parsed.id, parsed.event_type, parsed.resource["complaint_id"]
    );
    Ok(())
}
