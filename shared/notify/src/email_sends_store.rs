//! The once-only record of each email job, so a queue message delivered
//! twice (or a reminder job run twice) sends one email.
//!
//! Its items and their keys: [`crate::keys`].
//!
//! Attributes: `status` (`sending` | `retry` | `sent` | `rejected`),
//! `leaseUntil` and `claimedBy` (the queue message holding the claim, while
//! `sending`), `attempts`, `kind`, `to`,
//! `providerMessageId` (when sent), `error` (last failure), `updatedAt`.
//!
//! A worker claims the job with one conditional update before it calls the
//! provider: the claim holds if the job was never seen, if its last try
//! failed in a retryable way (`retry`), if a previous claim's lease ran
//! out, or if the claim is held by this very queue message (a worker that
//! crashed or timed out mid-send: the queue only hands the message out
//! again after its visibility timeout, which is longer than a worker's time
//! limit, so the earlier attempt is over). A *different* message for the
//! same job (a duplicate send) waits while the lease lasts, so two live
//! workers never send the same job.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use pc_platform::email::EmailKind;
use pc_platform::store::{Condition, Item, Store, StoreError, Update};
use pc_platform::time::timestamp;

pub use crate::keys::email_send_key;

/// How long a claim keeps other deliveries of the same job away; longer
/// than the queue worker's time limit (30 s locally, the Lambda timeout in AWS).
pub const CLAIM_LEASE: Duration = Duration::minutes(2);

/// What became of a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This worker owns the send now.
    Claimed,
    /// The job was already settled (sent, or rejected for good).
    Settled(String),
    /// Another delivery holds a live lease on it; try again later.
    InProgress,
}

/// Claims the job `job_id` for sending at `now`.
pub async fn claim(
    store: &dyn Store,
    job_id: &str,
    message_id: &str,
    kind: EmailKind,
    to: &str,
    now: DateTime<Utc>,
) -> Result<Claim, StoreError> {
    let key = email_send_key(job_id);
    let claimable = Condition::Or(vec![
        Condition::missing("status"),
        Condition::equals("status", "retry"),
        Condition::equals("status", "sending")
            .and(Condition::less_than("leaseUntil", timestamp(now))),
        Condition::equals("status", "sending").and(Condition::equals("claimedBy", message_id)),
    ]);
    let update = Update::new(key.clone())
        .set("entity", "email_send")
        .set("status", "sending")
        .set("leaseUntil", timestamp(now + CLAIM_LEASE))
        .set("claimedBy", message_id)
        .set("kind", kind.as_str())
        .set("to", to)
        .set("updatedAt", timestamp(now))
        .add("attempts", 1)
        .when(claimable);
    match store.update(update).await {
        Ok(_) => Ok(Claim::Claimed),
        Err(e) if e.is_condition_failure() => {
            let status = store
                .get(&key)
                .await?
                .as_ref()
                .and_then(|item| text(item, "status"))
                .unwrap_or_default();
            Ok(match status.as_str() {
                "sending" | "retry" | "" => Claim::InProgress,
                settled => Claim::Settled(settled.to_owned()),
            })
        }
        Err(e) => Err(e),
    }
}

/// The provider accepted the message.
pub async fn mark_sent(
    store: &dyn Store,
    job_id: &str,
    provider_message_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    settle(
        store,
        Update::new(email_send_key(job_id))
            .set("status", "sent")
            .set("providerMessageId", provider_message_id)
            .set("sentAt", timestamp(now))
            .set("updatedAt", timestamp(now))
            .remove("leaseUntil")
            .remove("claimedBy"),
    )
    .await
}

/// The provider refused the message for good; it is not tried again.
pub async fn mark_rejected(
    store: &dyn Store,
    job_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    settle(
        store,
        Update::new(email_send_key(job_id))
            .set("status", "rejected")
            .set("error", reason)
            .set("updatedAt", timestamp(now))
            .remove("leaseUntil")
            .remove("claimedBy"),
    )
    .await
}

