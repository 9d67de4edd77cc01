//! Leads and meetings (SPEC.md §3): the lead pipeline, ChiliPiper routing,
//! imports, notes, appointments and audit events.

pub mod deal_status;
pub mod lead;
pub mod leads_store;
pub mod overdue;

use pc_api::Function;

pub use deal_status::{DealStatus, LeadSource};
pub use overdue::{OverdueLead, overdue_filters, overdue_leads_for_partner};

/// The functions of this capability.
pub fn functions() -> Vec<Function> {
    Vec::new()
}
