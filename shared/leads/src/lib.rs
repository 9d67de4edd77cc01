//! Leads and meetings (SPEC.md §3): the lead pipeline, ChiliPiper routing,
//! imports, notes, appointments and audit events.

pub mod chilipiper;
pub mod deal_status;
pub mod events_api;
pub mod events_store;
pub mod import_api;
pub mod import_file;
pub mod import_store;
pub mod import_upload_api;
pub mod import_worker;
pub mod import_xlsx;
pub mod lead;
pub mod lead_notices;
pub mod leads_api;
pub mod leads_store;
pub mod meetings_api;
pub mod meetings_store;
pub mod overdue;

use pc_api::{Access, Function, Permissions, http, webhook, worker};
use pc_platform::queue::QueueName;

pub use deal_status::{DealStatus, LeadSource};
pub use overdue::{OverdueLead, overdue_filters, overdue_leads_for_partner};

/// The functions of this capability.
pub fn functions() -> Vec<Function> {
    const EVENTS_AND_EMAILS: &[QueueName] = &[QueueName::Events, QueueName::Emails];
    vec![
        http!(
            "leads-list",
            Access::SignedIn,
            Permissions::READ,
            leads_api::list_leads
        ),
        http!(
            "leads-get",
            Access::SignedIn,
            Permissions::READ,
            leads_api::get_lead_handler
        ),
        http!(
            "leads-create",
            Access::Admin,
            Permissions::WRITE.sends(EVENTS_AND_EMAILS),
            leads_api::create_lead_handler
        ),
        http!(
            "leads-update",
            Access::Admin,
            Permissions::WRITE.sends(EVENTS_AND_EMAILS),
            leads_api::update_lead_handler
        ),
        http!(
            "leads-notes-create",
            // SPEC §2: a partner's plain users change nothing.
            Access::Admin,
            Permissions::WRITE.sends(&[QueueName::Events]),
            leads_api::create_note
        ),
        http!(
            "leads-meetings-list",
            Access::SignedIn,
            Permissions::READ,
            meetings_api::lead_meetings
        ),
        http!(
            "meetings-list",
            Access::SignedIn,
            Permissions::READ,
            meetings_api::list_meetings
        ),
        http!(
            "meetings-get",
            Access::SignedIn,
            Permissions::READ,
            meetings_api::get_meeting_handler
        ),
        http!(
            "meetings-unrouted-list",
            Access::Staff,
            Permissions::READ,
            meetings_api::list_unrouted
        ),
        webhook!(
            "meetings-chilipiper-webhook",
            Permissions::READ.sends(&[QueueName::ChilipiperWebhook]),
            chilipiper::chilipiper_webhook
        ),
        worker!(
            "chilipiper-webhook-worker",
            QueueName::ChilipiperWebhook,
            Permissions::WRITE.sends(EVENTS_AND_EMAILS),
            chilipiper::chilipiper_worker
        ),
        http!(
            "leads-import",
            Access::Admin,
            Permissions::WRITE.sends(&[QueueName::SyncLeads]).uploads(),
            import_api::start_import
        )
        .with_body_limit(11 * 1024 * 1024),
        http!(
            "leads-import-upload-url",
            Access::Admin,
            Permissions::READ.uploads(),
            import_upload_api::upload_url
        ),
        http!(
            "leads-import-status",
            Access::Admin,
            Permissions::READ,
            import_api::import_status
        ),
        worker!(
            "leads-import-worker",
            QueueName::SyncLeads,
            Permissions::WRITE.sends(&[QueueName::SyncLeads, QueueName::Events]),
            import_worker::import_worker
        ),
        http!(
            "events-list",
            Access::Admin,
            Permissions::READ,
            events_api::list_events
        ),
        worker!(
            "events-worker",
            QueueName::Events,
            Permissions::WRITE,
            events_api::events_worker
        ),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_http_function_has_one_route() {
        for f in super::functions() {
            if f.route().is_some() {
                let (method, path) = f.method_and_path().expect("a route");
                println!("{} {method} {path}", f.name);
                assert!(path.starts_with("/v1/"), "{}", f.name);
            }
        }
    }
}
