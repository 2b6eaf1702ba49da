//! Notifications in [axum](https://docs.rs/axum) (feature `axum`): extractors that verify,
//! decrypt and type a notification from the raw body bytes and headers, and the answers
//! WeChat Pay expects.
//!
//! [`Delivery`] handles each notification once (what most services want: WeChat Pay delivers a
//! notification again until it is acknowledged, and sometimes after):
//!
//! ```text
//! use std::sync::Arc;
//! use axum::{extract::FromRef, routing::post, Router};
//! use wechatpay_api::axum::Delivery;
//! use wechatpay_api::{Event, HandledNotifications, NotificationAnswer, NotificationHandler};
//!
//! #[derive(Clone)]
//! struct App {
//!     handler: NotificationHandler,
//!     handled: Arc<dyn HandledNotifications>, // RecentNotifications, or a store on your database
//! }
//! // impl FromRef<App> for NotificationHandler and for Arc<dyn HandledNotifications>
//!
//! async fn on_notification(delivery: Delivery) -> NotificationAnswer {
//!     delivery
//!         .handle_once(|notification, event: Event| async move {
//!             // Act on the typed event; an `Err` gives the claim back and asks for a redelivery.
//!             Ok::<(), std::io::Error>(())
//!         })
//!         .await
//! }
//!
//! fn routes(app: App) -> Router {
//!     Router::new().route("/wechatpay/notify", post(on_notification)).with_state(app)
//! }
//! ```
//!
//! It is [`NotificationHandler::handle_once`] with the route's state: the handler runs for the
//! first delivery only, a redelivery of a handled notification is acknowledged without running
//! it, one arriving while another delivery still handles it is answered a failure (WeChat Pay
//! delivers it again), and a handler that fails gives its claim back, so the next delivery runs
//! it. Verification (the 5-minute replay window included) comes before any claim.
//!
//! [`Notified<E>`] only verifies, decrypts and types; the route deduplicates by
//! `notification.id` itself:
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
//! `FromRef` to it), and for [`Delivery`] the store, an `Arc<dyn HandledNotifications>`. A
//! notification that fails verification, decryption or typing never reaches your code: WeChat
//! Pay is answered its generic failure ([`NotificationAnswer::refused`]: `500`,
//! `{"code":"FAIL","message":"失败"}`), so it delivers the notification again and any other
//! sender learns nothing, and why is logged at `warn`.
//! `wechatpay-api/examples/axum_notifications.rs` is a complete service, run in CI against
//! notifications the mock sends; `sqlite_notifications.rs` keeps the handled ids in SQLite.

use std::sync::Arc;

use axum_core::extract::{FromRef, FromRequest, Request};
use axum_core::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::handled::HandledNotifications;
use crate::notify::{
    Notification, NotificationAnswer, NotificationError, NotificationEvent, NotificationHandler,
};

/// A verified, decrypted notification and its typed event (say `wechatpay_api::Event`).
#[derive(Debug, Clone)]
pub struct Notified<E>(pub Notification, pub E);

/// A notification as delivered (headers and raw body), with the route state's
/// [`NotificationHandler`] and store of handled notifications: [`handle_once`](Self::handle_once)
/// verifies it and runs a handler for its first delivery only. The state gives both through
/// `FromRef`: `NotificationHandler` and `Arc<dyn HandledNotifications>`.
pub struct Delivery {
    handler: NotificationHandler,
    store: Arc<dyn HandledNotifications>,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Delivery {
    /// [`NotificationHandler::handle_once`] over this delivery and the state's store: verifies
    /// and types the notification, runs `handle` only if this delivery claims its id first, and
    /// gives the answer for WeChat Pay (a success when handled now or before; a failure when
    /// refused, still being handled by another delivery, or when `handle` fails, which gives the
    /// claim back so that the next delivery runs it).
    pub async fn handle_once<E, F, Fut, X>(self, handle: F) -> NotificationAnswer
    where
        E: NotificationEvent,
        F: FnOnce(Notification, E) -> Fut,
        Fut: std::future::Future<Output = Result<(), X>>,
        X: std::fmt::Display,
    {
        self.handler
            .handle_once(&*self.store, &self.headers, &self.body, handle)
            .await
    }
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl<S> FromRequest<S> for Delivery
where
    S: Send + Sync,
    NotificationHandler: FromRef<S>,
    Arc<dyn HandledNotifications>: FromRef<S>,
{
    type Rejection = Rejected;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (headers, body) = raw(request, state).await?;
        Ok(Delivery {
            handler: NotificationHandler::from_ref(state),
            store: <Arc<dyn HandledNotifications>>::from_ref(state),
            headers,
            body,
        })
    }
}

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

/// The headers and the raw body bytes of a request, as received.
async fn raw<S: Send + Sync>(
    request: Request,
    state: &S,
) -> Result<(http::HeaderMap, Bytes), Rejected> {
    let (parts, body) = request.into_parts();
    let headers = parts.headers.clone();
    let request = Request::from_parts(parts, body);
    // Bytes honours the route's body limit (axum's `DefaultBodyLimit`, 2 MiB by default).
    let body = Bytes::from_request(request, state).await.map_err(|e| {
        let reason = format!("the body could not be read: {}", e.body_text());
        tracing::warn!(error = %reason, "WeChat Pay notification refused");
        Rejected(reason)
    })?;
    Ok((headers, body))
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
        let (headers, body) = raw(request, state).await?;
        handler
            .parse_event::<E>(&headers, &body)
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
