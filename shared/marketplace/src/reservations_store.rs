//! Reservations: a buyer's hold on one listed lead for 7 to 14 days.
//!
//! | item | pk | sk | gsi1 | gsi2 |
//! |---|---|---|---|---|
//! | reservation | `RESERVATION#<id>` | `RESERVATION` | `BUYER#<pid>#RESERVATIONS` / `<createdAt>#<id>` | `RESERVATIONS#OPEN` / `<expiresAt>#<id>` (while `active` or `purchasing`) |
//!
//! States: `active` → `purchasing` (a payment is under way) → `completed`
//! (paid) or back to `active` (the payment failed); `active` → `expired`
//! (the expiry job, once `expiresAt` passed) or `cancelled` (the buyer).
//! A reservation is created in one transaction with the listing's
//! `listed` → `reserved` write, whose condition lets exactly one of any
//! number of concurrent reservations of a lead through. Every later
//! transition is conditional on the state it leaves, so an expiry racing a
//! purchase leaves one outcome: the expiry only takes an `active`
//! reservation past its time, the purchase only an `active` or
//! `purchasing` one, and each moves it out of those states.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use pc_platform::store::{
    Condition, Index, Item, Key, Query, Store, StoreError, Update, Write, from_item, to_item,
};
use pc_platform::time::{serde_millis, timestamp};

use crate::MarketError;
use crate::listing_store::{ListingRecord, release_listing_item, reserve_listing_item};

/// The gsi2 partition of open reservations by expiry time.
pub const OPEN_PARTITION: &str = "RESERVATIONS#OPEN";
/// Shortest and longest hold, and the longest total after an extension.
pub const MIN_DAYS: i64 = 7;
pub const MAX_DAYS: i64 = 14;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    Active,
    Purchasing,
    Completed,
    Expired,
    Cancelled,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Active => "active",
            ReservationStatus::Purchasing => "purchasing",
            ReservationStatus::Completed => "completed",
            ReservationStatus::Expired => "expired",
            ReservationStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the reservation still holds its lead.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ReservationStatus::Active | ReservationStatus::Purchasing
        )
    }
}

/// Who reserved, as emails address them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservedBy {
    pub user_id: String,
    pub email: String,
    pub name: String,
}

/// A reservation as stored at `RESERVATION#<id>` / `RESERVATION`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationRecord {
    pub id: String,
    pub lead_id: String,
    pub buyer_id: String,
    pub seller_id: String,
    /// The buyer's user who reserved: the one its emails go to.
    pub reserved_by: ReservedBy,
    pub status: ReservationStatus,
    /// The listing price when reserved: what the buyer pays.
    pub price_cents: i64,
    /// Days held in total (the first hold plus any extension).
    pub days: i64,
    pub extended: bool,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    pub expires_at: DateTime<Utc>,
    #[serde(default, with = "serde_millis::option")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(with = "serde_millis")]
    pub updated_at: DateTime<Utc>,
}

impl ReservationRecord {
    /// A new active hold of `listing` by `buyer_id` for `days` from `now`.
    pub fn new(
        id: String,
        listing: &ListingRecord,
        buyer_id: &str,
        reserved_by: ReservedBy,
        days: i64,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            lead_id: listing.lead_id.clone(),
            buyer_id: buyer_id.to_owned(),
            seller_id: listing.seller_id.clone(),
            reserved_by,
            status: ReservationStatus::Active,
            price_cents: listing.listing_price_cents,
            days,
            extended: false,
            created_at: now,
            expires_at: now + Duration::days(days),
            closed_at: None,
            updated_at: now,
        }
    }
}

pub fn reservation_key(id: &str) -> Key {
    Key::new(format!("RESERVATION#{id}"), "RESERVATION")
}

pub fn buyer_partition(buyer_id: &str) -> String {
    format!("BUYER#{buyer_id}#RESERVATIONS")
}

fn open_sort_key(expires_at: DateTime<Utc>, id: &str) -> String {
    format!("{}#{id}", timestamp(expires_at))
}

/// The stored item of a reservation, with its key and index attributes.
pub fn reservation_item(r: &ReservationRecord) -> Result<Item, StoreError> {
    let mut item = to_item(r)?;
    let key = reservation_key(&r.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "reservation".into());
    item.insert("gsi1pk".into(), buyer_partition(&r.buyer_id).into());
    item.insert(
        "gsi1sk".into(),
        format!("{}#{}", timestamp(r.created_at), r.id).into(),
    );
    if r.status.is_open() {
        item.insert("gsi2pk".into(), OPEN_PARTITION.into());
        item.insert("gsi2sk".into(), open_sort_key(r.expires_at, &r.id).into());
    }
    Ok(item)
}

pub async fn get_reservation(
    store: &dyn Store,
    id: &str,
) -> Result<Option<ReservationRecord>, StoreError> {
    store
        .get(&reservation_key(id))
        .await?
        .map(from_item)
        .transpose()
}

