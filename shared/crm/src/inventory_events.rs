//! HubSpot's webhook events as they concern inventory: a deal no lead is
//! linked to that is created in, or moves into, one of the partner's
//! listed stages becomes its lead; an inventory deal that moves out of
//! them before its lead is sold is taken off the marketplace — unless the
//! lead is reserved or being paid for, which runs its course — and put
//! back on it when the deal returns to a listed stage, if (and only if)
//! it was the sync that took it off (`delistedBy: inventory`; a lead its
//! seller delisted stays so). Both read the deal's current stage at
//! HubSpot rather than trusting the event's, so events arriving late or
//! out of order decide nothing wrongly; both are idempotent, so the
//! event's claim can follow them. The backfill
//! ([`crate::inventory_backfill`]) moves leads by the same
//! [`follow_deal_stage`].

use pc_http::functions::WorkerError;
use pc_leads::leads_store;
use pc_marketplace::auto_list::{Relisted, relist_inventory_lead};
use pc_marketplace::browse_index::{IndexChange, change_write};
use pc_marketplace::listing_store::{
    DelistedBy, ListingRecord, MarketplaceStatus, delist_item, get_listing,
};
use pc_platform::AppContext;
use pc_platform::crm::{CrmObject, ObjectType};
use pc_platform::store::{StoreError, from_item};

use crate::connection::{PartnerAccess, access_token, portal_guard_key};
use crate::error::ConnectionError;
use crate::hubspot_fields::deal_properties;
use crate::inventory_import::{InventoryScope, import_deals};
use crate::inventory_settings::{InventorySettings, get_settings};

/// The partner holding the portal, with its inventory on: its settings.
async fn inventory_of_portal(
    ctx: &AppContext,
    portal_id: &str,
) -> Result<Option<InventorySettings>, StoreError> {
    let Some(guard) = ctx.store.get(&portal_guard_key(portal_id)).await? else {
        return Ok(None);
    };
    let Some(partner_id) = guard.get("partnerId").and_then(|v| v.as_str()) else {
        return Ok(None);
    };
    let settings = get_settings(&*ctx.store, partner_id).await?;
    Ok(settings.enabled.then_some(settings))
}

async fn access(ctx: &AppContext, partner_id: &str) -> Result<Option<PartnerAccess>, WorkerError> {
    match access_token(ctx, partner_id).await {
        Ok(access) => Ok(Some(access)),
        Err(ConnectionError::NotConnected | ConnectionError::Unhealthy) => Ok(None),
        Err(e) => Err(WorkerError::new(e)),
    }
}

/// The deal as HubSpot has it now.
async fn current_deal(
    ctx: &AppContext,
    access: &PartnerAccess,
    deal_id: &str,
) -> Result<Option<CrmObject>, WorkerError> {
    let read = ctx
        .crm
        .batch_read(
            &access.token,
            ObjectType::Deals,
            &[deal_id.to_owned()],
            &deal_properties(),
        )
        .await
        .map_err(WorkerError::new)?;
    Ok(read.results.into_iter().next())
}

/// The deal's pipeline stage as HubSpot last told it (empty when unknown).
pub(crate) fn stage_of(deal: &CrmObject) -> String {
    deal.properties
        .get("dealstage")
        .cloned()
        .unwrap_or_default()
}

/// A deal no lead is linked to was created or changed stage: its lead is
/// made when it is in a listed stage now.
pub async fn deal_arrived(
    ctx: &AppContext,
    portal_id: &str,
    deal_id: &str,
) -> Result<&'static str, WorkerError> {
    let Some(settings) = inventory_of_portal(ctx, portal_id)
        .await
        .map_err(WorkerError::new)?
    else {
        return Ok("not linked");
    };
    let Some(access) = access(ctx, &settings.partner_id).await? else {
        return Ok("not linked");
    };
    if access.portal_id != portal_id {
        return Ok("not linked");
    }
    let Some(deal) = current_deal(ctx, &access, deal_id).await? else {
        return Ok("deal gone");
    };
    let stage = stage_of(&deal);
    if !settings.takes_stage(&stage) {
        return Ok("not an inventory stage");
    }
    let scope = InventoryScope {
        token: &access.token,
        partner_id: &settings.partner_id,
        portal_id,
        settings: &settings,
    };
    let counts = import_deals(ctx, &scope, std::slice::from_ref(&deal))
        .await
        .map_err(WorkerError::new)?;
    Ok(if counts.created > 0 {
        "inventory lead created"
    } else if counts.no_contact > 0 {
        "inventory deal without a contact"
    } else if counts.no_email > 0 {
        "inventory deal without an email"
    } else {
        "inventory deal already a lead"
    })
}

