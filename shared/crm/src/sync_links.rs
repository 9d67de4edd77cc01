//! What a sync page stores per lead once HubSpot holds it: the sync record
//! (objects, agreed values, time), the object → lead links, the HubSpot ids
//! on the lead, HubSpot's changes applied through the lead rules, and new
//! conflicts: one transaction per lead. Also the two safeguards against a
//! second deal: the request time noted before creating deals, and the look
//! for deals an earlier try created.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Map;

use pc_leads::lead_changes::{ChangeError, Changed, change_lead, store_change};
use pc_leads::leads_api::LeadPatch;
use pc_platform::AppContext;
use pc_platform::crm::{DealContact, ObjectType};
use pc_platform::store::{MAX_TRANSACTION_WRITES, StoreError, Update, Write};

use crate::conflicts_store::{ConflictRecord, conflict_write};
use crate::hubspot_fields::{LEAD_ID_PROPERTY, lead_values};
use crate::links_store::{as_written, record_and_link_writes, record_key};
use crate::sync_pages::{PageError, PageScope, Work, pair_of};
use crate::webhook_events::field_patch_value;

/// What saving one lead did.
pub enum LeadOutcome {
    Saved {
        conflicts: u64,
        /// The deal↔contact pair to associate, when not yet associated.
        associate: Option<DealContact>,
    },
    /// The lead changed while the page ran: it stays marked as changed
    /// and the next sync takes it.
    Failed,
}

/// The patch applying HubSpot's values of `pull` to a lead.
pub fn pull_patch(pull: &BTreeMap<String, String>) -> Result<LeadPatch, String> {
    let mut body = Map::new();
    for (field, value) in pull {
        body.insert(field.clone(), field_patch_value(field, value)?);
    }
    LeadPatch::parse(&body).map_err(|e| e.to_string())
}

/// Stores what the page did for one lead. HubSpot's values that only
/// staff may set on this lead (a referred lead's `won` and amount) are
/// not applied: each becomes an open conflict, which staff alone can
/// resolve in HubSpot's favour, and the rest of the pull applies.
pub(crate) async fn save_lead(
    ctx: &AppContext,
    w: &Work,
    now: DateTime<Utc>,
) -> Result<LeadOutcome, StoreError> {
    let mut staff_only: Vec<String> = Vec::new();
    // Twice at most: the refusal names every field it refuses.
    for _ in 0..2 {
        let (outcome, refused) = save_lead_once(ctx, w, now, &staff_only).await?;
        match refused {
            Some(fields) if !fields.is_empty() => staff_only.extend(fields),
            _ => return Ok(outcome),
        }
    }
    Ok(LeadOutcome::Failed)
}

/// One try of [`save_lead`], with `staff_only` fields of the pull turned
/// into conflicts; answers the fields the lead rules refused to staff
/// alone, if any (then nothing was written).
async fn save_lead_once(
    ctx: &AppContext,
    w: &Work,
    now: DateTime<Utc>,
    staff_only: &[String],
) -> Result<(LeadOutcome, Option<Vec<String>>), StoreError> {
    let mut record = w.record.clone();
    record.synced = w.plan.synced.clone();
    record.last_synced_at = Some(now.timestamp_millis());
    let mut conflicts = w.plan.conflicts.clone();
    let mut pull = w.plan.pull.clone();
    let ours = lead_values(&w.lead);
    for field in staff_only {
        if let Some(theirs) = pull.remove(field) {
            let base = w.record.synced.get(field).cloned().unwrap_or_default();
            let mine = ours.get(field).cloned().unwrap_or_default();
            record.synced.insert(field.clone(), base.clone());
            conflicts.push((field.clone(), mine, theirs, base));
        }
    }
    let mut conflict_writes = Vec::new();
    for (field, ours, theirs, base) in &conflicts {
        let conflict = ConflictRecord::open(
            ctx.ids.new_id(),
            &record,
            field,
            ours.clone(),
            theirs.clone(),
            base.clone(),
            now,
        );
        record
            .open_conflicts
            .insert(field.clone(), conflict.id.clone());
        conflict_writes.push(conflict_write(&conflict, true)?);
    }
    let mut extra = record_and_link_writes(w.before.as_ref(), &record)?;
    extra.extend(conflict_writes);
    let relinked =
        w.lead.hubspot_contact_id != record.contact_id || w.lead.hubspot_deal_id != record.deal_id;
    let outcome = if !pull.is_empty() {
        match pull_patch(&pull) {
            Ok(patch) => match change_lead(ctx, None, &w.lead, &patch, extra.clone()).await {
                Ok(Changed::Stored(_)) => Ok(()),
                Ok(Changed::Unchanged) => ctx.store.transact(extra).await,
                Err(ChangeError::Refused(refusal)) => {
                    // The lead rules refuse HubSpot's value: the lead keeps
                    // its own, which the next sync sends back to HubSpot.
                    tracing::warn!(lead_id = %w.lead.id, %refusal, "hubspot value refused by the lead rules");
                    ctx.store.transact(extra).await
                }
                Err(ChangeError::StaffOnly(refusal)) => {
                    tracing::warn!(lead_id = %w.lead.id, %refusal, "hubspot value left to staff");
                    let fields = refusal.fields.iter().map(|f| (*f).to_owned()).collect();
                    return Ok((LeadOutcome::Failed, Some(fields)));
                }
                Err(ChangeError::Write(e)) => Err(write_failure(e)),
            },
            Err(reason) => {
                tracing::warn!(lead_id = %w.lead.id, %reason, "hubspot value not applicable");
                ctx.store.transact(extra).await
            }
        }
    } else if relinked {
        let mut after = w.lead.clone();
        after.hubspot_contact_id = record.contact_id.clone();
        after.hubspot_deal_id = record.deal_id.clone();
        after.version += 1;
        after.updated_at = now;
        match store_change(ctx, None, "hubspot_linked", &w.lead, after, extra).await {
            Ok(_) => Ok(()),
            Err(ChangeError::Write(e)) => Err(write_failure(e)),
            Err(ChangeError::Refused(_) | ChangeError::StaffOnly(_)) => {
                Err(StoreError::ConditionFailed)
            }
        }
    } else {
        ctx.store.transact(extra).await
    };
    let outcome = match outcome {
        Ok(()) => LeadOutcome::Saved {
            conflicts: conflicts.len() as u64,
            associate: pair_of(&record).filter(|_| !record.associated),
        },
        Err(e) if e.lost_race() => LeadOutcome::Failed,
        Err(e) => return Err(e),
    };
    Ok((outcome, None))
}

