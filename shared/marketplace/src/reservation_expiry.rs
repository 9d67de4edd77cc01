//! `reservation-expiry` (every 5 minutes): every open reservation whose
//! time has passed — active, or with a payment begun and never confirmed
//! (`purchasing`) — is expired, its lead goes back on the market, its
//! unpaid purchase is cancelled and the buyer who reserved is emailed, all
//! in one transaction per reservation; then the purchase's payment intent
//! is canceled at Stripe ([`crate::reservation_end`]). A checkout stays
//! open as long as its reservation, never longer.
//!
//! The due reservations are found through the expiry index
//! (`RESERVATIONS#OPEN` by `expiresAt`), never a scan. The expiry is
//! conditional on the reservation's state as read and on it being past its
//! time, and the purchase's completion on the reservation being open, so
//! an expiry racing a payment leaves exactly one of the two outcomes (a
//! payment that loses is refunded).
//!
//! The same run warns the buyers of reservations ending within a day
//! ([`crate::reservation_warning`]).

use chrono::{DateTime, Utc};
use pc_http::AppState;
use pc_http::functions::{JobError, JobReport};
use pc_platform::store::pages::Pages;
use pc_platform::store::{Index, Query, SortKey, from_item};
use pc_platform::time::timestamp;

use crate::MarketError;
use crate::reservation_end::end_reservation;
use crate::reservation_warning::warn_expiring;
use crate::reservations_store::{Ending, OPEN_PARTITION, ReservationRecord};

/// Due reservations read per store round trip.
const PAGE: usize = 100;

/// Expires what is due at `at` and warns of what ends within a day;
/// counts `expired`, `skipped` (completed or ended meanwhile), `warned`
/// and `failed`.
pub async fn expire_reservations(ctx: &AppState, at: DateTime<Utc>) -> Result<JobReport, JobError> {
    // `~` sorts after every id character, so the bound takes all of `at`.
    let bound = format!("{}#~", timestamp(at));
    let (mut expired, mut skipped, mut failed) = (0, 0, 0);
    let query = Query::partition(Index::Gsi2, OPEN_PARTITION)
        .sk(SortKey::Lte(bound))
        .limit(PAGE);
    let mut pages = Pages::new(&*ctx.store, query);
    while let Some(items) = pages.next().await.map_err(MarketError::from)? {
        for item in items {
            let reservation: ReservationRecord = from_item(item).map_err(MarketError::from)?;
            if !reservation.status.is_open() {
                skipped += 1;
                continue;
            }
            match end_reservation(ctx, &reservation, Ending::Expired, at).await {
                Ok(true) => expired += 1,
                Ok(false) => skipped += 1,
                Err(e) => {
                    tracing::error!(error = %e, reservation_id = %reservation.id, "expiry failed");
                    failed += 1;
                }
            }
        }
    }
    let (warned, warn_failed) = warn_expiring(ctx, at).await?;
    Ok(JobReport::default()
        .count("expired", expired)
        .count("skipped", skipped)
        .count("warned", warned)
        .count("failed", failed + warn_failed))
}
