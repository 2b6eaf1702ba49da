//! WeChat Pay notifications in an axum service, each handled once: the `Delivery` extractor
//! (feature `axum`) takes the raw body and headers, and `delivery.handle_once(handler)` verifies,
//! decrypts and types the notification, claims its id in the store the route's state gives, and
//! runs the handler for the first delivery only. The route answers with the `NotificationAnswer`
//! it returns (`204`, or `500` with the failure JSON).
//!
//! Runs against the embedded mock: it starts the service on a free port, has the mock send it a
//! signed, encrypted notification twice and then a tampered one, and checks the answers and that
//! the handler ran once.
//!
//! `cargo run -p wechatpay-api --features axum --example axum_notifications`

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::post;
use serde_json::json;
use tokio::sync::mpsc;
use wechatpay_api::axum::Delivery;
use wechatpay_api::{
    Event, HandledNotifications, NotificationAnswer, NotificationHandler, RecentNotifications,
};
use wechatpay_mock::{Fault, MockPlatform};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The service's state: the notification handler, the ids handled (in memory here; a store on
/// your database behind a load balancer, see `sqlite_notifications`), and where the route sends
/// what it received.
#[derive(Clone)]
struct App {
    handler: NotificationHandler,
    handled: Arc<dyn HandledNotifications>,
    received: mpsc::UnboundedSender<(String, Event)>,
}

impl FromRef<App> for NotificationHandler {
    fn from_ref(app: &App) -> Self {
        app.handler.clone()
    }
}

impl FromRef<App> for Arc<dyn HandledNotifications> {
    fn from_ref(app: &App) -> Self {
        app.handled.clone()
    }
}

/// The route: the handler runs only for a verified notification's first delivery.
async fn on_notification(State(app): State<App>, delivery: Delivery) -> NotificationAnswer {
    delivery
        .handle_once(|notification, event: Event| async move {
            // Act on the event; an `Err` makes WeChat Pay deliver it again.
            app.received
                .send((notification.id, event))
                .map_err(|_| "the service is shutting down")
        })
        .await
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
        handled: Arc::new(RecentNotifications::new()),
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
    let (status, _) = mock.send_notification(&url, &signed).await?;
    assert_eq!(status, 204, "delivered again, it is acknowledged");
    assert!(rx.try_recv().is_err(), "and not handled again");
    println!("acknowledged {id} delivered again, without handling it twice");

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
    assert!(rx.try_recv().is_err(), "the handler never saw it");
    println!("refused a tampered notification: {body}");
    Ok(())
}
