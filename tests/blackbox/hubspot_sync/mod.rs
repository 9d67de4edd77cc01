//! Black-box scenarios of the HubSpot sync, one module per use case: a
//! full sync creates each lead's contact and deal once (again when run twice)
//! and an incremental run sends only what changed, and a rate-limit storm
//! still ends with every lead synced once; a HubSpot-side change arrives by
//! signed webhook and moves the lead through the lead rules, once however
//! often the batch comes, and bad and stale signatures are refused; a field
//! changed on both sides is a conflict resolved each way; tasks, conflicts
//! and stage mappings are each partner's own; the system's own pipeline
//! puts each status in the stage made for it.

mod conflicts;
mod default_stages;
mod fixtures;
mod inbound_webhooks;
mod outbound_sync;
mod tenancy;
