//! Black-box scenarios of the leads capability, one module per use case:
//! ChiliPiper deliveries in any order, the lead list against a computed
//! expectation, lead CRUD with notes, lost-lead alerts and audit events,
//! imports, and tenancy.

mod chilipiper;
mod crud_and_audit;
mod fixtures;
mod imports;
mod list_expectation;
mod tenancy;
