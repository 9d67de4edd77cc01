//! A lead's marketplace state, one item per lead ever listed, and the
//! conditional writes that move it.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! States: `listed` → `reserved` (one reservation) → `sold` (its purchase
//! completed) or back to `listed` (cancelled, expired); `listed` →
//! `delisted` (the seller took it back, or its HubSpot inventory sync did:
//! `delistedBy`) → `listed` again. A lead that was
//! never listed has no item and is `unlisted`. Only a listed lead is in
//! the browse partitions, so browsing is a query of them, never a scan of
//! leads. The item carries a snapshot of the lead's contact fields taken
//! when it was listed, so a browse page reads nothing else.
//!
//! Every transition is a write conditional on the state it leaves (and,
//! from `reserved`, on the reservation it belongs to), so two changes that
//! race leave exactly one outcome.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use pc_leads::lead::LeadRecord;
use pc_platform::store::pages::each_item;
use pc_platform::store::{
    Condition, Guard, Index, Item, Query, Store, StoreError, Transaction, Update, Write, from_item,
    to_item,
};
use pc_platform::time::{serde_millis, timestamp};

use crate::keys::seller_listings_partition;
pub use crate::keys::{LISTED_PARTITION, industry_partition, listing_key, view_guard_key};

/// A lead's state on the marketplace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarketplaceStatus {
    Unlisted,
    Listed,
    Reserved,
    Sold,
    Delisted,
}

impl MarketplaceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MarketplaceStatus::Unlisted => "unlisted",
            MarketplaceStatus::Listed => "listed",
            MarketplaceStatus::Reserved => "reserved",
            MarketplaceStatus::Sold => "sold",
            MarketplaceStatus::Delisted => "delisted",
        }
    }
}

/// Who took a lead off the market: its seller (by hand), or its HubSpot
/// inventory sync because the deal left the listed stages — only the
/// latter is put back when the deal returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelistedBy {
    Seller,
    Inventory,
}

impl DelistedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            DelistedBy::Seller => "seller",
            DelistedBy::Inventory => "inventory",
        }
    }
}

/// The contact fields a listing shows, copied from the lead when listed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedContact {
    pub email: String,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub title: Option<String>,
    pub website: Option<String>,
    pub country: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
}

impl ListedContact {
    pub fn of(lead: &LeadRecord) -> Self {
        let c = &lead.contact;
        Self {
            email: lead.email.clone(),
            phone: c.phone.clone(),
            company: c.company.clone(),
            title: c.title.clone(),
            website: c.website.clone(),
            country: c.country.clone(),
            industry: c.industry.clone(),
            company_size: c.company_size.clone(),
        }
    }
}

/// A lead's marketplace state as stored at `MARKET#<leadId>` / `LISTING`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListingRecord {
    pub lead_id: String,
    pub seller_id: String,
    /// The partner holding the reservation, then the one that bought it.
    pub buyer_id: Option<String>,
    pub marketplace_status: MarketplaceStatus,
    pub listing_price_cents: i64,
    pub view_count: i64,
    /// Every partner that opened the lead's detail, once each.
    #[serde(default)]
    pub viewed_by: Vec<String>,
    /// 0–100: how complete the lead's contact data is.
    pub quality_score: i64,
    /// The pricing engine's price for the lead when it was listed
    /// (`crate::pricing`), and why; the seller may have set another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_price_cents: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestion_reasons: Vec<String>,
    /// The active reservation while `reserved`, the purchased one once `sold`.
    pub reservation_id: Option<String>,
    #[serde(flatten)]
    pub contact: ListedContact,
    #[serde(with = "serde_millis")]
    pub listed_at: DateTime<Utc>,
    #[serde(default, with = "serde_millis::option")]
    pub sold_at: Option<DateTime<Utc>>,
    /// While `delisted`: who delisted it (a listing write clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delisted_by: Option<DelistedBy>,
    /// Bumped by every listing (a new price) and by writes that rewrite
    /// `viewedBy`; those and a reservation are conditional on it.
    pub version: i64,
    #[serde(with = "serde_millis")]
    pub updated_at: DateTime<Utc>,
}

fn listed_sort_key(listing: &ListingRecord) -> String {
    format!("{}#{}", timestamp(listing.listed_at), listing.lead_id)
}

/// How complete a lead's contact data is, 0–100: what a buyer can expect
/// to work with. Email is always there; each other field adds its share.
pub fn quality_score(contact: &ListedContact) -> i64 {
    let fields = [
        (&contact.phone, 20),
        (&contact.company, 15),
        (&contact.title, 10),
        (&contact.website, 10),
        (&contact.country, 10),
        (&contact.industry, 10),
        (&contact.company_size, 5),
    ];
    20 + fields
        .iter()
        .filter(|(v, _)| v.as_deref().is_some_and(|s| !s.trim().is_empty()))
        .map(|(_, w)| w)
        .sum::<i64>()
}

