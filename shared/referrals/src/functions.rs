//! The Lambda functions of the referral portal, one constructor each. A
//! binary in `functions/` calls one of them, so it links that handler and
//! no other; [`all`] lists them for the function table.

use pc_http::{Access, Function, Permissions, http};
use pc_platform::config::Secret;

use crate::{commissions_api, dashboard_api, payouts_api, profile_api, referral_leads_api};

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        partner_portal_dashboard(),
        partner_portal_leads_list(),
        partner_portal_leads_create(),
        partner_portal_leads_get(),
        partner_portal_leads_update(),
        partner_portal_commissions(),
        partner_portal_profile_get(),
        partner_portal_profile_update(),
        referral_partner_commissions(),
        referral_partner_payouts(),
    ]
}

pub fn partner_portal_dashboard() -> Function {
    http!(
        "partner-portal-dashboard",
        Access::SignedIn,
        Permissions::READ,
        dashboard_api::dashboard
    )
}

pub fn partner_portal_leads_list() -> Function {
    http!(
        "partner-portal-leads-list",
        Access::SignedIn,
        Permissions::READ,
        referral_leads_api::list_referrals
    )
}

pub fn partner_portal_leads_create() -> Function {
    http!(
        "partner-portal-leads-create",
        Access::SignedIn,
        // The lead's audit event goes through the outbox.
        Permissions::WRITE,
        referral_leads_api::create_referral
    )
}

pub fn partner_portal_leads_get() -> Function {
    http!(
        "partner-portal-leads-get",
        Access::SignedIn,
        Permissions::READ,
        referral_leads_api::get_referral
    )
}

pub fn partner_portal_leads_update() -> Function {
    http!(
        "partner-portal-leads-update",
        Access::SignedIn,
        // The audit event and any lost-lead alert go through the outbox.
        Permissions::WRITE,
        referral_leads_api::update_referral
    )
}

pub fn partner_portal_commissions() -> Function {
    http!(
        "partner-portal-commissions",
        Access::SignedIn,
        Permissions::READ,
        commissions_api::my_commissions
    )
}

pub fn partner_portal_profile_get() -> Function {
    http!(
        "partner-portal-profile-get",
        Access::SignedIn,
        // Opens the sealed bank account and tax id to mask them.
        Permissions::READ.secrets(&[Secret::Encryption]),
        profile_api::get_my_profile
    )
}

pub fn partner_portal_profile_update() -> Function {
    http!(
        "partner-portal-profile-update",
        Access::SignedIn,
        // Seals the bank account and tax id.
        Permissions::WRITE.secrets(&[Secret::Encryption]),
        profile_api::update_my_profile
    )
}

pub fn referral_partner_commissions() -> Function {
    http!(
        "referral-partner-commissions",
        Access::Staff,
        Permissions::READ,
        commissions_api::partner_commissions
    )
}

pub fn referral_partner_payouts() -> Function {
    http!(
        "referral-partner-payouts",
        Access::Staff,
        Permissions::WRITE,
        payouts_api::pay_commissions
    )
}
