//! Notifications handled once: WeChat Pay delivers a notification again until it is
//! acknowledged (and sometimes after), so a store of notification ids lets a redelivery of a
//! handled notification be acknowledged without running the handler twice.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a store of handled notifications can fail with (a database error, say).
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`HandledNotifications`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Where a notification id stands in a [`HandledNotifications`] store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// Claimed now: handle it, then `complete` (or `release` on failure).
    First,
    /// Another delivery holds the claim and has not finished: answer a failure, so that WeChat
    /// Pay delivers again (the claim may yet be released).
    Handling,
    /// Handled: acknowledge without handling.
    Handled,
}

/// Where the ids of notifications are kept, with where each stands. Implement it on the database
/// the service already has: `claim` inserts the id as "handling" with the time (a row already
/// there is [`Claim::Handling`], or [`Claim::Handled`], or, when its claim is older than a lease,
/// taken over as [`Claim::First`]: a handler that crashed or was cancelled never completes);
/// `complete` marks it handled; `release` deletes it. Several instances of a service behind a
/// load balancer must share one store.
pub trait HandledNotifications: Send + Sync {
    /// Claims the notification `id` for handling.
    fn claim<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Claim>;

    /// Marks `id` handled, after its handler succeeded.
    fn complete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()>;

    /// Gives a claim back after the handler failed, so that the next delivery handles it.
    fn release<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()>;
}

/// The in-memory default: the last [`capacity`](Self::with_capacity) notification ids (100,000
/// by default), the oldest forgotten first. A claim not completed within its lease (60 s by
/// default: a handler that panicked or whose request was dropped) is taken over by the next
/// delivery. It lives in one process and is lost on restart; WeChat Pay redelivers for about 24
/// hours, so size it to more than a day's notifications.
#[derive(Debug)]
pub struct RecentNotifications {
    capacity: usize,
    lease: Duration,
    ids: Mutex<Recent>,
}

#[derive(Debug, Default)]
struct Recent {
    /// id → `Some(when claimed)` while handling, `None` once handled.
    state: HashMap<Arc<str>, Option<Instant>>,
    order: VecDeque<Arc<str>>,
}

impl RecentNotifications {
    /// The default number of ids kept.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// The default lease of a claim.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

    /// A store keeping the last [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) ids.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// A store keeping the last `capacity` ids (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            lease: Self::DEFAULT_LEASE,
            ids: Mutex::new(Recent::default()),
        }
    }

    /// How long a claim holds before the next delivery may take it over.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recent> {
        self.ids.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn claim_now(&self, id: &str, now: Instant) -> Claim {
        let mut recent = self.lock();
        match recent.state.get_mut(id) {
            Some(None) => return Claim::Handled,
            Some(Some(since)) if now.duration_since(*since) < self.lease => return Claim::Handling,
            Some(Some(since)) => {
                *since = now;
                return Claim::First;
            }
            None => {}
        }
        if recent.order.len() >= self.capacity {
            if let Some(oldest) = recent.order.pop_front() {
                recent.state.remove(&oldest);
            }
        }
        let id: Arc<str> = Arc::from(id);
        recent.state.insert(id.clone(), Some(now));
        recent.order.push_back(id);
        Claim::First
    }

    fn complete_now(&self, id: &str) {
        if let Some(state) = self.lock().state.get_mut(id) {
            *state = None;
        }
    }

    fn release_now(&self, id: &str) {
        let mut recent = self.lock();
        if recent.state.remove(id).is_some() {
            recent.order.retain(|kept| &**kept != id);
        }
    }
}

impl Default for RecentNotifications {
    fn default() -> Self {
        Self::new()
    }
}

impl HandledNotifications for RecentNotifications {
    fn claim<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Claim> {
        let claim = self.claim_now(id, Instant::now());
        Box::pin(async move { Ok(claim) })
    }

    fn complete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        self.complete_now(id);
        Box::pin(async { Ok(()) })
    }

    fn release<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        self.release_now(id);
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_handling_until_completed_or_released_or_its_lease_runs_out() {
        let store = RecentNotifications::with_capacity(2).with_lease(Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(store.claim_now("a", t0), Claim::First);
        assert_eq!(store.claim_now("a", t0), Claim::Handling);
        store.release_now("a");
        assert_eq!(store.claim_now("a", t0), Claim::First);
        store.complete_now("a");
        assert_eq!(store.claim_now("a", t0), Claim::Handled);
        // A claim never completed (a crashed handler) is taken over after its lease.
        assert_eq!(store.claim_now("b", t0), Claim::First);
        let later = t0 + Duration::from_secs(61);
        assert_eq!(store.claim_now("b", later), Claim::First);
        assert_eq!(store.claim_now("b", later), Claim::Handling);
        // Room for two: a third id forgets the oldest.
        assert_eq!(store.claim_now("c", later), Claim::First);
        assert_eq!(store.claim_now("a", later), Claim::First);
    }
}
