//! Marking a partner's activities read. Each activity flips from unread
//! to read on condition that it is still unread (and not expired), in the
//! same transaction as one less on its day of the unread counter: the
//! counter moves by exactly the activities that flipped, however many
//! mark-reads of the same activities run at once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use pc_platform::store::pages::Pages;
use pc_platform::store::{
    Condition, Index, Item, MAX_BATCH_GET, Query, SortKey, Store, StoreError, Transaction, Update,
    Write,
};
use pc_platform::time::timestamp;

use crate::activities_store::{
    Activity, UNREAD_INDEX_ATTRIBUTES, activity_key, activity_of, counter_key, unread_partition,
};
use crate::unread_counter::{KEEP_DAYS, day_attribute, expired_days, has_expired};

/// Activities flipped per transaction (with the counter's update).
const FLIPS_PER_TRANSACTION: usize = 49;
/// Unread activities read per page while marking them all.
const PAGE: usize = 200;

/// Which activities to mark read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Marking {
    /// These ids; ids of no activity of the partner are ignored.
    Ids(Vec<String>),
    /// Every unread activity of the partner.
    All,
}

fn flip(activity: &Activity, now: DateTime<Utc>) -> Write {
    let mut update = Update::new(activity_key(&activity.partner_id, &activity.id))
        .set("read", true)
        .set("readAt", timestamp(now));
    for attribute in UNREAD_INDEX_ATTRIBUTES {
        update = update.remove(attribute);
    }
    Write::Update(
        update.when(
            Condition::equals("read", false)
                .and(Condition::GreaterThan("ttl".into(), now.timestamp().into())),
        ),
    )
}

/// The counter's update taking off the flipped activities (and dropping
/// `expired` days, whose activities are gone).
fn count_off(partner_id: &str, flipped: &[Activity], expired: &[String]) -> Write {
    let mut per_day: BTreeMap<String, i64> = BTreeMap::new();
    for activity in flipped {
        *per_day
            .entry(day_attribute(activity.occurred_at))
            .or_default() -= 1;
    }
    let mut update = Update::new(counter_key(partner_id));
    for (day, by) in per_day {
        update = update.add(&day, by);
    }
    // Flipped activities are alive, so their days are never among these.
    for day in expired {
        update = update.remove(day);
    }
    Write::Update(update.when(Condition::Exists))
}

/// Flips `unread` (all of one partner); answers how many flipped.
async fn flip_all(
    store: &dyn Store,
    partner_id: &str,
    unread: Vec<Activity>,
    expired: &[String],
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut flipped = 0;
    for (n, chunk) in unread.chunks(FLIPS_PER_TRANSACTION).enumerate() {
        let prune: &[String] = if n == 0 { expired } else { &[] };
        let mut writes: Vec<Write> = chunk.iter().map(|a| flip(a, now)).collect();
        writes.push(count_off(partner_id, chunk, prune));
        match store.transact(writes).await {
            Ok(()) => {
                flipped += chunk.len() as u64;
                continue;
            }
            Err(e) if e.lost_race() => {}
            Err(e) => return Err(e),
        }
        // Some were marked meanwhile: flip the rest one by one.
        for activity in chunk {
            flipped += flip_one(store, partner_id, activity, now).await?;
        }
    }
    Ok(flipped)
}

async fn flip_one(
    store: &dyn Store,
    partner_id: &str,
    activity: &Activity,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let one = std::slice::from_ref(activity);
    let writes = vec![flip(activity, now), count_off(partner_id, one, &[])];
    match Transaction::from(writes).commit_retrying(store).await {
        Ok(()) => Ok(1),
        Err(e) if e.is_condition_failure() => Ok(0),
        Err(e) => Err(e),
    }
}

fn unread_of(items: Vec<Item>, now: DateTime<Utc>) -> Result<Vec<Activity>, StoreError> {
    let mut unread = Vec::new();
    for item in items {
        if has_expired(&item, now) {
            continue;
        }
        let activity = activity_of(item)?;
        if !activity.read {
            unread.push(activity);
        }
    }
    Ok(unread)
}

