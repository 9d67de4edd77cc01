//! HubSpot's webhook events as they concern inventory: a deal no lead is
//! linked to that is created in, or moves into, one of the partner's
//! listed stages becomes its lead; an inventory deal that moves out of
//! them before its lead is sold is taken off the marketplace — unless the
//! lead is reserved or being paid for, which runs its course. Both read
//! the deal's current stage at HubSpot rather than trusting the event's,
//! so events arriving late or out of order decide nothing wrongly; both
//! are idempotent, so the event's claim can follow them.

use pc_http::functions::WorkerError;
use pc_marketplace::browse_index::{IndexChange, change_write};
use pc_marketplace::listing_store::{MarketplaceStatus, delist_item, get_listing};
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
fn stage_of(deal: &CrmObject) -> String {
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

/// An inventory deal changed stage: out of the listed stages, its lead
/// leaves the marketplace while it is merely listed.
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
    let stage = stage_of(&deal);
    if settings.stage_ids.contains(&stage) {
        return Ok("still in an inventory stage");
    }
    let Some(listing) = get_listing(&*ctx.store, lead_id)
        .await
        .map_err(WorkerError::new)?
    else {
        return Ok("inventory lead not listed");
    };
    match listing.marketplace_status {
        MarketplaceStatus::Listed => {}
        MarketplaceStatus::Reserved | MarketplaceStatus::Sold => {
            return Ok("inventory lead reserved or sold: left to run its course");
        }
        _ => return Ok("inventory lead not listed"),
    }
    let now = ctx.clock.now();
    let change = change_write(ctx.ids.new_id(), &IndexChange::listing(lead_id), now)
        .map_err(WorkerError::new)?;
    match ctx
        .store
        .transact(vec![delist_item(lead_id, now), change])
        .await
    {
        Ok(()) => Ok("inventory lead delisted"),
        // Reserved (or delisted) between the read and the write.
        Err(e) if e.is_condition_failure() => {
            Ok("inventory lead reserved meanwhile: left to run its course")
        }
        Err(e) => Err(WorkerError::new(e)),
    }
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
