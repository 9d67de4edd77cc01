//! A partner's unread count, kept in one item so the count is one read.
//!
//! Activities expire (the table's TTL removes them), and an activity that
//! expires unread must leave the count with it, or the count would drift.
//! So the counter keeps one number per day the unread activities happened
//! on (`u20261122`), and an activity lives exactly as long as its day's
//! number counts: until the start of the UTC day [`KEEP_DAYS`] after its
//! own day began. The count is the sum of the days still alive; a new
//! activity adds one to its day, each activity marked read takes one off.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde_json::Value;

use pc_platform::store::Item;

/// Days from the start of an activity's day to its expiry: an activity is
/// kept at least 180 days, and at most one day more.
pub const KEEP_DAYS: i64 = 181;

const PREFIX: char = 'u';

/// The counter attribute of the day `at` falls on.
pub fn day_attribute(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}", at.format("%Y%m%d"))
}

fn day_of(attribute: &str) -> Option<NaiveDate> {
    let digits = attribute.strip_prefix(PREFIX)?;
    if digits.len() != 8 {
        return None;
    }
    NaiveDate::parse_from_str(digits, "%Y%m%d").ok()
}

fn expiry_of_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc() + Duration::days(KEEP_DAYS)
}

/// When an activity that happened at `at` expires (the item's `ttl`).
pub fn expires_at(at: DateTime<Utc>) -> DateTime<Utc> {
    expiry_of_day(at.date_naive())
}

/// The unread activities the counter item holds at `now`.
pub fn unread_count(counter: Option<&Item>, now: DateTime<Utc>) -> u64 {
    let Some(counter) = counter else { return 0 };
    let total: i64 = counter
        .iter()
        .filter_map(|(name, value)| Some((day_of(name)?, value)))
        .filter(|(day, _)| expiry_of_day(*day) > now)
        .map(|(_, value)| value.as_i64().unwrap_or(0))
        .sum();
    u64::try_from(total).unwrap_or(0)
}

/// The counter's days whose activities have all expired at `now`.
pub fn expired_days(counter: &Item, now: DateTime<Utc>) -> Vec<String> {
    counter
        .keys()
        .filter(|name| day_of(name).is_some_and(|day| expiry_of_day(day) <= now))
        .cloned()
        .collect()
}

/// Whether a stored activity's `ttl` (epoch seconds) has passed at `now`;
/// DynamoDB removes expired items some time after, so reads skip them.
pub fn has_expired(item: &Item, now: DateTime<Utc>) -> bool {
    item.get("ttl")
        .and_then(Value::as_i64)
        .is_some_and(|ttl| ttl <= now.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn counter(value: Value) -> Item {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn an_activity_is_kept_at_least_180_days_and_leaves_the_count_as_it_expires() {
        let happened = at("2026-01-10T23:59:00Z");
        let expiry = expires_at(happened);
        assert_eq!(expiry, at("2026-07-10T00:00:00Z"));
        assert!(expiry - happened >= Duration::days(180));
        let item = counter(json!({"pk": "x", day_attribute(happened): 2, "u20260601": 1}));
        assert_eq!(unread_count(Some(&item), expiry - Duration::seconds(1)), 3);
        assert_eq!(unread_count(Some(&item), expiry), 1);
        assert_eq!(expired_days(&item, expiry), vec!["u20260110".to_owned()]);
        let activity = counter(json!({"ttl": expiry.timestamp()}));
        assert!(!has_expired(&activity, expiry - Duration::seconds(1)));
        assert!(has_expired(&activity, expiry));
    }

    #[test]
    fn other_attributes_and_a_missing_counter_count_nothing() {
        let now = at("2026-03-01T00:00:00Z");
        assert_eq!(unread_count(None, now), 0);
        let item = counter(json!({"updatedAt": 5, "u2026": 4, "uabcdefgh": 1, "u20260228": -2}));
        assert_eq!(unread_count(Some(&item), now), 0, "never below zero");
    }
}
