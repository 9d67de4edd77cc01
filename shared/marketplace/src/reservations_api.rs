//! Reserving a listed lead before buying it: reserve for 7 to 14 days,
//! see one's reservations, extend once (14 days in all at most), cancel
//! (the lead goes back on the market).
//!
//! Of any number of concurrent reservations of a lead exactly one
//! succeeds: each is one transaction that creates the reservation and
//! moves the listing from `listed` to `reserved` on condition that it is
//! `listed` at the version read; the others' conditions fail and they
//! answer 409 (`stale_listing` when the seller changed the price in
//! between: the buyer reserves again at the new price). The same
//! transaction counts the buyer's open reservations, within the configured
//! limit (409 `too_many_reservations`), and snapshots the sold fields. A
//! partner's admins reserve for it; another partner's reservation is a
//! 404. Cancelling works while a payment is under way too: the purchase
//! is cancelled with the reservation and its intent at Stripe after.

use std::sync::Mutex;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use pc_platform::error_code::ErrorCode;
use serde::Deserialize;
use serde_json::{Number, Value};
use utoipa::ToSchema;

use pc_http::list::{Column, ColumnKind, Direction, ListSpec};
use pc_http::{ApiError, ApiResult, AppState, ListQuery, ListResponse, Principal, ValidJson};
use pc_platform::bus::BusEvent;
use pc_platform::money::Cents;
use pc_platform::store::retry_on_conflict;
use pc_platform::time::timestamp;

use crate::MarketError;
use crate::browse_index::{IndexChange, change_write};
use crate::listing_api::acting_partner;
use crate::listing_store::{ListingRecord, MarketplaceStatus, get_listing};
use crate::market_views::ReservationView;
use crate::reservation_end::end_reservation;
use crate::reservations_store::{
    Ending, MAX_DAYS, MIN_DAYS, RESERVE_HOLD, RESERVE_LISTING, ReservationRecord,
    ReservationStatus, ReservedBy, buyer_reservations, extend_item, load_buyer_reservation,
    reserve_writes,
};
use crate::sale_snapshot::SaleSnapshot;

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct DaysBody {
    /// Reserve: 7 to 14. Extend: the days to add (the total stays ≤ 14).
    #[schema(value_type = i64)]
    pub days: Number,
}

fn whole_days(days: &Number, low: i64, high: i64) -> Result<i64, ApiError> {
    days.as_i64()
        .filter(|d| (low..=high).contains(d))
        .ok_or_else(|| {
            ApiError::invalid_field(
                "days",
                format!("must be a whole number from {low} to {high}"),
            )
        })
}

