//! Fixed-window rate limits kept in the store, so they hold across Lambda
//! instances: one counter item per (scope, caller key, window), bumped with
//! an atomic add and expired by DynamoDB TTL.
//!
//! | item | pk | sk | attributes |
//! |---|---|---|---|
//! | rate counter | `RATE#<scope>#<sha256(key)>` | `WINDOW#<window start, epoch s>` | `count`, `ttl` (epoch s, DynamoDB TTL) |
//!
//! The caller key is hashed so that emails and IPs never appear in keys.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use pc_platform::store::{Key, Store, StoreError, Update};

/// One limit: at most `max` counted events per `window_seconds`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub scope: &'static str,
    pub max: i64,
    pub window_seconds: i64,
}

/// Failed sign-ins per email and IP.
pub const SIGN_IN_FAILURES: Limit = Limit {
    scope: "sign-in",
    max: 5,
    window_seconds: 15 * 60,
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
            key: Key::new(
                format!("RATE#{}#{hashed}", self.scope),
                format!("WINDOW#{start}"),
            ),
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
}
