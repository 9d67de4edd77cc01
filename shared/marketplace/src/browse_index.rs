//! The browse index: every listed lead's ICP match, precomputed per buying
//! partner and kept sorted, so the first browse page by match reads one
//! page of the caller's entries instead of scoring every listing.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! `<score>` is the match zero-padded to three digits, so a descending
//! query of a buyer's gsi4 partition is best match first, newest listing
//! first among equals, exactly the order of the in-memory sort it
//! replaces. An entry is keyed by lead and buyer, so a new score or a new
//! listing time overwrites it (the index keys move with it), and every
//! entry of one lead is one query of its partition.
//!
//! The index follows the listings through the `browse-index` queue
//! ([`crate::browse_index_worker`]): every transition in or out of
//! `listed` commits an [`IndexChange::Listing`] in its own transaction
//! (the outbox), and a partner whose ICP or status changed, or who browses
//! without a complete index for its current ICP, gets an
//! [`IndexChange::Buyer`]. A buyer's index serves browsing only once
//! complete for the ICP the partner has now (its state item says so);
//! until then browsing reads the listed partition as before.
//!
//! The counts keep `meta.total` exact without reading the index: the
//! worker moves a lead in or out of them once (the counted marker's
//! condition), and a buyer's total is all listed leads less its own.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use pc_platform::outbox::Outbox;
use pc_platform::queue::{Message, QueueName};
use pc_platform::store::{Condition, Item, Key, StoreError, Update, Write};
use pc_platform::time::timestamp;

pub use crate::keys::{ENTRY_PREFIX, count_key, counted_key, entry_key, state_key};
use crate::keys::{browse_buyer_industry_partition, browse_buyer_partition};
use crate::listing_store::ListingRecord;

/// A change the index must follow, one page of work per message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum IndexChange {
    /// A lead's listing changed: its entries and counts follow its state.
    /// `cursor` is where the page of partners (or of entries to remove)
    /// starts.
    #[serde(rename_all = "camelCase")]
    Listing {
        lead_id: String,
        #[serde(default)]
        cursor: Option<String>,
    },
    /// A buyer's entries are rewritten for its current ICP, one page of
    /// listed leads per message. `icp` is the [`icp_key`] the first page
    /// found; a later page stops when the ICP changed since (the change
    /// queued a build of its own).
    #[serde(rename_all = "camelCase")]
    Buyer {
        partner_id: String,
        #[serde(default)]
        cursor: Option<String>,
        #[serde(default)]
        icp: Option<String>,
    },
}

impl Message for IndexChange {
    const QUEUE: QueueName = QueueName::BrowseIndex;
}

impl IndexChange {
    pub fn listing(lead_id: &str) -> Self {
        IndexChange::Listing {
            lead_id: lead_id.to_owned(),
            cursor: None,
        }
    }

    pub fn buyer(partner_id: &str) -> Self {
        IndexChange::Buyer {
            partner_id: partner_id.to_owned(),
            cursor: None,
            icp: None,
        }
    }
}

/// The outbox write that has the index follow `change`, committed in the
/// transaction that makes it. `id` names the change (a new id per call).
pub fn change_write(
    id: String,
    change: &IndexChange,
    now: DateTime<Utc>,
) -> Result<Write, StoreError> {
    let mut outbox = Outbox::new(id.clone(), now);
    outbox.push_message(&format!("browse-index:{id}"), change)?;
    outbox
        .write()?
        .ok_or_else(|| StoreError::Invalid("an empty outbox".into()))
}

/// The industry as the index keys it (trimmed, lowercased), if any.
pub fn industry_key(industry: Option<&str>) -> Option<String> {
    industry
        .map(|i| i.trim().to_lowercase())
        .filter(|i| !i.is_empty())
}

fn entry_sort_key(listing: &ListingRecord, score: i64) -> String {
    format!(
        "{:03}#{}#{}",
        score.clamp(0, 100),
        timestamp(listing.listed_at),
        listing.lead_id
    )
}

