//! Black-box scenarios, one module per capability.

mod accounts;
mod hardening_auth;
mod hardening_writes;
mod hardening_input;
mod leads;
mod notify;
mod system;
