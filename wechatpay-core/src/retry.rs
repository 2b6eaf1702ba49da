//! Opt-in retries for calls that are safe to repeat. Off by default: a payment SDK must not
//! repeat a call behind the caller's back unless asked to.

use std::time::Duration;

use crate::error::Error;
use crate::operation::Method;

/// When and how often a failed call is sent again: exponential backoff with jitter, each
/// attempt signed afresh (new timestamp and nonce) and logged in the call's `tracing` span.
///
/// A call is repeated only when repeating it cannot do twice what it did once:
/// - a connection that failed before anything was sent, for any method;
/// - `429` (rate limited) and `SYSTEM_ERROR` (the platform asks for the same request again), for
///   any method, and a `202` ("accepted, not processed") for operations that do not declare it;
/// - for `GET` only: timeouts and other transport errors, and any `5xx`.
///
/// Never a `POST` (or `PUT`, `PATCH`, `DELETE`) that may have reached the platform, and never
/// after a verification failure (a `SignTestProbe` included): re-query instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included: `1` never retries (the default).
    pub max_attempts: u32,
    /// The delay before the first retry; it doubles with each one.
    pub initial_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// No retries.
    fn default() -> Self {
        Self {
            max_attempts: 1,
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Up to `max_attempts` attempts in all, with the default delays (200 ms, doubling, at most
    /// 5 s).
    pub fn attempts(max_attempts: u32) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            ..Self::default()
        }
    }

    /// Whether the call that failed with `error` on attempt `attempt` (from 1) is sent again.
    pub(crate) fn allows(&self, attempt: u32, method: &Method, error: &Error) -> bool {
        attempt < self.max_attempts && safe_to_repeat(method, error)
    }

    /// The delay before attempt `attempt + 1`: `initial_delay × 2^(attempt-1)`, at most
    /// `max_delay`, then a random point in its upper half (so that clients do not retry in step).
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        let full = self
            .initial_delay
            .saturating_mul(factor)
            .min(self.max_delay);
        full.mul_f64(0.5 + rand::random::<f64>() / 2.0)
    }
}

/// Whether repeating the request cannot make the platform do it twice.
fn safe_to_repeat(method: &Method, error: &Error) -> bool {
    let get = *method == Method::GET;
    match error {
        Error::Transport { source, .. } => source.is_connect() || get,
        Error::Api(e) => {
            e.status == 429
                || e.status == 202
                || e.code == "SYSTEM_ERROR"
                || (get && e.status >= 500)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_jitter_in_the_upper_half() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for (attempt, full) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (30, 1000),
        ] {
            let d = policy.delay(attempt).as_millis();
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d} ms");
        }
    }

    #[test]
    fn the_default_never_retries() {
        let error = Error::NoTrustAnchor;
        assert!(!RetryPolicy::default().allows(1, &Method::GET, &error));
        assert_eq!(RetryPolicy::attempts(0).max_attempts, 1);
    }
}