/// `listing`'s entry for `buyer_id`, scored `score`.
pub fn entry_item(listing: &ListingRecord, buyer_id: &str, score: i64) -> Item {
    let key = entry_key(&listing.lead_id, buyer_id);
    let sk = entry_sort_key(listing, score);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "browse_entry".into());
    item.insert("leadId".into(), listing.lead_id.clone().into());
    item.insert("buyerId".into(), buyer_id.into());
    item.insert("score".into(), score.into());
    item.insert("gsi4pk".into(), browse_buyer_partition(buyer_id).into());
    item.insert("gsi4sk".into(), sk.clone().into());
    if let Some(industry) = industry_key(listing.contact.industry.as_deref()) {
        item.insert(
            "gsi5pk".into(),
            browse_buyer_industry_partition(buyer_id, &industry).into(),
        );
        item.insert("gsi5sk".into(), sk.into());
    }
    item
}

/// The lead an entry item is for.
pub fn entry_lead(item: &Item) -> Option<&str> {
    item.get("leadId").and_then(Value::as_str)
}

/// What a lead was counted as: its seller and industry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counted {
    pub seller_id: String,
    pub industry: Option<String>,
    /// Bumped by each change, which is conditional on the one read.
    pub version: i64,
}

fn counted_item(lead_id: &str, counted: &Counted) -> Result<Item, StoreError> {
    let mut item = pc_platform::store::to_item(counted)?;
    let key = counted_key(lead_id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "browse_counted".into());
    Ok(item)
}

/// The stored count of a count item (0 when absent).
pub fn count_of(item: Option<&Item>) -> i64 {
    item.and_then(|i| i.get("listed"))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// The count keys a lead counted as `counted` is in.
fn count_keys(counted: &Counted) -> Vec<Key> {
    let mut keys = vec![
        count_key(None, None),
        count_key(Some(&counted.seller_id), None),
    ];
    if let Some(i) = &counted.industry {
        keys.push(count_key(None, Some(i)));
        keys.push(count_key(Some(&counted.seller_id), Some(i)));
    }
    keys
}

/// The transaction that moves a lead's counts from `before` (its marker,
/// if counted) to `after` (its seller and industry; `None`: not listed):
/// the marker, conditional on the one read, and each count's net change
/// (a transaction touches an item once). `None` when nothing moves.
pub fn recount_writes(
    lead_id: &str,
    before: Option<&Counted>,
    after: Option<(&str, Option<String>)>,
) -> Result<Option<Vec<Write>>, StoreError> {
    let after = after.map(|(seller, industry)| Counted {
        seller_id: seller.to_owned(),
        industry,
        version: before.map_or(0, |b| b.version + 1),
    });
    let same = match (before, &after) {
        (None, None) => true,
        (Some(b), Some(a)) => b.seller_id == a.seller_id && b.industry == a.industry,
        _ => false,
    };
    if same {
        return Ok(None);
    }
    let condition = match before {
        None => Condition::NotExists,
        Some(b) => Condition::equals("version", b.version),
    };
    let mut writes = vec![match &after {
        Some(a) => Write::Put {
            item: counted_item(lead_id, a)?,
            condition: Some(condition),
        },
        None => Write::Delete {
            key: counted_key(lead_id),
            condition: Some(condition),
        },
    }];
    let mut deltas: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (counted, by) in [(before, -1), (after.as_ref(), 1)] {
        for key in counted.map(count_keys).unwrap_or_default() {
            *deltas.entry((key.pk, key.sk)).or_default() += by;
        }
    }
    for ((pk, sk), by) in deltas.into_iter().filter(|(_, by)| *by != 0) {
        writes.push(Write::Update(
            Update::new(Key::new(pk, sk))
                .set("entity", "browse_count")
                .add("listed", by),
        ));
    }
    Ok(Some(writes))
}

/// The ICP as the state item records it: one canonical string (the map is
/// ordered), so "built for this ICP" is an equality.
pub fn icp_key(icp: &BTreeMap<String, String>) -> String {
    serde_json::to_string(icp).unwrap_or_default()
}

/// Whether a buyer's state item says its index is complete for `icp`.
pub fn index_ready(state: Option<&Item>, icp: &BTreeMap<String, String>) -> bool {
    state.is_some_and(|s| {
        s.get("complete").and_then(Value::as_bool) == Some(true)
            && s.get("icpKey").and_then(Value::as_str) == Some(icp_key(icp).as_str())
    })
}

/// A buyer's state: its index is being built for `icp` (`complete`
/// false) or is complete for it.
pub fn state_item(buyer_id: &str, icp: &BTreeMap<String, String>, complete: bool) -> Item {
    let key = state_key(buyer_id);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "browse_index_state".into());
    item.insert("buyerId".into(), buyer_id.into());
    item.insert("icpKey".into(), icp_key(icp).into());
    item.insert("complete".into(), complete.into());
    item
}

