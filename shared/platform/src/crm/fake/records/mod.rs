//! The fake's CRM records: contacts and deals (properties, numeric ids,
//! `createdate` / last-modified stamps, a unique email per contact), deal
//! pipelines with stages, and deal↔contact associations. A deal's stage
//! must belong to its pipeline, as HubSpot validates.
//!
//! Its items and their keys: [`crate::keys`].

mod associations;
mod objects;
mod pipelines;

use crate::store::{Index, Item, Query, SortKey, Store};

use super::portal::{portal_pk, unavailable};
use crate::crm::CrmError;

pub(super) use associations::{association_write, associations};
pub use objects::modified_property;
pub(super) use objects::{
    changed_since, contact_by_email, create, deals_changed_in, load, new_object, update,
};
pub(super) use pipelines::{default_pipeline, invalid_stage, pipeline_write, pipelines};

/// Every record item of the portal whose sort key starts with `prefix`.
pub(super) async fn all_with_prefix(
    store: &dyn Store,
    portal_id: &str,
    prefix: &str,
) -> Result<Vec<Item>, CrmError> {
    let mut items = Vec::new();
    let mut query = Query::partition(Index::Table, portal_pk(portal_id))
        .sk(SortKey::BeginsWith(prefix.to_owned()));
    loop {
        let page = store.query(&query).await.map_err(unavailable)?;
        items.extend(page.items);
        match page.cursor {
            Some(cursor) => query = query.after(Some(cursor)),
            None => return Ok(items),
        }
    }
}
