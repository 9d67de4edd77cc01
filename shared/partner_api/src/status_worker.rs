//! The `partner-api-lead` worker: applies a status change asked through the
//! public partner API, through the lead change the app itself uses
//! (`pc_leads::lead_changes::change_lead`: allowed transitions, audit
//! event, lost-lead alert), and settles the request record in the same
//! transaction. The lead is looked for among the token's partner's leads
//! only, so another partner's lead is "not found", never touched.
//!
//! Each request applies once: a settled request is skipped, and settling
//! is conditional on the request being pending, so a redelivered message
//! (or two at once) changes nothing twice. A message that cannot be read,
//! or names no stored request, fails every try and ends in the dead-letter
//! queue; a store failure is retried.

use pc_platform::error_code::ErrorCode;
use serde_json::{Map, Value};

use pc_http::functions::WorkerError;
use pc_http::identity::{Principal, Role};
use pc_http::{AppState, QueueMessage};
use pc_leads::deal_status::TransitionRefused;
use pc_leads::lead::LeadRecord;
use pc_leads::lead_changes::{ChangeError, Changed, change_lead};
use pc_leads::leads_api::{LeadPatch, note_writes};
use pc_leads::leads_store::{self, LeadWriteError};
use pc_platform::AppContext;
use pc_platform::store::{StoreError, Write};

use crate::status_request::{
    self, LeadTarget, RequestError, RequestState, StatusCommand, settle_write,
};

/// Tries of a change that lost a race with another change of the lead.
const STALE_TRIES: usize = 5;

/// Who the audit event and the note name: the token, by its name. It
/// acts as an admin of its partner, the role that changes leads in the
/// app; the id says it is a token, not a user.
pub fn token_actor(command: &StatusCommand) -> Principal {
    Principal {
        user_id: format!("api-token:{}", command.token_id),
        email: String::new(),
        name: format!("API token {}", command.token_name),
        role: Role::Admin,
        partner_id: Some(command.partner_id.clone()),
        session_id: String::new(),
    }
}

/// The token's partner's lead the command names, if any.
async fn find_lead(
    ctx: &AppContext,
    command: &StatusCommand,
) -> Result<Option<LeadRecord>, StoreError> {
    let lead = match &command.lead {
        LeadTarget::LeadId(id) => leads_store::get(&*ctx.store, id).await?,
        LeadTarget::Email(email) => {
            leads_store::find_by_email(&*ctx.store, &command.partner_id, email).await?
        }
    };
    Ok(lead.filter(|l| l.partner_id == command.partner_id))
}

/// The app's own lead change of the command: status and deal amount.
fn lead_patch(command: &StatusCommand) -> Result<LeadPatch, WorkerError> {
    let mut fields = Map::new();
    fields.insert("dealStatus".into(), command.status.as_str().into());
    if let Some(cents) = command.deal_amount_cents {
        let dollars = pc_platform::money::Cents(cents).dollars();
        fields.insert("dealAmount".into(), Value::Number(dollars));
    }
    LeadPatch::parse(&fields).map_err(WorkerError::new)
}

/// Settles the request as rejected with `code`, changing nothing else.
async fn reject(
    ctx: &AppContext,
    command: &StatusCommand,
    code: ErrorCode,
    message: impl Into<String>,
) -> Result<(), WorkerError> {
    let error = RequestError {
        code: code.as_str().to_owned(),
        message: message.into(),
    };
    settle(
        ctx,
        command,
        RequestState::Rejected,
        Some(error),
        Vec::new(),
    )
    .await
}

/// Settles the request with `writes` beside it, unless another delivery
/// settled it first.
async fn settle(
    ctx: &AppContext,
    command: &StatusCommand,
    state: RequestState,
    error: Option<RequestError>,
    mut writes: Vec<Write>,
) -> Result<(), WorkerError> {
    writes.push(
        settle_write(&command.request_id, state, error.as_ref(), ctx.clock.now())
            .map_err(store_error)?,
    );
    match ctx.store.transact(writes).await {
        Ok(()) => Ok(()),
        Err(e) if e.is_condition_failure() => Ok(()),
        Err(e) => Err(store_error(e)),
    }
}

fn store_error(e: StoreError) -> WorkerError {
    WorkerError::new(format!("store: {e}"))
}

/// Whether the request is still waiting (another delivery may have settled it).
async fn still_pending(ctx: &AppContext, request_id: &str) -> Result<bool, WorkerError> {
    let record = status_request::get(&*ctx.store, request_id)
        .await
        .map_err(store_error)?;
    Ok(record.is_some_and(|r| r.state == RequestState::Pending))
}

/// Handles one `partner-api-lead` message.
#[tracing::instrument(skip_all, fields(message_id = %message.id))]
pub async fn status_worker(ctx: &AppState, message: &QueueMessage) -> Result<(), WorkerError> {
    let command: StatusCommand = message.parse()?;
    let record = status_request::get(&*ctx.store, &command.request_id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| WorkerError::new("no stored request for this message"))?;
    if record.command != command {
        return Err(WorkerError::new("the message is not its request's"));
    }
    if record.state != RequestState::Pending {
        return Ok(());
    }
    apply(ctx, &command).await
}

