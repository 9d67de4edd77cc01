//! Removing a lead: the lead and every item its writes keep — its staff
//! copy, its email guard, its search entries, its change marker, its
//! notes — deleted, and every counter it moved (its partner's
//! `totalLeads`, its status and source counters, its sales manager's
//! tallies, its creation month's analytics) taken back, in one
//! transaction conditional on the version read, so no index, search or
//! total keeps a lead that is gone.
//!
//! The only removal today is a refunded marketplace purchase withdrawing
//! the buyer's copy; the caller adds its own writes to the same
//! transaction. Notes go in that transaction while it has room (DynamoDB
//! takes 100 writes); a lead with more notes loses the rest right after
//! the commit ([`delete_notes`]), where an interrupted run leaves only
//! notes nothing can reach (the lead's reads start from the lead item).
//!
//! A lead's meetings stay: they are the partner's record of what
//! ChiliPiper booked, listed by partner and time.

use pc_accounts::partners_store::uncount_lead;
use pc_platform::store::{
    Condition, Index, Key, MAX_TRANSACTION_WRITES, Query, Store, StoreError, Write,
};
use pc_platform::time::timestamp;

use crate::keys::change_marker_key;
use crate::lead::LeadRecord;

use super::items::{
    STAFF_PARTITION, counters_change, email_guard_key, lead_key, source_counter, status_counter,
    word_entry_key,
};
use super::sales_managers;
use crate::lead_search::lead_words;
use pc_platform::store::pages::query_all;

/// What removing one lead writes.
#[derive(Clone, Debug)]
pub struct LeadRemoval {
    /// The lead (conditional on its version), its staff copy, its guard
    /// (conditional on naming it), its search entries, its change marker
    /// and the counters it moved: these commit together.
    pub writes: Vec<Write>,
    /// The keys of its notes.
    pub notes: Vec<Key>,
}

impl LeadRemoval {
    /// The removal of `lead` as read (its notes are read now).
    pub async fn of(store: &dyn Store, lead: &LeadRecord) -> Result<Self, StoreError> {
        let items = query_all(
            store,
            Query::partition(Index::Table, lead_key(&lead.id).pk),
            usize::MAX,
        )
        .await?;
        let notes = items
            .iter()
            .filter(|item| item.get("entity").and_then(|e| e.as_str()) == Some("note"))
            .filter_map(|item| {
                Some(Key::new(
                    item.get("pk")?.as_str()?,
                    item.get("sk")?.as_str()?,
                ))
            })
            .collect();
        Ok(Self {
            writes: remove_lead_writes(lead),
            notes,
        })
    }

    /// Appends the removal to `tx` (which holds the caller's writes) with
    /// as many notes as the transaction has room for; answers the notes
    /// left for [`delete_notes`] after the commit.
    pub fn append_to(self, tx: &mut Vec<Write>) -> Vec<Key> {
        tx.extend(self.writes);
        let room = MAX_TRANSACTION_WRITES.saturating_sub(tx.len());
        let mut notes = self.notes;
        let rest = notes.split_off(room.min(notes.len()));
        tx.extend(notes.into_iter().map(|key| Write::Delete {
            key,
            condition: None,
        }));
        rest
    }
}

/// The writes that remove `lead` (as read at its `version`), without its
/// notes; the lead's delete (on the lead's key) fails when the lead changed
/// since it was read (or is gone).
pub fn remove_lead_writes(lead: &LeadRecord) -> Vec<Write> {
    let created = format!("{}#{}", timestamp(lead.created_at), lead.id);
    let mut writes = vec![
        Write::Delete {
            key: lead_key(&lead.id),
            condition: Some(Condition::equals("version", lead.version)),
        },
        Write::Delete {
            key: Key::new(STAFF_PARTITION, created),
            condition: None,
        },
        Write::Delete {
            key: email_guard_key(&lead.partner_id, &lead.email),
            condition: Some(Condition::equals("leadId", lead.id.clone())),
        },
        Write::Delete {
            key: change_marker_key(&lead.partner_id, &lead.id),
            condition: None,
        },
        uncount_lead(&lead.partner_id),
        Write::Update(counters_change(
            &lead.partner_id,
            &[
                (status_counter(lead.deal_status), -1),
                (source_counter(lead.source), -1),
            ],
        )),
        pc_analytics::tally::lead_removed(
            &lead.partner_id,
            lead.created_at,
            lead.deal_status.as_str(),
        ),
    ];
    writes.extend(lead_words(lead).iter().map(|word| Write::Delete {
        key: word_entry_key(lead, word),
        condition: None,
    }));
    writes.extend(sales_managers::tally_removed(lead));
    writes
}

