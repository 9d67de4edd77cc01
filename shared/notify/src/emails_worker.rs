//! The `emails-worker`: takes an [`EmailJob`] off the `emails` queue,
//! renders its template and sends it through the email port (SES in AWS,
//! the local mailbox otherwise), once per job id.
//!
//! Failure handling, and why:
//! - a malformed job (bad JSON, unknown kind, missing data keys, a bad
//!   address or link) fails the message: it is retried and then lands in the
//!   dead-letter queue, where an owner can see it; nothing is claimed first,
//!   so a fixed and redriven job still sends;
//! - `Throttled` and `Backend` errors give the claim back and fail the
//!   message, so the queue retries it with backoff and dead-letters it after
//!   five receives, never holding up other messages;
//! - `Rejected` is recorded on the job's send record and the message is
//!   acknowledged: the provider refused this message for good, so retrying
//!   it would only fill the dead-letter queue with the same refusal.

use pc_http::functions::WorkerError;
use pc_http::{AppState, QueueMessage};
use pc_platform::email::{EmailError, EmailJob, OutgoingEmail};

use crate::email_sends_store::{self, Claim};
use crate::templates;

/// Handles one message of the `emails` queue.
pub async fn deliver_email(ctx: &AppState, message: &QueueMessage) -> Result<(), WorkerError> {
    // A job that is unreadable, has no id or address, or lacks what its
    // template needs can never be sent: poison, dead-lettered at once.
    let job: EmailJob = message.parse()?;
    if job.id.trim().is_empty() {
        return Err(WorkerError::poison("malformed email job: empty id"));
    }
    let to = recipient(&job.to).ok_or_else(|| {
        WorkerError::poison(format!("email job {}: `to` is not an address", job.id))
    })?;
    let rendered = templates::render(job.kind, &job.data, &ctx.config.client_url)
        .map_err(|e| WorkerError::poison(format!("email job {}: {e}", job.id)))?;
    let email = OutgoingEmail {
        from: ctx.config.email_from.clone(),
        to: to.to_owned(),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
    };

    let store = ctx.store.as_ref();
    let claim =
        email_sends_store::claim(store, &job.id, &message.id, job.kind, to, ctx.clock.now())
            .await
            .map_err(WorkerError::new)?;
    match claim {
        Claim::Claimed => {}
        Claim::Settled(status) => {
            tracing::info!(job_id = %job.id, status, "email job already settled; nothing to do");
            return Ok(());
        }
        Claim::InProgress => {
            return Err(WorkerError::new(format!(
                "email job {} is being sent by another delivery",
                job.id
            )));
        }
    }

    match ctx.email.send(&email).await {
        Ok(provider_id) => {
            tracing::info!(job_id = %job.id, kind = job.kind.as_str(), "email sent");
            email_sends_store::mark_sent(store, &job.id, &provider_id, ctx.clock.now())
                .await
                .map_err(WorkerError::new)
        }
        Err(EmailError::Rejected(reason)) => {
            tracing::warn!(job_id = %job.id, kind = job.kind.as_str(), %reason, "email rejected by the provider; not retried");
            email_sends_store::mark_rejected(store, &job.id, &reason, ctx.clock.now())
                .await
                .map_err(WorkerError::new)
        }
        Err(e) => {
            let error = e.to_string();
            if let Err(store_error) =
                email_sends_store::release_for_retry(store, &job.id, &error, ctx.clock.now()).await
            {
                // The lease still ends on its own; the retry waits for it.
                tracing::warn!(job_id = %job.id, error = %store_error, "could not release the email claim");
            }
            Err(WorkerError::new(format!("email job {}: {error}", job.id)))
        }
    }
}

/// The job's recipient, if it is one plausible address (one `@`, no spaces
/// or line breaks that could smuggle extra headers or recipients).
fn recipient(to: &str) -> Option<&str> {
    let to = to.trim();
    let (local, domain) = to.split_once('@')?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.contains('@')
        && to.len() <= 254
        && !to
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == '<' || c == '>');
    plausible.then_some(to)
}