async fn apply(ctx: &AppContext, command: &StatusCommand) -> Result<(), WorkerError> {
    let actor = token_actor(command);
    let patch = lead_patch(command)?;
    for _ in 0..STALE_TRIES {
        let Some(before) = find_lead(ctx, command).await.map_err(store_error)? else {
            return reject(
                ctx,
                command,
                ErrorCode::LeadNotFound,
                "the partner has no such lead",
            )
            .await;
        };
        let mut extra = Vec::new();
        if let Some(text) = &command.note {
            let (_, writes) = note_writes(ctx, &actor, &before, text).map_err(store_error)?;
            extra.extend(writes);
        }
        let settled = settle_write(
            &command.request_id,
            RequestState::Applied,
            None,
            ctx.clock.now(),
        )
        .map_err(store_error)?;
        let mut with_settle = extra.clone();
        with_settle.push(settled);
        match change_lead(ctx, Some(&actor), &before, &patch, with_settle).await {
            Ok(Changed::Stored(_)) => return Ok(()),
            // The lead already is as asked: the note alone, if any.
            Ok(Changed::Unchanged) => {
                return settle(ctx, command, RequestState::Applied, None, extra).await;
            }
            // A referred lead's `won` and amount are platform staff's.
            Err(ChangeError::StaffOnly(refusal)) => {
                return reject(ctx, command, ErrorCode::StaffOnly, refusal.to_string()).await;
            }
            Err(ChangeError::Refused(TransitionRefused { from, to })) => {
                let message = format!("a {} lead cannot become {}", from.as_str(), to.as_str());
                return reject(ctx, command, ErrorCode::InvalidTransition, message).await;
            }
            // The lead changed meanwhile, or another delivery settled the
            // request: read again.
            Err(ChangeError::Write(LeadWriteError::Stale)) => {
                if !still_pending(ctx, &command.request_id).await? {
                    return Ok(());
                }
            }
            Err(ChangeError::Write(e)) => return Err(WorkerError::new(e)),
        }
    }
    Err(WorkerError::new("the lead kept changing; retry"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_accounts::partners_store::{PartnerRecord, partner_item};
    use pc_leads::DealStatus;
    use pc_leads::deal_status::LeadSource;
    use pc_leads::lead::LeadEmail;
    use pc_platform::EmbeddedParts;

    async fn world() -> (AppState, LeadRecord) {
        let ctx = EmbeddedParts::in_memory().context;
        let now = ctx.clock.now();
        let partner = PartnerRecord::new_active("p1", "Acme", "acme", now);
        ctx.store
            .put(partner_item(&partner).unwrap(), None)
            .await
            .unwrap();
        let email = LeadEmail::parse("lee@prospect.example").unwrap();
        let lead = LeadRecord::new("l1".into(), "p1".into(), email, LeadSource::Manual, now);
        leads_store::create(&*ctx.store, &lead).await.unwrap();
        (ctx, lead)
    }

    async fn queued(ctx: &AppState, command: &StatusCommand) -> QueueMessage {
        let now = ctx.clock.now();
        let write = status_request::pending_write(command, now).unwrap();
        ctx.store.transact(vec![write]).await.unwrap();
        QueueMessage {
            id: "m1".into(),
            body: serde_json::to_string(command).unwrap(),
            receive_count: 1,
        }
    }

    fn command(request_id: &str, partner_id: &str, lead: LeadTarget) -> StatusCommand {
        StatusCommand {
            request_id: request_id.into(),
            partner_id: partner_id.into(),
            token_id: "t1".into(),
            token_name: "CRM".into(),
            lead,
            status: DealStatus::InTouch,
            deal_amount_cents: Some(150_000),
            note: Some("Called".into()),
        }
    }

    #[tokio::test]
    async fn a_redelivered_message_applies_once() {
        let (ctx, lead) = world().await;
        let command = command("r1", "p1", LeadTarget::Email(lead.email.clone()));
        let message = queued(&ctx, &command).await;
        status_worker(&ctx, &message).await.unwrap();
        status_worker(&ctx, &message).await.unwrap();
        let after = leads_store::get_with_notes(&*ctx.store, "l1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.0.deal_status, DealStatus::InTouch);
        assert_eq!(after.0.deal_amount_cents, Some(150_000));
        assert_eq!(after.0.version, lead.version + 1, "changed once");
        assert_eq!(after.1.len(), 1, "one note");
        assert_eq!(after.1[0].user_name, "API token CRM");
        let record = status_request::get(&*ctx.store, "r1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.state, RequestState::Applied);
    }

    #[tokio::test]
    async fn another_partners_lead_is_not_found_and_bad_messages_fail() {
        let (ctx, lead) = world().await;
        let command = command("r2", "p2", LeadTarget::LeadId(lead.id.clone()));
        let message = queued(&ctx, &command).await;
        status_worker(&ctx, &message).await.unwrap();
        let record = status_request::get(&*ctx.store, "r2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.state, RequestState::Rejected);
        assert_eq!(record.error.unwrap().code, "lead_not_found");
        let untouched = leads_store::get(&*ctx.store, "l1").await.unwrap().unwrap();
        assert_eq!(
            (
                untouched.deal_status,
                untouched.deal_amount_cents,
                untouched.version
            ),
            (DealStatus::New, None, lead.version),
            "untouched"
        );

        let garbage = QueueMessage {
            id: "m2".into(),
            body: "{\"requestId\": 42}".into(),
            receive_count: 1,
        };
        assert!(status_worker(&ctx, &garbage).await.is_err());
        let never_stored = StatusCommand {
            request_id: "r3".into(),
            ..command
        };
        let unstored = QueueMessage {
            body: serde_json::to_string(&never_stored).unwrap(),
            ..garbage
        };
        assert!(status_worker(&ctx, &unstored).await.is_err());
    }
}
