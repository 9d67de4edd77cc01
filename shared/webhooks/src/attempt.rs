//! One attempt of a delivery. An attempt message names the delivery and
//! the attempt number it is for; a message for an attempt already made
//! (a duplicate, or the sweep's copy of a queued retry) or for a delivery
//! no longer pending does nothing. The worker first claims the attempt
//! (a conditional write), so two copies never both send; a claim left by
//! a worker that died is taken over after [`CLAIM_EXPIRY`].
//!
//! After the POST the attempt is recorded: a 2xx delivers; a failure
//! schedules the next attempt by the backoff, or, 24 hours into the round,
//! marks the delivery failed and emails the partner's admins, in the same
//! transaction, so they are told once.
//!
//! A retry waits on the queue when `Config::webhook_retries_on_queue` is
//! on: a delayed message (SQS delays at most 15 minutes, so a longer wait
//! comes back early with its `notBefore` and is put back for what is
//! left). Either way the record holds `nextAttemptAt`, and the
//! `webhook-retries` sweep sends what is due and was not sent.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use pc_accounts::partners_store::get_partner;
use pc_accounts::webhook_secret;
use pc_http::AppState;
use pc_platform::cipher::FieldCipher;
use pc_platform::outbox::Outbox;
use pc_platform::queue::{MAX_DELAY, Message, QueueName};
use pc_platform::time::serde_millis;

use crate::WebhookError;
use crate::backoff::{AfterFailure, after_failure};
use crate::deliveries_store::{self, AttemptRecord, DeliveryRecord, DeliveryState};
use crate::failure_notice;
use crate::sending::{self, Outcome};

/// How long a claimed attempt may run before another worker takes it over:
/// well past the 10-second timeout.
pub const CLAIM_EXPIRY: Duration = Duration::seconds(60);

/// "Try delivery `deliveryId` for the `attempt`-th time, not before `notBefore`."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttemptMessage {
    pub delivery_id: String,
    pub attempt: u32,
    #[serde(default, with = "serde_millis::option")]
    pub not_before: Option<DateTime<Utc>>,
}

impl AttemptMessage {
    /// The next attempt of `record`, due now.
    pub fn first(record: &DeliveryRecord) -> Self {
        Self {
            delivery_id: record.id.clone(),
            attempt: record.next_attempt(),
            not_before: None,
        }
    }

    /// The id its consumer applies once.
    pub fn id(&self) -> String {
        format!("{}:{}", self.delivery_id, self.attempt)
    }
}

/// The attempt message of `webhook-deliveries` (beside the fan-out's
/// partner event).
impl Message for AttemptMessage {
    const QUEUE: QueueName = QueueName::WebhookDeliveries;
}

/// What a message did, for the logs and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    /// Not this message's attempt any more, or another worker has it.
    Skipped,
    /// Too early: put back on the queue (or left to the sweep).
    Waiting,
    Delivered,
    Retrying(DateTime<Utc>),
    Failed,
}

pub async fn run_attempt(
    ctx: &AppState,
    message: &AttemptMessage,
) -> Result<AttemptResult, WebhookError> {
    let Some(record) = deliveries_store::get(&*ctx.store, &message.delivery_id).await? else {
        return Ok(AttemptResult::Skipped);
    };
    if record.state != DeliveryState::Pending || record.next_attempt() != message.attempt {
        return Ok(AttemptResult::Skipped);
    }
    let now = ctx.clock.now();
    if let Some(not_before) = message.not_before.filter(|at| *at > now) {
        if ctx.config.webhook_retries_on_queue {
            put_back(ctx, message, not_before - now).await?;
        }
        return Ok(AttemptResult::Waiting);
    }
    let Some(claimed) = claim(ctx, &record, now).await? else {
        return Ok(AttemptResult::Skipped);
    };
    let partner = get_partner(&*ctx.store, &claimed.partner_id).await?;
    let hook = partner.and_then(|p| p.notification_preferences.webhook);
    let (url, outcome) = match &hook {
        None => (String::new(), None),
        Some(hook) => {
            let cipher = FieldCipher::opening(&ctx.config, hook.sealed_secret.as_ref()).await?;
            let secret = webhook_secret::open(&cipher, &claimed.partner_id, hook)?;
            let outcome = match secret {
                None => Outcome {
                    status_code: None,
                    error: Some("the webhook has no signing secret".into()),
                    duration: std::time::Duration::ZERO,
                },
                Some(secret) => {
                    let request = sending::Request {
                        url: &hook.url,
                        secret: &secret,
                        body: &claimed.body,
                        delivery_id: &claimed.id,
                        event_type: &claimed.event_type,
                        timestamp: pc_platform::clock::wire_now().timestamp(),
                    };
                    sending::post(request, ctx.config.webhook_local_receivers).await
                }
            };
            (hook.url.clone(), Some(outcome))
        }
    };
    record_outcome(ctx, claimed, now, url, outcome).await
}

