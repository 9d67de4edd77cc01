//! One page of a HubSpot sync (at most 100 leads) on `sync-leads`: reads
//! the linked contacts and deals (one batch call each), decides per field
//! ([`crate::sync_plan`]), upserts the contacts by email, updates the
//! linked deals, creates the missing deals in the partner's pipeline, and
//! records each lead's link both ways before associating deals with
//! contacts. Every HubSpot call carries up to 100 objects, so a page costs
//! a handful of calls however many leads it holds.
//!
//! A lead whose status no stage of the pipeline stands for is not sent
//! at all (counted as skipped): a deal always carries its stage.
//!
//! A page delivered twice never creates a second deal: before asking
//! HubSpot to create deals the page notes the time on each lead's sync
//! record, and a later try of a lead so noted first looks for a deal
//! carrying the lead's id (`pc_lead_id`) changed since then, and links it
//! instead of creating another. A rate limit puts the page back on the
//! queue with the delay HubSpot asked for.

use std::collections::{BTreeMap, BTreeSet};

use pc_leads::keys::{change_marker_key, lead_key};
use pc_leads::lead::LeadRecord;
use pc_platform::AppContext;
use pc_platform::crm::{
    AccessToken, BatchOutcome, ContactUpsert, CrmError, DealContact, NewObject, ObjectType,
    ObjectUpdate, Properties,
};
use pc_platform::store::{Condition, Key, StoreError, from_item};

use crate::hubspot_fields::{
    FieldValues, LEAD_ID_PROPERTY, contact_properties, contact_properties_of, deal_name,
    deal_properties, deal_properties_of, hubspot_values, lead_values,
};
use crate::links_store::{SyncRecord, get_records};
use crate::stage_mapping::StageMapping;
use crate::sync_links::{LeadOutcome, save_lead};
use crate::sync_plan::{LeadPlan, plan_lead};
use crate::sync_tasks::PageCounts;

/// Why a page stopped.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Crm(#[from] CrmError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a page works with.
pub struct PageScope<'a> {
    pub token: &'a AccessToken,
    pub partner_id: &'a str,
    pub portal_id: &'a str,
    pub pipeline_id: &'a str,
    pub mapping: &'a StageMapping,
}

/// One lead on its way through the page.
pub(crate) struct Work {
    pub lead: LeadRecord,
    pub before: Option<SyncRecord>,
    pub record: SyncRecord,
    pub plan: LeadPlan,
    pub failed: bool,
}

async fn read_leads(ctx: &AppContext, ids: &[String]) -> Result<Vec<LeadRecord>, StoreError> {
    let keys: Vec<Key> = ids.iter().map(|id| lead_key(id)).collect();
    let mut leads = Vec::new();
    for chunk in keys.chunks(pc_platform::store::MAX_BATCH_GET) {
        for item in ctx.store.batch_get(chunk).await? {
            leads.push(from_item::<LeadRecord>(item)?);
        }
    }
    Ok(leads)
}

fn by_id(outcome: BatchOutcome) -> BTreeMap<String, Properties> {
    outcome
        .results
        .into_iter()
        .map(|o| (o.id, o.properties))
        .collect()
}

/// The inputs a batch refused, by name (ids, emails, trace ids).
fn refused(outcome: &BatchOutcome) -> BTreeSet<String> {
    outcome
        .failures
        .iter()
        .flat_map(|f| f.inputs.iter().map(|i| i.to_lowercase()))
        .collect()
}

