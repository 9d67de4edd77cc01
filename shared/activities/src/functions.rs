//! The Lambda functions of activities, one constructor each. A binary in
//! `functions/` calls one of them, so it links that handler and no other;
//! [`all`] lists them for the function table. (Audit events become
//! activities in the `events` worker of pc-leads, in the transaction that
//! stores them.)

use pc_http::functions::WorkerError;
use pc_http::socket_functions::BusEvent;
use pc_http::{Access, AppState, Function, Permissions, bus_rule, http};

use crate::activities_api;
use crate::bus_sources::{DETAIL_TYPES, record_bus_event};

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        activities_list(),
        activities_mark_read(),
        activities_from_marketplace(),
    ]
}

pub fn activities_list() -> Function {
    http!(
        "activities-list",
        Access::SignedIn,
        Permissions::READ,
        activities_api::list_activities
    )
}

pub fn activities_mark_read() -> Function {
    http!(
        "activities-mark-read",
        Access::SignedIn,
        Permissions::WRITE,
        activities_api::mark_activities_read
    )
}

pub fn activities_from_marketplace() -> Function {
    bus_rule!(
        "activities-from-marketplace",
        &DETAIL_TYPES,
        // The fan-out message goes through the outbox.
        Permissions::WRITE,
        record_marketplace_event
    )
}

/// A store failure fails the invocation, so EventBridge retries it; the
/// retry records only what was not recorded yet.
async fn record_marketplace_event(ctx: &AppState, event: &BusEvent) -> Result<(), WorkerError> {
    let new = record_bus_event(ctx, event)
        .await
        .map_err(WorkerError::new)?;
    tracing::info!(event = %event.detail_type, new, "marketplace activities");
    Ok(())
}