/// The browse index attributes of a listed lead.
fn listed_index(listing: &ListingRecord) -> Vec<(&'static str, Value)> {
    let sk = listed_sort_key(listing);
    let mut attrs = vec![
        ("gsi1pk", Value::from(LISTED_PARTITION)),
        ("gsi1sk", Value::from(sk.clone())),
    ];
    if let Some(industry) = listing
        .contact
        .industry
        .as_deref()
        .filter(|i| !i.trim().is_empty())
    {
        attrs.push(("gsi3pk", industry_partition(industry).into()));
        attrs.push(("gsi3sk", sk.into()));
    }
    attrs
}

const BROWSE_INDEX: [&str; 4] = ["gsi1pk", "gsi1sk", "gsi3pk", "gsi3sk"];

/// The stored item of a listing, with its key and index attributes.
pub fn listing_item(listing: &ListingRecord) -> Result<Item, StoreError> {
    let mut item = to_item(listing)?;
    let key = listing_key(&listing.lead_id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "marketplace_listing".into());
    item.insert(
        "gsi2pk".into(),
        seller_listings_partition(&listing.seller_id).into(),
    );
    item.insert("gsi2sk".into(), listed_sort_key(listing).into());
    if listing.marketplace_status == MarketplaceStatus::Listed {
        for (attr, value) in listed_index(listing) {
            item.insert(attr.into(), value);
        }
    }
    Ok(item)
}

pub fn listing_of(item: Item) -> Result<ListingRecord, StoreError> {
    from_item(item)
}

pub async fn get_listing(
    store: &dyn Store,
    lead_id: &str,
) -> Result<Option<ListingRecord>, StoreError> {
    store
        .get(&listing_key(lead_id))
        .await?
        .map(listing_of)
        .transpose()
}

/// Every listing of a seller's leads (any state), oldest listing first,
/// one page in memory at a time.
#[tracing::instrument(skip_all, fields(seller_id = %seller_id))]
pub async fn each_listing_of_seller(
    store: &dyn Store,
    seller_id: &str,
    mut on_listing: impl FnMut(ListingRecord),
) -> Result<(), StoreError> {
    let query = Query::partition(Index::Gsi2, seller_listings_partition(seller_id));
    each_item(store, query, |item| {
        on_listing(listing_of(item)?);
        Ok(())
    })
    .await
}

/// Lists (or relists) a lead: a put conditional on the lead having no
/// listing, or on the one read (`before`) being unchanged (its `version`)
/// and `delisted` or still `listed` (a new price); never over a reserved
/// or sold lead, and never over a view counted meanwhile.
pub fn list_write(
    listing: &ListingRecord,
    before: Option<&ListingRecord>,
) -> Result<Write, StoreError> {
    let condition = match before {
        None => Condition::NotExists,
        Some(b) => Condition::equals("version", b.version).and(Condition::Or(vec![
            Condition::equals("marketplaceStatus", "delisted"),
            Condition::equals("marketplaceStatus", "listed"),
        ])),
    };
    Ok(Write::Put {
        item: listing_item(listing)?,
        condition: Some(condition),
    })
}

/// Lists a lead again that its inventory sync delisted (`before`, as
/// read): like [`list_write`], but only while it is still delisted by the
/// sync — never over the seller's own delisting or a listing since.
pub fn relist_write(listing: &ListingRecord, before: &ListingRecord) -> Result<Write, StoreError> {
    Ok(Write::Put {
        item: listing_item(listing)?,
        condition: Some(
            Condition::equals("version", before.version)
                .and(Condition::equals("marketplaceStatus", "delisted"))
                .and(Condition::equals(
                    "delistedBy",
                    DelistedBy::Inventory.as_str(),
                )),
        ),
    })
}

/// A listed lead leaves the market, taken off `by` its seller or its
/// inventory sync.
pub fn delist_item(lead_id: &str, by: DelistedBy, now: DateTime<Utc>) -> Write {
    let mut update = Update::new(listing_key(lead_id))
        .set("marketplaceStatus", "delisted")
        .set("delistedBy", by.as_str())
        .set("updatedAt", timestamp(now))
        .when(Condition::equals("marketplaceStatus", "listed"));
    for attr in BROWSE_INDEX {
        update = update.remove(attr);
    }
    Write::Update(update)
}

/// `listed` → `reserved` by `buyer_id` under `reservation_id`; taken out of
/// the browse partitions. Its condition is what lets exactly one of any
/// number of concurrent reservations through, and, being on the `version`
/// read, what keeps a reservation from locking a price the seller changed
/// meanwhile.
pub fn reserve_listing_item(
    lead_id: &str,
    version: i64,
    buyer_id: &str,
    reservation_id: &str,
    now: DateTime<Utc>,
) -> Write {
    let mut update = Update::new(listing_key(lead_id))
        .set("marketplaceStatus", "reserved")
        .set("buyerId", buyer_id)
        .set("reservationId", reservation_id)
        .set("updatedAt", timestamp(now))
        .when(
            Condition::equals("marketplaceStatus", "listed")
                .and(Condition::equals("version", version)),
        );
    for attr in BROWSE_INDEX {
        update = update.remove(attr);
    }
    Write::Update(update)
}

