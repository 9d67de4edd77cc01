//! Black-box scenarios, one module per capability.

mod accounts;
mod leads;
mod notify;
mod system;
