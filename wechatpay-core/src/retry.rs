//! Opt-in retries for calls that are safe to repeat. Off by default: a payment SDK must not
//! repeat a call behind the caller's back unless asked to.

use std::time::Duration;

use crate::error::Error;

/// When and how often a failed call is sent again: exponential backoff with jitter, each
/// attempt signed afresh (new timestamp and nonce) and logged in the call's `tracing` span.
///
/// The written policy:
/// - **Only idempotent operations are repeated** once they may have reached the platform. An
///   operation is idempotent when its spec says so (`x-wechatpay-idempotent`): by default `GET`,
///   `PUT` and `DELETE` are and `POST` and `PATCH` are not, and the spec marks the `POST`s whose
///   merchant-supplied number makes a repeat safe (an order, a refund, a transfer with the same
///   `out_…_no` is created once, as each one's official page says). The generic call and a
///   hand-built [`Request`](crate::operation::Request) follow the method unless
///   `Request::with_idempotent` says otherwise.
/// - An idempotent call is repeated after a timeout or a broken connection, and after an
///   answer that asks for a repeat: `429`, any `5xx`, `SYSTEM_ERROR` whatever its status, and
///   `202` ("accepted, not processed") where the operation does not declare it
///   ([`ApiError::is_retryable`](crate::ApiError::is_retryable)).
/// - Any call, idempotent or not, is sent again when the connection could not be opened:
///   nothing was sent, so it is not a repeat.
/// - Never after an answer refused as too large, a redirect, a failed verification (a
///   `SignTestProbe` included), or an answer that does not decode: re-query instead.
/// - The delay before attempt *n + 1* is `initial_delay × 2^(n-1)`, at most `max_delay`, then a
///   random point in its upper half, and never under [`RetryPolicy::MIN_DELAY`]. When the answer
///   carries `Retry-After`, the delay is at least what it asks; if it asks for more than
///   `max_retry_after`, the call is not repeated and the error is returned at once (the
///   platform does not document the header today; a proxy in front of it may send it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included, from 1 (the default: never retries) to
    /// [`RetryPolicy::MAX_ATTEMPTS`].
    pub max_attempts: u32,
    /// The delay before the first retry; it doubles with each one.
    pub initial_delay: Duration,
    /// The longest delay computed by backoff.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; an answer asking for more is not retried.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// No retries; once enabled, 200 ms doubling up to 5 s, `Retry-After` honoured up to 10 s.
    fn default() -> Self {
        Self {
            max_attempts: 1,
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The shortest delay between two attempts, whatever the policy's delays say.
    pub const MIN_DELAY: Duration = Duration::from_millis(50);

    /// The most attempts a policy makes, the first included.
    pub const MAX_ATTEMPTS: u32 = 10;

    /// Up to `max_attempts` attempts in all (clamped to `1..=MAX_ATTEMPTS`), with the default
    /// delays.
    pub fn attempts(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            ..Self::default()
        }
    }

    /// Backoff from `initial` doubling up to `max` (each at least [`RetryPolicy::MIN_DELAY`]).
    #[must_use]
    pub fn with_delays(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_delay = initial;
        self.max_delay = max;
        self
    }

    /// The longest `Retry-After` to wait for; an answer asking for longer is returned at once.
    #[must_use]
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// The delay before sending again the call that failed with `error` on attempt `attempt`
    /// (from 1), or `None` if it must not be sent again.
    pub(crate) fn next_delay(
        &self,
        attempt: u32,
        idempotent: bool,
        error: &Error,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts.clamp(1, Self::MAX_ATTEMPTS) {
            return None;
        }
        let backoff = self.backoff(attempt);
        match error {
            Error::Transport { source, .. } if source.is_connect() => Some(backoff),
            Error::Transport { source, .. } if idempotent && source.is_repeatable() => {
                Some(backoff)
            }
            Error::Api(e) if idempotent && e.is_retryable() => match e.retry_after {
                Some(asked) if asked > self.max_retry_after => None,
                Some(asked) => Some(backoff.max(asked)),
                None => Some(backoff),
            },
            _ => None,
        }
    }

    /// `initial_delay × 2^(attempt-1)`, at most `max_delay`, then a random point in its upper
    /// half (so that clients do not retry in step), at least [`RetryPolicy::MIN_DELAY`].
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        let full = self
            .initial_delay
            .saturating_mul(factor)
            .min(self.max_delay);
        full.mul_f64(0.5 + rand::random::<f64>() / 2.0)
            .max(Self::MIN_DELAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ApiError, RawBody, TransportError, TransportErrorKind, VerifyError};

    fn api(status: u16, code: &str, retry_after: Option<u64>) -> Error {
        Error::Api(Box::new(ApiError {
            status,
            code: code.to_owned(),
            message: String::new(),
            detail: None,
            request_id: None,
            body: RawBody(bytes::Bytes::new()),
            retry_after: retry_after.map(Duration::from_secs),
            sign_mismatch: None,
        }))
    }

    fn transport(kind: TransportErrorKind) -> Error {
        Error::Transport {
            operation: "op".to_owned(),
            source: TransportError::new(kind, "failed"),
        }
    }

    fn three() -> RetryPolicy {
        RetryPolicy::attempts(3)
    }

    #[test]
    fn only_idempotent_calls_are_repeated_once_they_may_have_reached_the_platform() {
        // (error, repeated when idempotent, repeated when not)
        let cases = [
            (api(500, "SYSTEM_ERROR", None), true, false),
            (api(400, "SYSTEM_ERROR", None), true, false),
            (api(429, "FREQUENCY_LIMITED", None), true, false),
            (api(202, "", None), true, false),
            (api(503, "", None), true, false),
            (api(400, "PARAM_ERROR", None), false, false),
            (api(403, "NOT_ENOUGH", None), false, false),
            (api(404, "ORDER_NOT_EXIST", None), false, false),
            (transport(TransportErrorKind::Connect), true, true),
            (transport(TransportErrorKind::Timeout), true, false),
            (transport(TransportErrorKind::Other), true, false),
            (
                transport(TransportErrorKind::TooLarge { limit: 1 }),
                false,
                false,
            ),
            (
                Error::Verify {
                    source: VerifyError::SignTestProbe,
                    request_id: None,
                },
                false,
                false,
            ),
            (
                Error::Redirect {
                    operation: "op".to_owned(),
                    status: 302,
                    location: None,
                    request_id: None,
                },
                false,
                false,
            ),
        ];
        for (error, when_idempotent, when_not) in cases {
            assert_eq!(
                three().next_delay(1, true, &error).is_some(),
                when_idempotent,
                "idempotent, {error:?}"
            );
            assert_eq!(
                three().next_delay(1, false, &error).is_some(),
                when_not,
                "not idempotent, {error:?}"
            );
        }
    }

    #[test]
    fn retry_after_sets_the_least_delay_and_past_the_cap_ends_the_call() {
        let policy = three().with_max_retry_after(Duration::from_secs(10));
        let delay = policy
            .next_delay(1, true, &api(429, "FREQUENCY_LIMITED", Some(3)))
            .unwrap();
        assert!(delay >= Duration::from_secs(3), "{delay:?}");
        let at_cap = policy.next_delay(1, true, &api(503, "", Some(10)));
        assert_eq!(at_cap.map(|d| d >= Duration::from_secs(10)), Some(true));
        assert_eq!(policy.next_delay(1, true, &api(503, "", Some(11))), None);
        // A short Retry-After does not shorten the backoff.
        let policy = three().with_delays(Duration::from_secs(4), Duration::from_secs(4));
        let delay = policy.next_delay(1, true, &api(503, "", Some(0))).unwrap();
        assert!(delay >= Duration::from_secs(2), "{delay:?}");
    }

    #[test]
    fn delays_double_up_to_the_cap_with_jitter_in_the_upper_half() {
        let policy = RetryPolicy::attempts(10)
            .with_delays(Duration::from_millis(100), Duration::from_millis(1000));
        for (attempt, full) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (30, 1000),
        ] {
            let d = policy.backoff(attempt).as_millis();
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d} ms");
        }
    }

    #[test]
    fn no_delay_is_under_the_floor() {
        let policy = RetryPolicy::attempts(10).with_delays(Duration::ZERO, Duration::ZERO);
        for attempt in 1..10 {
            assert!(policy.backoff(attempt) >= RetryPolicy::MIN_DELAY);
        }
        let asked_nothing = policy.next_delay(1, true, &api(429, "", Some(0))).unwrap();
        assert!(asked_nothing >= RetryPolicy::MIN_DELAY);
    }

    #[test]
    fn attempts_are_counted_and_clamped() {
        let error = api(500, "SYSTEM_ERROR", None);
        assert_eq!(RetryPolicy::default().next_delay(1, true, &error), None);
        assert_eq!(RetryPolicy::attempts(0).next_delay(1, true, &error), None);
        assert!(three().next_delay(2, true, &error).is_some());
        assert_eq!(three().next_delay(3, true, &error), None);
        let unbounded = RetryPolicy::attempts(u32::MAX);
        assert!(unbounded
            .next_delay(RetryPolicy::MAX_ATTEMPTS - 1, true, &error)
            .is_some());
        assert_eq!(
            unbounded.next_delay(RetryPolicy::MAX_ATTEMPTS, true, &error),
            None
        );
    }
}