/// The writes a browse commits when the caller's index is missing or was
/// built for another ICP: its state (conditional, so concurrent browses
/// start one build) and the build's message.
pub fn start_build_writes(
    buyer_id: &str,
    icp: &BTreeMap<String, String>,
    outbox_id: String,
    now: DateTime<Utc>,
) -> Result<Vec<Write>, StoreError> {
    Ok(vec![
        Write::Put {
            item: state_item(buyer_id, icp, false),
            condition: Some(Condition::Or(vec![
                Condition::NotExists,
                Condition::not_equals("icpKey", icp_key(icp)),
            ])),
        },
        change_write(outbox_id, &IndexChange::buyer(buyer_id), now)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The accounts crate sends a buyer's change as its own type (it cannot
    /// name this one): it must read as the change it stands for.
    #[test]
    fn the_accounts_buyer_change_reads_as_a_buyer_change() {
        let sent = pc_accounts::partners_api::update::BuyerIndexChange {
            partner_id: "p1".into(),
        };
        let body = serde_json::to_string(&sent).unwrap();
        assert_eq!(
            serde_json::from_str::<IndexChange>(&body).unwrap(),
            IndexChange::buyer("p1")
        );
    }

    #[test]
    fn messages_read_back() {
        for change in [IndexChange::listing("l1"), IndexChange::buyer("p1")] {
            let body = serde_json::to_string(&change).unwrap();
            assert_eq!(serde_json::from_str::<IndexChange>(&body).unwrap(), change);
        }
        let from_accounts = r#"{"kind":"buyer","partnerId":"p9"}"#;
        assert_eq!(
            serde_json::from_str::<IndexChange>(from_accounts).unwrap(),
            IndexChange::buyer("p9")
        );
    }

    #[test]
    fn recount_moves_only_what_changed() {
        let counted = Counted {
            seller_id: "s".into(),
            industry: Some("retail".into()),
            version: 3,
        };
        assert!(recount_writes("l", None, None).unwrap().is_none());
        let same = Some(("s", Some("retail".to_owned())));
        assert!(recount_writes("l", Some(&counted), same).unwrap().is_none());
        // New: marker + 4 counts up.
        let new = recount_writes("l", None, Some(("s", Some("retail".into()))));
        assert_eq!(new.unwrap().unwrap().len(), 5);
        // Gone: marker deleted + 4 counts down.
        assert_eq!(
            recount_writes("l", Some(&counted), None)
                .unwrap()
                .unwrap()
                .len(),
            5
        );
        // Another industry: marker + the two industry counts of each
        // side (the seller's and the overall totals do not move).
        let moved = recount_writes("l", Some(&counted), Some(("s", Some("software".into()))));
        assert_eq!(moved.unwrap().unwrap().len(), 5);
    }

    #[test]
    fn the_sort_key_orders_by_score_then_listing_time() {
        let at = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let mut a = ListingRecord {
            lead_id: "a".into(),
            seller_id: "s".into(),
            buyer_id: None,
            marketplace_status: crate::listing_store::MarketplaceStatus::Listed,
            listing_price_cents: 100,
            view_count: 0,
            viewed_by: Vec::new(),
            quality_score: 20,
            reservation_id: None,
            contact: Default::default(),
            listed_at: at,
            sold_at: None,
            delisted_by: None,
            version: 0,
            updated_at: at,
            suggested_price_cents: None,
            suggestion_reasons: Vec::new(),
        };
        let mut b = a.clone();
        b.lead_id = "b".into();
        b.listed_at = a.listed_at + chrono::Duration::seconds(1);
        a.contact.industry = Some(" Retail ".into());
        let high = entry_item(&a, "p", 100);
        let low_newer = entry_item(&b, "p", 9);
        let sk = |i: &Item| i["gsi4sk"].as_str().unwrap().to_owned();
        assert!(sk(&high) > sk(&low_newer));
        assert_eq!(high["gsi5pk"], "BROWSE#BUYER#p#retail");
    }
}
