//! HubSpot deals becoming a partner's leads (its "inventory"), exactly
//! once per deal: a guard item per deal is created in the transaction
//! that creates the lead, so a redelivered webhook, an overlapping
//! backfill or both at once create nothing twice. A deal's lead takes its
//! contact fields from the deal's associated contact (read in batches:
//! v4 associations, then the contacts), `source: hubspot`, status `new`
//! (no lost-lead alert), and is linked both ways like the sync's leads
//! (the sync record, marked `inventory` so `hubspot-sync` never sends it
//! back, and the object → lead links). Two deals of one contact make one
//! lead: the second deal's guard names the first's lead. A deal with no
//! contact, or whose contacts have no email, is reported and skipped.
//! With `autoList` the lead is listed at the pricing engine's suggestion
//! in the same transaction, and the batch's listings get one notice,
//! durably: each lead's transaction records that its notice is due, and
//! every import ends by queueing the partner's due notices
//! ([`pc_marketplace::auto_list::queue_batch_notices`]), so a run stopped
//! between the two leaves them for the next.
//!
//! Its items and their keys: [`crate::keys`].

use std::collections::{BTreeMap, BTreeSet};

use pc_accounts::platform_seller::payee;
use pc_leads::deal_status::LeadSource;
use pc_leads::lead::{LeadEmail, LeadRecord, parse_text};
use pc_leads::leads_store::{self, EMAIL_GUARD, LEAD, create_lead_transaction};
use pc_marketplace::auto_list::{first_listing_writes, listing_record, queue_batch_notices};
use pc_marketplace::demand::{MarketDemand, suggestion_for};
use pc_marketplace::listing_api::publish_listed;
use pc_marketplace::listing_store::ListingRecord;
use pc_platform::AppContext;
use pc_platform::crm::{AccessToken, BATCH_LIMIT, CrmError, CrmObject, DealContact, ObjectType};
use pc_platform::store::{Guard, Item, Key, MAX_BATCH_GET, StoreError, Write};

use crate::hubspot_fields::{CONTACT_FIELDS, amount_cents, contact_properties};
use crate::inventory_settings::InventorySettings;
use crate::keys::inventory_guard_key;
use crate::links_store::{SyncRecord, record_and_link_writes};

/// HubSpot's contact property of the company's size.
const SIZE_PROPERTY: &str = "numemployees";

/// The deal's own guard: its lead exists already.
const DEAL_GUARD: Guard = Guard::new("inventory_deal");

/// What the import is for: a partner, its portal and its settings.
pub struct InventoryScope<'a> {
    pub token: &'a AccessToken,
    pub partner_id: &'a str,
    pub portal_id: &'a str,
    pub settings: &'a InventorySettings,
}

/// What an import did, for the run's result and the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub deals: u64,
    pub created: u64,
    /// Deals that were already leads (their guard exists).
    pub already: u64,
    /// Deals whose contact is already a lead of the partner.
    pub same_contact: u64,
    pub no_contact: u64,
    pub no_email: u64,
    pub listed: u64,
    /// Leads `autoList` could not list: the partner cannot be paid.
    pub not_listable: u64,
}

impl ImportCounts {
    pub fn add(&mut self, other: &ImportCounts) {
        self.deals += other.deals;
        self.created += other.created;
        self.already += other.already;
        self.same_contact += other.same_contact;
        self.no_contact += other.no_contact;
        self.no_email += other.no_email;
        self.listed += other.listed;
        self.not_listable += other.not_listable;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Crm(#[from] CrmError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn guard_write(portal_id: &str, deal_id: &str, lead_id: &str, partner_id: &str) -> Write {
    let key = inventory_guard_key(portal_id, deal_id);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "hubspot_inventory_deal".into());
    item.insert("dealId".into(), deal_id.into());
    item.insert("leadId".into(), lead_id.into());
    item.insert("partnerId".into(), partner_id.into());
    Write::put_new(item)
}

/// The deals of `deals` that are not leads yet.
async fn new_deals<'d>(
    ctx: &AppContext,
    portal_id: &str,
    deals: &'d [CrmObject],
) -> Result<Vec<&'d CrmObject>, StoreError> {
    let mut done = BTreeSet::new();
    for chunk in deals.chunks(MAX_BATCH_GET) {
        let keys: Vec<Key> = chunk
            .iter()
            .map(|d| inventory_guard_key(portal_id, &d.id))
            .collect();
        for item in ctx.store.batch_get(&keys).await? {
            if let Some(id) = item.get("dealId").and_then(|v| v.as_str()) {
                done.insert(id.to_owned());
            }
        }
    }
    Ok(deals.iter().filter(|d| !done.contains(&d.id)).collect())
}

