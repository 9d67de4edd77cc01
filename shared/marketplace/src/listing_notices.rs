//! Telling partners about a new listing that fits them. Listing commits one
//! [`ListingNotice`] on the `marketplace` queue; its worker reads one page
//! of partners, scores the lead against each one's ICP and, for every
//! active partner other than the seller scoring at least
//! [`NOTIFY_MIN_MATCH`], emails its admins (unless the partner turned
//! marketplace emails off) and puts `lead-matched` on the bus (the first
//! page with a match counts the listing as matched, for analytics); then it
//! queues the notice of the next page. However many partners there are,
//! each message does a bounded amount of work.
//!
//! Notices go out at most once per lead per [`NOTICE_INTERVAL_HOURS`]: a
//! listing writes the lead's notices item (`MARKET#<leadId>` / `NOTICES`,
//! the time of the last round) in its own transaction, conditional on the
//! time it read, and queues a round only when the last one is older, so
//! delisting and relisting a lead cannot email every matching partner each
//! time.
//!
//! A notice is for one listing (`listedAt`): when the lead was reserved,
//! sold or relisted since, the rest of the notice is dropped. Email job
//! ids name the listing and the user, so a redelivered page sends nothing
//! twice.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use pc_accounts::partners_store::{PartnerRecord, PartnerStatus, partners_page};
use pc_accounts::users_store::list_users;
use pc_analytics::tally::record_listing_matched;
use pc_http::functions::WorkerError;
use pc_http::{AppState, QueueMessage};
use pc_platform::bus::BusEvent;
use pc_platform::email::{EmailJob, data, enqueue};
use pc_platform::money::Cents;
use pc_platform::queue::{Message, QueueName};
use pc_platform::store::{Condition, Cursor, Item, Store, StoreError, Write};
use pc_platform::time::timestamp;

use crate::MarketError;
use crate::icp_match::icp_match;
use crate::keys::notices_key;
use crate::listing_store::{ListingRecord, MarketplaceStatus, get_listing};
use crate::market_views::profile;

/// Lowest ICP match a partner is told about.
pub const NOTIFY_MIN_MATCH: i64 = 70;
/// Partners read per message.
pub const PARTNERS_PER_PAGE: usize = 100;

/// Shortest time between two rounds of notices of one lead.
pub const NOTICE_INTERVAL_HOURS: i64 = 24;

/// When the lead's last round of notices was queued, as stored.
pub async fn last_notices(store: &dyn Store, lead_id: &str) -> Result<Option<String>, StoreError> {
    Ok(store
        .get(&notices_key(lead_id))
        .await?
        .and_then(|item| item.get("sentAt")?.as_str().map(str::to_owned)))
}

/// Whether a round may go out at `now` after the last one (`last`).
pub fn notices_due(last: Option<&str>, now: DateTime<Utc>) -> bool {
    last.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .is_none_or(|t| now - t.with_timezone(&Utc) >= Duration::hours(NOTICE_INTERVAL_HOURS))
}

/// Records a round queued at `now`, on condition that the last one is
/// still `last` (two listings racing queue one round).
pub fn notices_sent_write(lead_id: &str, last: Option<&str>, now: DateTime<Utc>) -> Write {
    let key = notices_key(lead_id);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "marketplace_listing_notices".into());
    item.insert("leadId".into(), lead_id.into());
    item.insert("sentAt".into(), timestamp(now).into());
    Write::Put {
        item,
        condition: Some(match last {
            None => Condition::NotExists,
            Some(t) => Condition::equals("sentAt", t),
        }),
    }
}

/// One page of the notices of one listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListingNotice {
    pub lead_id: String,
    /// The listing's time, which names it.
    pub listed_at: String,
    /// Where the page of partners starts (`None`: the first page).
    pub cursor: Option<String>,
}

impl Message for ListingNotice {
    const QUEUE: QueueName = QueueName::Marketplace;
}

impl ListingNotice {
    pub fn first(listing: &ListingRecord) -> Self {
        Self {
            lead_id: listing.lead_id.clone(),
            listed_at: timestamp(listing.listed_at),
            cursor: None,
        }
    }

    /// The id its consumer applies once.
    pub fn id(&self) -> String {
        format!(
            "listing-notice:{}:{}:{}",
            self.lead_id,
            self.listed_at,
            self.cursor.as_deref().unwrap_or("start")
        )
    }
}

/// One listing of a [`BatchNotice`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedLead {
    pub lead_id: String,
    pub listed_at: String,
}

/// One page of the notices of a batch of listings (leads that arrived
/// together, from HubSpot inventory): one message per page of partners
/// for the whole batch, not one per lead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchNotice {
    pub listings: Vec<ListedLead>,
    pub cursor: Option<String>,
}

impl Message for BatchNotice {
    const QUEUE: QueueName = QueueName::Marketplace;
}

/// What the `marketplace` queue carries: a listing's notice or a batch's.
#[derive(Deserialize)]
#[serde(untagged)]
enum NoticeMessage {
    Batch(BatchNotice),
    One(ListingNotice),
}

