//! The referral partner portal: partners of kind `referral` refer clients
//! (each referral becomes a lead of source `partner_referral` in the
//! pipeline, owned by the referrer), follow them, and earn a commission
//! when one is won with a deal amount; platform staff pay commissions out.
//! Their payout profile keeps the bank account and tax id encrypted.
//!
//! Commissions and the referral counters are earned in the lead's own
//! status-change transaction, so their keys belong to the leads capability
//! (`pc_leads::referral_commission`); this crate reads and pays them
//! through its functions. The payout profile's keys are this crate's
//! ([`profile_store`]).

pub mod commissions_api;
pub mod dashboard_api;
pub mod functions;
pub mod keys;
pub mod payouts_api;
pub mod portal_access;
pub mod profile_api;
pub mod profile_input;
pub mod profile_store;
pub mod rank;
pub mod referral_leads_api;
pub mod referral_views;

#[cfg(test)]
mod tests {
    #[test]
    fn every_http_function_has_one_route() {
        for f in super::functions::all() {
            let (method, path) = f.method_and_path().expect("a route");
            println!("{} {method} {path}", f.name);
            assert!(
                path.starts_with("/api/partner/") || path.starts_with("/v1/referral-partners/"),
                "{}",
                f.name
            );
        }
    }
}
