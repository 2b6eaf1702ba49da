//! WeChat Pay notifications in an actix-web service, each handled once, through the
//! framework-neutral `NotificationHandler::handle_once(store, headers, raw_body, handler)`: hand
//! it the headers and the raw body bytes exactly as received, and answer with the
//! `NotificationAnswer` it gives. A notification delivered again is acknowledged without running
//! the handler twice (`RecentNotifications` here; a store on your database in production).
//!
//! Runs against the embedded mock: it starts the service on a free port, has the mock send it a
//! signed, encrypted notification twice and then a tampered one, and checks the answers.
//!
//! `cargo run -p wechatpay-api --example actix_notifications`

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

use wechatpay_api::{Event, NotificationHandler, RecentNotifications};
use wechatpay_mock::{Fault, MockPlatform};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// actix-web's headers as an `http::HeaderMap` (actix-web 4 has its own header types).
fn headers(request: &HttpRequest) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (name, value) in request.headers() {
        let name = http::HeaderName::from_bytes(name.as_str().as_bytes());
        let value = http::HeaderValue::from_bytes(value.as_bytes());
        if let (Ok(name), Ok(value)) = (name, value) {
            map.append(name, value);
        }
    }
    map
}

/// The service's state.
struct Notifications {
    handler: NotificationHandler,
    handled: RecentNotifications,
    /// How many times the business logic ran.
    runs: AtomicUsize,
}

async fn on_notification(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<Notifications>,
) -> HttpResponse {
    let handle = |notification: wechatpay_api::Notification, event: Event| {
        state.runs.fetch_add(1, Ordering::SeqCst);
        async move {
            // Act on the event; an `Err` makes WeChat Pay deliver it again.
            println!("received {}: {event:?}", notification.id);
            Ok::<(), BoxError>(())
        }
    };
    // Refusals are logged (tracing) and answered without saying why.
    let answer = (state.handler)
        .handle_once(&state.handled, &headers(&request), &body, handle)
        .await;
    let status = actix_web::http::StatusCode::from_u16(answer.status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    if answer.body.is_empty() {
        HttpResponse::build(status).finish()
    } else {
        HttpResponse::build(status)
            .content_type("application/json")
            .body(answer.body)
    }
}

#[actix_web::main]
async fn main() -> Result<(), BoxError> {
    let mock = MockPlatform::start()?;
    let client = mock
        .credentials()
        .client_builder(mock.base_url())?
        .build()?;
    let state = web::Data::new(Notifications {
        handler: client.notification_handler()?,
        handled: RecentNotifications::new(),
        runs: AtomicUsize::new(0),
    });
    let shared = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .route("/wechatpay/notify", web::post().to(on_notification))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))?;
    let url = format!("http://{}/wechatpay/notify", server.addrs()[0]);
    let server = server.run();
    let stop = server.handle();
    actix_web::rt::spawn(server);

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
    let (status, _) = mock.send_notification(&url, &signed).await?;
    assert_eq!(status, 204, "delivered again, it is acknowledged");
    assert_eq!(state.runs.load(Ordering::SeqCst), 1, "and handled once");
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
    println!("refused a tampered notification: {body}");
    stop.stop(true).await;
    Ok(())
}
