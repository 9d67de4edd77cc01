//! `webhook-retries` (every minute): sends an attempt message for every
//! pending delivery whose next attempt is due, found on the retries index
//! (`WEBHOOKRETRIES` by `nextAttemptAt`), never a scan. When retries wait
//! on the queue this only catches what the queue missed (a send that
//! failed after its record was written, a worker that died mid-attempt),
//! so it leaves alone what is due by less than [`QUEUE_GRACE`]; otherwise
//! it is how every retry comes back, on the clock port's time. The attempt
//! number in each message makes a copy of a queued retry a no-op.

use chrono::{DateTime, Duration, Utc};

use pc_http::AppState;
use pc_http::functions::{JobError, JobReport};
use pc_platform::store::pages::Pages;
use pc_platform::store::{Index, Query, SortKey, from_item};
use pc_platform::time::timestamp;

use crate::WebhookError;
use crate::attempt::AttemptMessage;
use crate::deliveries_store::{DeliveryRecord, DeliveryState, RETRIES_PARTITION};

/// How late a queued retry may be before the sweep sends its own.
pub const QUEUE_GRACE: Duration = Duration::minutes(2);
/// Due deliveries read per store round trip.
const PAGE: usize = 100;

pub async fn send_due_retries(ctx: &AppState, at: DateTime<Utc>) -> Result<JobReport, JobError> {
    let due_by = if ctx.config.webhook_retries_on_queue {
        at - QUEUE_GRACE
    } else {
        at
    };
    // `~` sorts after every id character, so the bound takes all of `due_by`.
    let bound = format!("{}#~", timestamp(due_by));
    let mut sent = 0;
    let query = Query::partition(Index::Gsi2, RETRIES_PARTITION)
        .sk(SortKey::Lte(bound))
        .limit(PAGE);
    let mut pages = Pages::new(&*ctx.store, query);
    while let Some(items) = pages.next().await.map_err(WebhookError::from)? {
        for item in items {
            let record: DeliveryRecord = from_item(item).map_err(WebhookError::from)?;
            if record.state != DeliveryState::Pending {
                continue;
            }
            let message = AttemptMessage::first(&record);
            ctx.queue
                .send_message(&message)
                .await
                .map_err(WebhookError::from)?;
            sent += 1;
        }
    }
    Ok(JobReport::default().count("sent", sent))
}