/// Syncs the leads `lead_ids` of one partner; answers the page's counts.
pub async fn sync_leads(
    ctx: &AppContext,
    scope: &PageScope<'_>,
    lead_ids: &[String],
) -> Result<PageCounts, PageError> {
    let crm = &*ctx.crm;
    // A deal is never sent without its stage: a lead whose status no stage
    // stands for is skipped whole (and stays marked changed).
    let (leads, unmapped): (Vec<LeadRecord>, Vec<LeadRecord>) = read_leads(ctx, lead_ids)
        .await?
        .into_iter()
        .filter(|l| l.partner_id == scope.partner_id)
        .partition(|l| {
            scope
                .mapping
                .stage_of_name(l.deal_status.as_str())
                .is_some()
        });
    let ids: Vec<String> = leads.iter().map(|l| l.id.clone()).collect();
    let records = get_records(&*ctx.store, &ids).await?;
    // Inventory leads came from HubSpot's deals as they are: sending them
    // back would move each deal out of the stage it was taken in. They
    // are never synced; their change markers go.
    let (inventory, leads): (Vec<LeadRecord>, Vec<LeadRecord>) = leads
        .into_iter()
        .partition(|l| records.get(&l.id).is_some_and(|r| r.inventory));
    for lead in &inventory {
        remove_marker(ctx, scope.partner_id, lead).await?;
    }

    let linked = |pick: fn(&SyncRecord) -> Option<&String>| -> Vec<String> {
        records.values().filter_map(pick).cloned().collect()
    };
    let deal_ids = linked(|r| r.deal_id.as_ref());
    let contact_ids = linked(|r| r.contact_id.as_ref());
    let deals = if deal_ids.is_empty() {
        BTreeMap::new()
    } else {
        by_id(
            crm.batch_read(
                scope.token,
                ObjectType::Deals,
                &deal_ids,
                &deal_properties(),
            )
            .await?,
        )
    };
    let contacts = if contact_ids.is_empty() {
        BTreeMap::new()
    } else {
        by_id(
            crm.batch_read(
                scope.token,
                ObjectType::Contacts,
                &contact_ids,
                &contact_properties(),
            )
            .await?,
        )
    };

    let mut work: Vec<Work> = leads
        .into_iter()
        .map(|lead| {
            let before = records.get(&lead.id).cloned();
            let record = before
                .clone()
                .unwrap_or_else(|| SyncRecord::new(&lead.id, scope.partner_id, scope.portal_id));
            let theirs = hubspot_values(
                record.contact_id.as_ref().and_then(|id| contacts.get(id)),
                record.deal_id.as_ref().and_then(|id| deals.get(id)),
                scope.mapping,
            );
            let plan = plan_lead(&lead_values(&lead), &theirs, &record);
            Work {
                lead,
                before,
                record,
                plan,
                failed: false,
            }
        })
        .collect();

    upsert_contacts(ctx, scope, &mut work).await?;
    update_deals(ctx, scope, &mut work).await?;
    create_deals(ctx, scope, &mut work).await?;

    let now = ctx.clock.now();
    let mut counts = PageCounts {
        skipped: (unmapped.len() + inventory.len()) as u64,
        ..PageCounts::default()
    };
    let mut to_associate = Vec::new();
    for item in &work {
        if item.failed {
            counts.failed += 1;
            continue;
        }
        match save_lead(ctx, item, now).await? {
            LeadOutcome::Saved {
                conflicts,
                associate,
            } => {
                counts.synced += 1;
                counts.conflicts += conflicts;
                if let Some(pair) = associate {
                    to_associate.push(pair);
                }
            }
            LeadOutcome::Failed => counts.failed += 1,
        }
        // The lead as read is now in HubSpot: its change marker goes.
        remove_marker(ctx, scope.partner_id, &item.lead).await?;
    }
    if !to_associate.is_empty() {
        crm.associate_deals_with_contacts(scope.token, &to_associate)
            .await?;
        crate::sync_links::mark_associated(ctx, &to_associate, &work).await?;
    }
    Ok(counts)
}

