//! A seller's side of the marketplace: list one of its leads at a price,
//! take it off the market, and see its listings.
//!
//! Only a partner's admins list, only their own partner's leads (another
//! partner's lead is a 404; platform staff act for the lead's partner), at 10 to 10,000 dollars, and only while the
//! partner's Stripe Connect account accepts charges (a 409 naming that
//! reason otherwise): a lead that cannot be paid for is never offered. A
//! reserved or sold lead cannot be listed again or taken back.
//!
//! Listing commits, in the same transaction, one more listing in the
//! month's analytics and, unless the lead's partners were told less than a
//! day ago, one message on the `marketplace` queue: the worker of [`crate::listing_notices`] then tells
//! the partners whose ICP matches page by page, so the request never loops
//! over every partner. After the commit `lead-listed` goes on the bus.
//!
//! Each listing carries the pricing engine's suggestion and its reasons
//! ([`crate::pricing`]), priced against the demand of every active
//! partner's ICP ([`crate::demand`], one paged read of the partners);
//! without a price in the body the lead is listed at the suggestion.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Number, Value, json};
use utoipa::ToSchema;

use pc_accounts::platform_seller::payee;
use pc_http::list::{Column, ColumnKind, Direction, ListSpec};
use pc_http::{ApiError, ApiResult, AppState, ListQuery, ListResponse, Principal, ValidJson};
use pc_leads::lead::{LeadRecord, parse_dollars};
use pc_platform::AppContext;
use pc_platform::bus::BusEvent;
use pc_platform::outbox::Outbox;
use pc_platform::store::pages::Pages;
use pc_platform::store::{Index, Query, StoreError, Write, from_item};
use pc_platform::time::timestamp;

use crate::MarketError;
use crate::auto_list::listing_record;
use crate::browse_index::{IndexChange, change_write};
use crate::demand::{MarketDemand, suggestion_for};
use crate::keys::seller_listings_partition;
use crate::listing_notices::{ListingNotice, last_notices, notices_due, notices_sent_write};
use crate::listing_store::{
    DelistedBy, ListingRecord, MarketplaceStatus, delist_item, get_listing, list_write,
};
use crate::market_views::ListingView;
use crate::sold_status::buyer_statuses;

/// Lowest and highest listing price, in cents.
pub const MIN_PRICE_CENTS: i64 = 1_000;
pub const MAX_PRICE_CENTS: i64 = 1_000_000;

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListBody {
    /// Dollars, 10 to 10,000, at most two decimals; absent, the pricing
    /// engine's suggestion (shown on the listing with its reasons).
    #[serde(default)]
    #[schema(value_type = Option<f64>)]
    pub price: Option<Number>,
}

/// The partner a marketplace caller acts for; platform staff belong to no
/// partner, so they cannot buy or sell.
pub fn acting_partner(principal: &Principal) -> Result<&str, ApiError> {
    principal
        .partner_id
        .as_deref()
        .ok_or_else(|| ApiError::forbidden("only a partner's users act on the marketplace"))
}

/// The lead a seller acts on: one of the caller's partner's leads (for
/// platform staff, any partner's, on its behalf); another partner's is a 404.
async fn sellers_lead(
    ctx: &AppState,
    principal: &Principal,
    lead_id: &str,
) -> Result<LeadRecord, ApiError> {
    Ok(pc_leads::leads_store::get(&*ctx.store, lead_id)
        .await?
        .filter(|l| principal.sees_partner(Some(&l.partner_id)))
        .ok_or(MarketError::LeadNotFound)?)
}

fn price_cents(price: &Number) -> Result<i64, ApiError> {
    let cents = parse_dollars(price).map_err(|m| ApiError::invalid_field("price", m))?;
    if !(MIN_PRICE_CENTS..=MAX_PRICE_CENTS).contains(&cents) {
        return Err(ApiError::invalid_field(
            "price",
            "must be from 10 to 10,000 dollars",
        ));
    }
    Ok(cents)
}

