//! Fixed-window rate limits kept in the store, so they hold across Lambda
//! instances: one counter item per (scope, caller key, window), bumped with
//! an atomic add and expired by DynamoDB TTL.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! The caller key is hashed so that emails and IPs never appear in keys.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use pc_platform::store::{Condition, Key, Store, StoreError, Update};

use crate::keys::rate_window_key;

/// One limit: at most `max` counted events per `window_seconds`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub scope: &'static str,
    pub max: i64,
    pub window_seconds: i64,
}

/// Failed sign-ins per email and client IP.
pub const SIGN_IN_FAILURES: Limit = Limit {
    scope: "sign-in",
    max: 5,
    window_seconds: 15 * 60,
};

/// Failed sign-ins per email from any IP: guessing spread over many
/// addresses still stops. Higher than the per-IP limit so that someone
/// hammering one account from elsewhere locks its owner out only after
/// twice as many tries.
pub const SIGN_IN_FAILURES_PER_EMAIL: Limit = Limit {
    scope: "sign-in-email",
    max: 10,
    window_seconds: 15 * 60,
};

/// Partner registrations per client IP: each one sends an email from our
/// domain, so a script must not be able to mass-register.
pub const REGISTRATIONS: Limit = Limit {
    scope: "register-partner",
    max: 10,
    window_seconds: 60 * 60,
};

/// Token refreshes per IP: a browser refreshes about twice an hour, so this
/// only bites scripted abuse.
pub const REFRESHES: Limit = Limit {
    scope: "refresh",
    max: 30,
    window_seconds: 60,
};

/// Reset emails per address: enough for a forgetful person, too few to
/// flood someone's inbox through the public endpoint. Over the limit the
/// request answers as usual and sends nothing.
pub const RESET_EMAILS: Limit = Limit {
    scope: "forgot-password",
    max: 5,
    window_seconds: 60 * 60,
};

/// The window of `limit` that `now` falls in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub key: Key,
    pub ends_at: i64,
}

impl Limit {
    pub fn window(&self, caller: &str, now: DateTime<Utc>) -> Window {
        let start = now.timestamp().div_euclid(self.window_seconds) * self.window_seconds;
        let hashed = hex::encode(Sha256::digest(caller.as_bytes()));
        Window {
            key: rate_window_key(self.scope, &hashed, start),
            ends_at: start + self.window_seconds,
        }
    }

    /// Seconds to wait when `count` events were already counted, if over.
    pub fn retry_after(&self, count: i64, window: &Window, now: DateTime<Utc>) -> Option<u64> {
        (count >= self.max).then(|| (window.ends_at - now.timestamp()).max(1) as u64)
    }
}

/// Counts one event in `window` and answers the new count.
pub async fn count(store: &dyn Store, window: &Window) -> Result<i64, StoreError> {
    let item = store
        .update(
            Update::new(window.key.clone())
                .add("count", 1)
                .set("entity", "rate_counter")
                // A day of slack so clock skew between instances never drops a live window.
                .set("ttl", window.ends_at + 86_400),
        )
        .await?;
    Ok(item.get("count").and_then(|v| v.as_i64()).unwrap_or(1))
}

/// Counts one event in `window` only while it holds fewer than the limit's
/// `max`, and answers the seconds to wait when it is full. It is one
/// conditional update, so concurrent callers can never together get past
/// the limit (a read-then-write would let them all pass).
pub async fn take(
    store: &dyn Store,
    limit: &Limit,
    window: &Window,
    now: DateTime<Utc>,
) -> Result<Option<u64>, StoreError> {
    let update = Update::new(window.key.clone())
        .add("count", 1)
        .set("entity", "rate_counter")
        .set("ttl", window.ends_at + 86_400)
        .when(Condition::Or(vec![
            Condition::missing("count"),
            Condition::less_than("count", limit.max),
        ]));
    match store.update(update).await {
        Ok(_) => Ok(None),
        Err(e) if e.is_condition_failure() => Ok(limit.retry_after(limit.max, window, now)),
        Err(e) => Err(e),
    }
}

/// Takes back one event counted by [`take`] (an attempt that turned out fine).
pub async fn give_back(store: &dyn Store, window: &Window) -> Result<(), StoreError> {
    store
        .update(Update::new(window.key.clone()).add("count", -1))
        .await
        .map(drop)
}

/// The count stored in a window's item (0 when absent).
pub fn stored_count(item: Option<&pc_platform::store::Item>) -> i64 {
    item.and_then(|i| i.get("count"))
        .and_then(|v| v.as_i64())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_fixed_and_retry_after_counts_to_the_end() {
        let now = DateTime::parse_from_rfc3339("2024-01-01T00:07:30Z")
            .unwrap()
            .to_utc();
        let w = SIGN_IN_FAILURES.window("a@x.io|1.2.3.4", now);
        assert_eq!(w.ends_at - now.timestamp(), 450);
        assert!(w.key.pk.starts_with("RATE#sign-in#") && !w.key.pk.contains("a@x.io"));
        assert_eq!(SIGN_IN_FAILURES.retry_after(4, &w, now), None);
        assert_eq!(SIGN_IN_FAILURES.retry_after(5, &w, now), Some(450));
    }

    #[tokio::test]
    async fn takes_stop_at_the_limit_and_give_back_frees_one() {
        use pc_platform::store::embedded::EmbeddedStore;
        let store = EmbeddedStore::in_memory();
        let now = DateTime::parse_from_rfc3339("2024-01-01T00:07:30Z")
            .unwrap()
            .to_utc();
        let w = SIGN_IN_FAILURES.window("a@x.io|1.2.3.4", now);
        let mut outcomes = Vec::new();
        for _ in 0..8 {
            outcomes.push(take(&store, &SIGN_IN_FAILURES, &w, now).await.unwrap());
        }
        assert_eq!(outcomes[..5], [None; 5]);
        assert_eq!(outcomes[5..], [Some(450); 3]);
        give_back(&store, &w).await.unwrap();
        assert_eq!(
            take(&store, &SIGN_IN_FAILURES, &w, now).await.unwrap(),
            None
        );
        assert!(
            take(&store, &SIGN_IN_FAILURES, &w, now)
                .await
                .unwrap()
                .is_some()
        );
    }
}
