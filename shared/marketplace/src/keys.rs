//! Every key the marketplace writes, and the items under them. Store
//! modules build these keys only through the functions here; a seller's
//! Stripe Connect state is the accounts capability's
//! (`pc_accounts::keys::connect_key`).
//!
//! ## Listings ([`crate::listing_store`], [`crate::listing_notices`])
//!
//! | item | pk | sk | gsi1 | gsi2 | gsi3 |
//! |---|---|---|---|---|---|
//! | listing (marketplace state of a lead) | `MARKET#<leadId>` | `LISTING` | `MARKETPLACE#LISTED` / `<listedAt>#<leadId>` (while listed) | `SELLER#<pid>#LISTINGS` / `<listedAt>#<leadId>` | `MARKETPLACE#LISTED#<industry>` / `<listedAt>#<leadId>` (while listed, with an industry) |
//! | view guard (one per viewing partner) | `MARKET#<leadId>` | `VIEW#<partnerId>` | | | |
//! | listing notices sent (at most one round a day) | `MARKET#<leadId>` | `NOTICES` | | | |
//!
//! ## Batch notices not yet queued ([`crate::auto_list`])
//!
//! | item | pk | sk |
//! |---|---|---|
//! | a batch listing awaiting its notice | `MARKETBATCH#<sellerId>` | `LEAD#<leadId>` |
//!
//! ## Reservations ([`crate::reservations_store`])
//!
//! | item | pk | sk | gsi1 | gsi2 |
//! |---|---|---|---|---|
//! | reservation | `RESERVATION#<id>` | `RESERVATION` | `BUYER#<pid>#RESERVATIONS` / `<createdAt>#<id>` | `RESERVATIONS#OPEN` / `<expiresAt>#<id>` (while `active` or `purchasing`) |
//! | a buyer's open reservations | `BUYER#<pid>` | `OPENRESERVATIONS` | | |
//! | the sold fields as reserved ([`crate::sale_snapshot`]) | `MARKET#<leadId>` | `SALE#<reservationId>` | | |
//!
//! ## Purchases ([`crate::purchases_store`])
//!
//! | item | pk | sk | gsi1 | gsi2 |
//! |---|---|---|---|---|
//! | purchase (id = its reservation's id) | `PURCHASE#<id>` | `PURCHASE` | `BUYER#<pid>#PURCHASES` / `<createdAt>#<id>` | `SELLER#<pid>#PURCHASES` / `<createdAt>#<id>` |
//! | a seller's sales in a calendar month (UTC) | `SALES#<pid>#<YYYY-MM>` | `COUNT` | | |
//!
//! ## Sale snapshots ([`crate::sale_snapshot`])
//!
//! | item | pk | sk |
//! |---|---|---|
//! | sale snapshot | `MARKET#<leadId>` | `SALE#<reservationId>` |
//!
//! ## The browse index ([`crate::browse_index`])
//!
//! | item | pk | sk | gsi4 | gsi5 |
//! |---|---|---|---|---|
//! | entry (a listed lead for one buyer) | `BROWSE#LEAD#<leadId>` | `BUYER#<buyerId>` | `BROWSE#BUYER#<buyerId>` / `<score>#<listedAt>#<leadId>` | `BROWSE#BUYER#<buyerId>#<industry>` / the same (with an industry) |
//! | counted marker (the lead is in the counts) | `BROWSE#LEAD#<leadId>` | `COUNTED` | | |
//! | listed counts, all sellers | `BROWSE#COUNTS` | `ALL` / `INDUSTRY#<industry>` | | |
//! | listed counts, one seller | `BROWSE#COUNTS#SELLER#<sellerId>` | `ALL` / `INDUSTRY#<industry>` | | |
//! | a buyer's index state | `BROWSE#BUYER#<buyerId>` | `STATE` | | |

use pc_platform::store::Key;

/// A lead's marketplace partition: its listing, view guards, notices and
/// sale snapshots.
pub fn market_partition(lead_id: &str) -> String {
    format!("MARKET#{lead_id}")
}

pub fn listing_key(lead_id: &str) -> Key {
    Key::new(market_partition(lead_id), "LISTING")
}

pub fn view_guard_key(lead_id: &str, partner_id: &str) -> Key {
    Key::new(market_partition(lead_id), format!("VIEW#{partner_id}"))
}

/// When the lead's last round of listing notices was queued.
pub fn notices_key(lead_id: &str) -> Key {
    Key::new(market_partition(lead_id), "NOTICES")
}

