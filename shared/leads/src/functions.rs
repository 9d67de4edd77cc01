//! The Lambda functions of leads and meetings, one constructor each. A
//! binary in `functions/` calls one of them, so it links that handler and
//! no other; [`all`] lists them for the function table.

use pc_http::{Access, Function, Permissions, http, webhook, worker};
use pc_platform::config::Secret;
use pc_platform::queue::QueueName;

use crate::{chilipiper, events_api, import_api, import_upload_api, leads_api, meetings_api};

const EVENTS_AND_EMAILS: &[QueueName] = &[QueueName::Events, QueueName::Emails];

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        leads_list(),
        leads_sales_managers(),
        leads_get(),
        leads_create(),
        leads_update(),
        leads_notes_create(),
        leads_meetings_list(),
        meetings_list(),
        meetings_get(),
        meetings_unrouted_list(),
        meetings_chilipiper_webhook(),
        chilipiper_webhook_worker(),
        leads_import(),
        leads_import_upload_url(),
        leads_import_status(),
        events_list(),
        events_worker(),
    ]
}

pub fn leads_list() -> Function {
    http!(
        "leads-list",
        Access::SignedIn,
        Permissions::READ,
        leads_api::list_leads
    )
}

pub fn leads_sales_managers() -> Function {
    http!(
        "leads-sales-managers",
        Access::SignedIn,
        Permissions::READ,
        leads_api::list_sales_managers
    )
}

pub fn leads_get() -> Function {
    http!(
        "leads-get",
        Access::SignedIn,
        Permissions::READ,
        leads_api::get_lead
    )
}

pub fn leads_create() -> Function {
    http!(
        "leads-create",
        Access::Admin,
        Permissions::WRITE.sends(EVENTS_AND_EMAILS),
        leads_api::create_lead
    )
}

pub fn leads_update() -> Function {
    http!(
        "leads-update",
        Access::Admin,
        Permissions::WRITE.sends(EVENTS_AND_EMAILS),
        leads_api::update_lead
    )
}

pub fn leads_notes_create() -> Function {
    http!(
        "leads-notes-create",
        // A partner's plain users change nothing.
        Access::Admin,
        Permissions::WRITE.sends(&[QueueName::Events]),
        leads_api::create_note
    )
}

pub fn leads_meetings_list() -> Function {
    http!(
        "leads-meetings-list",
        Access::SignedIn,
        Permissions::READ,
        meetings_api::lead_meetings
    )
}

pub fn meetings_list() -> Function {
    http!(
        "meetings-list",
        Access::SignedIn,
        Permissions::READ,
        meetings_api::list_meetings
    )
}

pub fn meetings_get() -> Function {
    http!(
        "meetings-get",
        Access::SignedIn,
        Permissions::READ,
        meetings_api::get_meeting
    )
}

pub fn meetings_unrouted_list() -> Function {
    http!(
        "meetings-unrouted-list",
        Access::Staff,
        Permissions::READ,
        meetings_api::list_unrouted
    )
}

pub fn meetings_chilipiper_webhook() -> Function {
    webhook!(
        "meetings-chilipiper-webhook",
        Permissions::READ
            .sends(&[QueueName::ChilipiperWebhook])
            .secrets(&[Secret::ChilipiperWebhook]),
        chilipiper::webhook::chilipiper_webhook
    )
}

pub fn chilipiper_webhook_worker() -> Function {
    worker!(
        "chilipiper-webhook-worker",
        QueueName::ChilipiperWebhook,
        Permissions::WRITE.sends(EVENTS_AND_EMAILS),
        chilipiper::worker::chilipiper_worker
    )
    // The table only (its effects reach third parties through other
    // queues): five invocations of ten absorb a burst of bookings.
    .with_scaling(10, 5)
}

pub fn leads_import() -> Function {
    http!(
        "leads-import",
        Access::Admin,
        Permissions::WRITE.sends(&[QueueName::SyncLeads]).uploads(),
        import_api::start_import
    )
    .with_body_limit(11 * 1024 * 1024)
}

pub fn leads_import_upload_url() -> Function {
    http!(
        "leads-import-upload-url",
        Access::Admin,
        Permissions::READ.uploads(),
        import_upload_api::upload_url
    )
}

pub fn leads_import_status() -> Function {
    http!(
        "leads-import-status",
        Access::Admin,
        Permissions::READ,
        import_api::import_status
    )
}

pub fn events_list() -> Function {
    http!(
        "events-list",
        Access::Admin,
        Permissions::READ,
        events_api::list_events
    )
}

pub fn events_worker() -> Function {
    worker!(
        "events-worker",
        QueueName::Events,
        // A lead's status change goes on the bus as `stage-updated`.
        Permissions::WRITE.events(),
        events_api::events_worker
    )
    // The table only: five invocations of ten.
    .with_scaling(10, 5)
}