fn write_failure(e: pc_leads::leads_store::LeadWriteError) -> StoreError {
    match e {
        pc_leads::leads_store::LeadWriteError::Store(s) => s,
        _ => StoreError::ConditionFailed,
    }
}

/// Marks the records of `pairs` associated.
pub(crate) async fn mark_associated(
    ctx: &AppContext,
    pairs: &[DealContact],
    work: &[Work],
) -> Result<(), StoreError> {
    for pair in pairs {
        let Some(w) = work
            .iter()
            .find(|w| w.record.deal_id.as_deref() == Some(&pair.deal_id))
        else {
            continue;
        };
        ctx.store
            .update(Update::new(record_key(&w.lead.id)).set("associated", true))
            .await?;
    }
    Ok(())
}

/// Notes on each record of `indexes` when its deal was first requested.
pub(crate) async fn note_deal_requests(
    ctx: &AppContext,
    work: &mut [Work],
    indexes: &[usize],
) -> Result<(), StoreError> {
    let now = ctx.clock.now().timestamp_millis();
    let mut noted = Vec::new();
    for i in indexes {
        let w = &work[*i];
        if w.record.deal_requested_at.is_some() {
            continue;
        }
        let mut record = w.record.clone();
        record.deal_requested_at = Some(now);
        noted.push((*i, record));
    }
    // A record and its two links: three writes per lead at most.
    for chunk in noted.chunks(MAX_TRANSACTION_WRITES / 3) {
        let mut writes: Vec<Write> = Vec::new();
        for (i, record) in chunk {
            writes.extend(record_and_link_writes(work[*i].before.as_ref(), record)?);
        }
        ctx.store.transact(writes).await?;
        for (i, record) in chunk {
            let written = as_written(work[*i].before.as_ref(), record);
            work[*i].before = Some(written.clone());
            work[*i].record = written;
        }
    }
    Ok(())
}

/// Deals carrying a lead id changed since `since_millis`, by lead id: the
/// deals an earlier try of a page created but did not record.
pub async fn deals_created_since(
    ctx: &AppContext,
    scope: &PageScope<'_>,
    since_millis: i64,
) -> Result<BTreeMap<String, String>, PageError> {
    let mut found = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let page = ctx
            .crm
            .search_modified_since(
                scope.token,
                ObjectType::Deals,
                // HubSpot's clock and ours may differ a little.
                since_millis - 60_000,
                &[LEAD_ID_PROPERTY.to_owned()],
                after.as_deref(),
                100,
            )
            .await?;
        for deal in page.results {
            if let Some(lead) = deal.properties.get(LEAD_ID_PROPERTY) {
                found.entry(lead.clone()).or_insert(deal.id);
            }
        }
        match page.after {
            Some(next) => after = Some(next),
            None => return Ok(found),
        }
    }
}
