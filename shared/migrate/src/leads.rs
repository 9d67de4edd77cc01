//! `leads` (with their embedded `notes[]`) and `meetings`: into the
//! leads capability's records through its own create writes (the email
//! guard, staff copy, search entries, counters and analytics), without
//! the change marker a HubSpot sync would pick up.

use std::collections::BTreeMap;

use bson::Document;
use chrono::{DateTime, Utc};

use pc_http::identity::partner_key;
use pc_leads::keys::{change_markers_pk, lead_key, meeting_key};
use pc_leads::lead::{Contact, LeadEmail, LeadRecord, NoteRecord};
use pc_leads::lead_search::lead_words;
use pc_leads::leads_store::items::{note_item, word_entry_key};
use pc_leads::leads_store::writes::create_lead_writes;
use pc_leads::meetings_store::{MeetingRecord, MeetingStatus, Person, meeting_item};
use pc_leads::{DealStatus, LeadSource};
use pc_platform::store::{Condition, Key, Update, Write};
use pc_platform::time::timestamp;

use crate::fields::{cents, created_at, documents, id_of, reference, reference_field, text, time};
use crate::sink::Unit;

/// What pass one keeps of a lead: enough to pick the oldest per partner
/// and email.
pub struct LeadKey {
    pub id: String,
    pub partner_id: String,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

/// A name from the original system as this system spells it
/// (`In Touch`, `in-touch` → `in_touch`).
fn normalized(text: &str) -> String {
    text.trim().to_lowercase().replace(['-', ' '], "_")
}

fn deal_status(doc: &Document) -> Result<DealStatus, String> {
    let Some(raw) = text(doc, "dealStatus") else {
        return Ok(DealStatus::New);
    };
    let name = normalized(&raw);
    DealStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| format!("unknown `dealStatus` {raw:?}"))
}

fn source(doc: &Document) -> Result<LeadSource, String> {
    let Some(raw) = text(doc, "source") else {
        return Ok(LeadSource::Import);
    };
    let name = match normalized(&raw).as_str() {
        "chili_piper" => "chilipiper".to_owned(),
        "api" | "public_api" => "partner_api".to_owned(),
        other => other.to_owned(),
    };
    LeadSource::ALL
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| format!("unknown `source` {raw:?}"))
}

/// The identity of a lead for pass one; every check that can skip a lead
/// is made here, so both passes agree on which leads exist.
pub fn lead_key_of(
    doc: &Document,
    partner_exists: impl Fn(&str) -> bool,
    now: DateTime<Utc>,
) -> Result<LeadKey, String> {
    let id = id_of(doc).ok_or("no usable `_id`")?;
    let partner_id = reference_field(doc, "partner")?.ok_or("no `partner`")?;
    if !partner_exists(&partner_id) {
        return Err(format!(
            "its partner {partner_id} is not among the migrated partners"
        ));
    }
    let email = text(doc, "email").ok_or("no `email`")?;
    let email = LeadEmail::parse(&email)
        .map_err(|e| format!("`email` {email:?} {e}"))?
        .into_string();
    deal_status(doc)?;
    source(doc)?;
    cents(doc, "dealAmount")?;
    time(doc, "scheduledDate")?;
    time(doc, "updatedAt")?;
    Ok(LeadKey {
        id,
        partner_id,
        email,
        created_at: created_at(doc)?.unwrap_or(now),
    })
}

/// The lead record of a kept lead, its meetings' starts given.
pub fn lead_record(
    doc: &Document,
    key: LeadKey,
    meeting_starts: BTreeMap<String, String>,
) -> Result<LeadRecord, String> {
    let mut contact = Contact::default();
    for field in Contact::FIELDS {
        if let Some(value) = text(doc, field) {
            // Longer texts than the API accepts stay whole: they were data.
            *contact.field_mut(field).expect("a contact field") = Some(value);
        }
    }
    let mut lead = LeadRecord::new(
        key.id,
        key.partner_id,
        LeadEmail::parse(&key.email).map_err(str::to_owned)?,
        source(doc)?,
        key.created_at,
    );
    lead.contact = contact;
    lead.deal_status = deal_status(doc)?;
    lead.deal_amount_cents = cents(doc, "dealAmount")?;
    lead.sales_manager = text(doc, "salesManager");
    lead.hubspot_contact_id = text(doc, "hubspotContactId");
    lead.hubspot_deal_id = text(doc, "hubspotDealId");
    lead.meeting_starts = meeting_starts;
    lead.scheduled_date = match time(doc, "scheduledDate")? {
        Some(at) => Some(at),
        // The seed's backfill: the latest meeting of any status.
        None => lead.latest_meeting_start(),
    };
    lead.updated_at = time(doc, "updatedAt")?.unwrap_or(lead.created_at);
    Ok(lead)
}

/// The notes embedded in a lead document, as notes of `lead_id` (the
/// keeper's, for a duplicate); a note without text is left out.
pub fn notes(
    doc: &Document,
    source_id: &str,
    lead_id: &str,
    fallback: DateTime<Utc>,
) -> Vec<NoteRecord> {
    let (docs, _) = documents(doc, "notes");
    docs.into_iter()
        .enumerate()
        .filter_map(|(n, note)| {
            let body = text(note, "text")
                .or_else(|| text(note, "content"))
                .or_else(|| text(note, "note"))?;
            let user = note
                .get("user")
                .or_else(|| note.get("createdBy"))
                .or_else(|| note.get("author"))
                .and_then(reference)
                .unwrap_or_default();
            Some(NoteRecord {
                id: id_of(note).unwrap_or_else(|| format!("{source_id}n{n}")),
                lead_id: lead_id.to_owned(),
                text: body,
                user_id: user,
                user_name: text(note, "userName")
                    .or_else(|| text(note, "authorName"))
                    .unwrap_or_default(),
                created_at: created_at(note).ok().flatten().unwrap_or(fallback),
            })
        })
        .collect()
}

