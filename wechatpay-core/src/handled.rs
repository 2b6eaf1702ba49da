//! Notifications handled once: WeChat Pay delivers a notification again until it is
//! acknowledged (and sometimes after), so a store of handled notification ids lets a redelivery
//! be acknowledged without running the handler twice.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

/// What a store of handled notifications can fail with (a database error, say).
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`HandledNotifications`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Where the ids of handled notifications are kept. Implement it on the database the service
/// already has: `claim` is an insert into a table whose key is the id (a unique-key violation
/// means "already claimed"), `release` a delete. Several instances of a service behind a load
/// balancer must share one store.
pub trait HandledNotifications: Send + Sync {
    /// Claims the notification `id` for handling: `true` the first time (handle it now),
    /// `false` when it was handled already or another delivery is handling it (acknowledge it
    /// without handling).
    fn claim<'a>(&'a self, id: &'a str) -> StoreFuture<'a, bool>;

    /// Gives a claim back after the handler failed, so that the next delivery handles it.
    fn release<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()>;
}

/// The in-memory default: the ids of the last [`capacity`](Self::with_capacity) notifications
/// claimed (100,000 by default), the oldest forgotten first. It lives in one process and is
/// lost on restart; WeChat Pay redelivers for about 24 hours, so size it to more than a day's
/// notifications.
#[derive(Debug)]
pub struct RecentNotifications {
    capacity: usize,
    ids: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl RecentNotifications {
    /// The default number of ids kept.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A store keeping the last [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) ids.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// A store keeping the last `capacity` ids (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            ids: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }

    fn claim_now(&self, id: &str) -> bool {
        let mut guard = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        let (set, order) = &mut *guard;
        if set.contains(id) {
            return false;
        }
        if order.len() == self.capacity {
            if let Some(oldest) = order.pop_front() {
                set.remove(&oldest);
            }
        }
        set.insert(id.to_owned());
        order.push_back(id.to_owned());
        true
    }

    fn release_now(&self, id: &str) {
        let mut guard = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        let (set, order) = &mut *guard;
        if set.remove(id) {
            order.retain(|kept| kept != id);
        }
    }
}

impl Default for RecentNotifications {
    fn default() -> Self {
        Self::new()
    }
}

impl HandledNotifications for RecentNotifications {
    fn claim<'a>(&'a self, id: &'a str) -> StoreFuture<'a, bool> {
        let first = self.claim_now(id);
        Box::pin(async move { Ok(first) })
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
    fn an_id_is_claimed_once_released_claimed_again_and_the_oldest_is_forgotten() {
        let store = RecentNotifications::with_capacity(2);
        assert!(store.claim_now("a"));
        assert!(!store.claim_now("a"));
        store.release_now("a");
        assert!(store.claim_now("a"));
        assert!(store.claim_now("b"));
        assert!(store.claim_now("c"));
        // `a` was the oldest of three with room for two.
        assert!(store.claim_now("a"));
        assert!(!store.claim_now("c"));
    }
}
