//! Black-box scenarios, one module per capability.

mod accounts;
mod hardening_lists;
mod leads;
mod notify;
mod system;
