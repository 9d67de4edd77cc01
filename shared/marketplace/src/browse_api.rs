//! A buyer's side of browsing: the listed leads of other partners, masked
//! and scored against the caller's ICP, and one lead's detail, masked the
//! same way (the contact channels are what is sold: only the buyer's copy
//! shows them), which counts one view per partner.
//!
//! The default list (best match first, alone or with `industry`) is one
//! page of the caller's browse index ([`crate::browse_page`]): the same
//! store calls at any market size. Any other filter or sort, or a caller
//! whose index is not built for its ICP yet (the browse starts the build),
//! is a query of the listed partition (`MARKETPLACE#LISTED` on gsi1, or one
//! industry's `MARKETPLACE#LISTED#<industry>` on gsi3), never a scan of
//! leads: the listing items carry everything a row shows, so a page costs
//! the partition's query pages only (about 1 MB, some 2,000 listings,
//! each), rows scored, filtered and sorted in memory up to the list read
//! limit (`meta.truncated` beyond it).

use pc_platform::error_code::ErrorCode;
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::Value;

use pc_accounts::partners_store::get_partner;
use pc_http::list::{Column, ColumnKind, Direction, ListMeta, ListSpec, Operator};
use pc_http::{ApiError, ApiResult, AppState, ListQuery, ListResponse, Principal};
use pc_platform::store::pages::Pages;
use pc_platform::store::retry_on_conflict;
use pc_platform::store::{Index, Query, Store, StoreError, from_item};

use crate::MarketError;
use crate::browse_index::start_build_writes;
use crate::browse_page::{Indexed, indexed_page};
use crate::icp_match::icp_match;
use crate::listing_store::{
    LISTED_PARTITION, ListingRecord, MarketplaceStatus, VIEW_GUARD, count_view_writes, get_listing,
    industry_partition,
};
use crate::market_views::{MarketLeadView, profile};

pub const BROWSE: ListSpec = ListSpec {
    columns: &[
        Column::new("industry", ColumnKind::Text),
        Column::new("companySize", ColumnKind::Text),
        Column::new("country", ColumnKind::Text),
        Column::new("listingPrice", ColumnKind::Number),
        Column::new("icpMatch", ColumnKind::Number),
        Column::new("qualityScore", ColumnKind::Number),
        Column::new("viewCount", ColumnKind::Number),
        Column::new("listedAt", ColumnKind::Date),
    ],
    search_fields: &["company", "industry", "title"],
    default_sort: ("icpMatch", Direction::Desc),
    extra_params: &[
        "industry",
        "companySize",
        "country",
        "minPrice",
        "maxPrice",
        "minMatch",
    ],
};

/// The simple filters the marketplace page sends as plain parameters.
struct Simple {
    industry: Option<String>,
    company_size: Option<String>,
    country: Option<String>,
    min_price_cents: Option<i64>,
    max_price_cents: Option<i64>,
    min_match: Option<i64>,
}

fn simple_filters(query: &ListQuery) -> Result<Simple, ApiError> {
    let text = |name: &str| {
        query
            .extra
            .get(name)
            .map(|v| v.trim().to_lowercase())
            .filter(|v| !v.is_empty())
    };
    let mut errors = Vec::new();
    let mut number = |name: &str, max: i64| {
        query
            .extra
            .get(name)
            .and_then(|v| match v.trim().parse::<f64>() {
                Ok(n) if (0.0..=max as f64).contains(&n) => Some(n),
                _ => {
                    errors.push(pc_http::FieldError::new(
                        name,
                        format!("must be a number from 0 to {max}"),
                    ));
                    None
                }
            })
    };
    // Dollars to cents, rounded to the cent: only a bound, never money kept.
    let min_price = number("minPrice", 10_000).map(|d| (d * 100.0).round() as i64);
    let max_price = number("maxPrice", 10_000).map(|d| (d * 100.0).round() as i64);
    let min_match = number("minMatch", 100).map(|m| m.ceil() as i64);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(Simple {
        industry: text("industry"),
        company_size: text("companySize"),
        country: text("country"),
        min_price_cents: min_price,
        max_price_cents: max_price,
        min_match,
    })
}

