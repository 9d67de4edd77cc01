//! The Lambda functions of the marketplace, one constructor each. A binary
//! in `functions/` calls one of them, so it links that handler and no
//! other; [`all`] lists them for the function table.

use pc_api::{Access, Function, Permissions, http};

use crate::purchases_api;

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![marketplace_purchases_create(), marketplace_purchases_list()]
}

pub fn marketplace_purchases_create() -> Function {
    http!(
        "marketplace-purchases-create",
        Access::Admin,
        // The payment intent is made at Stripe.
        Permissions::WRITE.payments(),
        purchases_api::create_purchase
    )
}

pub fn marketplace_purchases_list() -> Function {
    http!(
        "marketplace-purchases-list",
        Access::Admin,
        Permissions::READ,
        purchases_api::list_purchases
    )
}
