//! WeChat Pay notifications in an axum service: the `Notified` extractor (feature `axum`)
//! verifies, decrypts and types each notification from the raw body and headers, and the route
//! answers with a `NotificationAnswer` (`204`, or `500` with the failure JSON).
//!
//! Runs against the embedded mock: it starts the service on a free port, has the mock send it a
//! signed, encrypted notification and then a tampered one, and checks both answers.
//!
//! `cargo run -p wechatpay-api --features axum --example axum_notifications`

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::post;
use serde_json::json;
use tokio::sync::mpsc;
use wechatpay_api::axum::Notified;
use wechatpay_api::{Event, NotificationAnswer, NotificationHandler};
use wechatpay_mock::{Fault, MockPlatform};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The service's state: the notification handler, and where the route sends what it received.
#[derive(Clone)]
struct App {
    handler: NotificationHandler,
    received: mpsc::UnboundedSender<(String, Event)>,
}

impl FromRef<App> for NotificationHandler {
    fn from_ref(app: &App) -> Self {
        app.handler.clone()
    }
}

/// The route: only verified notifications get here. Deduplicate by `notification.id` (WeChat Pay
/// may deliver one twice), act on the event, then answer.
async fn on_notification(
    State(app): State<App>,
    Notified(notification, event): Notified<Event>,
) -> NotificationAnswer {
    match app.received.send((notification.id, event)) {
        Ok(()) => NotificationAnswer::success(),
        Err(_) => NotificationAnswer::failure("the service is shutting down"),
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mock = MockPlatform::start()?;
    let client = mock
        .credentials()
        .client_builder(mock.base_url())?
        .build()?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let app = App {
        handler: client.notification_handler()?,
        received: tx,
    };
    let router = Router::new()
        .route("/wechatpay/notify", post(on_notification))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/wechatpay/notify", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });

    let resource =
        json!({"complaint_id": "200201820200101080076610000", "action_type": "CREATE_COMPLAINT"});
    let signed = mock.notification(
        "COMPLAINT.CREATE",
        "产生新投诉",
        "complaint",
        &resource,
        None,
    );
    let (status, _) = mock.send_notification(&url, &signed).await?;
    assert_eq!(status, 204, "a verified notification is accepted");
    let (id, event) = rx.recv().await.ok_or("the route saw nothing")?;
    println!("received {id}: {} {event:?}", event.event_type());

    let tampered = mock.notification(
        "COMPLAINT.CREATE",
        "产生新投诉",
        "complaint",
        &resource,
        Some(Fault::TamperedBody),
    );
    let (status, body) = mock.send_notification(&url, &tampered).await?;
    assert_eq!(status, 500, "a tampered notification is refused");
    assert!(body.contains(r#""code":"FAIL""#), "{body}");
    assert!(rx.try_recv().is_err(), "the route never saw it");
    println!("refused a tampered notification: {body}");
    Ok(())
}
