//! The buyer's warning a day before a reservation ends: the
//! `reservation-expiry` job also finds the active reservations ending
//! within [`WARN_BEFORE_HOURS`] (on the same expiry index) and emails the
//! buyer who reserved, once per end time. The email goes through the
//! outbox in the transaction that marks the reservation warned for its
//! current `expiresAt` (`expiringNoticeFor`), conditional on it still being
//! active with that end time and not yet warned for it: overlapping runs
//! send one email, and an extended reservation is warned again before its
//! new end.

use chrono::{DateTime, Duration, Utc};

use pc_http::AppState;
use pc_platform::email::{EmailJob, add_to_outbox, data};
use pc_platform::outbox::Outbox;
use pc_platform::store::pages::Pages;
use pc_platform::store::{Condition, Index, Query, SortKey, Update, Write, from_item};
use pc_platform::time::timestamp;

use crate::MarketError;
use crate::listing_store::get_listing;
use crate::reservations_store::{
    OPEN_PARTITION, ReservationRecord, ReservationStatus, reservation_key,
};

/// How long before its end a reservation's buyer is warned.
pub const WARN_BEFORE_HOURS: i64 = 24;
const NOTICE_FOR: &str = "expiringNoticeFor";
const PAGE: usize = 100;

/// Warns the buyers of active reservations ending after `at` and within
/// a day of it; answers how many were warned and how many failed.
pub async fn warn_expiring(ctx: &AppState, at: DateTime<Utc>) -> Result<(u64, u64), MarketError> {
    let from = format!("{}#", timestamp(at));
    let to = format!("{}#~", timestamp(at + Duration::hours(WARN_BEFORE_HOURS)));
    let (mut warned, mut failed) = (0, 0);
    let query = Query::partition(Index::Gsi2, OPEN_PARTITION)
        .sk(SortKey::Between(from, to))
        .limit(PAGE);
    let mut pages = Pages::new(&*ctx.store, query);
    while let Some(items) = pages.next().await? {
        for item in items {
            let noticed = item
                .get(NOTICE_FOR)
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            let reservation: ReservationRecord = from_item(item)?;
            let end = timestamp(reservation.expires_at);
            if reservation.status != ReservationStatus::Active
                || noticed.as_deref() == Some(end.as_str())
            {
                continue;
            }
            match warn(ctx, &reservation, at).await {
                Ok(true) => warned += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = %e, reservation_id = %reservation.id, "expiring warning failed");
                    failed += 1;
                }
            }
        }
    }
    Ok((warned, failed))
}

/// One warning; `false` when the reservation moved or was warned meanwhile.
async fn warn(
    ctx: &AppState,
    reservation: &ReservationRecord,
    at: DateTime<Utc>,
) -> Result<bool, MarketError> {
    let company = get_listing(&*ctx.store, &reservation.lead_id)
        .await?
        .and_then(|l| l.contact.company)
        .unwrap_or_default();
    let end = timestamp(reservation.expires_at);
    let mut writes = vec![Write::Update(
        Update::new(reservation_key(&reservation.id))
            .set(NOTICE_FOR, end.clone())
            .when(Condition::And(vec![
                Condition::equals("status", ReservationStatus::Active.as_str()),
                Condition::equals("expiresAt", end.clone()),
                Condition::not_equals(NOTICE_FOR, end.clone()),
            ])),
    )];
    let mut outbox = Outbox::new(ctx.ids.new_id(), at);
    add_to_outbox(
        &mut outbox,
        &EmailJob::new(
            format!("reservation-expiring:{}:{end}", reservation.id),
            reservation.reserved_by.email.clone(),
            &data::ReservationExpiring {
                name: reservation.reserved_by.name.clone(),
                lead: data::LeadCompany { company },
                expires_at: end,
                link: "/marketplace/reservations".into(),
            },
        ),
    )?;
    outbox.add_to(&mut writes)?;
    match ctx.store.transact(writes).await {
        Ok(()) => Ok(true),
        Err(e) if e.lost_race() => Ok(false),
        Err(e) => Err(e.into()),
    }
}
