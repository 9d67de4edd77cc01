//! Accounts (SPEC.md §2): sign-in and sessions, users, partners,
//! self-registration, and the tenancy rules every capability relies on.

pub mod partners_store;
pub mod passwords;
pub mod seed;
pub mod users_store;

use pc_api::Function;

/// The functions of this capability.
pub fn functions() -> Vec<Function> {
    Vec::new()
}
