//! WeChat Pay notifications in an actix-web service, through the framework-neutral
//! `NotificationHandler::parse_event(headers, raw_body)`: hand it the headers and the raw body
//! bytes exactly as received, and answer with the `NotificationAnswer` it leads to.
//!
//! Runs against the embedded mock: it starts the service on a free port, has the mock send it a
//! signed, encrypted notification and then a tampered one, and checks both answers.
//!
//! `cargo run -p wechatpay-api --example actix_notifications`

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::json;
use wechatpay_api::{Event, NotificationAnswer, NotificationHandler};
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

async fn on_notification(
    request: HttpRequest,
    body: web::Bytes,
    handler: web::Data<NotificationHandler>,
) -> HttpResponse {
    let answer = match handler.parse_event::<Event>(&headers(&request), &body) {
        Ok((notification, event)) => {
            // Deduplicate by notification.id, then act on the event.
            println!("received {}: {event:?}", notification.id);
            NotificationAnswer::success()
        }
        Err(e) => {
            // Logged here; the sender (anyone can post here) learns nothing of why.
            eprintln!("notification refused: {e}");
            NotificationAnswer::refused()
        }
    };
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
    let handler = web::Data::new(client.notification_handler()?);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(handler.clone())
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
