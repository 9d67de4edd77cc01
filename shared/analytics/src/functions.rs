//! The Lambda functions of analytics, one constructor each. A binary in
//! `functions/` calls one of them, so it links that handler and no other;
//! [`all`] lists them for the function table.

use pc_http::{Access, Function, Permissions, http};

use crate::analytics_api;

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![analytics_partner(), analytics_marketplace()]
}

pub fn analytics_partner() -> Function {
    http!(
        "analytics-partner",
        // Scoped by the handler: a partner's users see their own partner.
        Access::SignedIn,
        Permissions::READ,
        analytics_api::get_partner_analytics
    )
}

pub fn analytics_marketplace() -> Function {
    http!(
        "analytics-marketplace",
        Access::Owner,
        Permissions::READ,
        analytics_api::get_marketplace_analytics
    )
}
