//! The one path a lead change takes, whoever asks for it (an admin through
//! `PATCH /v1/leads/{id}`, a HubSpot change through the sync): the status
//! transition rules, who may set a referred lead's commission fields
//! (staff alone, see `referral_commission`), the audit event and any
//! lost-lead alert committed in
//! the change's own transaction, with the caller's extra writes beside them
//! (a webhook event's claim, the sync's record of what it saw), so the
//! change and what the caller records of it are stored together or not at
//! all.

use pc_accounts::partners_store::get_partner;
use pc_http::identity::Principal;
use pc_platform::AppContext;
use pc_platform::outbox::Outbox;
use pc_platform::store::{StoreError, Write};

use crate::deal_status::TransitionRefused;
use crate::lead::LeadRecord;
use crate::lead_notices::{change_messages, lead_event};
use crate::leads_api::LeadPatch;
use crate::leads_store::{self, LeadWriteError};
use crate::referral_commission::{ChangedBy, StaffOnly};

/// Why a change was not stored.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The status may not move that way; nothing was written.
    #[error(transparent)]
    Refused(#[from] TransitionRefused),
    /// Only staff may set these fields of this lead; nothing was written.
    #[error(transparent)]
    StaffOnly(StaffOnly),
    #[error(transparent)]
    Write(LeadWriteError),
}

impl From<StoreError> for ChangeError {
    fn from(e: StoreError) -> Self {
        ChangeError::Write(LeadWriteError::Store(e))
    }
}

impl From<LeadWriteError> for ChangeError {
    fn from(e: LeadWriteError) -> Self {
        match e {
            LeadWriteError::StaffOnly(refusal) => ChangeError::StaffOnly(refusal),
            other => ChangeError::Write(other),
        }
    }
}

/// What one try of a change did.
#[derive(Debug)]
pub enum Changed {
    /// The patch changed nothing: nothing was written (not even `extra`).
    Unchanged,
    /// The lead as stored now.
    Stored(Box<LeadRecord>),
}

/// Applies `patch` to `before` (the lead as read) once: one transaction
/// with the new lead, its audit event (`status_changed` when the status
/// moves, else `updated`), a lost-lead alert when it moves into a lost
/// status, and `extra`. [`LeadWriteError::Stale`] means the lead changed
/// since it was read: re-read and try again.
pub async fn change_lead(
    ctx: &AppContext,
    actor: Option<&Principal>,
    before: &LeadRecord,
    patch: &LeadPatch,
    extra: Vec<Write>,
) -> Result<Changed, ChangeError> {
    let after = patch.apply(before, ctx.clock.now())?;
    if after.same_content(before) {
        return Ok(Changed::Unchanged);
    }
    let action = if before.deal_status != after.deal_status {
        "status_changed"
    } else {
        "updated"
    };
    store_change(ctx, actor, action, before, after, extra).await
}

/// Stores `after` in place of `before` with its audit event (`action`),
/// any lost-lead alert and `extra`, in one transaction.
pub async fn store_change(
    ctx: &AppContext,
    actor: Option<&Principal>,
    action: &str,
    before: &LeadRecord,
    after: LeadRecord,
    extra: Vec<Write>,
) -> Result<Changed, ChangeError> {
    let partner_name = get_partner(&*ctx.store, &after.partner_id)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let event = lead_event(ctx, actor, action, Some(before), &after);
    let mut outbox = Outbox::new(ctx.ids.new_id(), after.updated_at);
    change_messages(
        ctx,
        &mut outbox,
        &event,
        Some(before),
        &after,
        &partner_name,
    )?;
    let mut writes: Vec<Write> = outbox.write()?.into_iter().collect();
    writes.extend(extra);
    let by = ChangedBy::of(actor);
    leads_store::update_with(&*ctx.store, before, &after, by, writes).await?;
    Ok(Changed::Stored(Box::new(after)))
}