/// Reserves a listed lead of another partner.
#[utoipa::path(post, path = "/v1/marketplace/leads/{id}/reserve", tag = "marketplace",
    params(("id" = String, Path, description = "lead id")), request_body = DaysBody,
    responses((status = 201, body = ReservationView), (status = 400), (status = 403), (status = 404),
        (status = 409, description = "`already_reserved`, `stale_listing` (the price changed since it was read), `too_many_reservations` or `own_lead`")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn reserve_lead(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(lead_id): Path<String>,
    ValidJson(body): ValidJson<DaysBody>,
) -> ApiResult<(StatusCode, Json<ReservationView>)> {
    let days = whole_days(&body.days, MIN_DAYS, MAX_DAYS)?;
    let buyer = acting_partner(&principal)?;
    let listing = get_listing(&*ctx.store, &lead_id)
        .await?
        // A lead taken off the market is gone; a reserved or sold one was
        // public and answers 409 below.
        .filter(|l| l.marketplace_status != MarketplaceStatus::Delisted)
        .ok_or(MarketError::LeadNotFound)?;
    if listing.seller_id == buyer {
        return Err(ApiError::conflict(
            ErrorCode::OwnLead,
            "a partner cannot reserve its own lead",
        ));
    }
    if listing.marketplace_status != MarketplaceStatus::Listed {
        return Err(already_reserved());
    }
    // The lead as it is sold: fixed now, whatever the seller changes later.
    let lead = pc_leads::leads_store::get(&*ctx.store, &lead_id)
        .await?
        .ok_or(MarketError::LeadNotFound)?;
    let now = ctx.clock.now();
    let reserved_by = ReservedBy {
        user_id: principal.user_id.clone(),
        email: principal.email.clone(),
        name: principal.name.clone(),
    };
    let reservation =
        ReservationRecord::new(ctx.ids.new_id(), &listing, buyer, reserved_by, days, now);
    let snapshot = SaleSnapshot::of(&lead, &reservation.id, now);
    let limit = ctx.config.max_open_reservations;
    // The listing as last read: an attempt that met a change reads it again.
    let latest = Mutex::new(listing);
    let reserved = retry_on_conflict(|_| {
        let (latest, reservation, snapshot, lead_id) = (&latest, &reservation, &snapshot, &lead_id);
        let ctx = &ctx;
        async move {
            let listing = latest.lock().expect("not poisoned").clone();
            let mut writes = reserve_writes(&listing, reservation, limit, snapshot.write()?)?;
            // The lead leaves every buyer's browse index.
            let change = IndexChange::listing(lead_id);
            writes.push(change_write(ctx.ids.new_id(), &change, now)?);
            match writes.commit(&*ctx.store).await {
                Ok(()) => Ok(Some(())),
                Err(e) if e.failed(RESERVE_HOLD) => Err(too_many(limit)),
                Err(e) if e.failed(RESERVE_LISTING) => {
                    // Reserved by another, or changed since it was read: a
                    // new price is the buyer's to accept; a counted view is
                    // not.
                    let now_listed = get_listing(&*ctx.store, lead_id)
                        .await?
                        .filter(|l| l.marketplace_status == MarketplaceStatus::Listed);
                    match now_listed {
                        Some(l) if l.listing_price_cents != reservation.price_cents => {
                            Err(stale_listing(&l))
                        }
                        Some(l) => {
                            *latest.lock().expect("not poisoned") = l;
                            Ok(None)
                        }
                        None => Err(already_reserved()),
                    }
                }
                // Met another reservation in flight (DynamoDB cancels
                // both): the retry then meets the winner's condition.
                Err(e) if e.is_conflict() => Ok(None),
                Err(e) => Err(e.into()),
            }
        }
    })
    .await?;
    // Every attempt lost: another buyer kept getting there first.
    reserved.ok_or_else(already_reserved)?;
    publish_reserved(&ctx, &reservation).await;
    Ok((StatusCode::CREATED, Json(ReservationView::of(&reservation))))
}

/// `lead-reserved` on the bus (the seller's and the buyer's activity).
/// The hold is committed already, so a bus outage is logged, not failed.
async fn publish_reserved(ctx: &AppState, reservation: &ReservationRecord) {
    let event = BusEvent {
        detail_type: "lead-reserved".into(),
        detail: serde_json::json!({
            "leadId": reservation.lead_id,
            "reservationId": reservation.id,
            "sellerId": reservation.seller_id,
            "buyerId": reservation.buyer_id,
            "priceCents": reservation.price_cents,
            "expiresAt": timestamp(reservation.expires_at),
            "at": timestamp(reservation.created_at),
        }),
    };
    if let Err(e) = ctx.bus.publish(&[event]).await {
        tracing::warn!(error = %e, reservation = %reservation.id, "lead-reserved not published");
    }
}

fn stale_listing(now: &ListingRecord) -> ApiError {
    ApiError::conflict(
        ErrorCode::StaleListing,
        format!(
            "the seller changed the listing meanwhile: it is now {}; reserve again to accept the new price",
            Cents(now.listing_price_cents)
        ),
    )
}

fn too_many(limit: i64) -> ApiError {
    ApiError::conflict(
        ErrorCode::TooManyReservations,
        format!("a partner holds at most {limit} open reservations; buy or cancel one first"),
    )
}

fn already_reserved() -> ApiError {
    ApiError::conflict(
        ErrorCode::AlreadyReserved,
        "the lead is reserved by another partner or no longer listed",
    )
}

const STATUSES: &[&str] = &["active", "purchasing", "completed", "expired", "cancelled"];

pub const RESERVATIONS_LIST: ListSpec = ListSpec {
    columns: &[
        Column::new("status", ColumnKind::Enum(STATUSES)),
        Column::new("leadId", ColumnKind::Text),
        Column::new("price", ColumnKind::Number),
        Column::new("createdAt", ColumnKind::Date),
        Column::new("expiresAt", ColumnKind::Date),
    ],
    search_fields: &[],
    default_sort: ("createdAt", Direction::Desc),
    extra_params: &[],
};

/// The caller's partner's reservations, in every state.
#[utoipa::path(get, path = "/v1/marketplace/reservations", tag = "marketplace",
    params(("page" = Option<usize>, Query), ("perPage" = Option<usize>, Query),
        ("sort" = Option<String>, Query), ("filter" = Option<String>, Query)),
    responses((status = 200, body = ListResponse<ReservationView>), (status = 400), (status = 403)),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn list_reservations(
    State(ctx): State<AppState>,
    principal: Principal,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<Value>>> {
    let query = ListQuery::parse(raw.as_deref(), &RESERVATIONS_LIST)?;
    let buyer = acting_partner(&principal)?;
    let rows = buyer_reservations(&*ctx.store, buyer)
        .await?
        .iter()
        .map(|r| serde_json::to_value(ReservationView::of(r)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    Ok(Json(query.apply(rows, &RESERVATIONS_LIST)))
}

fn not_active(r: &ReservationRecord) -> ApiError {
    MarketError::WrongReservationState(r.status.as_str().into()).into()
}

/// Extends an active reservation once, to at most 14 days in all.
#[utoipa::path(patch, path = "/v1/marketplace/reservations/{id}/extend", tag = "marketplace",
    params(("id" = String, Path, description = "reservation id")), request_body = DaysBody,
    responses((status = 200, body = ReservationView), (status = 400), (status = 403), (status = 404),
        (status = 409, description = "`already_extended` or `reservation_not_active`")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn extend_reservation(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<DaysBody>,
) -> ApiResult<Json<ReservationView>> {
    let added = whole_days(&body.days, 1, MAX_DAYS - MIN_DAYS)?;
    let buyer = acting_partner(&principal)?;
    let mut r = load_buyer_reservation(&*ctx.store, buyer, &id).await?;
    if r.status != ReservationStatus::Active {
        return Err(not_active(&r));
    }
    if r.extended {
        return Err(already_extended());
    }
    let total = r.days + added;
    if total > MAX_DAYS {
        return Err(ApiError::invalid_field(
            "days",
            format!("the reservation would last {total} days; at most {MAX_DAYS} in all"),
        ));
    }
    let now = ctx.clock.now();
    match ctx.store.transact(vec![extend_item(&r, total, now)]).await {
        Ok(()) => {}
        Err(e) if e.is_condition_failure() => {
            let fresh = load_buyer_reservation(&*ctx.store, buyer, &id).await?;
            return Err(if fresh.extended {
                already_extended()
            } else {
                not_active(&fresh)
            });
        }
        Err(e) => return Err(e.into()),
    }
    r.days = total;
    r.extended = true;
    r.expires_at = r.created_at + chrono::Duration::days(total);
    r.updated_at = now;
    Ok(Json(ReservationView::of(&r)))
}

fn already_extended() -> ApiError {
    ApiError::conflict(
        ErrorCode::AlreadyExtended,
        "a reservation can be extended once",
    )
}

/// Cancels an open reservation, a payment under way included (the
/// purchase is cancelled and its payment intent canceled at Stripe); the
/// lead goes back on the market.
#[utoipa::path(delete, path = "/v1/marketplace/reservations/{id}", tag = "marketplace",
    params(("id" = String, Path, description = "reservation id")),
    responses((status = 200, body = ReservationView), (status = 403), (status = 404),
        (status = 409, description = "`reservation_not_active`: completed, expired or cancelled")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn cancel_reservation(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<ReservationView>> {
    let buyer = acting_partner(&principal)?;
    let cancelled = retry_on_conflict(|_| async {
        let mut r = load_buyer_reservation(&*ctx.store, buyer, &id).await?;
        if !r.status.is_open() {
            return Err(not_active(&r));
        }
        let now = ctx.clock.now();
        // `false`: a payment began or ended meanwhile; read it again.
        if !end_reservation(&ctx, &r, Ending::Cancelled, now).await? {
            return Ok(None);
        }
        r.status = ReservationStatus::Cancelled;
        r.closed_at = Some(now);
        r.updated_at = now;
        Ok(Some(r))
    })
    .await?
    .ok_or_else(|| {
        ApiError::conflict(
            ErrorCode::ReservationBusy,
            "the reservation's payment is changing right now; try again",
        )
    })?;
    Ok(Json(ReservationView::of(&cancelled)))
}