/// What an inventory lead did when its deal's stage was looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Followed {
    Delisted,
    Relisted,
    /// Nothing to do, and why.
    Unchanged(&'static str),
}

impl Followed {
    pub fn describe(self) -> &'static str {
        match self {
            Followed::Delisted => "inventory lead delisted",
            Followed::Relisted => "inventory lead relisted",
            Followed::Unchanged(why) => why,
        }
    }
}

/// An inventory deal changed stage: its lead follows the deal's current
/// stage at HubSpot ([`follow_deal_stage`]).
pub async fn inventory_deal_moved(
    ctx: &AppContext,
    partner_id: &str,
    lead_id: &str,
    deal_id: &str,
) -> Result<&'static str, WorkerError> {
    let settings = get_settings(&*ctx.store, partner_id)
        .await
        .map_err(WorkerError::new)?;
    let Some(access) = access(ctx, partner_id).await? else {
        return Ok("not connected");
    };
    let Some(deal) = current_deal(ctx, &access, deal_id).await? else {
        return Ok("deal gone");
    };
    let followed = follow_deal_stage(ctx, &settings, lead_id, &deal)
        .await
        .map_err(WorkerError::new)?;
    Ok(followed.describe())
}

/// An inventory lead follows its deal (`deal`, as HubSpot has it now):
/// out of the listed stages, it leaves the marketplace while merely
/// listed (reserved or sold, it runs its course), marked as delisted by
/// the sync in the same write; back in them, a lead the sync delisted is
/// listed again ([`relist_inventory_lead`]).
pub async fn follow_deal_stage(
    ctx: &AppContext,
    settings: &InventorySettings,
    lead_id: &str,
    deal: &CrmObject,
) -> Result<Followed, StoreError> {
    let Some(listing) = get_listing(&*ctx.store, lead_id).await? else {
        return Ok(Followed::Unchanged("inventory lead not listed"));
    };
    let in_stage = settings.stage_ids.contains(&stage_of(deal));
    match (listing.marketplace_status, in_stage) {
        (MarketplaceStatus::Listed, false) => delist(ctx, lead_id).await,
        (MarketplaceStatus::Delisted, true)
            if settings.enabled && listing.delisted_by == Some(DelistedBy::Inventory) =>
        {
            relist(ctx, settings, &listing).await
        }
        (MarketplaceStatus::Reserved | MarketplaceStatus::Sold, false) => Ok(Followed::Unchanged(
            "inventory lead reserved or sold: left to run its course",
        )),
        (_, true) => Ok(Followed::Unchanged("still in an inventory stage")),
        _ => Ok(Followed::Unchanged("inventory lead not listed")),
    }
}

async fn delist(ctx: &AppContext, lead_id: &str) -> Result<Followed, StoreError> {
    let now = ctx.clock.now();
    let change = change_write(ctx.ids.new_id(), &IndexChange::listing(lead_id), now)?;
    let delist = delist_item(lead_id, DelistedBy::Inventory, now);
    match ctx.store.transact(vec![delist, change]).await {
        Ok(()) => Ok(Followed::Delisted),
        // Reserved (or delisted) between the read and the write.
        Err(e) if e.is_condition_failure() => Ok(Followed::Unchanged(
            "inventory lead reserved meanwhile: left to run its course",
        )),
        Err(e) => Err(e),
    }
}

async fn relist(
    ctx: &AppContext,
    settings: &InventorySettings,
    listing: &ListingRecord,
) -> Result<Followed, StoreError> {
    let Some(lead) = leads_store::get(&*ctx.store, &listing.lead_id).await? else {
        return Ok(Followed::Unchanged("inventory lead gone"));
    };
    Ok(
        match relist_inventory_lead(ctx, &lead, listing, settings.auto_list).await? {
            Relisted::Listed => Followed::Relisted,
            Relisted::NotPayable => Followed::Unchanged("inventory lead not listable"),
            Relisted::Changed => Followed::Unchanged("inventory lead changed meanwhile"),
        },
    )
}

/// Whether a linked lead's sync record marks it as inventory.
pub async fn is_inventory_lead(ctx: &AppContext, lead_id: &str) -> Result<bool, StoreError> {
    Ok(ctx
        .store
        .get(&crate::links_store::record_key(lead_id))
        .await?
        .map(from_item::<crate::links_store::SyncRecord>)
        .transpose()?
        .is_some_and(|r| r.inventory))
}