/// The send failed in a way a later try may fix: give the claim back so the
/// queue's next delivery can claim at once.
pub async fn release_for_retry(
    store: &dyn Store,
    job_id: &str,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    settle(
        store,
        Update::new(email_send_key(job_id))
            .set("status", "retry")
            .set("error", error)
            .set("updatedAt", timestamp(now))
            .remove("leaseUntil")
            .remove("claimedBy"),
    )
    .await
}

/// The status of a job (`None`: never claimed).
pub async fn status(store: &dyn Store, job_id: &str) -> Result<Option<String>, StoreError> {
    Ok(store
        .get(&email_send_key(job_id))
        .await?
        .as_ref()
        .and_then(|item| text(item, "status")))
}

/// Only the holder of a claim settles it: the item must still be `sending`.
async fn settle(store: &dyn Store, update: Update) -> Result<(), StoreError> {
    store
        .update(update.when(Condition::equals("status", "sending")))
        .await
        .map(|_| ())
}

fn text(item: &Item, attr: &str) -> Option<String> {
    item.get(attr).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::store::embedded::EmbeddedStore;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[tokio::test]
    async fn one_claim_wins_until_it_is_released_or_its_lease_ends() {
        let store = EmbeddedStore::in_memory();
        let now = at("2024-01-15T17:00:00Z");
        let kind = EmailKind::PasswordReset;
        assert_eq!(
            claim(&store, "j1", "m1", kind, "a@x.io", now)
                .await
                .unwrap(),
            Claim::Claimed
        );
        // A duplicate message of the same job waits while the claim lasts...
        assert_eq!(
            claim(&store, "j1", "m2", kind, "a@x.io", now)
                .await
                .unwrap(),
            Claim::InProgress
        );
        // ...but the claiming message itself, handed out again after its
        // worker died, takes the claim over at once.
        assert_eq!(
            claim(&store, "j1", "m1", kind, "a@x.io", now)
                .await
                .unwrap(),
            Claim::Claimed
        );

        release_for_retry(&store, "j1", "throttled", now)
            .await
            .unwrap();
        assert_eq!(
            claim(&store, "j1", "m1", kind, "a@x.io", now)
                .await
                .unwrap(),
            Claim::Claimed
        );

        // Any message can take a claim over once its lease is over.
        let later = now + CLAIM_LEASE + Duration::seconds(1);
        assert_eq!(
            claim(&store, "j1", "m3", kind, "a@x.io", now)
                .await
                .unwrap(),
            Claim::InProgress
        );
        assert_eq!(
            claim(&store, "j1", "m3", kind, "a@x.io", later)
                .await
                .unwrap(),
            Claim::Claimed
        );
        mark_sent(&store, "j1", "ses-1", later).await.unwrap();
        assert_eq!(
            claim(
                &store,
                "j1",
                "m1",
                kind,
                "a@x.io",
                later + Duration::days(1)
            )
            .await
            .unwrap(),
            Claim::Settled("sent".into())
        );
        assert_eq!(status(&store, "j1").await.unwrap().as_deref(), Some("sent"));
        // A settled job cannot be settled again by a stale worker.
        assert!(
            mark_rejected(&store, "j1", "late", later)
                .await
                .unwrap_err()
                .is_condition_failure()
        );
    }

    #[tokio::test]
    async fn rejected_jobs_stay_settled() {
        let store = EmbeddedStore::in_memory();
        let now = at("2024-01-15T17:00:00Z");
        let kind = EmailKind::LeadSold;
        assert_eq!(
            claim(&store, "j2", "m1", kind, "a@x.io", now)
                .await
                .unwrap(),
            Claim::Claimed
        );
        mark_rejected(&store, "j2", "address blocked", now)
            .await
            .unwrap();
        assert_eq!(
            claim(&store, "j2", "m1", kind, "a@x.io", now)
                .await
                .unwrap(),
            Claim::Settled("rejected".into())
        );
    }
}