/// The reservation `id` of `buyer_id`; another partner's is not found.
pub async fn load_buyer_reservation(
    store: &dyn Store,
    buyer_id: &str,
    id: &str,
) -> Result<ReservationRecord, MarketError> {
    get_reservation(store, id)
        .await?
        .filter(|r| r.buyer_id == buyer_id)
        .ok_or(MarketError::ReservationNotFound)
}

/// The transaction that reserves `listing` for `reservation`: the new
/// reservation (position 0) and the listing's `listed` → `reserved` write
/// (position 1, the one that fails when someone else got there first).
pub fn reserve_writes(
    listing: &ListingRecord,
    reservation: &ReservationRecord,
) -> Result<Vec<Write>, StoreError> {
    Ok(vec![
        Write::put_new(reservation_item(reservation)?),
        reserve_listing_item(
            &listing.lead_id,
            &reservation.buyer_id,
            &reservation.id,
            reservation.created_at,
        ),
    ])
}

/// A status change of reservation `id` from one of `from`.
fn transition(
    id: &str,
    from: &[ReservationStatus],
    to: ReservationStatus,
    now: DateTime<Utc>,
) -> Update {
    let condition = Condition::Or(
        from.iter()
            .map(|s| Condition::equals("status", s.as_str()))
            .collect(),
    );
    let mut update = Update::new(reservation_key(id))
        .set("status", to.as_str())
        .set("updatedAt", timestamp(now))
        .when(Condition::Exists.and(condition));
    if !to.is_open() {
        update = update
            .set("closedAt", timestamp(now))
            .remove("gsi2pk")
            .remove("gsi2sk");
    }
    update
}

/// `active` → `purchasing`: a payment for the reservation began. It stays
/// in the expiry index, but the expiry job leaves it alone until the
/// payment's outcome moves it on.
pub fn mark_purchasing_item(id: &str, now: DateTime<Utc>) -> Write {
    Write::Update(transition(
        id,
        &[ReservationStatus::Active],
        ReservationStatus::Purchasing,
        now,
    ))
}

/// `purchasing` → `active`: the payment failed; the buyer keeps the rest
/// of its window (and the expiry job expires it once that has passed).
pub fn back_to_active_item(id: &str, now: DateTime<Utc>) -> Write {
    Write::Update(transition(
        id,
        &[ReservationStatus::Purchasing],
        ReservationStatus::Active,
        now,
    ))
}

/// `active` or `purchasing` → `completed`: the purchase transaction's write
/// on the reservation (with `mark_sold_item` on the listing).
pub fn close_reservation_item(id: &str, now: DateTime<Utc>) -> Write {
    Write::Update(transition(
        id,
        &[ReservationStatus::Active, ReservationStatus::Purchasing],
        ReservationStatus::Completed,
        now,
    ))
}

/// The buyer lets go of an active reservation: cancelled, lead relisted.
pub fn cancel_writes(
    reservation: &ReservationRecord,
    listing: &ListingRecord,
    now: DateTime<Utc>,
) -> Vec<Write> {
    vec![
        Write::Update(transition(
            &reservation.id,
            &[ReservationStatus::Active],
            ReservationStatus::Cancelled,
            now,
        )),
        release_listing_item(listing, &reservation.id, now),
    ]
}

/// The expiry of an active reservation whose time has passed (checked
/// again by the write, against `now`), lead relisted.
pub fn expire_writes(
    reservation: &ReservationRecord,
    listing: &ListingRecord,
    now: DateTime<Utc>,
) -> Vec<Write> {
    let mut update = transition(
        &reservation.id,
        &[ReservationStatus::Active],
        ReservationStatus::Expired,
        now,
    );
    let not_after_now = Condition::LessOrEqual("expiresAt".into(), timestamp(now).into());
    update.condition = update.condition.map(|c| c.and(not_after_now));
    vec![
        Write::Update(update),
        release_listing_item(listing, &reservation.id, now),
    ]
}

/// Extends an active, never extended reservation to `total_days` in all,
/// conditional on it still being so.
pub fn extend_item(reservation: &ReservationRecord, total_days: i64, now: DateTime<Utc>) -> Write {
    let expires_at = reservation.created_at + Duration::days(total_days);
    Write::Update(
        Update::new(reservation_key(&reservation.id))
            .set("days", total_days)
            .set("extended", true)
            .set("expiresAt", timestamp(expires_at))
            .set("gsi2sk", open_sort_key(expires_at, &reservation.id))
            .set("updatedAt", timestamp(now))
            .when(Condition::equals("status", "active").and(Condition::equals("extended", false))),
    )
}

/// A buyer's reservations, newest first.
pub async fn buyer_reservations(
    store: &dyn Store,
    buyer_id: &str,
) -> Result<Vec<ReservationRecord>, StoreError> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .query(
                &Query::partition(Index::Gsi1, buyer_partition(buyer_id))
                    .descending()
                    .limit(1_000)
                    .after(cursor),
            )
            .await?;
        for item in page.items {
            all.push(from_item(item)?);
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(all),
        }
    }
}
