//! Leads and meetings: the lead pipeline, ChiliPiper routing,
//! imports, notes, appointments and audit events.

pub mod chilipiper;
pub mod deal_status;
pub mod events_api;
pub mod events_store;
pub mod functions;
pub mod import_api;
pub mod import_file;
pub mod import_store;
pub mod import_upload_api;
pub mod import_worker;
pub mod import_xlsx;
pub mod keys;
pub mod lead;
pub mod lead_changes;
pub mod lead_notices;
pub mod lead_search;
pub mod leads_api;
pub mod leads_store;
pub mod meetings_api;
pub mod meetings_store;
pub mod overdue;
pub mod referral_commission;
pub mod stage_events;

pub use deal_status::{DealStatus, LeadSource};
pub use overdue::{OverdueLead, overdue_filters, overdue_leads_for_partner};

#[cfg(test)]
mod tests {
    #[test]
    fn every_http_function_has_one_route() {
        for f in super::functions::all() {
            if f.route().is_some() {
                let (method, path) = f.method_and_path().expect("a route");
                println!("{} {method} {path}", f.name);
                assert!(path.starts_with("/v1/"), "{}", f.name);
            }
        }
    }
}
