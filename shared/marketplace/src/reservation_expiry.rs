//! `reservation-expiry` (every 5 minutes): every active reservation whose
//! time has passed is expired, its lead goes back on the market, and the
//! buyer who reserved is emailed, all in one transaction per reservation.
//!
//! The due reservations are found through the expiry index
//! (`RESERVATIONS#OPEN` by `expiresAt`), never a scan. A reservation whose
//! payment is under way (`purchasing`) is left to the payment's outcome.
//! The expiry is conditional on the reservation still being `active` and
//! past its time, and the purchase on it being `active` or `purchasing`,
//! so an expiry racing a purchase leaves exactly one of the two outcomes.

use chrono::{DateTime, Utc};
use serde_json::json;

use pc_api::AppState;
use pc_api::functions::{JobError, JobReport};
use pc_platform::email::{EmailJob, EmailKind, add_to_outbox};
use pc_platform::outbox::Outbox;
use pc_platform::store::{Cursor, Index, Query, SortKey, from_item};
use pc_platform::time::timestamp;

use crate::MarketError;
use crate::listing_store::get_listing;
use crate::reservations_store::{
    OPEN_PARTITION, ReservationRecord, ReservationStatus, expire_writes,
};

/// Due reservations read per store round trip.
const PAGE: usize = 100;

/// Expires what is due at `at`; counts `expired`, `skipped` (a payment under
/// way, or taken by a purchase meanwhile) and `failed`.
pub async fn expire_reservations(ctx: &AppState, at: DateTime<Utc>) -> Result<JobReport, JobError> {
    // `~` sorts after every id character, so the bound takes all of `at`.
    let bound = format!("{}#~", timestamp(at));
    let (mut expired, mut skipped, mut failed) = (0, 0, 0);
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = ctx
            .store
            .query(
                &Query::partition(Index::Gsi2, OPEN_PARTITION)
                    .sk(SortKey::Lte(bound.clone()))
                    .limit(PAGE)
                    .after(cursor),
            )
            .await
            .map_err(MarketError::from)?;
        for item in page.items {
            let reservation: ReservationRecord = from_item(item).map_err(MarketError::from)?;
            if reservation.status != ReservationStatus::Active {
                skipped += 1;
                continue;
            }
            match expire_one(ctx, &reservation, at).await {
                Ok(true) => expired += 1,
                Ok(false) => skipped += 1,
                Err(e) => {
                    tracing::error!(error = %e, reservation_id = %reservation.id, "expiry failed");
                    failed += 1;
                }
            }
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(JobReport::default()
        .count("expired", expired)
        .count("skipped", skipped)
        .count("failed", failed))
}

/// Expires one reservation; `false` when something else moved it first.
async fn expire_one(
    ctx: &AppState,
    reservation: &ReservationRecord,
    at: DateTime<Utc>,
) -> Result<bool, MarketError> {
    let listing = get_listing(&*ctx.store, &reservation.lead_id)
        .await?
        .ok_or(MarketError::LeadNotFound)?;
    let mut writes = expire_writes(reservation, &listing, at);
    let mut outbox = Outbox::new(ctx.ids.new_id(), at);
    add_to_outbox(
        &mut outbox,
        &EmailJob {
            id: format!("reservation-expired:{}", reservation.id),
            kind: EmailKind::ReservationExpired,
            to: reservation.reserved_by.email.clone(),
            data: json!({
                "name": reservation.reserved_by.name,
                "lead": {"company": listing.contact.company.clone().unwrap_or_default()},
                "link": "/marketplace",
            }),
        },
    )?;
    outbox.add_to(&mut writes)?;
    match ctx.store.transact(writes).await {
        Ok(()) => Ok(true),
        Err(e) if e.is_condition_failure() => Ok(false),
        Err(e) => Err(e.into()),
    }
}
