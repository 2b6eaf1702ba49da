//! Notifications (callbacks to the merchant): verified over the raw body bytes and headers
//! exactly as received (never a re-serialized body), with the skew, serial and probe checks of
//! any answer; then the `AEAD_AES_256_GCM` resource is decrypted with the APIv3 key.

use std::sync::Arc;

use serde::Deserialize;

use crate::certificates::{EncryptedResource, ResourceError};
use crate::credentials::{Clock, SystemClock};
use crate::error::VerifyError;
use crate::handled::{Claim, HandledNotifications};
use crate::keys::{ApiV3Key, KeyStore};
use crate::protocol::verify;

/// Why a notification was rejected. Answer it with [`NotificationAnswer::failure`]; WeChat Pay
/// will deliver it again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// The signature headers or the signature are wrong, stale or a probe.
    #[error("notification verification failed: {0}")]
    Verify(#[from] VerifyError),
    /// The body is not a notification envelope.
    #[error("the notification body is not a valid envelope: {0}")]
    Envelope(serde_json::Error),
    /// The resource cannot be decrypted.
    #[error(transparent)]
    Resource(#[from] ResourceError),
    /// The decrypted resource is not JSON.
    #[error("the decrypted resource is not JSON: {0}")]
    ResourceJson(serde_json::Error),
    /// [`Merchants::parse_for`](crate::Merchants::parse_for): no client for this merchant.
    #[error("no client is registered for the merchant `{mchid}`")]
    UnknownMerchant {
        /// The merchant id the route named.
        mchid: String,
    },
    /// [`Merchants::parse_for`](crate::Merchants::parse_for): the merchant's client has no
    /// APIv3 key.
    #[error("the client of the merchant `{mchid}` has no APIv3 key to decrypt notifications")]
    NoApiV3Key {
        /// The merchant id.
        mchid: String,
    },
    /// [`Merchants::parse_any`](crate::Merchants::parse_any): more than one merchant opens the
    /// notification (they share an APIv3 key), so it is not known whose it is.
    #[error("the notification opens for several merchants ({}): they share an APIv3 key", mchids.join(", "))]
    AmbiguousMerchant {
        /// The merchants whose keys open it.
        mchids: Vec<String>,
    },
    /// [`Merchants::parse_any`](crate::Merchants::parse_any): no registered merchant holds the
    /// key the notification names.
    #[error("no registered merchant holds the key `{serial}` the notification names")]
    NoMerchantHoldsKey {
        /// The `Wechatpay-Serial` header.
        serial: String,
    },
    /// The decrypted resource of a known event type does not match its model.
    #[error("the resource of a `{event_type}` notification does not match its model: {source}")]
    Event {
        /// The event type.
        event_type: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
}

/// Notification events, typed by `event_type`: implemented by the generated
/// `wechatpay_api::Event`, whose variants hold each event's resource model.
pub trait NotificationEvent: Sized {
    /// The event of a verified, decrypted notification. An event type the implementation does
    /// not know is not an error: it keeps the decrypted JSON.
    fn from_notification(notification: &Notification) -> Result<Self, serde_json::Error>;
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(default)]
    create_time: String,
    #[serde(default)]
    resource_type: String,
    event_type: String,
    #[serde(default)]
    summary: Option<String>,
    resource: EncryptedResource,
}

/// A verified, decrypted notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Notification id; the same event may arrive twice with the same id.
    pub id: String,
    /// `create_time` as sent.
    pub create_time_raw: String,
    /// `create_time` parsed leniently (RFC 3339, or `YYYYMMDDHHMMSS` as Beijing time).
    pub create_time: Option<time::OffsetDateTime>,
    /// E.g. `TRANSACTION.SUCCESS`, `COMPLAINT.CREATE` (an open set).
    pub event_type: String,
    /// Usually `encrypt-resource`.
    pub resource_type: String,
    /// Human-readable summary; may be absent.
    pub summary: Option<String>,
    /// The resource's `original_type` (an open set).
    pub original_type: Option<String>,
    /// The decrypted resource.
    pub resource: serde_json::Value,
}