/// Removes the lead's change marker, unless a newer change replaced it
/// since the lead was read.
async fn remove_marker(
    ctx: &AppContext,
    partner_id: &str,
    lead: &LeadRecord,
) -> Result<(), StoreError> {
    let marker = change_marker_key(partner_id, &lead.id);
    match ctx
        .store
        .delete(&marker, Some(Condition::equals("version", lead.version)))
        .await
    {
        Ok(()) | Err(StoreError::ConditionFailed) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Upserts by email the contacts of leads never synced and of leads whose
/// contact fields changed on our side.
async fn upsert_contacts(
    ctx: &AppContext,
    scope: &PageScope<'_>,
    work: &mut [Work],
) -> Result<(), PageError> {
    let inputs: Vec<ContactUpsert> = work
        .iter()
        .filter_map(|w| {
            let properties = contact_properties_of(&w.plan.push);
            (w.record.contact_id.is_none() || !properties.is_empty()).then(|| ContactUpsert {
                email: w.lead.email.clone(),
                properties,
            })
        })
        .collect();
    if inputs.is_empty() {
        return Ok(());
    }
    let outcome = ctx.crm.batch_upsert_contacts(scope.token, &inputs).await?;
    let refused = refused(&outcome);
    let ids: BTreeMap<String, String> = outcome
        .results
        .into_iter()
        .filter_map(|o| Some((o.properties.get("email")?.to_lowercase(), o.id)))
        .collect();
    for w in work.iter_mut() {
        if let Some(id) = ids.get(&w.lead.email) {
            w.record.contact_id = Some(id.clone());
        } else if refused.contains(&w.lead.email) || w.record.contact_id.is_none() {
            w.failed = true;
        }
    }
    Ok(())
}

/// Sends our deal changes to the linked deals.
async fn update_deals(
    ctx: &AppContext,
    scope: &PageScope<'_>,
    work: &mut [Work],
) -> Result<(), PageError> {
    let inputs: Vec<ObjectUpdate> = work
        .iter()
        .filter(|w| !w.failed)
        .filter_map(|w| {
            let id = w.record.deal_id.clone()?;
            let properties = deal_properties_of(&w.plan.push, scope.mapping);
            (!properties.is_empty()).then_some(ObjectUpdate { id, properties })
        })
        .collect();
    if inputs.is_empty() {
        return Ok(());
    }
    let outcome = ctx
        .crm
        .batch_update(scope.token, ObjectType::Deals, &inputs)
        .await?;
    let refused = refused(&outcome);
    for w in work.iter_mut() {
        if w.record
            .deal_id
            .as_ref()
            .is_some_and(|id| refused.contains(id))
        {
            w.failed = true;
        }
    }
    Ok(())
}

/// The properties of a new deal for `w`'s lead.
fn new_deal(w: &Work, scope: &PageScope<'_>) -> NewObject {
    let ours: FieldValues = lead_values(&w.lead);
    let mut properties = deal_properties_of(&ours, scope.mapping);
    properties.insert("dealname".into(), deal_name(&w.lead));
    properties.insert("pipeline".into(), scope.pipeline_id.to_owned());
    properties.insert(LEAD_ID_PROPERTY.into(), w.lead.id.clone());
    NewObject {
        properties,
        trace_id: Some(w.lead.id.clone()),
    }
}

/// Creates the deals of leads that have none: first links deals an earlier
/// try created, then notes the request time, then creates the rest.
async fn create_deals(
    ctx: &AppContext,
    scope: &PageScope<'_>,
    work: &mut [Work],
) -> Result<(), PageError> {
    let wanting = |w: &Work| !w.failed && w.record.deal_id.is_none();
    let since = work
        .iter()
        .filter(|w| wanting(w))
        .filter_map(|w| w.record.deal_requested_at)
        .min();
    if let Some(since) = since {
        let found = crate::sync_links::deals_created_since(ctx, scope, since).await?;
        for w in work.iter_mut().filter(|w| wanting(w)) {
            if let Some(id) = found.get(&w.lead.id) {
                w.record.deal_id = Some(id.clone());
            }
        }
    }
    let creating: Vec<usize> = (0..work.len()).filter(|i| wanting(&work[*i])).collect();
    if creating.is_empty() {
        return Ok(());
    }
    crate::sync_links::note_deal_requests(ctx, work, &creating).await?;
    let inputs: Vec<NewObject> = creating
        .iter()
        .map(|i| new_deal(&work[*i], scope))
        .collect();
    let outcome = ctx
        .crm
        .batch_create(scope.token, ObjectType::Deals, &inputs)
        .await?;
    let created: BTreeMap<String, String> = outcome
        .results
        .into_iter()
        .filter_map(|o| {
            let lead = o
                .trace_id
                .clone()
                .or_else(|| o.properties.get(LEAD_ID_PROPERTY).cloned())?;
            Some((lead, o.id))
        })
        .collect();
    for i in creating {
        let w = &mut work[i];
        match created.get(&w.lead.id) {
            Some(id) => w.record.deal_id = Some(id.clone()),
            None => w.failed = true,
        }
    }
    Ok(())
}

/// The deal↔contact pair of a lead, when both exist.
pub(crate) fn pair_of(record: &SyncRecord) -> Option<DealContact> {
    Some(DealContact {
        deal_id: record.deal_id.clone()?,
        contact_id: record.contact_id.clone()?,
    })
}
