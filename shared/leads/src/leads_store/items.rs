//! The stored shapes of the leads' items: the lead with its five index
//! attributes, its staff copy, its email guard, its search entries, its
//! partner's lead counters and its notes (their keys and the item table
//! are in [`crate::keys`]).

use pc_platform::store::{Item, Key, StoreError, Update, to_item};
use pc_platform::time::timestamp;

use crate::deal_status::{DealStatus, LeadSource};
use crate::keys::note_sort_key;
pub use crate::keys::{
    COUNTERS_PARTITION, Partition, STAFF_PARTITION, change_markers_pk, email_guard_key,
    email_partition, lead_counters_key, lead_key, lead_partition, word_partition,
};
use crate::lead::{LeadRecord, NoteRecord};
use crate::lead_search::{indexed_word, lead_words};

/// The counter attribute of a status on the counters item.
pub fn status_counter(status: DealStatus) -> String {
    format!("status_{}", status.as_str())
}

/// The counter attribute of a source on the counters item.
pub fn source_counter(source: LeadSource) -> String {
    format!("source_{}", source.as_str())
}

fn created_order(lead: &LeadRecord) -> String {
    format!("{}#{}", timestamp(lead.created_at), lead.id)
}

fn put_index(item: &mut Item, n: u8, pk: String, sk: String) {
    item.insert(format!("gsi{n}pk"), pk.into());
    item.insert(format!("gsi{n}sk"), sk.into());
}

/// The stored lead item with its index attributes: gsi1 created, gsi2
/// status, gsi3 open, gsi4 scheduled, gsi5 source (all of its partner).
pub fn lead_item(lead: &LeadRecord) -> Result<Item, StoreError> {
    let mut item = to_item(lead)?;
    let key = lead_key(&lead.id);
    let pid = Some(lead.partner_id.as_str());
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "lead".into());
    let created = created_order(lead);
    put_index(&mut item, 1, Partition::Created.key(pid), created.clone());
    let status = Partition::Status(lead.deal_status).key(pid);
    put_index(&mut item, 2, status, created.clone());
    put_index(
        &mut item,
        5,
        Partition::Source(lead.source).key(pid),
        created,
    );
    if let Some(at) = lead.scheduled_date {
        let order = format!("{}#{}", timestamp(at), lead.id);
        if !lead.deal_status.is_closed() {
            put_index(&mut item, 3, Partition::Open.key(pid), order.clone());
        }
        put_index(&mut item, 4, Partition::Scheduled.key(pid), order);
    }
    Ok(item)
}

/// The staff copy: the same lead under `LEADS`, whose own index attributes
/// are the cross-partner partitions: gsi1 status, gsi2 source, gsi3 open,
/// gsi4 scheduled.
pub fn staff_copy_item(lead: &LeadRecord) -> Result<Item, StoreError> {
    let mut item = to_item(lead)?;
    item.insert("pk".into(), STAFF_PARTITION.into());
    item.insert("sk".into(), created_order(lead).into());
    item.insert("entity".into(), "lead_index".into());
    let created = created_order(lead);
    put_index(
        &mut item,
        1,
        Partition::Status(lead.deal_status).key(None),
        created.clone(),
    );
    put_index(
        &mut item,
        2,
        Partition::Source(lead.source).key(None),
        created,
    );
    if let Some(at) = lead.scheduled_date {
        let order = format!("{}#{}", timestamp(at), lead.id);
        if !lead.deal_status.is_closed() {
            put_index(&mut item, 3, Partition::Open.key(None), order.clone());
        }
        put_index(&mut item, 4, Partition::Scheduled.key(None), order);
    }
    Ok(item)
}

/// The email guard (one lead per partner and email), also found by email
/// across partners on gsi1.
pub fn guard_item(lead: &LeadRecord) -> Item {
    let key = email_guard_key(&lead.partner_id, &lead.email);
    let mut item = Item::new();
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "lead_email_guard".into());
    item.insert("leadId".into(), lead.id.clone().into());
    item.insert("partnerId".into(), lead.partner_id.clone().into());
    put_index(
        &mut item,
        1,
        email_partition(&lead.email),
        lead.partner_id.clone(),
    );
    item
}

/// The key of the search entry of `word` for `lead`.
pub fn word_entry_key(lead: &LeadRecord, word: &str) -> Key {
    let word = indexed_word(word);
    Key::new(
        word_partition(Some(&lead.partner_id), word),
        format!("{word}#{}", lead.id),
    )
}

/// The search entries of a lead, one per word (see `lead_search`): the
/// lead's id, partner, created date and all its words, so a search
/// checks every word and orders by date from the entries alone.
pub fn word_entries(lead: &LeadRecord) -> Vec<Item> {
    let words = lead_words(lead);
    words
        .iter()
        .map(|word| {
            let key = word_entry_key(lead, word);
            let mut item = Item::new();
            item.insert("entity".into(), "lead_word".into());
            item.insert("leadId".into(), lead.id.clone().into());
            item.insert("partnerId".into(), lead.partner_id.clone().into());
            item.insert("createdAt".into(), timestamp(lead.created_at).into());
            item.insert("words".into(), words.clone().into());
            put_index(
                &mut item,
                1,
                word_partition(None, indexed_word(word)),
                key.sk.clone(),
            );
            item.insert("pk".into(), key.pk.into());
            item.insert("sk".into(), key.sk.into());
            item
        })
        .collect()
}

/// The change of a partner's lead counters by `(counter, by)` pairs (see
/// [`status_counter`], [`source_counter`]); creates the item when missing.
pub fn counters_change(partner_id: &str, changes: &[(String, i64)]) -> Update {
    let mut update = Update::new(lead_counters_key(partner_id))
        .set("entity", "lead_counters")
        .set("partnerId", partner_id)
        .set("gsi1pk", COUNTERS_PARTITION)
        .set("gsi1sk", partner_id);
    for (counter, by) in changes {
        update = update.add(counter, *by);
    }
    update
}

pub fn note_item(note: &NoteRecord) -> Result<Item, StoreError> {
    let mut item = to_item(note)?;
    item.insert("pk".into(), lead_partition(&note.lead_id).into());
    item.insert("sk".into(), note_sort_key(note.created_at, &note.id).into());
    item.insert("entity".into(), "note".into());
    Ok(item)
}

/// The marker saying the lead changed since a CRM sync last took it: one
/// per lead, overwritten by each change, so a sync reads the leads changed
/// since its last run from one partition instead of scanning every lead,
/// and removes a marker only while it still holds the version it sent.
pub fn change_marker_item(lead: &LeadRecord) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), change_markers_pk(&lead.partner_id).into());
    item.insert("sk".into(), lead.id.clone().into());
    item.insert("entity".into(), "lead_change".into());
    item.insert("leadId".into(), lead.id.clone().into());
    item.insert("version".into(), lead.version.into());
    item.insert("changedAt".into(), timestamp(lead.updated_at).into());
    item
}
