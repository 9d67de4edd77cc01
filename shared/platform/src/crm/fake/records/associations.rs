//! Deal↔contact associations, one item per pair under the portal, so the
//! contacts of one deal are one sort-key prefix.

use super::all_with_prefix;
use crate::crm::fake::keys::{association_sk, associations_prefix, portal_pk};
use crate::crm::{CrmError, DealContact};
use crate::store::{Item, Store, Write};

pub(in super::super) fn association_write(portal_id: &str, pair: &DealContact) -> Write {
    let mut item = Item::new();
    item.insert("pk".into(), portal_pk(portal_id).into());
    item.insert(
        "sk".into(),
        association_sk(&pair.deal_id, &pair.contact_id).into(),
    );
    item.insert("entity".into(), "hubspot_fake_association".into());
    item.insert("dealId".into(), pair.deal_id.clone().into());
    item.insert("contactId".into(), pair.contact_id.clone().into());
    Write::put(item)
}

pub(in super::super) async fn associations(
    store: &dyn Store,
    portal_id: &str,
    deal_id: Option<&str>,
) -> Result<Vec<DealContact>, CrmError> {
    let prefix = associations_prefix(deal_id);
    Ok(all_with_prefix(store, portal_id, &prefix)
        .await?
        .iter()
        .filter_map(|item| {
            Some(DealContact {
                deal_id: item.get("dealId")?.as_str()?.to_owned(),
                contact_id: item.get("contactId")?.as_str()?.to_owned(),
            })
        })
        .collect())
}
