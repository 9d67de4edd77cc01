//! The transactions that create and change a lead: the lead, its staff
//! copy, its email guard, its search entries and the counters move
//! together or not at all, so an index or a total never disagrees with
//! the lead.
//!
//! Each lead write is conditional on the `version` the writer read, so two
//! concurrent changes of one lead never lose each other (the loser re-reads
//! and retries).

use pc_accounts::partners_store::count_new_lead;
use pc_platform::store::{Condition, Guard, Store, StoreError, Transaction, Write};

use crate::lead::LeadRecord;
use crate::lead_search::lead_words;
use crate::referral_commission::{self, ChangedBy, StaffOnly};

use super::items::{
    change_marker_item, counters_change, email_guard_key, guard_item, lead_item, lead_key,
    source_counter, staff_copy_item, status_counter, word_entries, word_entry_key,
};
use super::sales_managers;

/// The guards of a lead's transactions: the partner has a lead with this
/// email ([`EMAIL_GUARD`], or [`LEAD`] when the lead exists already), the
/// lead changed since it was read ([`LEAD`] on update), the partner does
/// not exist ([`PARTNER`]).
pub const EMAIL_GUARD: Guard = Guard::new("lead_email_guard");
pub const LEAD: Guard = Guard::new("lead");
pub const PARTNER: Guard = Guard::new("lead_partner");

/// [`create_lead_writes`] with its guards named.
pub fn create_lead_transaction(lead: &LeadRecord) -> Result<Transaction, StoreError> {
    let mut writes = Transaction::from(create_lead_writes(lead)?);
    writes.name(&email_guard_key(&lead.partner_id, &lead.email), EMAIL_GUARD);
    writes.name(&lead_key(&lead.id), LEAD);
    if let Some(partner) = count_new_lead(&lead.partner_id).key() {
        writes.name(&partner, PARTNER);
    }
    Ok(writes)
}

/// The writes that create `lead`: its email guard (fails when the partner
/// has a lead with that email), the lead, its staff copy, `+1` on the
/// partner's `totalLeads` (the partner must exist), its status and source
/// counters, its search entries, its sales manager's tallies, its change
/// marker and its analytics
/// (its creation month's counts, its partner active that month). Callers
/// may append writes of their own.
pub fn create_lead_writes(lead: &LeadRecord) -> Result<Vec<Write>, StoreError> {
    let mut writes = vec![
        Write::put_new(guard_item(lead)),
        Write::put_new(lead_item(lead)?),
        Write::put(staff_copy_item(lead)?),
        count_new_lead(&lead.partner_id),
        Write::Update(counters_change(
            &lead.partner_id,
            &[
                (status_counter(lead.deal_status), 1),
                (source_counter(lead.source), 1),
            ],
        )),
    ];
    writes.extend(word_entries(lead).into_iter().map(Write::put));
    writes.extend(sales_managers::tally_changes(None, lead));
    writes.push(Write::put(change_marker_item(lead)));
    writes.extend(pc_analytics::tally::lead_created(
        &lead.partner_id,
        lead.created_at,
        lead.deal_status.as_str(),
    ));
    Ok(writes)
}

/// [`update_lead_writes`] with its guards named: the lead ([`LEAD`]) and,
/// when the email changes, the new email's guard ([`EMAIL_GUARD`]).
pub fn update_lead_transaction(
    before: &LeadRecord,
    after: &LeadRecord,
    by: ChangedBy,
) -> Result<Transaction, LeadWriteError> {
    let mut writes = Transaction::from(update_lead_writes(before, after, by)?);
    writes.name(&lead_key(&after.id), LEAD);
    if before.email != after.email {
        writes.name(
            &email_guard_key(&after.partner_id, &after.email),
            EMAIL_GUARD,
        );
    }
    Ok(writes)
}

