//! The Lambda functions of the HubSpot sync, one constructor each: the
//! signed webhook and its worker, the `sync-leads` worker (sync pages and
//! the leads capability's import pages), the sync, conflict and stage
//! mapping endpoints, and the `hubspot-sync` schedule.

use pc_http::functions::{Cadence, Schedule};
use pc_http::{Access, Function, Permissions, http, schedule, webhook, worker};
use pc_platform::config::Secret;
use pc_platform::queue::QueueName;

use crate::inventory_backfill::{self, HUBSPOT_INVENTORY};
use crate::{
    conflicts_api, inventory_api, stage_mapping_api, sync_api, sync_schedule, sync_worker, webhook,
    webhook_events,
};

/// Lead changes tell the `events` and `emails` queues (audit events,
/// lost-lead alerts) through their outbox.
const EVENTS_AND_EMAILS: &[QueueName] = &[QueueName::Events, QueueName::Emails];

pub const HUBSPOT_SYNC: Schedule = Schedule {
    cadence: Cadence::EveryMinutes(15),
    timezone: "UTC",
};

/// Every sync function, in table order.
pub fn all() -> Vec<Function> {
    vec![
        hubspot_webhook(),
        hubspot_webhook_worker(),
        sync_leads_worker(),
        sync_hubspot_start(),
        sync_task_status(),
        sync_conflicts_list(),
        sync_conflicts_resolve(),
        partners_stage_mapping_get(),
        partners_stage_mapping_put(),
        partners_inventory_get(),
        partners_inventory_put(),
        hubspot_sync(),
        hubspot_inventory(),
    ]
}

pub fn hubspot_webhook() -> Function {
    webhook!(
        "hubspot-webhook",
        // The signature is the whole check: no table is read.
        Permissions::NONE
            .sends(&[QueueName::HubspotWebhook])
            .secrets(&[Secret::HubspotClientSecret]),
        webhook::hubspot_webhook
    )
}

pub fn hubspot_webhook_worker() -> Function {
    worker!(
        "hubspot-webhook-worker",
        QueueName::HubspotWebhook,
        // Inventory leads listed as they arrive: their notice goes to the
        // marketplace queue, `lead-listed` on the bus.
        Permissions::WRITE
            .crm()
            .sends(&[QueueName::Events, QueueName::Emails, QueueName::Marketplace])
            .events(),
        webhook_events::hubspot_webhook_worker
    )
    // HubSpot allows an app about 100 calls per 10 s per portal; a message
    // takes a few. Twenty messages in flight (two invocations of ten) stay
    // well under it, with room for the sync worker and the API's calls.
    .with_scaling(10, 2)
}

pub fn sync_leads_worker() -> Function {
    worker!(
        "sync-leads-worker",
        QueueName::SyncLeads,
        Permissions::WRITE.crm().sends(&[
            QueueName::SyncLeads,
            QueueName::Events,
            QueueName::Emails
        ]),
        sync_worker::sync_leads_worker
    )
    // A sync makes several HubSpot calls per lead: two invocations of five
    // leads keep the sync and the webhook worker together under HubSpot's
    // ~100 calls per 10 s; a 429 is retried from the queue.
    .with_scaling(5, 2)
}

pub fn sync_hubspot_start() -> Function {
    http!(
        "sync-hubspot-start",
        Access::Admin,
        Permissions::WRITE.crm().sends(&[QueueName::SyncLeads]),
        sync_api::start_sync
    )
}

pub fn sync_task_status() -> Function {
    http!(
        "sync-task-status",
        Access::Admin,
        Permissions::READ,
        sync_api::sync_status
    )
}

pub fn hubspot_sync() -> Function {
    schedule!(
        "hubspot-sync",
        HUBSPOT_SYNC,
        Permissions::WRITE.sends(&[QueueName::SyncLeads]),
        sync_schedule::hubspot_sync
    )
}

pub fn sync_conflicts_list() -> Function {
    http!(
        "sync-conflicts-list",
        Access::Admin,
        Permissions::READ,
        conflicts_api::list_conflicts
    )
}

pub fn sync_conflicts_resolve() -> Function {
    http!(
        "sync-conflicts-resolve",
        Access::Admin,
        Permissions::WRITE.crm().sends(EVENTS_AND_EMAILS),
        conflicts_api::resolve_conflict
    )
}

pub fn partners_stage_mapping_get() -> Function {
    http!(
        "partners-stage-mapping-get",
        Access::Admin,
        Permissions::READ.crm(),
        stage_mapping_api::get_stage_mapping
    )
}

pub fn partners_stage_mapping_put() -> Function {
    http!(
        "partners-stage-mapping-put",
        Access::Admin,
        Permissions::WRITE.crm(),
        stage_mapping_api::put_stage_mapping
    )
}

pub fn hubspot_inventory() -> Function {
    schedule!(
        "hubspot-inventory",
        HUBSPOT_INVENTORY,
        // A batch's listings get one notice on the marketplace queue and
        // `lead-listed` on the bus.
        Permissions::WRITE
            .crm()
            .sends(&[QueueName::Marketplace])
            .events(),
        inventory_backfill::hubspot_inventory
    )
}

pub fn partners_inventory_get() -> Function {
    http!(
        "partners-inventory-get",
        Access::Admin,
        // The connection's token is read (and refreshed when near expiry).
        Permissions::WRITE.crm(),
        inventory_api::get_inventory
    )
}

pub fn partners_inventory_put() -> Function {
    http!(
        "partners-inventory-put",
        Access::Admin,
        // The stages are checked against the portal's pipelines.
        Permissions::WRITE.crm(),
        inventory_api::put_inventory
    )
}