impl Simple {
    fn keeps(&self, row: &MarketLeadView) -> bool {
        let same = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().is_none_or(|w| {
                have.as_deref()
                    .is_some_and(|h| h.trim().to_lowercase() == *w)
            })
        };
        same(&self.industry, &row.industry)
            && same(&self.company_size, &row.company_size)
            && same(&self.country, &row.country)
            && self
                .min_price_cents
                .is_none_or(|m| row.listing_price_cents >= m)
            && self
                .max_price_cents
                .is_none_or(|m| row.listing_price_cents <= m)
            && self.min_match.is_none_or(|m| row.icp_match >= m)
    }

    /// Whether nothing but the industry is asked (what the browse index
    /// answers).
    fn only_industry(&self) -> bool {
        self.company_size.is_none()
            && self.country.is_none()
            && self.min_price_cents.is_none()
            && self.max_price_cents.is_none()
            && self.min_match.is_none()
    }
}

/// Every listed lead in `partition` of `index`, at most `limit`; answers
/// the listings and whether the limit stopped the read.
pub async fn read_listed(
    store: &dyn Store,
    index: Index,
    partition: &str,
    limit: usize,
) -> Result<(Vec<ListingRecord>, bool), StoreError> {
    let query = Query::partition(index, partition).descending().limit(2_000);
    let mut pages = Pages::new(store, query);
    let mut listings = Vec::new();
    while let Some(items) = pages.next().await? {
        for item in items {
            listings.push(from_item(item)?);
        }
        if listings.len() >= limit {
            break;
        }
    }
    Ok((listings, pages.has_more()))
}

/// Whether the list asks nothing but the default order: no `filter`, no
/// `search`, sorted by match, best first.
fn by_match_only(query: &ListQuery) -> bool {
    query.filters.is_empty()
        && query.search.is_none()
        && matches!(query.sort.as_slice(), [s] if s.column == "icpMatch" && s.direction == Direction::Desc)
}

/// The caller's ICP (empty for staff or a partner without one).
async fn caller_icp(ctx: &AppState, principal: &Principal) -> ApiResult<BTreeMap<String, String>> {
    Ok(match &principal.partner_id {
        Some(pid) => get_partner(&*ctx.store, pid)
            .await?
            .map(|p| p.icp)
            .unwrap_or_default(),
        None => BTreeMap::new(),
    })
}