/// The writes that replace `before` with `after` (whose version must be
/// `before.version + 1`): the lead, conditional on the version read, its
/// staff copy, the email guards when the email changes, the status
/// counters and the analytics of the lead's creation month when the
/// status changes, the search entries when the
/// words change, the sales manager's tallies when the manager changes, and
/// the lead's change marker unless only its HubSpot ids changed. Refused
/// ([`LeadWriteError::StaffOnly`]) when `by` may not make the change: this
/// is where every lead update passes, so the rule of who wins a referred
/// lead holds on every path.
pub fn update_lead_writes(
    before: &LeadRecord,
    after: &LeadRecord,
    by: ChangedBy,
) -> Result<Vec<Write>, LeadWriteError> {
    referral_commission::check_change(before, after, by)?;
    // A referred lead won with an amount earns its commission here, once.
    let (after, commission) = referral_commission::on_lead_change(before, after)?;
    let after = after.as_ref();
    let mut writes = vec![
        Write::Put {
            item: lead_item(after)?,
            condition: Some(Condition::equals("version", before.version)),
        },
        Write::put(staff_copy_item(after)?),
    ];
    if before.email != after.email {
        writes.push(Write::Delete {
            key: email_guard_key(&before.partner_id, &before.email),
            condition: Some(Condition::equals("leadId", before.id.clone())),
        });
        writes.push(Write::put_new(guard_item(after)));
    }
    let mut counted = Vec::new();
    if before.deal_status != after.deal_status {
        counted.push((status_counter(before.deal_status), -1));
        counted.push((status_counter(after.deal_status), 1));
        writes.push(pc_analytics::tally::lead_status_moved(
            &after.partner_id,
            before.created_at,
            before.deal_status.as_str(),
            after.deal_status.as_str(),
        ));
    }
    if before.source != after.source {
        counted.push((source_counter(before.source), -1));
        counted.push((source_counter(after.source), 1));
    }
    if !counted.is_empty() {
        writes.push(Write::Update(counters_change(&after.partner_id, &counted)));
    }
    let old_words = lead_words(before);
    let new_words = lead_words(after);
    if old_words != new_words {
        let new_keys: Vec<_> = new_words.iter().map(|w| word_entry_key(after, w)).collect();
        for word in &old_words {
            let key = word_entry_key(before, word);
            if !new_keys.contains(&key) {
                writes.push(Write::Delete {
                    key,
                    condition: None,
                });
            }
        }
        writes.extend(word_entries(after).into_iter().map(Write::put));
    }
    writes.extend(sales_managers::tally_changes(Some(before), after));
    if !only_crm_link_changed(before, after) {
        writes.push(Write::put(change_marker_item(after)));
    }
    writes.extend(commission);
    Ok(writes)
}

/// True when `after` differs from `before` in its HubSpot ids alone: the
/// sync recording where it put the lead is not a change to send back.
fn only_crm_link_changed(before: &LeadRecord, after: &LeadRecord) -> bool {
    let mut relinked = after.clone();
    relinked.hubspot_contact_id = before.hubspot_contact_id.clone();
    relinked.hubspot_deal_id = before.hubspot_deal_id.clone();
    relinked.same_content(before)
}

/// Why a lead write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LeadWriteError {
    #[error("the partner has a lead with this email")]
    EmailTaken,
    #[error("the lead changed meanwhile")]
    Stale,
    #[error("the partner does not exist")]
    NoPartner,
    /// The writer may not make this change (see `referral_commission`).
    #[error(transparent)]
    StaffOnly(#[from] StaffOnly),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates `lead`; exactly one of concurrent creations with the same
/// partner and email succeeds.
#[tracing::instrument(skip_all, fields(partner_id = %lead.partner_id, lead_id = %lead.id))]
pub async fn create(store: &dyn Store, lead: &LeadRecord) -> Result<(), LeadWriteError> {
    create_with(store, lead, Vec::new()).await
}

/// [`create`] with the caller's `extra` writes (the change's outbox item)
/// in the same transaction.
pub async fn create_with(
    store: &dyn Store,
    lead: &LeadRecord,
    extra: Vec<Write>,
) -> Result<(), LeadWriteError> {
    let mut writes = create_lead_transaction(lead)?;
    writes.extend(extra);
    create_outcome(writes.commit_retrying(store).await)
}

fn create_outcome(result: Result<(), StoreError>) -> Result<(), LeadWriteError> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.failed(EMAIL_GUARD) || e.failed(LEAD) => Err(LeadWriteError::EmailTaken),
        Err(e) if e.failed(PARTNER) => Err(LeadWriteError::NoPartner),
        Err(e) => Err(e.into()),
    }
}

/// Replaces `before` with `after`, asked by `by`, if nobody changed the
/// lead meanwhile.
#[tracing::instrument(skip_all, fields(partner_id = %after.partner_id, lead_id = %after.id))]
pub async fn update(
    store: &dyn Store,
    before: &LeadRecord,
    after: &LeadRecord,
    by: ChangedBy,
) -> Result<(), LeadWriteError> {
    update_with(store, before, after, by, Vec::new()).await
}

/// [`update`] with the caller's `extra` writes (the change's outbox item)
/// in the same transaction.
pub async fn update_with(
    store: &dyn Store,
    before: &LeadRecord,
    after: &LeadRecord,
    by: ChangedBy,
    extra: Vec<Write>,
) -> Result<(), LeadWriteError> {
    let mut writes = update_lead_transaction(before, after, by)?;
    writes.extend(extra);
    update_outcome(writes.commit_retrying(store).await)
}

fn update_outcome(result: Result<(), StoreError>) -> Result<(), LeadWriteError> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.failed(LEAD) => Err(LeadWriteError::Stale),
        Err(e) if e.failed(EMAIL_GUARD) => Err(LeadWriteError::EmailTaken),
        Err(e) if e.is_condition_failure() => Err(LeadWriteError::Stale),
        Err(e) => Err(e.into()),
    }
}