/// The `marketplace` queue worker: one page of partners per message.
pub async fn listing_notices_worker(
    ctx: &AppState,
    message: &QueueMessage,
) -> Result<(), WorkerError> {
    match message.parse()? {
        NoticeMessage::One(notice) => notify_page(ctx, &notice).await,
        NoticeMessage::Batch(batch) => notify_batch_page(ctx, &batch).await,
    }
    .map_err(WorkerError::from)
}

/// The listing still listed as the notice knew it, if it is.
async fn current_listing(
    ctx: &AppState,
    lead_id: &str,
    listed_at: &str,
) -> Result<Option<ListingRecord>, MarketError> {
    let listing = get_listing(&*ctx.store, lead_id).await?.filter(|l| {
        l.marketplace_status == MarketplaceStatus::Listed && timestamp(l.listed_at) == listed_at
    });
    if listing.is_none() {
        tracing::info!(lead_id = %lead_id, "listing changed; notices dropped");
    }
    Ok(listing)
}

async fn notify_page(ctx: &AppState, notice: &ListingNotice) -> Result<(), MarketError> {
    let Some(listing) = current_listing(ctx, &notice.lead_id, &notice.listed_at).await? else {
        return Ok(());
    };
    let (partners, next_page) = partners_page(
        &*ctx.store,
        Some(PARTNERS_PER_PAGE),
        notice.cursor.clone().map(Cursor),
    )
    .await?;
    notify_partners(ctx, &listing, &notice.listed_at, &partners).await?;
    if let Some(next) = next_page {
        let next = ListingNotice {
            cursor: Some(next.0),
            ..notice.clone()
        };
        ctx.queue.send_message(&next).await?;
    }
    Ok(())
}

async fn notify_batch_page(ctx: &AppState, notice: &BatchNotice) -> Result<(), MarketError> {
    let (partners, next_page) = partners_page(
        &*ctx.store,
        Some(PARTNERS_PER_PAGE),
        notice.cursor.clone().map(Cursor),
    )
    .await?;
    for listed in &notice.listings {
        if let Some(listing) = current_listing(ctx, &listed.lead_id, &listed.listed_at).await? {
            notify_partners(ctx, &listing, &listed.listed_at, &partners).await?;
        }
    }
    if let Some(next) = next_page {
        let next = BatchNotice {
            cursor: Some(next.0),
            ..notice.clone()
        };
        ctx.queue.send_message(&next).await?;
    }
    Ok(())
}

/// Emails the admins of every partner of `partners` that `listing` fits
/// and puts `lead-matched` on the bus for each.
async fn notify_partners(
    ctx: &AppState,
    listing: &ListingRecord,
    listed_at: &str,
    partners: &[PartnerRecord],
) -> Result<(), MarketError> {
    let mut events = Vec::new();
    for partner in partners {
        if partner.id == listing.seller_id
            || partner.status != PartnerStatus::Active
            || partner.icp.is_empty()
        {
            continue;
        }
        let matched = icp_match(&partner.icp, &profile(listing));
        if matched.score < NOTIFY_MIN_MATCH {
            continue;
        }
        if partner.notification_preferences.email.marketplace {
            email_admins(ctx, partner, listing, listed_at, matched.score).await?;
        }
        events.push(BusEvent {
            detail_type: "lead-matched".into(),
            detail: json!({
                "leadId": listing.lead_id,
                "partnerId": partner.id,
                "icpMatch": matched.score,
                "matchReasons": matched.reasons,
                "listingPriceCents": listing.listing_price_cents,
                "listedAt": listed_at,
            }),
        });
    }
    if !events.is_empty() {
        // The listing's match rate: it matched someone.
        record_listing_matched(&*ctx.store, &listing.lead_id, listing.listed_at).await?;
    }
    if !events.is_empty()
        && let Err(e) = ctx.bus.publish(&events).await
    {
        tracing::warn!(error = %e, lead_id = %listing.lead_id, "lead-matched not published");
    }
    Ok(())
}

async fn email_admins(
    ctx: &AppState,
    partner: &PartnerRecord,
    listing: &ListingRecord,
    listed_at: &str,
    score: i64,
) -> Result<(), MarketError> {
    let admins = list_users(&*ctx.store, Some(&partner.id)).await?;
    for user in admins
        .iter()
        .filter(|u| u.can_sign_in() && u.role >= pc_http::identity::Role::Admin)
    {
        let job = EmailJob::new(
            format!("lead-listed:{}:{}:{}", listing.lead_id, listed_at, user.id),
            user.email.clone(),
            &data::MarketplaceMatch {
                name: user.name.clone(),
                partner_name: partner.name.clone(),
                lead: data::MatchedLead {
                    company: listing.contact.company.clone().unwrap_or_default(),
                    industry: listing.contact.industry.clone().unwrap_or_default(),
                },
                icp_match: score,
                price: Cents(listing.listing_price_cents).to_string(),
                link: format!("/marketplace/leads/{}", listing.lead_id),
            },
        );
        enqueue(&*ctx.queue, &job).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_is_due_a_day_after_the_last() {
        let at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
        assert!(notices_due(None, at("2030-01-01T00:00:00Z")));
        let last = Some("2030-01-01T00:00:00.000Z");
        assert!(!notices_due(last, at("2030-01-01T23:59:59Z")));
        assert!(notices_due(last, at("2030-01-02T00:00:00Z")));
    }
}