/// Listed leads of other partners, masked, each with its ICP match and
/// reasons; best match first unless sorted otherwise. Filters: the list
/// conventions' `filter` on the columns, and the plain parameters
/// `industry`, `companySize`, `country`, `minPrice`, `maxPrice` (dollars)
/// and `minMatch`.
#[utoipa::path(get, path = "/v1/marketplace/leads", tag = "marketplace",
    params(("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query), ("filter" = Option<String>, Query), ("search" = Option<String>, Query),
        ("industry" = Option<String>, Query), ("companySize" = Option<String>, Query),
        ("country" = Option<String>, Query), ("minPrice" = Option<f64>, Query),
        ("maxPrice" = Option<f64>, Query), ("minMatch" = Option<i64>, Query)),
    responses((status = 200, body = ListResponse<MarketLeadView>), (status = 400), (status = 401)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn browse_leads(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &BROWSE)?;
    let simple = simple_filters(&query)?;
    let icp = match &principal.partner_id {
        Some(pid) if by_match_only(&query) && simple.only_industry() => {
            let industry = simple.industry.as_deref();
            match indexed_page(&*ctx.store, pid, industry, query.page, query.per_page).await? {
                Indexed::Page {
                    icp,
                    listings,
                    total,
                } => return Ok(Json(indexed_answer(&query, &icp, &listings, total)?)),
                Indexed::NotReady { icp } => {
                    start_build(&ctx, pid, &icp).await?;
                    icp
                }
            }
        }
        _ => caller_icp(&ctx, &principal).await?,
    };
    let industry = simple.industry.clone().or_else(|| {
        query
            .filter("industry", Operator::Eq)
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let (index, partition) = match &industry {
        Some(i) => (Index::Gsi3, industry_partition(i)),
        None => (Index::Gsi1, LISTED_PARTITION.to_owned()),
    };
    let limit = ctx.config.list_read_limit;
    let (listings, truncated) = read_listed(&*ctx.store, index, &partition, limit).await?;
    let views = listings
        .iter()
        .filter(|l| Some(l.seller_id.as_str()) != principal.partner_id.as_deref())
        .map(|l| MarketLeadView::of(l, icp_match(&icp, &profile(l)), false))
        .filter(|view| simple.keeps(view));
    let mut answer = if by_match_only(&query) {
        // The usual page: typed rows sorted by match (newest first among
        // equals, the partition's order), only the page turned into JSON.
        let mut views: Vec<MarketLeadView> = views.collect();
        views.sort_by_key(|v| std::cmp::Reverse(v.icp_match));
        let page = query.page_of(views);
        ListResponse {
            list: json_rows(page.list)?,
            meta: page.meta,
        }
    } else {
        let rows = views
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()
            .map_err(ApiError::internal)?;
        query.apply(rows, &BROWSE)
    };
    answer.meta.truncated = truncated;
    Ok(Json(answer))
}

fn json_rows(views: Vec<MarketLeadView>) -> ApiResult<Vec<Value>> {
    views
        .into_iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()
        .map_err(ApiError::internal)
}

/// The page read from the caller's index, as the list answers it.
fn indexed_answer(
    query: &ListQuery,
    icp: &BTreeMap<String, String>,
    listings: &[ListingRecord],
    total: usize,
) -> ApiResult<ListResponse<Value>> {
    let views = listings
        .iter()
        .map(|l| MarketLeadView::of(l, icp_match(icp, &profile(l)), false))
        .collect();
    Ok(ListResponse {
        list: json_rows(views)?,
        meta: ListMeta {
            total,
            page: query.page,
            per_page: query.per_page,
            truncated: false,
        },
    })
}

/// Has the caller's index built for its current ICP, once: concurrent
/// browses meet the state's condition and start nothing more.
async fn start_build(
    ctx: &AppState,
    partner_id: &str,
    icp: &BTreeMap<String, String>,
) -> ApiResult<()> {
    let writes = start_build_writes(partner_id, icp, ctx.ids.new_id(), ctx.clock.now())?;
    match ctx.store.transact(writes).await {
        Ok(()) => Ok(()),
        // Being built for this ICP already, or another browse started it.
        Err(e) if e.lost_race() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Counts `viewer`'s view of the lead once, however often it opens it;
/// answers the listing as it is afterwards.
async fn count_view(
    store: &dyn Store,
    listing: ListingRecord,
    viewer: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ListingRecord, MarketError> {
    let counted = retry_on_conflict(|n| {
        let given = &listing;
        async move {
            // Another partner's view changed it between the read and the
            // write: read it again.
            let mut listing = match n {
                0 => given.clone(),
                _ => get_listing(store, &given.lead_id)
                    .await?
                    .ok_or(MarketError::LeadNotFound)?,
            };
            if listing.viewed_by.iter().any(|v| v == viewer) {
                return Ok::<_, MarketError>(Some(listing));
            }
            match count_view_writes(&listing, viewer, now).commit(store).await {
                Ok(()) => {
                    listing.viewed_by.push(viewer.to_owned());
                    listing.view_count += 1;
                    listing.version += 1;
                    Ok(Some(listing))
                }
                // This partner's view was counted already (its guard exists).
                Err(e) if e.failed(VIEW_GUARD) => Ok(Some(listing)),
                Err(e) if e.lost_race() => Ok(None),
                Err(e) => Err(e.into()),
            }
        }
    })
    .await?;
    counted.ok_or_else(|| {
        MarketError::Refused(
            ErrorCode::ViewContended,
            "the lead is being viewed by many partners at once; try again".into(),
        )
    })
}

/// One listed lead of another partner: everything a buyer decides on
/// (company, title, firmographics, website, quality, match), its email and
/// phone masked as in browse rows (notes and people's names are never
/// shown; the buyer's copy has them all). Opening it counts one view for
/// the caller's partner, however often it is opened. The seller sees its
/// own listing (uncounted); the buyer of a reserved or sold lead still
/// sees it; any other lead that is not listed is a 404.
#[utoipa::path(get, path = "/v1/marketplace/leads/{id}", tag = "marketplace",
    params(("id" = String, Path, description = "lead id")),
    responses((status = 200, body = MarketLeadView), (status = 401), (status = 404)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn get_market_lead(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(lead_id): Path<String>,
) -> ApiResult<Json<MarketLeadView>> {
    let listing = get_listing(&*ctx.store, &lead_id)
        .await?
        .ok_or(MarketError::LeadNotFound)?;
    let caller = principal.partner_id.as_deref();
    let is_seller = caller == Some(listing.seller_id.as_str());
    let is_buyer = caller.is_some() && caller == listing.buyer_id.as_deref();
    let visible = principal.is_staff()
        || is_seller
        || is_buyer
        || listing.marketplace_status == MarketplaceStatus::Listed;
    if !visible {
        return Err(MarketError::LeadNotFound.into());
    }
    let listing = match caller {
        Some(viewer) if !is_seller => {
            count_view(&*ctx.store, listing, viewer, ctx.clock.now()).await?
        }
        _ => listing,
    };
    let icp = caller_icp(&ctx, &principal).await?;
    let matched = icp_match(&icp, &profile(&listing));
    Ok(Json(MarketLeadView::of(&listing, matched, true)))
}