/// `reserved` under `reservation_id` → `listed` again (the reservation was
/// cancelled or expired, or its payment failed for good): back in the
/// browse partitions, at its original listing time.
pub fn release_listing_item(
    listing: &ListingRecord,
    reservation_id: &str,
    now: DateTime<Utc>,
) -> Write {
    let mut update = Update::new(listing_key(&listing.lead_id))
        .set("marketplaceStatus", "listed")
        .set("updatedAt", timestamp(now))
        .remove("buyerId")
        .remove("reservationId")
        .when(
            Condition::equals("marketplaceStatus", "reserved")
                .and(Condition::equals("reservationId", reservation_id)),
        );
    for (attr, value) in listed_index(listing) {
        update = update.set(attr, value);
    }
    Write::Update(update)
}

/// `reserved` under `reservation_id` → `sold` to `buyer_id`: the purchase
/// transaction's write on the seller's lead.
pub fn mark_sold_item(
    lead_id: &str,
    reservation_id: &str,
    buyer_id: &str,
    now: DateTime<Utc>,
) -> Write {
    Write::Update(
        Update::new(listing_key(lead_id))
            .set("marketplaceStatus", "sold")
            .set("buyerId", buyer_id)
            .set("soldAt", timestamp(now))
            .set("updatedAt", timestamp(now))
            .when(
                Condition::equals("marketplaceStatus", "reserved")
                    .and(Condition::equals("reservationId", reservation_id)),
            ),
    )
}

/// `sold` under `reservation_id` → `listed` again (`relist`: a new
/// listing at the same price, its contact fields read again from the
/// seller's lead when it is there) or `delisted` (the seller may list it
/// again): staff refunded the purchase that sold it.
pub fn unsell_write(
    sold: &ListingRecord,
    reservation_id: &str,
    lead: Option<&LeadRecord>,
    relist: bool,
    now: DateTime<Utc>,
) -> Result<Write, StoreError> {
    let contact = lead.map_or_else(|| sold.contact.clone(), ListedContact::of);
    let listing = ListingRecord {
        buyer_id: None,
        marketplace_status: if relist {
            MarketplaceStatus::Listed
        } else {
            MarketplaceStatus::Delisted
        },
        quality_score: quality_score(&contact),
        reservation_id: None,
        contact,
        listed_at: if relist { now } else { sold.listed_at },
        sold_at: None,
        delisted_by: None,
        version: sold.version + 1,
        updated_at: now,
        ..sold.clone()
    };
    Ok(Write::Put {
        item: listing_item(&listing)?,
        condition: Some(
            Condition::equals("marketplaceStatus", "sold")
                .and(Condition::equals("reservationId", reservation_id)),
        ),
    })
}

/// Removes a listing that is `listed` or `delisted`, as read (its
/// `version`): the lead it offers is being removed.
pub fn remove_listing_write(listing: &ListingRecord) -> Write {
    Write::Delete {
        key: listing_key(&listing.lead_id),
        condition: Some(
            Condition::equals("version", listing.version).and(Condition::equals(
                "marketplaceStatus",
                listing.marketplace_status.as_str(),
            )),
        ),
    }
}

/// The writes that count `viewer`'s first view: a guard item that exists
/// once per partner, and the listing's count and viewer list, conditional
/// on the version read (a concurrent view makes this one retry).
/// The viewer's view was counted before.
pub const VIEW_GUARD: Guard = Guard::new("view_guard");

pub fn count_view_writes(listing: &ListingRecord, viewer: &str, now: DateTime<Utc>) -> Transaction {
    let mut guard = Item::new();
    let key = view_guard_key(&listing.lead_id, viewer);
    guard.insert("pk".into(), key.pk.into());
    guard.insert("sk".into(), key.sk.into());
    guard.insert("entity".into(), "marketplace_view".into());
    guard.insert("partnerId".into(), viewer.into());
    guard.insert("viewedAt".into(), timestamp(now).into());
    let mut viewed_by = listing.viewed_by.clone();
    viewed_by.push(viewer.to_owned());
    let mut writes = Transaction::new();
    writes.guarded(VIEW_GUARD, Write::put_new(guard));
    writes.push(Write::Update(
        Update::new(listing_key(&listing.lead_id))
            .set("viewedBy", viewed_by)
            .add("viewCount", 1)
            .add("version", 1)
            .when(Condition::equals("version", listing.version)),
    ));
    writes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_counts_the_filled_fields() {
        let bare = ListedContact {
            email: "a@b.co".into(),
            ..Default::default()
        };
        assert_eq!(quality_score(&bare), 20);
        let full = ListedContact {
            email: "a@b.co".into(),
            phone: Some("1".into()),
            company: Some("c".into()),
            title: Some("t".into()),
            website: Some("w".into()),
            country: Some("US".into()),
            industry: Some("Retail".into()),
            company_size: Some("11-50".into()),
        };
        assert_eq!(quality_score(&full), 100);
    }
}
