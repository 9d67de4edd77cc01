//! Black-box scenarios of the marketplace, one module per use case: a
//! seller lists a lead, another partner browses it masked and scored against
//! its ICP and opens it unmasked (one view per partner); listing checks; of
//! fifty concurrent reservations exactly one wins, and extensions,
//! cancellations and expiry put the lead back on the market; every endpoint
//! keeps partners apart.

mod browsing;
mod listing;
mod reservation_expiry;
mod reservations;
