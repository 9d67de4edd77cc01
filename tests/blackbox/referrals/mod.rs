//! Black-box scenarios of the referral partner portal, one module per use
//! case: a referral converts and its commission is pending then paid (exact
//! under fifty concurrent conversions); a referrer moves its own leads and
//! lists them but cannot win or price them by any path; the payout profile keeps its secrets sealed and shows them
//! masked; every endpoint keeps referrers apart.

mod commissions;
mod fixtures;
mod payout_profile;
mod referrer_leads;
mod self_award;
mod tenancy;