/// The lead's create writes without the CRM change marker: a migrated
/// lead is not a change to push to HubSpot. Without its search entries
/// when `with_search` is false: the embedded import writes them later, in
/// key order ([`crate::search_stage`]).
pub fn lead_unit(lead: &LeadRecord, with_search: bool) -> Result<Unit, String> {
    let marker = change_markers_pk(&lead.partner_id);
    let search: Vec<Key> = if with_search {
        Vec::new()
    } else {
        lead_words(lead)
            .iter()
            .map(|word| word_entry_key(lead, word))
            .collect()
    };
    let mut writes = create_lead_writes(lead).map_err(|e| e.to_string())?;
    writes.retain(|w| {
        w.key()
            .is_none_or(|k| k.pk != marker && !search.contains(&k))
    });
    Ok(Unit {
        collection: "leads",
        id: lead.id.clone(),
        primary: lead_key(&lead.id),
        writes,
        counts: true,
    })
}

/// Notes in units of at most `room` puts each; `counts: false` (the lead
/// is what the report counts).
pub fn note_units(lead_id: &str, notes: &[NoteRecord], room: usize) -> Result<Vec<Unit>, String> {
    let mut units = Vec::new();
    for chunk in notes.chunks(room.max(1)) {
        let items = chunk
            .iter()
            .map(note_item)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let primary = Key::of(&items[0]).ok_or("a note item without key")?;
        units.push(Unit {
            collection: "leads",
            id: lead_id.to_owned(),
            primary,
            writes: items.into_iter().map(Write::put_new).collect(),
            counts: false,
        });
    }
    Ok(units)
}

fn meeting_status(doc: &Document) -> Result<MeetingStatus, String> {
    let Some(raw) = text(doc, "status") else {
        return Ok(MeetingStatus::Created);
    };
    match normalized(&raw).as_str() {
        "created" | "scheduled" | "booked" => Ok(MeetingStatus::Created),
        "updated" => Ok(MeetingStatus::Updated),
        "rescheduled" => Ok(MeetingStatus::Rescheduled),
        "canceled" | "cancelled" => Ok(MeetingStatus::Canceled),
        _ => Err(format!("unknown `status` {raw:?}")),
    }
}

/// A meeting document, checked; `lead` is the lead it names (before
/// duplicates are folded).
pub struct MeetingDoc {
    pub id: String,
    pub lead: String,
    pub start: DateTime<Utc>,
}

/// The checks of a meeting that do not depend on its lead. Its id is its
/// ChiliPiper id (what the ChiliPiper webhook finds it by), else `_id`.
pub fn meeting_doc(doc: &Document) -> Result<MeetingDoc, String> {
    let oid = id_of(doc).ok_or("no usable `_id`")?;
    let id = match doc.get("meetingIdChili") {
        Some(value) => reference(value).ok_or("`meetingIdChili` is not an id")?,
        None => oid,
    };
    let lead = reference_field(doc, "lead")?.ok_or("no `lead`")?;
    let start = time(doc, "scheduledTime")?.ok_or("no `scheduledTime`")?;
    meeting_status(doc)?;
    time(doc, "endTime")?;
    Ok(MeetingDoc { id, lead, start })
}

fn person(doc: &Document, role: &str) -> Option<Person> {
    let email = text(doc, &format!("{role}Email")).map(|e| e.to_lowercase());
    let name = text(doc, &format!("{role}Name"));
    (email.is_some() || name.is_some()).then_some(Person { name, email })
}

pub fn meeting_record(
    doc: &Document,
    checked: MeetingDoc,
    lead_id: &str,
    partner_id: &str,
) -> Result<MeetingRecord, String> {
    let created = created_at(doc)?.unwrap_or(checked.start);
    Ok(MeetingRecord {
        meeting_id_chili: checked.id.clone(),
        id: checked.id,
        partner_id: partner_id.to_owned(),
        lead_id: lead_id.to_owned(),
        status: meeting_status(doc)?,
        meeting_type_name: text(doc, "meetingTypeName")
            .or_else(|| text(doc, "meetingType"))
            .or_else(|| text(doc, "type"))
            .unwrap_or_default(),
        title: text(doc, "title"),
        scheduled_time: checked.start,
        end_time: time(doc, "endTime")?,
        location: text(doc, "location"),
        assignee: person(doc, "assignee"),
        host: person(doc, "host"),
        guests: Vec::new(),
        last_received_at: None,
        version: 0,
        created_at: created,
        updated_at: time(doc, "updatedAt")?.unwrap_or(created),
    })
}

/// The meeting and its partner's appointment count, as the ChiliPiper
/// worker keeps it (the partner's last appointment is set with the partner).
pub fn meeting_unit(meeting: &MeetingRecord) -> Result<Unit, String> {
    Ok(Unit {
        collection: "meetings",
        id: meeting.id.clone(),
        primary: meeting_key(&meeting.id),
        writes: vec![
            Write::put_new(meeting_item(meeting).map_err(|e| e.to_string())?),
            Write::Update(
                Update::new(partner_key(&meeting.partner_id))
                    .add("totalAppointments", 1)
                    .when(Condition::Exists),
            ),
        ],
        counts: true,
    })
}

/// The start text a lead's `meetingStarts` holds.
pub fn start_text(at: DateTime<Utc>) -> String {
    timestamp(at)
}
