//! Black-box scenarios, one module per capability.

mod accounts;
mod hardening_imports;
mod leads;
mod notify;
mod system;