impl Notification {
    /// Decodes the decrypted resource into a typed value.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.resource)
    }
}

/// Parses `create_time` leniently: RFC 3339, else `YYYYMMDDHHMMSS` taken as UTC+8.
pub fn parse_create_time(text: &str) -> Option<time::OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(text.trim(), &Rfc3339) {
        return Some(t);
    }
    let compact = time::macros::format_description!("[year][month][day][hour][minute][second]");
    time::PrimitiveDateTime::parse(text.trim(), compact)
        .ok()
        .map(|t| t.assume_offset(time::macros::offset!(+8)))
}

/// Verifies and decrypts notifications.
#[derive(Debug, Clone)]
pub struct NotificationHandler {
    keys: KeyStore,
    apiv3_key: ApiV3Key,
    clock: Arc<dyn Clock>,
}

impl NotificationHandler {
    /// A handler trusting the keys of `keys` (public key and certificates alike, chosen by
    /// each notification's `Wechatpay-Serial`), for a service that receives notifications but
    /// makes no calls. A service that has a client uses `Client::notification_handler`.
    pub fn new(keys: KeyStore, apiv3_key: ApiV3Key) -> Self {
        Self {
            keys,
            apiv3_key,
            clock: Arc::new(SystemClock),
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Verifies a notification over its headers and raw body bytes exactly as received, then
    /// decrypts its resource. Never give it a re-serialized body: the signature covers the
    /// bytes.
    pub fn parse(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Notification, NotificationError> {
        verify(&self.keys, self.clock.now(), headers, body)?;
        let envelope: Envelope =
            serde_json::from_slice(body).map_err(NotificationError::Envelope)?;
        let plain = envelope.resource.decrypt(&self.apiv3_key)?;
        let resource = serde_json::from_slice(&plain).map_err(NotificationError::ResourceJson)?;
        Ok(Notification {
            id: envelope.id,
            create_time: parse_create_time(&envelope.create_time),
            create_time_raw: envelope.create_time,
            event_type: envelope.event_type,
            resource_type: envelope.resource_type,
            summary: envelope.summary,
            original_type: envelope.resource.original_type,
            resource,
        })
    }
}

impl NotificationHandler {
    /// [`NotificationHandler::parse`], then the typed event (say `wechatpay_api::Event`) of its
    /// resource. The notification comes back too: its `id` is what deduplicates deliveries.
    pub fn parse_event<E: NotificationEvent>(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<(Notification, E), NotificationError> {
        let notification = self.parse(headers, body)?;
        let event =
            E::from_notification(&notification).map_err(|source| NotificationError::Event {
                event_type: notification.event_type.clone(),
                source,
            })?;
        Ok((notification, event))
    }
}

impl NotificationHandler {
    /// Handles a notification once: verifies and opens it ([`parse_event`](Self::parse_event)),
    /// claims its id in `store`, and runs `handle` only for the first claim. A notification
    /// already handled is acknowledged without running `handle`; one another delivery is still
    /// handling is answered a failure, so WeChat Pay delivers it again. When `handle` succeeds the
    /// id is marked handled; when it fails the claim is given back and WeChat Pay is answered a
    /// failure, so its next delivery runs `handle` again. A handler that panics or is cancelled
    /// leaves its claim to the store's lease. Verification comes first, so the replay window (a
    /// timestamp within 5 minutes) still holds for a notification replayed with a known id.
    ///
    /// What went wrong is logged at `warn`; no answer says why.
    pub async fn handle_once<E, F, Fut, X>(
        &self,
        store: &dyn HandledNotifications,
        headers: &http::HeaderMap,
        body: &[u8],
        handle: F,
    ) -> NotificationAnswer
    where
        E: NotificationEvent,
        F: FnOnce(Notification, E) -> Fut,
        Fut: std::future::Future<Output = Result<(), X>>,
        X: std::fmt::Display,
    {
        let (notification, event) = match self.parse_event::<E>(headers, body) {
            Ok(parsed) => parsed,
            Err(e) => {
                tracing::warn!(error = %e, "WeChat Pay notification refused");
                return NotificationAnswer::refused();
            }
        };
        let id = notification.id.clone();
        match store.claim(&id).await {
            Ok(Claim::First) => {}
            Ok(Claim::Handled) => {
                tracing::info!(id = %id, "WeChat Pay notification already handled: acknowledged");
                return NotificationAnswer::success();
            }
            Ok(_) => {
                tracing::info!(id = %id, "WeChat Pay notification being handled by another delivery");
                return NotificationAnswer::refused();
            }
            Err(e) => {
                tracing::warn!(id = %id, error = %e, "the store of handled notifications failed");
                return NotificationAnswer::refused();
            }
        }
        // The handler's error becomes text at once: no error value is held across an await.
        let failed = handle(notification, event)
            .await
            .err()
            .map(|e| e.to_string());
        match failed {
            None => {
                if let Err(e) = store.complete(&id).await {
                    // Handled, but not recorded: a redelivery may run the handler again.
                    tracing::warn!(id = %id, error = %e, "the store could not record the notification as handled");
                }
                NotificationAnswer::success()
            }
            Some(error) => {
                tracing::warn!(id = %id, error = %error, "WeChat Pay notification handler failed");
                if let Err(e) = store.release(&id).await {
                    tracing::warn!(id = %id, error = %e, "the store could not give the claim back");
                }
                NotificationAnswer::refused()
            }
        }
    }
}

/// The answer WeChat Pay expects from a notification endpoint (within 5 s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationAnswer {
    /// HTTP status: 204 for success, 4xx/5xx for failure (WeChat Pay then retries).
    pub status: u16,
    /// Body: empty for success, `{"code","message"}` for failure.
    pub body: String,
}

impl NotificationAnswer {
    /// Success: 204, no body.
    pub fn success() -> Self {
        Self {
            status: 204,
            body: String::new(),
        }
    }

    /// Failure: 500 with `{"code":"FAIL","message":…}`; WeChat Pay delivers again later.
    /// The message goes to whoever sent the request: for a notification that did not verify,
    /// answer [`refused`](Self::refused) instead and log the reason.
    pub fn failure(message: &str) -> Self {
        Self {
            status: 500,
            body: serde_json::json!({"code": "FAIL", "message": message}).to_string(),
        }
    }

    /// The failure WeChat Pay documents, `{"code":"FAIL","message":"失败"}` with 500, telling
    /// the sender nothing of why: the answer to a request that did not verify, which may come
    /// from anyone (a reason such as a clock skew or an unknown serial would tell them about
    /// this server).
    pub fn refused() -> Self {
        Self::failure("失败")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_time_is_parsed_leniently() {
        let rfc = parse_create_time("2015-05-20T13:29:35+08:00").unwrap();
        let compact = parse_create_time("20150520132935").unwrap();
        assert_eq!(rfc, compact);
        assert_eq!(rfc.unix_timestamp(), 1432099775);
        assert!(parse_create_time("yesterday").is_none());
    }

    #[test]
    fn answers_have_the_expected_shape() {
        assert_eq!(
            NotificationAnswer::success(),
            NotificationAnswer {
                status: 204,
                body: String::new()
            }
        );
        assert_eq!(
            NotificationAnswer::refused().body,
            r#"{"code":"FAIL","message":"失败"}"#
        );
        let fail = NotificationAnswer::failure("busy");
        assert_eq!(fail.status, 500);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&fail.body).unwrap(),
            serde_json::json!({"code":"FAIL","message":"busy"})
        );
    }
}