/// Marks `marking` of `partner_id`'s activities read; answers how many
/// flipped from unread to read by this call.
pub async fn mark_read(
    store: &dyn Store,
    partner_id: &str,
    marking: &Marking,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let Some(counter) = store.get(&counter_key(partner_id)).await? else {
        // No activity was ever recorded for this partner.
        return Ok(0);
    };
    let expired = expired_days(&counter, now);
    let mut flipped = 0;
    match marking {
        Marking::Ids(ids) => {
            let mut ids = ids.clone();
            ids.sort();
            ids.dedup();
            let mut unread = Vec::new();
            for chunk in ids.chunks(MAX_BATCH_GET) {
                let keys: Vec<_> = chunk
                    .iter()
                    .map(|id| activity_key(partner_id, id))
                    .collect();
                unread.extend(unread_of(store.batch_get(&keys).await?, now)?);
            }
            flipped += flip_all(store, partner_id, unread, &expired, now).await?;
        }
        Marking::All => {
            // Oldest first, from the oldest day still kept.
            let oldest = timestamp(now - chrono::Duration::days(KEEP_DAYS + 1));
            let query = Query::partition(Index::Gsi2, unread_partition(partner_id))
                .sk(SortKey::Gte(oldest))
                .limit(PAGE);
            let mut pages = Pages::new(store, query);
            let mut prune = expired;
            while let Some(items) = pages.next().await? {
                let unread = unread_of(items, now)?;
                flipped += flip_all(store, partner_id, unread, &prune, now).await?;
                prune = Vec::new();
            }
        }
    }
    Ok(flipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_http::partner_events::PartnerEvent;
    use pc_platform::EmbeddedParts;
    use serde_json::json;

    use crate::activities_store::{feed, unread_count_of};
    use crate::recording::record_event;

    async fn seeded(events: &[(&str, &str)]) -> EmbeddedParts {
        let parts = EmbeddedParts::in_memory();
        for (id, partner) in events {
            let event = PartnerEvent {
                id: (*id).into(),
                event_type: "lead.created".into(),
                partner_ids: vec![(*partner).into()],
                occurred_at: parts.context.clock.now(),
                data: json!({}),
            };
            record_event(&parts.context, &event).await.unwrap();
        }
        parts
    }

    #[tokio::test]
    async fn concurrent_overlapping_marks_take_each_activity_off_the_count_once() {
        let parts = seeded(&[("a", "P"), ("b", "P"), ("c", "P"), ("x", "Q")]).await;
        let store = &*parts.context.store;
        let now = parts.context.clock.now();
        let first = Marking::Ids(vec!["a".into(), "b".into(), "x".into()]);
        let second = Marking::Ids(vec!["b".into(), "c".into(), "b".into()]);
        let (one, two) = tokio::join!(
            mark_read(store, "P", &first, now),
            mark_read(store, "P", &second, now)
        );
        assert_eq!(one.unwrap() + two.unwrap(), 3);
        assert_eq!(unread_count_of(store, "P", now).await.unwrap(), 0);
        assert_eq!(
            unread_count_of(store, "Q", now).await.unwrap(),
            1,
            "x is Q's"
        );
        assert_eq!(mark_read(store, "P", &first, now).await.unwrap(), 0);
        assert!(feed(store, "P", true, now).await.unwrap().0.is_empty());
        let (all, _) = feed(store, "P", false, now).await.unwrap();
        let read_at = Some(timestamp(now));
        assert!(
            all.iter()
                .all(|a| a.read && a.read_at.map(timestamp) == read_at)
        );
    }

    #[tokio::test]
    async fn marking_all_reads_every_unread_activity_of_the_partner_only() {
        let ids: Vec<String> = (0..120).map(|n| format!("e{n:03}")).collect();
        let events: Vec<(&str, &str)> = ids.iter().map(|id| (id.as_str(), "P")).collect();
        let parts = seeded(&events).await;
        let store = parts.context.store.clone();
        let now = parts.context.clock.now();
        let other = PartnerEvent {
            id: "q1".into(),
            event_type: "lead.created".into(),
            partner_ids: vec!["Q".into()],
            occurred_at: now,
            data: json!({}),
        };
        record_event(&parts.context, &other).await.unwrap();
        assert_eq!(unread_count_of(&*store, "P", now).await.unwrap(), 120);
        assert_eq!(
            mark_read(&*store, "P", &Marking::All, now).await.unwrap(),
            120
        );
        assert_eq!(unread_count_of(&*store, "P", now).await.unwrap(), 0);
        assert_eq!(unread_count_of(&*store, "Q", now).await.unwrap(), 1);
        assert_eq!(
            mark_read(&*store, "Nobody", &Marking::All, now)
                .await
                .unwrap(),
            0
        );
    }
}