/// The contact properties an inventory lead takes.
fn inventory_contact_properties() -> Vec<String> {
    let mut names = contact_properties();
    names.push(SIZE_PROPERTY.into());
    names
}

/// A new lead of the partner from a deal and its contact; `None` when the
/// contact's email is not an email.
fn lead_of(
    ctx: &AppContext,
    partner_id: &str,
    deal: &CrmObject,
    contact: &CrmObject,
) -> Option<LeadRecord> {
    let email = LeadEmail::parse(contact.properties.get("email")?).ok()?;
    let now = ctx.clock.now();
    let mut lead = LeadRecord::new(
        ctx.ids.new_id(),
        partner_id.to_owned(),
        email,
        LeadSource::Hubspot,
        now,
    );
    let fields = CONTACT_FIELDS
        .iter()
        .copied()
        .chain([("companySize", SIZE_PROPERTY)]);
    for (field, property) in fields {
        let value = contact
            .properties
            .get(property)
            .and_then(|v| parse_text(v).ok().flatten());
        if let Some(slot) = lead.contact.field_mut(field) {
            *slot = value;
        }
    }
    lead.deal_amount_cents = deal
        .properties
        .get("amount")
        .map(String::as_str)
        .and_then(amount_cents);
    lead.hubspot_contact_id = Some(contact.id.clone());
    lead.hubspot_deal_id = Some(deal.id.clone());
    Some(lead)
}

