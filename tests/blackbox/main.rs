//! Black-box scenarios, one module per capability.

mod accounts;
mod hardening_auth;
mod leads;
mod notify;
mod system;
