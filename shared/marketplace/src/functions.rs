//! The Lambda functions of the marketplace, one constructor each. A binary
//! in `functions/` calls one of them, so it links that handler and no
//! other; [`all`] lists them for the function table.

use pc_http::{Access, Function, Permissions, http, schedule, worker};
use pc_platform::queue::QueueName;

use crate::{
    RESERVATION_EXPIRY, browse_api, browse_index_worker, listing_api, listing_notices,
    purchase_refund_api, purchases_api, reservation_expiry, reservations_api,
};

pc_http::answer_through_failure!(crate::error::MarketError);

/// Every function of this capability, in table order.
pub fn all() -> Vec<Function> {
    vec![
        marketplace_leads_list(),
        marketplace_leads_get(),
        marketplace_list_lead(),
        marketplace_unlist_lead(),
        marketplace_my_listings(),
        marketplace_listing_notices_worker(),
        marketplace_browse_index_worker(),
        marketplace_reserve(),
        marketplace_reservations_list(),
        marketplace_reservations_extend(),
        marketplace_reservations_cancel(),
        reservation_expiry(),
        marketplace_purchases_create(),
        marketplace_purchases_list(),
        marketplace_purchases_refund(),
    ]
}

pub fn marketplace_leads_list() -> Function {
    http!(
        "marketplace-leads-list",
        Access::SignedIn,
        // A caller without a browse index for its ICP starts its build
        // (a state item and its message, through the outbox).
        Permissions::WRITE,
        browse_api::browse_leads
    )
}

pub fn marketplace_leads_get() -> Function {
    http!(
        "marketplace-leads-get",
        Access::SignedIn,
        // Counts the caller's view.
        Permissions::WRITE,
        browse_api::get_market_lead
    )
}

pub fn marketplace_list_lead() -> Function {
    http!(
        "marketplace-list-lead",
        Access::Admin,
        // The notices' message goes through the outbox.
        Permissions::WRITE.events(),
        listing_api::list_lead
    )
}

pub fn marketplace_unlist_lead() -> Function {
    http!(
        "marketplace-unlist-lead",
        Access::Admin,
        Permissions::WRITE,
        listing_api::unlist_lead
    )
}

pub fn marketplace_my_listings() -> Function {
    http!(
        "marketplace-my-listings",
        Access::SignedIn,
        Permissions::READ,
        listing_api::my_listings
    )
}

pub fn marketplace_listing_notices_worker() -> Function {
    worker!(
        "marketplace-listing-notices-worker",
        QueueName::Marketplace,
        Permissions::READ
            .sends(&[QueueName::Emails, QueueName::Marketplace])
            .events(),
        listing_notices::listing_notices_worker
    )
    // Each page fans out to the emails queue: two pages at a time keep
    // that queue, bounded by SES's rate, from filling faster than it drains.
    .with_scaling(10, 2)
}

pub fn marketplace_browse_index_worker() -> Function {
    worker!(
        "marketplace-browse-index-worker",
        QueueName::BrowseIndex,
        Permissions::WRITE.sends(&[QueueName::BrowseIndex]),
        browse_index_worker::browse_index_worker
    )
    // The table only; two at a time keep an ICP rewrite or a listing's
    // fan-out from taking the table's write capacity from the API.
    .with_scaling(10, 2)
}

pub fn marketplace_reserve() -> Function {
    http!(
        "marketplace-reserve",
        Access::Admin,
        // `lead-reserved` goes on the bus.
        Permissions::WRITE.events(),
        reservations_api::reserve_lead
    )
}

pub fn marketplace_reservations_list() -> Function {
    http!(
        "marketplace-reservations-list",
        Access::SignedIn,
        Permissions::READ,
        reservations_api::list_reservations
    )
}

pub fn marketplace_reservations_extend() -> Function {
    http!(
        "marketplace-reservations-extend",
        Access::Admin,
        Permissions::WRITE,
        reservations_api::extend_reservation
    )
}

pub fn marketplace_reservations_cancel() -> Function {
    http!(
        "marketplace-reservations-cancel",
        Access::Admin,
        // A payment begun is canceled at Stripe.
        Permissions::WRITE.payments(),
        reservations_api::cancel_reservation
    )
}

pub fn reservation_expiry() -> Function {
    schedule!(
        "reservation-expiry",
        RESERVATION_EXPIRY,
        // The buyers' emails go through the outbox; a payment begun is
        // canceled at Stripe.
        Permissions::WRITE.payments(),
        reservation_expiry::expire_reservations
    )
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

pub fn marketplace_purchases_refund() -> Function {
    http!(
        "marketplace-purchases-refund",
        Access::Staff,
        // The payment is refunded at Stripe; the buyer's email and the
        // audit event go through the outbox.
        Permissions::WRITE.payments(),
        purchase_refund_api::refund_purchase
    )
}