/// The contacts of each deal (lowest id first), read in batches.
async fn contacts_of(
    ctx: &AppContext,
    token: &AccessToken,
    deals: &[&CrmObject],
) -> Result<BTreeMap<String, Vec<CrmObject>>, CrmError> {
    let mut pairs: Vec<DealContact> = Vec::new();
    for chunk in deals.chunks(BATCH_LIMIT) {
        let ids: Vec<String> = chunk.iter().map(|d| d.id.clone()).collect();
        pairs.extend(ctx.crm.deal_contacts(token, &ids).await?);
    }
    let contact_ids: Vec<String> = pairs
        .iter()
        .map(|p| p.contact_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut contacts = BTreeMap::new();
    for chunk in contact_ids.chunks(BATCH_LIMIT) {
        let read = ctx
            .crm
            .batch_read(
                token,
                ObjectType::Contacts,
                chunk,
                &inventory_contact_properties(),
            )
            .await?;
        for contact in read.results {
            contacts.insert(contact.id.clone(), contact);
        }
    }
    let mut by_deal: BTreeMap<String, Vec<CrmObject>> = BTreeMap::new();
    for pair in pairs {
        if let Some(contact) = contacts.get(&pair.contact_id) {
            by_deal
                .entry(pair.deal_id)
                .or_default()
                .push(contact.clone());
        }
    }
    for list in by_deal.values_mut() {
        list.sort_by_key(|c| (c.id.len(), c.id.clone()));
    }
    Ok(by_deal)
}

/// What storing one deal's lead came to.
enum Stored {
    Created(Option<Box<ListingRecord>>),
    Already,
    SameContact,
}

/// Creates the deal's lead with its guard, links and (with `listing`) its
/// listing, in one transaction.
async fn store_lead(
    ctx: &AppContext,
    scope: &InventoryScope<'_>,
    deal_id: &str,
    lead: &LeadRecord,
    listing: Option<ListingRecord>,
) -> Result<Stored, StoreError> {
    let mut record = SyncRecord::new(&lead.id, scope.partner_id, scope.portal_id);
    record.contact_id = lead.hubspot_contact_id.clone();
    record.deal_id = Some(deal_id.to_owned());
    record.associated = true;
    record.inventory = true;
    let mut writes = create_lead_transaction(lead)?;
    writes.guarded(
        DEAL_GUARD,
        guard_write(scope.portal_id, deal_id, &lead.id, scope.partner_id),
    );
    writes.extend(record_and_link_writes(None, &record)?);
    if let Some(listing) = &listing {
        writes.extend(first_listing_writes(listing, ctx.ids.new_id())?);
    }
    match writes.commit_retrying(&*ctx.store).await {
        Ok(()) => Ok(Stored::Created(listing.map(Box::new))),
        Err(e) if e.failed(DEAL_GUARD) => Ok(Stored::Already),
        Err(e) if e.failed(EMAIL_GUARD) || e.failed(LEAD) => {
            // The contact is a lead of the partner already (another deal
            // of it, or entered by hand): this deal is done too.
            let existing = leads_store::find_by_email(&*ctx.store, scope.partner_id, &lead.email)
                .await?
                .map(|l| l.id)
                .unwrap_or_default();
            let guard = guard_write(scope.portal_id, deal_id, &existing, scope.partner_id);
            match ctx.store.transact(vec![guard]).await {
                Ok(()) => Ok(Stored::SameContact),
                Err(e) if e.is_condition_failure() => Ok(Stored::Already),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Makes the partner's leads of `deals` (deals the caller found in one of
/// the listed stages), each once; with `autoList`, lists them and queues
/// one notice for the whole batch (with any an earlier run left due).
pub async fn import_deals(
    ctx: &AppContext,
    scope: &InventoryScope<'_>,
    deals: &[CrmObject],
) -> Result<ImportCounts, ImportError> {
    let mut counts = ImportCounts {
        deals: deals.len() as u64,
        ..ImportCounts::default()
    };
    let fresh = new_deals(ctx, scope.portal_id, deals).await?;
    counts.already = (deals.len() - fresh.len()) as u64;
    if fresh.is_empty() {
        queue_batch_notices(ctx, scope.partner_id).await?;
        return Ok(counts);
    }
    let contacts = contacts_of(ctx, scope.token, &fresh).await?;
    let listable =
        scope.settings.auto_list && payee(&*ctx.store, scope.partner_id).await?.is_some();
    let demand = if listable {
        MarketDemand::load(&*ctx.store).await?
    } else {
        MarketDemand::default()
    };
    let mut listings = Vec::new();
    for deal in fresh {
        let Some(deal_contacts) = contacts.get(&deal.id) else {
            tracing::warn!(deal_id = %deal.id, partner_id = %scope.partner_id, "inventory deal without a contact skipped");
            counts.no_contact += 1;
            continue;
        };
        let Some(lead) = deal_contacts
            .iter()
            .find_map(|contact| lead_of(ctx, scope.partner_id, deal, contact))
        else {
            tracing::warn!(deal_id = %deal.id, partner_id = %scope.partner_id, "inventory deal whose contact has no email skipped");
            counts.no_email += 1;
            continue;
        };
        let listing = listable.then(|| {
            let now = ctx.clock.now();
            let suggestion = suggestion_for(&demand, &lead, now);
            let cents = suggestion.price_cents;
            listing_record(&lead, None, cents, suggestion, now)
        });
        match store_lead(ctx, scope, &deal.id, &lead, listing).await? {
            Stored::Created(listing) => {
                counts.created += 1;
                if let Some(listing) = listing {
                    counts.listed += 1;
                    listings.push(*listing);
                } else if scope.settings.auto_list {
                    counts.not_listable += 1;
                }
            }
            Stored::Already => counts.already += 1,
            Stored::SameContact => counts.same_contact += 1,
        }
    }
    queue_batch_notices(ctx, scope.partner_id).await?;
    publish_listed(ctx, &listings).await;
    Ok(counts)
}
