//! The distinct sales managers of the leads, for the leads page's
//! sales-manager dropdown, without reading a single lead: one tally item
//! per partner and manager name, and one per name across partners (the
//! staff's view), whose `leads` counts the leads with that manager. Each
//! lead write moves the tallies in its own transaction (see `writes`), so
//! they never disagree with the leads; a name whose count fell to zero is
//! left out of the answer. The sort key is a hash of the name (a name may
//! be longer than a sort key may be); the name itself is an attribute.

use pc_platform::store::{Item, Key, Query, Store, StoreError, Update, Write};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub use crate::keys::managers_pk;
use crate::lead::LeadRecord;

use super::LIST_SCAN_LIMIT;
use pc_platform::store::pages::query_all;

fn tally_key(partner: Option<&str>, name: &str) -> Key {
    let hash = hex::encode(Sha256::digest(name.as_bytes()));
    Key::new(managers_pk(partner), hash)
}

fn tally(partner: Option<&str>, name: &str, by: i64) -> Write {
    Write::Update(
        Update::new(tally_key(partner, name))
            .set("entity", "lead_sales_manager")
            .set("name", name)
            .add("leads", by),
    )
}

/// The tally moves of a lead going from `before` (none: a new lead) to
/// `after`: nothing unless its manager (or partner) changed.
pub fn tally_changes(before: Option<&LeadRecord>, after: &LeadRecord) -> Vec<Write> {
    let old = before.and_then(|b| Some((b.partner_id.as_str(), b.sales_manager.as_deref()?)));
    let new = after
        .sales_manager
        .as_deref()
        .map(|m| (after.partner_id.as_str(), m));
    if old == new {
        return Vec::new();
    }
    let mut writes = Vec::new();
    for ((partner, name), by) in old.map(|o| (o, -1)).into_iter().chain(new.map(|n| (n, 1))) {
        writes.push(tally(Some(partner), name, by));
        // The same name under another partner is the same name for staff:
        // only a change of name moves the cross-partner tally.
        if old.map(|(_, n)| n) != new.map(|(_, n)| n) {
            writes.push(tally(None, name, by));
        }
    }
    writes
}

/// The tally moves of removing `lead`: its manager loses it, for its
/// partner and across partners.
pub fn tally_removed(lead: &LeadRecord) -> Vec<Write> {
    match lead.sales_manager.as_deref() {
        Some(name) => vec![
            tally(Some(&lead.partner_id), name, -1),
            tally(None, name, -1),
        ],
        None => Vec::new(),
    }
}

/// One name of the dropdown and how many leads carry it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SalesManager {
    pub name: String,
    pub leads: u64,
}

/// The sales managers of one partner's leads (`Some`) or of every lead,
/// by name.
pub async fn sales_managers(
    store: &dyn Store,
    partner: Option<&str>,
) -> Result<Vec<SalesManager>, StoreError> {
    let query = Query::partition(pc_platform::store::Index::Table, managers_pk(partner));
    let items = query_all(store, query, LIST_SCAN_LIMIT).await?;
    let mut managers: Vec<SalesManager> = items.iter().filter_map(manager_of).collect();
    managers.sort_by_key(|m| m.name.to_lowercase());
    Ok(managers)
}

fn manager_of(item: &Item) -> Option<SalesManager> {
    let leads = item.get("leads")?.as_i64()?;
    let name = item.get("name")?.as_str()?;
    (leads > 0).then(|| SalesManager {
        name: name.to_owned(),
        leads: leads.unsigned_abs(),
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::deal_status::LeadSource;
    use crate::lead::LeadEmail;

    fn lead(partner: &str, manager: Option<&str>) -> LeadRecord {
        let mut lead = LeadRecord::new(
            "L1".into(),
            partner.into(),
            LeadEmail::parse("a@b.co").unwrap(),
            LeadSource::Manual,
            Utc::now(),
        );
        lead.sales_manager = manager.map(str::to_owned);
        lead
    }

    fn moves(writes: &[Write]) -> Vec<(String, i64)> {
        writes
            .iter()
            .map(|w| match w {
                Write::Update(u) => (u.key.pk.clone(), u.add[0].1),
                _ => panic!("a tally is an update"),
            })
            .collect()
    }

    #[test]
    fn a_new_lead_with_a_manager_counts_once_per_partner_and_overall() {
        let writes = tally_changes(None, &lead("P1", Some("Ann")));
        assert_eq!(
            moves(&writes),
            [("LEADMANAGERS#P1".into(), 1), ("LEADMANAGERS".into(), 1)]
        );
        assert!(tally_changes(None, &lead("P1", None)).is_empty());
    }

    #[test]
    fn only_a_change_of_manager_moves_the_tallies() {
        let ann = lead("P1", Some("Ann"));
        assert!(tally_changes(Some(&ann), &ann).is_empty());
        let bob = lead("P1", Some("Bob"));
        assert_eq!(
            moves(&tally_changes(Some(&ann), &bob)),
            [
                ("LEADMANAGERS#P1".into(), -1),
                ("LEADMANAGERS".into(), -1),
                ("LEADMANAGERS#P1".into(), 1),
                ("LEADMANAGERS".into(), 1)
            ]
        );
        assert_eq!(
            moves(&tally_changes(Some(&ann), &lead("P1", None))),
            [("LEADMANAGERS#P1".into(), -1), ("LEADMANAGERS".into(), -1)]
        );
    }
}
