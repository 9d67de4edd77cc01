//! Leads and meetings (SPEC.md §3): the lead pipeline, ChiliPiper routing,
//! imports, notes, appointments and audit events.

pub mod deal_status;
pub mod lead;
pub mod lead_notices;
pub mod leads_api;
pub mod leads_store;
pub mod overdue;

use pc_api::{Access, Function, Permissions, http};
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
            Access::SignedIn,
            Permissions::WRITE.sends(&[QueueName::Events]),
            leads_api::create_note
        ),
    ]
}
