//! ChiliPiper meetings and unrouted webhook events in the single table.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Access patterns: a meeting by id (get; its id is ChiliPiper's, so
//! upserts need no guard item); a lead's meetings newest first (gsi1); a
//! partner's appointments by time, with date ranges as sort-key bounds
//! (gsi2); all appointments for staff (gsi3); unrouted events (table,
//! `UNROUTED`, one partition: they are rare and staff clear them).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use pc_platform::store::{Index, Item, Query, SortKey, Store, StoreError, from_item, to_item};
use pc_platform::time::{serde_millis, timestamp};

use crate::keys::unrouted_sort_key;
pub use crate::keys::{
    ALL_MEETINGS, UNROUTED, lead_meetings_partition, meeting_key, partner_meetings_partition,
};
use crate::leads_store::LIST_SCAN_LIMIT;
use pc_platform::store::pages::query_all;

/// A meeting's state, as ChiliPiper's last applied event left it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum MeetingStatus {
    Created,
    Updated,
    Rescheduled,
    Canceled,
}

impl MeetingStatus {
    pub const NAMES: [&'static str; 4] = ["Created", "Updated", "Rescheduled", "Canceled"];

    /// Events carry no sequence number, so the status decides which of two
    /// events is the later one: a create never overwrites an update, and a
    /// cancellation is final. Between events of equal rank the one the
    /// webhook received later wins (see [`MeetingRecord::takes`]).
    pub fn rank(self) -> u8 {
        match self {
            MeetingStatus::Created => 0,
            MeetingStatus::Updated | MeetingStatus::Rescheduled => 1,
            MeetingStatus::Canceled => 2,
        }
    }
}

/// A person on a meeting (assignee, host).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Person {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A guest of a meeting; the first one is the lead.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Guest {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub phone: Option<String>,
}

/// A meeting as stored at `MEETING#<id>` / `MEETING`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetingRecord {
    /// ChiliPiper's meeting id.
    pub id: String,
    pub meeting_id_chili: String,
    pub partner_id: String,
    pub lead_id: String,
    pub status: MeetingStatus,
    pub meeting_type_name: String,
    pub title: Option<String>,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String)]
    pub scheduled_time: DateTime<Utc>,
    #[serde(default, with = "serde_millis::option")]
    #[schema(value_type = Option<String>)]
    pub end_time: Option<DateTime<Utc>>,
    pub location: Option<String>,
    pub assignee: Option<Person>,
    pub host: Option<Person>,
    #[serde(default)]
    pub guests: Vec<Guest>,
    /// When the webhook received the last event applied to this meeting
    /// (by the system's clock, before enqueueing it).
    #[serde(default, with = "serde_millis::option")]
    #[schema(value_type = Option<String>)]
    pub last_received_at: Option<DateTime<Utc>>,
    /// Bumped on every write; writes are conditional on the version read.
    pub version: i64,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String)]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String)]
    pub updated_at: DateTime<Utc>,
}

impl MeetingRecord {
    /// Whether an event of `status` received at `received_at` replaces
    /// this meeting's state: a higher rank always does, a lower never; of
    /// equal rank, the one received later, whatever order the queue
    /// delivers them in.
    pub fn takes(&self, status: MeetingStatus, received_at: DateTime<Utc>) -> bool {
        match status.rank().cmp(&self.status.rank()) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => self.last_received_at.is_none_or(|t| received_at >= t),
        }
    }

    /// Whether two versions say the same thing (times of writing aside).
    pub fn same_content(&self, other: &MeetingRecord) -> bool {
        let strip = |m: &MeetingRecord| MeetingRecord {
            last_received_at: None,
            version: 0,
            created_at: DateTime::<Utc>::MIN_UTC,
            updated_at: DateTime::<Utc>::MIN_UTC,
            ..m.clone()
        };
        strip(self) == strip(other)
    }
}

pub fn meeting_item(meeting: &MeetingRecord) -> Result<Item, StoreError> {
    let mut item = to_item(meeting)?;
    let key = meeting_key(&meeting.id);
    let order = format!("{}#{}", timestamp(meeting.scheduled_time), meeting.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "meeting".into());
    item.insert(
        "gsi1pk".into(),
        lead_meetings_partition(&meeting.lead_id).into(),
    );
    item.insert("gsi1sk".into(), order.clone().into());
    item.insert(
        "gsi2pk".into(),
        partner_meetings_partition(&meeting.partner_id).into(),
    );
    item.insert("gsi2sk".into(), order.clone().into());
    item.insert("gsi3pk".into(), ALL_MEETINGS.into());
    item.insert("gsi3sk".into(), order.into());
    Ok(item)
}

pub async fn get_meeting(store: &dyn Store, id: &str) -> Result<Option<MeetingRecord>, StoreError> {
    store.get_as(&meeting_key(id)).await
}

/// A lead's meetings, newest first.
pub async fn meetings_of_lead(
    store: &dyn Store,
    lead_id: &str,
) -> Result<Vec<MeetingRecord>, StoreError> {
    query_all(
        store,
        Query::partition(Index::Gsi1, lead_meetings_partition(lead_id)).descending(),
        LIST_SCAN_LIMIT,
    )
    .await?
    .into_iter()
    .map(from_item)
    .collect()
}

/// Appointments of one partner (or all, for `None`), newest first, with
/// their start time between the optional bounds (inclusive, timestamps).
pub async fn appointments(
    store: &dyn Store,
    partner_id: Option<&str>,
    from: Option<String>,
    to: Option<String>,
) -> Result<Vec<MeetingRecord>, StoreError> {
    let query = match partner_id {
        Some(pid) => Query::partition(Index::Gsi2, partner_meetings_partition(pid)),
        None => Query::partition(Index::Gsi3, ALL_MEETINGS),
    };
    // Sort keys are `<start>#<id>`: `~` sorts after `#`, so `<to>~` bounds
    // every meeting starting at `to` inclusive.
    let sk = match (from, to) {
        (Some(f), Some(t)) => SortKey::Between(f, format!("{t}~")),
        (Some(f), None) => SortKey::Gte(f),
        (None, Some(t)) => SortKey::Lte(format!("{t}~")),
        (None, None) => SortKey::Any,
    };
    query_all(store, query.sk(sk).descending(), LIST_SCAN_LIMIT)
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}

/// A webhook event no partner's meeting types matched, kept for staff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnroutedEvent {
    pub meeting_id_chili: String,
    pub event_type: String,
    pub meeting_type_name: String,
    pub reason: String,
    /// The event as received.
    pub payload: Value,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String)]
    pub received_at: DateTime<Utc>,
}

/// Keeps an unrouted event once (a redelivery finds it stored).
pub async fn keep_unrouted(
    store: &dyn Store,
    event: &UnroutedEvent,
    start: &str,
) -> Result<(), StoreError> {
    let mut item = to_item(event)?;
    item.insert("pk".into(), UNROUTED.into());
    item.insert(
        "sk".into(),
        unrouted_sort_key(&event.meeting_id_chili, &event.event_type, start).into(),
    );
    item.insert("entity".into(), "unrouted_event".into());
    match store
        .put(item, Some(pc_platform::store::Condition::NotExists))
        .await
    {
        Err(e) if !e.is_condition_failure() => Err(e),
        _ => Ok(()),
    }
}

pub async fn unrouted_events(store: &dyn Store) -> Result<Vec<UnroutedEvent>, StoreError> {
    query_all(
        store,
        Query::partition(Index::Table, UNROUTED),
        LIST_SCAN_LIMIT,
    )
    .await?
    .into_iter()
    .map(from_item)
    .collect()
}
