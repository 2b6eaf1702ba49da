//! Notifications in [axum](https://docs.rs/axum) (feature `axum`): an extractor that verifies,
//! decrypts and types a notification from the raw body bytes and headers, and the answers
//! WeChat Pay expects.
//!
//! ```text
//! use axum::{routing::post, Router};
//! use wechatpay_api::axum::Notified;
//! use wechatpay_api::{Event, NotificationAnswer, NotificationHandler};
//!
//! async fn on_notification(Notified(notification, event): Notified<Event>) -> NotificationAnswer {
//!     // Deduplicate by notification.id, then act on the typed event.
//!     NotificationAnswer::success()
//! }
//!
//! fn routes(handler: NotificationHandler) -> Router {
//!     Router::new().route("/wechatpay/notify", post(on_notification)).with_state(handler)
//! }
//! ```
//!
//! The route's state gives the [`NotificationHandler`] (the state itself, or any state with
//! `FromRef` to it). A notification that fails verification, decryption or typing never reaches
//! the route: the extractor answers WeChat Pay's generic failure
//! ([`NotificationAnswer::refused`]: `500`, `{"code":"FAIL","message":"失败"}`), so WeChat Pay
//! delivers it again and any other sender learns nothing, and logs why at `warn`. `wechatpay-api/examples/axum_notifications.rs` is a
//! complete service, run in CI against notifications the mock sends.

use axum_core::extract::{FromRef, FromRequest, Request};
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::notify::{
    Notification, NotificationAnswer, NotificationError, NotificationEvent, NotificationHandler,
};

/// A verified, decrypted notification and its typed event (say `wechatpay_api::Event`).
#[derive(Debug, Clone)]
pub struct Notified<E>(pub Notification, pub E);

/// Why a request did not give a notification (logged at `warn`, and shown by `Display`):
/// answered with [`NotificationAnswer::refused`], which says nothing of why.
#[derive(Debug)]
pub struct Rejected(String);

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        NotificationAnswer::refused().into_response()
    }
}

impl<S, E> FromRequest<S> for Notified<E>
where
    S: Send + Sync,
    NotificationHandler: FromRef<S>,
    E: NotificationEvent,
{
    type Rejection = Rejected;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let handler = NotificationHandler::from_ref(state);
        let (parts, body) = request.into_parts();
        let request = Request::from_parts(parts.clone(), body);
        // Bytes honours the route's body limit (axum's `DefaultBodyLimit`, 2 MiB by default).
        let body = Bytes::from_request(request, state).await.map_err(|e| {
            let reason = format!("the body could not be read: {}", e.body_text());
            tracing::warn!(error = %reason, "WeChat Pay notification refused");
            Rejected(reason)
        })?;
        handler
            .parse_event::<E>(&parts.headers, &body)
            .map(|(notification, event)| Notified(notification, event))
            .map_err(|e: NotificationError| {
                tracing::warn!(error = %e, "WeChat Pay notification refused");
                Rejected(e.to_string())
            })
    }
}

impl IntoResponse for NotificationAnswer {
    /// `204` for success; `500` with `{"code":"FAIL","message":…}` (`application/json`) for a
    /// failure.
    fn into_response(self) -> Response {
        let status = http::StatusCode::from_u16(self.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        if self.body.is_empty() {
            return status.into_response();
        }
        let json = [(http::header::CONTENT_TYPE, "application/json")];
        (status, json, self.body).into_response()
    }
}
