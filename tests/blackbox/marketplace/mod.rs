//! Black-box scenarios of the marketplace, one module per use case: a
//! seller lists a lead, another partner browses it masked and scored against
//! its ICP and opens it, still masked (one view per partner); listing checks; of
//! fifty concurrent reservations exactly one wins, and extensions,
//! cancellations and expiry put the lead back on the market; every endpoint
//! keeps partners apart; money integrity (abandoned checkouts, late
//! payments refunded, the hold limit, stale prices, relisting notices, the
//! lead sold as reserved); staff refunds of completed purchases.

mod browse_index;
mod browsing;
mod checkout_integrity;
mod listing;
mod listing_integrity;
mod masked_detail;
mod reservation_expiry;
mod reservations;
mod staff_refund;