/// Deletes notes left over by [`LeadRemoval::append_to`], a transaction of
/// up to 100 at a time (deleting what is gone already is no error).
pub async fn delete_notes(store: &dyn Store, notes: Vec<Key>) -> Result<(), StoreError> {
    for chunk in notes.chunks(MAX_TRANSACTION_WRITES) {
        let writes = chunk
            .iter()
            .map(|key| Write::Delete {
                key: key.clone(),
                condition: None,
            })
            .collect();
        store.transact(writes).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use pc_accounts::partners_store::{PartnerRecord, get_partner, partner_item};
    use pc_platform::AppContext;
    use pc_platform::context::EmbeddedParts;

    use super::*;
    use crate::deal_status::LeadSource;
    use crate::keys::{lead_counters_key, word_partition};
    use crate::lead::{LeadEmail, NoteRecord};
    use crate::leads_store::LEAD;
    use crate::leads_store::{self, sales_managers::sales_managers};
    use pc_platform::store::Transaction;

    async fn lead_with_notes(ctx: &AppContext, id: &str, email: &str, notes: usize) -> LeadRecord {
        let now = ctx.clock.now();
        let email = LeadEmail::parse(email).unwrap();
        let mut lead = LeadRecord::new(id.into(), "P1".into(), email, LeadSource::Marketplace, now);
        lead.contact.company = Some("Zebracorp".into());
        lead.contact.first_name = Some(format!("Name{id}"));
        lead.sales_manager = Some("Sam Seller".into());
        leads_store::create(&*ctx.store, &lead).await.unwrap();
        for n in 0..notes {
            let note = NoteRecord {
                id: format!("{id}-N{n}"),
                lead_id: id.into(),
                text: "called".into(),
                user_id: "U1".into(),
                user_name: "Una".into(),
                created_at: now,
            };
            leads_store::add_note(&*ctx.store, &note).await.unwrap();
        }
        lead
    }

    /// A system with the partner `P1`.
    async fn with_partner() -> EmbeddedParts {
        let parts = EmbeddedParts::in_memory();
        let ctx = &parts.context;
        let partner = PartnerRecord::new_active("P1", "Acme", "acme", ctx.clock.now());
        ctx.store
            .put(partner_item(&partner).unwrap(), None)
            .await
            .unwrap();
        parts
    }

    async fn partition_len(ctx: &AppContext, index: Index, pk: &str) -> usize {
        query_all(&*ctx.store, Query::partition(index, pk), usize::MAX)
            .await
            .unwrap()
            .len()
    }

    #[tokio::test]
    async fn a_removed_lead_leaves_no_item_and_no_count_behind() {
        let parts = with_partner().await;
        let ctx = &parts.context;
        let kept = lead_with_notes(ctx, "L1", "kept@example.com", 1).await;
        let gone = lead_with_notes(ctx, "L2", "gone@example.com", 3).await;

        let removal = LeadRemoval::of(&*ctx.store, &gone).await.unwrap();
        assert_eq!(removal.notes.len(), 3);
        let mut tx = Vec::new();
        let rest = removal.append_to(&mut tx);
        assert!(rest.is_empty(), "three notes fit in the transaction");
        ctx.store.transact(tx).await.unwrap();

        let store = &*ctx.store;
        assert!(leads_store::get(store, "L2").await.unwrap().is_none());
        assert_eq!(
            partition_len(ctx, Index::Table, "LEAD#L2").await,
            0,
            "notes"
        );
        assert_eq!(partition_len(ctx, Index::Table, STAFF_PARTITION).await, 1);
        assert!(
            leads_store::find_by_email(store, "P1", "gone@example.com")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            leads_store::find_by_email(store, "P1", &kept.email)
                .await
                .unwrap()
                .map(|l| l.id),
            Some("L1".into())
        );
        // Both leads share the word `zebracorp`: only the kept one's entry stays.
        let words = partition_len(ctx, Index::Table, &word_partition(Some("P1"), "z")).await;
        assert_eq!(words, 1);
        assert_eq!(partition_len(ctx, Index::Table, "LEADCHANGED#P1").await, 1);
        let counters = store.get(&lead_counters_key("P1")).await.unwrap().unwrap();
        assert_eq!(counters["status_new"], 1);
        assert_eq!(counters["source_marketplace"], 1);
        let partner = get_partner(store, "P1").await.unwrap().unwrap();
        assert_eq!(partner.total_leads, 1);
        let managers = sales_managers(store, Some("P1")).await.unwrap();
        assert_eq!(managers[0].leads, 1);
        let everyone = sales_managers(store, None).await.unwrap();
        assert_eq!(everyone[0].leads, 1);

        // A removal of a lead read before a change of it fails on the lead.
        let mut stale = kept.clone();
        stale.version -= 1;
        let mut tx = Vec::new();
        LeadRemoval::of(store, &stale)
            .await
            .unwrap()
            .append_to(&mut tx);
        let mut tx = Transaction::from(tx);
        tx.name(&lead_key(&stale.id), LEAD);
        let failed = tx.commit(store).await.unwrap_err();
        assert!(failed.failed(LEAD), "{failed:?}");
    }

    #[tokio::test]
    async fn notes_past_the_transaction_limit_are_deleted_after_it() {
        let parts = with_partner().await;
        let ctx = &parts.context;
        let lead = lead_with_notes(ctx, "L1", "many@example.com", 120).await;
        let mut tx = Vec::new();
        let rest = LeadRemoval::of(&*ctx.store, &lead)
            .await
            .unwrap()
            .append_to(&mut tx);
        assert_eq!(tx.len(), MAX_TRANSACTION_WRITES);
        assert!(!rest.is_empty());
        ctx.store.transact(tx).await.unwrap();
        delete_notes(&*ctx.store, rest).await.unwrap();
        assert_eq!(partition_len(ctx, Index::Table, "LEAD#L1").await, 0);
    }
}