/// A seller's batch listings whose notice is not queued yet.
pub fn batch_notice_partition(seller_id: &str) -> String {
    format!("MARKETBATCH#{seller_id}")
}

pub fn batch_notice_key(seller_id: &str, lead_id: &str) -> Key {
    Key::new(batch_notice_partition(seller_id), format!("LEAD#{lead_id}"))
}

/// The sold fields of a lead as reserved by `reservation_id`.
pub fn snapshot_key(lead_id: &str, reservation_id: &str) -> Key {
    Key::new(market_partition(lead_id), format!("SALE#{reservation_id}"))
}

/// The gsi1 partition of every listed lead, by listing time.
pub const LISTED_PARTITION: &str = "MARKETPLACE#LISTED";

/// The gsi3 browse partition of one industry (lowercased, trimmed).
pub fn industry_partition(industry: &str) -> String {
    format!("{LISTED_PARTITION}#{}", industry.trim().to_lowercase())
}

/// The gsi2 partition of a seller's listings.
pub fn seller_listings_partition(seller_id: &str) -> String {
    format!("SELLER#{seller_id}#LISTINGS")
}

pub fn reservation_key(id: &str) -> Key {
    Key::new(format!("RESERVATION#{id}"), "RESERVATION")
}

/// The gsi1 partition of a buyer's reservations.
pub fn buyer_reservations_partition(buyer_id: &str) -> String {
    format!("BUYER#{buyer_id}#RESERVATIONS")
}

/// The gsi2 partition of open reservations by expiry time.
pub const OPEN_PARTITION: &str = "RESERVATIONS#OPEN";

/// The item counting a buyer's open reservations.
pub fn open_holds_key(buyer_id: &str) -> Key {
    Key::new(format!("BUYER#{buyer_id}"), "OPENRESERVATIONS")
}

pub fn purchase_key(id: &str) -> Key {
    Key::new(format!("PURCHASE#{id}"), "PURCHASE")
}

/// The gsi1 partition of a buyer's purchases.
pub fn buyer_purchases(buyer_id: &str) -> String {
    format!("BUYER#{buyer_id}#PURCHASES")
}

/// The gsi2 partition of a seller's sales.
pub fn seller_purchases(seller_id: &str) -> String {
    format!("SELLER#{seller_id}#PURCHASES")
}

/// A seller's sales count in a calendar month (`2026-11`).
pub fn sales_key(seller_id: &str, month: &str) -> Key {
    Key::new(format!("SALES#{seller_id}#{month}"), "COUNT")
}

/// A listed lead's partition in the browse index: its entries and its
/// counted marker.
fn browse_lead_partition(lead_id: &str) -> String {
    format!("BROWSE#LEAD#{lead_id}")
}

/// The sk prefix of the entries in a lead's browse partition.
pub const ENTRY_PREFIX: &str = "BUYER#";

/// The browse entry of a listed lead for one buyer.
pub fn entry_key(lead_id: &str, buyer_id: &str) -> Key {
    Key::new(
        browse_lead_partition(lead_id),
        format!("{ENTRY_PREFIX}{buyer_id}"),
    )
}

/// The marker saying a lead is in the listed counts.
pub fn counted_key(lead_id: &str) -> Key {
    Key::new(browse_lead_partition(lead_id), "COUNTED")
}

/// A buyer's gsi4 partition: all its entries, by score (and its partition
/// of the index state).
pub fn browse_buyer_partition(buyer_id: &str) -> String {
    format!("BROWSE#BUYER#{buyer_id}")
}

/// A buyer's gsi5 partition: its entries of one industry, by score.
pub fn browse_buyer_industry_partition(buyer_id: &str, industry: &str) -> String {
    format!("{}#{industry}", browse_buyer_partition(buyer_id))
}

/// A buyer's browse index state.
pub fn state_key(buyer_id: &str) -> Key {
    Key::new(browse_buyer_partition(buyer_id), "STATE")
}

const COUNTS: &str = "BROWSE#COUNTS";

/// The listed count of all sellers (`None`) or of one, over all industries
/// (`None`) or one.
pub fn count_key(seller_id: Option<&str>, industry: Option<&str>) -> Key {
    let pk = match seller_id {
        Some(s) => format!("{COUNTS}#SELLER#{s}"),
        None => COUNTS.to_owned(),
    };
    let sk = match industry {
        Some(i) => format!("INDUSTRY#{i}"),
        None => "ALL".to_owned(),
    };
    Key::new(pk, sk)
}