/// Lists one of the caller's leads (or changes a listed lead's price), at
/// the given price or else at the pricing engine's suggestion; the
/// listing shows the suggestion and its reasons either way.
#[utoipa::path(post, path = "/v1/marketplace/leads/{id}/list", tag = "marketplace",
    params(("id" = String, Path, description = "lead id")), request_body = ListBody,
    responses((status = 200, body = ListingView), (status = 400), (status = 403), (status = 404),
        (status = 409, description = "`stripe_connect_not_enabled` or `lead_not_available` (reserved or sold)")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_lead(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(lead_id): Path<String>,
    ValidJson(body): ValidJson<ListBody>,
) -> ApiResult<(StatusCode, Json<ListingView>)> {
    let chosen = body.price.as_ref().map(price_cents).transpose()?;
    let lead = sellers_lead(&ctx, &principal, &lead_id).await?;
    let seller = lead.partner_id.as_str();
    if payee(&*ctx.store, seller).await?.is_none() {
        return Err(MarketError::ConnectNotEnabled.into());
    }
    let before = get_listing(&*ctx.store, &lead_id).await?;
    if let Some(b) = &before
        && matches!(
            b.marketplace_status,
            MarketplaceStatus::Reserved | MarketplaceStatus::Sold
        )
    {
        return Err(MarketError::WrongLeadState(b.marketplace_status.as_str().into()).into());
    }
    let now = ctx.clock.now();
    let demand = MarketDemand::load(&*ctx.store).await?;
    let suggestion = suggestion_for(&demand, &lead, now);
    let cents = chosen.unwrap_or(suggestion.price_cents);
    let listing = listing_record(&lead, before.as_ref(), cents, suggestion, now);
    let newly_listed = before
        .as_ref()
        .is_none_or(|b| b.marketplace_status != MarketplaceStatus::Listed);
    let list = list_write(&listing, before.as_ref())?;
    let writes = listing_writes(&ctx, &listing, list, newly_listed).await?;
    ctx.store.transact(writes).await.map_err(|e| {
        if e.is_condition_failure() {
            // Reserved, or changed, between our read and the write.
            MarketError::WrongLeadState("changed meanwhile; try again".into()).into()
        } else {
            ApiError::from(e)
        }
    })?;
    if newly_listed {
        publish_listed(&ctx, std::slice::from_ref(&listing)).await;
    }
    Ok((StatusCode::OK, Json(ListingView::of(&listing))))
}

/// A listing's own write (`list`) and what goes with it: every buyer's
/// browse index follows (a new entry, or a new price or snapshot on the
/// one it has) and, when the lead was not listed before, the month's
/// listing count and one round of notices — unless its partners heard of
/// the lead less than a day ago, however often it was delisted and
/// relisted.
pub async fn listing_writes(
    ctx: &AppContext,
    listing: &ListingRecord,
    list: Write,
    newly_listed: bool,
) -> Result<Vec<Write>, StoreError> {
    let now = listing.updated_at;
    let lead_id = &listing.lead_id;
    let mut writes = vec![list];
    let change = IndexChange::listing(lead_id);
    writes.push(change_write(ctx.ids.new_id(), &change, now)?);
    if newly_listed {
        let last = last_notices(&*ctx.store, lead_id).await?;
        if notices_due(last.as_deref(), now) {
            let mut outbox = Outbox::new(ctx.ids.new_id(), now);
            let notice = ListingNotice::first(listing);
            outbox.push_message(&notice.id(), &notice)?;
            outbox.add_to(&mut writes)?;
            writes.push(notices_sent_write(lead_id, last.as_deref(), now));
        }
        writes.push(pc_analytics::tally::listing_created(listing.listed_at));
    }
    Ok(writes)
}

/// `lead-listed` on the bus for each of `listings`, for every connected
/// partner but the seller. The listings are committed already, so a bus
/// outage is logged, not failed: browsing and the emailed notices still
/// show the leads.
pub async fn publish_listed(ctx: &AppContext, listings: &[ListingRecord]) {
    if listings.is_empty() {
        return;
    }
    let events: Vec<BusEvent> = listings
        .iter()
        .map(|listing| BusEvent {
            detail_type: "lead-listed".into(),
            detail: json!({
                "leadId": listing.lead_id,
                "sellerId": listing.seller_id,
                "listingPriceCents": listing.listing_price_cents,
                "industry": listing.contact.industry,
                "companySize": listing.contact.company_size,
                "country": listing.contact.country,
                "listedAt": timestamp(listing.listed_at),
            }),
        })
        .collect();
    if let Err(e) = ctx.bus.publish(&events).await {
        tracing::warn!(error = %e, listings = listings.len(), "lead-listed not published");
    }
}

/// Takes a listed lead off the market (reserved or sold leads stay).
#[utoipa::path(delete, path = "/v1/marketplace/leads/{id}/list", tag = "marketplace",
    params(("id" = String, Path, description = "lead id")),
    responses((status = 200, body = ListingView), (status = 403), (status = 404),
        (status = 409, description = "`lead_not_available`: not listed (reserved, sold or never listed)")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn unlist_lead(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(lead_id): Path<String>,
) -> ApiResult<Json<ListingView>> {
    let lead = sellers_lead(&ctx, &principal, &lead_id).await?;
    let listing = get_listing(&*ctx.store, &lead.id).await?;
    let Some(mut listing) = listing.filter(|l| l.marketplace_status == MarketplaceStatus::Listed)
    else {
        let state = get_listing(&*ctx.store, &lead.id)
            .await?
            .map_or("unlisted", |l| l.marketplace_status.as_str());
        return Err(MarketError::WrongLeadState(state.into()).into());
    };
    let now = ctx.clock.now();
    let change = change_write(ctx.ids.new_id(), &IndexChange::listing(&lead.id), now)?;
    ctx.store
        .transact(vec![delist_item(&lead.id, DelistedBy::Seller, now), change])
        .await
        .map_err(|e| {
            if e.is_condition_failure() {
                MarketError::WrongLeadState("no longer listed".into()).into()
            } else {
                ApiError::from(e)
            }
        })?;
    listing.marketplace_status = MarketplaceStatus::Delisted;
    listing.updated_at = now;
    Ok(Json(ListingView::of(&listing)))
}

const STATUSES: &[&str] = &["listed", "reserved", "sold", "delisted"];

pub const MY_LISTINGS: ListSpec = ListSpec {
    columns: &[
        Column::new("marketplaceStatus", ColumnKind::Enum(STATUSES)),
        Column::new("listingPrice", ColumnKind::Number),
        Column::new("viewCount", ColumnKind::Number),
        Column::new("qualityScore", ColumnKind::Number),
        Column::new("industry", ColumnKind::Text),
        Column::new("country", ColumnKind::Text),
        Column::new("listedAt", ColumnKind::Date),
    ],
    search_fields: &["company", "email", "industry"],
    default_sort: ("listedAt", Direction::Desc),
    extra_params: &[],
};

/// The caller's partner's listings in every state, unmasked, with views;
/// a sold one with the buyer's copy's current `dealStatus`.
#[utoipa::path(get, path = "/v1/marketplace/my-listings", tag = "marketplace",
    params(("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query), ("filter" = Option<String>, Query), ("search" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<ListingView>), (status = 400), (status = 403)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn my_listings(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &MY_LISTINGS)?;
    let seller = acting_partner(&principal)?;
    let own = Query::partition(Index::Gsi2, seller_listings_partition(seller)).limit(1_000);
    let mut pages = Pages::new(&*ctx.store, own);
    let mut listings = Vec::new();
    while let Some(items) = pages.next().await? {
        for item in items {
            listings.push(from_item::<ListingRecord>(item)?);
        }
        if listings.len() >= ctx.config.list_read_limit {
            break;
        }
    }
    let mut buyer_statuses = buyer_statuses(&*ctx.store, &listings).await?;
    let mut rows = Vec::with_capacity(listings.len());
    for listing in &listings {
        let mut view = ListingView::of(listing);
        view.buyer_deal_status = buyer_statuses.remove(&listing.lead_id);
        rows.push(serde_json::to_value(view).map_err(ApiError::internal)?);
    }
    Ok(Json(query.apply(rows, &MY_LISTINGS)))
}
