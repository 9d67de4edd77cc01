//! Black-box scenarios of the accounts capability, one module per use
//! case: sessions and tokens, password reset, invitations and deactivation,
//! self-registration, rate limits, the tenancy matrix, partner records and
//! input validation.

mod fixtures;
mod input_validation;
mod invitations;
mod partners;
mod password_reset;
mod rate_limits;
mod registration;
mod sessions;
mod tenancy;
