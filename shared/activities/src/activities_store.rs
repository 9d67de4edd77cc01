//! Stored activities and unread counters.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Attributes: the activity's `id` (its event's id), `partnerId`, `type`,
//! `occurredAt`, `read`, `readAt?`, `data`, and `ttl` (epoch seconds, see
//! [`crate::unread_counter::expires_at`]). The counter holds one number per
//! day (see [`crate::unread_counter`]).
//!
//! Access patterns: a partner's feed, newest first (gsi1); its unread
//! activities, newest first (gsi2, sparse: marking read removes the keys);
//! one activity by id (the table); the unread count (one get).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use pc_platform::store::pages::query_up_to;
use pc_platform::store::{Index, Item, Query, Store, StoreError, from_item, to_item};
use pc_platform::time::{serde_millis, timestamp};

use crate::keys::activities_partition;
pub use crate::keys::{activity_key, counter_key, unread_partition};
use crate::unread_counter::{expires_at, has_expired, unread_count};

/// Most activities one feed read goes through (the newest ones).
pub const FEED_READ_LIMIT: usize = 5_000;

/// One activity of one partner: an event that concerned it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// The event's id (one activity per partner and event).
    pub id: String,
    pub partner_id: String,
    /// The event type (`lead.status_changed`, `marketplace.lead_sold`...).
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: DateTime<Utc>,
    pub read: bool,
    #[serde(
        default,
        with = "serde_millis::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<DateTime<Utc>>,
    /// The event's subject (ids, names, statuses, amounts).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub data: Value,
}

/// The gsi2 attributes an unread activity carries, removed when it is read.
pub const UNREAD_INDEX_ATTRIBUTES: [&str; 2] = ["gsi2pk", "gsi2sk"];

/// The stored item of a new, unread activity.
pub fn activity_item(activity: &Activity) -> Result<Item, StoreError> {
    let mut item = to_item(activity)?;
    let key = activity_key(&activity.partner_id, &activity.id);
    let order = format!("{}#{}", timestamp(activity.occurred_at), activity.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "activity".into());
    item.insert(
        "gsi1pk".into(),
        activities_partition(&activity.partner_id).into(),
    );
    item.insert("gsi1sk".into(), order.clone().into());
    if !activity.read {
        item.insert(
            "gsi2pk".into(),
            unread_partition(&activity.partner_id).into(),
        );
        item.insert("gsi2sk".into(), order.into());
    }
    item.insert(
        "ttl".into(),
        expires_at(activity.occurred_at).timestamp().into(),
    );
    Ok(item)
}

/// The activity a stored item holds.
pub fn activity_of(item: Item) -> Result<Activity, StoreError> {
    from_item(item)
}

/// A partner's activities that have not expired at `now`, newest first
/// (unread ones only when `unread_only`); answers whether the read stopped
/// at [`FEED_READ_LIMIT`].
pub async fn feed(
    store: &dyn Store,
    partner_id: &str,
    unread_only: bool,
    now: DateTime<Utc>,
) -> Result<(Vec<Activity>, bool), StoreError> {
    let query = if unread_only {
        Query::partition(Index::Gsi2, unread_partition(partner_id))
    } else {
        Query::partition(Index::Gsi1, activities_partition(partner_id))
    }
    .descending();
    let (items, truncated) = query_up_to(store, query, FEED_READ_LIMIT).await?;
    let activities = items
        .into_iter()
        .filter(|item| !has_expired(item, now))
        .map(activity_of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((activities, truncated))
}

/// The partner's unread count at `now`: one get.
pub async fn unread_count_of(
    store: &dyn Store,
    partner_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let counter = store.get(&counter_key(partner_id)).await?;
    Ok(unread_count(counter.as_ref(), now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_unread_activity_is_in_both_feeds_and_expires_with_its_day() {
        let at = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .to_utc();
        let activity = Activity {
            id: "e1".into(),
            partner_id: "P".into(),
            event_type: "lead.created".into(),
            occurred_at: at,
            read: false,
            read_at: None,
            data: json!({"leadId": "L"}),
        };
        let item = activity_item(&activity).unwrap();
        assert_eq!(item["pk"], "ACTIVITIES#P");
        assert_eq!(item["sk"], "ACTIVITY#e1");
        assert_eq!(item["gsi2pk"], "ACTIVITIES#P#UNREAD");
        assert_eq!(item["ttl"], expires_at(at).timestamp());
        assert_eq!(item["type"], "lead.created");
        assert_eq!(activity_of(item).unwrap(), activity);
        let read = Activity {
            read: true,
            ..activity
        };
        assert!(!activity_item(&read).unwrap().contains_key("gsi2pk"));
    }
}
