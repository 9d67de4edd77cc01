//! Reservations: a buyer's hold on one listed lead for 7 to 14 days.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! States: `active` → `purchasing` (a payment is under way) → `completed`
//! (paid) or back to `active` (the payment failed); `active` or
//! `purchasing` → `expired` (the expiry job, once `expiresAt` passed) or
//! `cancelled` (the buyer). A checkout never outlives its reservation: an
//! expiry or a cancellation of a `purchasing` reservation cancels its
//! unpaid purchase in the same transaction, and its payment intent at
//! Stripe after it ([`crate::reservation_end`]).
//!
//! A reservation is created in one transaction with the listing's
//! `listed` → `reserved` write, conditional on the listing's version read
//! (so a price changed meanwhile is never locked at the old price) and on
//! its state, which lets exactly one of any number of concurrent
//! reservations of a lead through; with `+1` on the buyer's open
//! reservations, conditional on the count staying within the limit; and
//! with the snapshot of the sold fields. Every later transition is
//! conditional on the state it leaves, and each that closes a reservation
//! gives the buyer's count back (`-1`) in its own transaction.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use pc_platform::store::pages::query_all;
use pc_platform::store::{
    Condition, Guard, Index, Item, Query, Store, StoreError, Transaction, Update, Write, from_item,
    to_item,
};
use pc_platform::time::{serde_millis, timestamp};

use crate::MarketError;
use crate::keys::buyer_reservations_partition;
pub use crate::keys::{OPEN_PARTITION, open_holds_key, reservation_key};
use crate::listing_store::{ListingRecord, release_listing_item, reserve_listing_item};
use crate::purchases_store::{PurchaseRecord, cancel_item, purchase_key};

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
    item.insert(
        "gsi1pk".into(),
        buyer_reservations_partition(&r.buyer_id).into(),
    );
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
    store.get_as(&reservation_key(id)).await
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

/// `+1` on the buyer's open reservations, on condition that it holds
/// fewer than `limit`: the limit holds however many reservations race.
fn take_hold(buyer_id: &str, limit: i64) -> Write {
    Write::Update(
        Update::new(open_holds_key(buyer_id))
            .set("entity", "marketplace_open_reservations")
            .set("buyerId", buyer_id)
            .add("open", 1)
            .when(Condition::Or(vec![
                Condition::missing("open"),
                Condition::LessThan("open".into(), limit.into()),
            ])),
    )
}

/// `-1` on the buyer's open reservations: one closed.
pub fn release_hold(buyer_id: &str) -> Write {
    Write::Update(Update::new(open_holds_key(buyer_id)).add("open", -1))
}

/// The guards of [`reserve_writes`]: the listing was reserved or changed
/// since it was read; the buyer holds the most open reservations allowed.
pub const RESERVE_LISTING: Guard = Guard::new("reserve_listing");
pub const RESERVE_HOLD: Guard = Guard::new("reserve_hold");

/// The transaction that reserves `listing` (as read) for `reservation`:
/// the new reservation, the listing's `listed` → `reserved` write on
/// condition of the version read (fails when someone else got there
/// first or the seller changed the listing), the buyer's hold within
/// `limit`, and `snapshot`, the sold fields as they are now.
pub fn reserve_writes(
    listing: &ListingRecord,
    reservation: &ReservationRecord,
    limit: i64,
    snapshot: Write,
) -> Result<Transaction, StoreError> {
    let mut writes = Transaction::new();
    writes.push(Write::put_new(reservation_item(reservation)?));
    writes.guarded(
        RESERVE_LISTING,
        reserve_listing_item(
            &listing.lead_id,
            listing.version,
            &reservation.buyer_id,
            &reservation.id,
            reservation.created_at,
        ),
    );
    writes.guarded(RESERVE_HOLD, take_hold(&reservation.buyer_id, limit));
    writes.push(snapshot);
    Ok(writes)
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
/// in the expiry index: a payment not confirmed by then ends with it.
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

/// `active` or `purchasing` → `completed`: the purchase transaction's
/// writes on the reservation and the buyer's hold (with `mark_sold_item`
/// on the listing).
pub fn close_reservation_writes(id: &str, buyer_id: &str, now: DateTime<Utc>) -> [Write; 2] {
    [
        Write::Update(transition(
            id,
            &[ReservationStatus::Active, ReservationStatus::Purchasing],
            ReservationStatus::Completed,
            now,
        )),
        release_hold(buyer_id),
    ]
}

/// How an open reservation ends unpaid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The buyer let go of it.
    Cancelled,
    /// Its time passed (checked again by the write, against `now`).
    Expired,
}

/// The transaction that ends `reservation` (as read: its state is the
/// write's condition) unpaid: the lead relisted, the buyer's hold given
/// back, and its purchase, when one was begun (`purchase`), cancelled;
/// with none, a check that none was begun meanwhile. A payment that
/// succeeds after this is refunded ([`crate::purchase_payments`]).
pub fn end_writes(
    reservation: &ReservationRecord,
    listing: &ListingRecord,
    purchase: Option<&PurchaseRecord>,
    ending: Ending,
    now: DateTime<Utc>,
) -> Vec<Write> {
    let to = match ending {
        Ending::Cancelled => ReservationStatus::Cancelled,
        Ending::Expired => ReservationStatus::Expired,
    };
    let mut update = transition(&reservation.id, &[reservation.status], to, now);
    if ending == Ending::Expired {
        let due = Condition::LessOrEqual("expiresAt".into(), timestamp(now).into());
        update.condition = update.condition.map(|c| c.and(due));
    }
    vec![
        Write::Update(update),
        release_listing_item(listing, &reservation.id, now),
        release_hold(&reservation.buyer_id),
        match purchase {
            Some(p) => cancel_item(&p.id, now),
            None => Write::Check {
                key: purchase_key(&reservation.id),
                condition: Condition::NotExists,
            },
        },
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
    let query = Query::partition(Index::Gsi1, buyer_reservations_partition(buyer_id)).descending();
    query_all(store, query, usize::MAX)
        .await?
        .into_iter()
        .map(from_item)
        .collect()
}