/// Takes attempt `next_attempt()` of `record`; `None` when another worker
/// holds a live claim on it or the record moved.
async fn claim(
    ctx: &AppState,
    record: &DeliveryRecord,
    now: DateTime<Utc>,
) -> Result<Option<DeliveryRecord>, WebhookError> {
    let live_claim = record.claimed_attempt == record.next_attempt()
        && record.claimed_at.is_some_and(|at| now - at < CLAIM_EXPIRY);
    if live_claim {
        return Ok(None);
    }
    let mut next = record.clone();
    next.claimed_attempt = record.next_attempt();
    next.claimed_at = Some(now);
    next.revision += 1;
    next.updated_at = now;
    match ctx
        .store
        .transact(vec![deliveries_store::replace(&next, record.revision)?])
        .await
    {
        Ok(()) => Ok(Some(next)),
        Err(e) if e.is_condition_failure() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Records the attempt (`None`: the partner removed its webhook, which
/// ends the delivery as failed without an email).
async fn record_outcome(
    ctx: &AppState,
    claimed: DeliveryRecord,
    now: DateTime<Utc>,
    url: String,
    outcome: Option<Outcome>,
) -> Result<AttemptResult, WebhookError> {
    let mut next = claimed.clone();
    let number = claimed.next_attempt();
    let outcome = outcome.unwrap_or_else(|| Outcome {
        status_code: None,
        error: Some("the partner has no webhook any more".into()),
        duration: std::time::Duration::ZERO,
    });
    let webhook_removed = url.is_empty();
    next.push_attempt(AttemptRecord {
        number,
        at: now,
        url,
        status_code: outcome.status_code,
        error: outcome.error.clone(),
        duration_ms: outcome.duration.as_millis() as u64,
    });
    let window_start = *next.window_started_at.get_or_insert(now);
    next.revision += 1;
    next.updated_at = now;
    next.claimed_at = None;
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    let result = if outcome.delivered() {
        next.state = DeliveryState::Delivered;
        next.delivered_at = Some(now);
        next.next_attempt_at = None;
        AttemptResult::Delivered
    } else {
        let failures = next.failures_this_round();
        match after_failure(window_start, now, failures, rand::random::<f64>()) {
            AfterFailure::RetryAt(at) if !webhook_removed => {
                next.next_attempt_at = Some(at);
                AttemptResult::Retrying(at)
            }
            _ => {
                next.state = DeliveryState::Failed;
                next.failed_at = Some(now);
                next.next_attempt_at = None;
                if !webhook_removed {
                    failure_notice::add_emails(ctx, &next, &mut outbox).await?;
                }
                AttemptResult::Failed
            }
        }
    };
    let mut writes = vec![deliveries_store::replace(&next, claimed.revision)?];
    outbox.add_to(&mut writes)?;
    match ctx.store.transact(writes).await {
        Ok(()) => {}
        // Taken over after the claim expired: that worker records its own.
        Err(e) if e.is_condition_failure() => return Ok(AttemptResult::Skipped),
        Err(e) => return Err(e.into()),
    }
    if let AttemptResult::Retrying(at) = result
        && ctx.config.webhook_retries_on_queue
    {
        let message = AttemptMessage {
            delivery_id: next.id.clone(),
            attempt: next.next_attempt(),
            not_before: Some(at),
        };
        // A failed send is not fatal: the sweep sends what is overdue.
        if let Err(e) = put_back(ctx, &message, at - now).await {
            tracing::warn!(delivery_id = %next.id, error = %e, "retry left to the sweep");
        }
    }
    Ok(result)
}

/// Puts `message` back on the queue for `wait`, or for SQS's longest delay
/// when the wait is longer (it then comes back early and is put back).
async fn put_back(
    ctx: &AppState,
    message: &AttemptMessage,
    wait: Duration,
) -> Result<(), WebhookError> {
    let wait = wait.to_std().unwrap_or_default().min(MAX_DELAY);
    ctx.queue.send_message_delayed(message, wait).await?;
    Ok(())
}
