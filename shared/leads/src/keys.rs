//! Every key the leads capability writes, and the items under them. Store
//! modules and other capabilities (crm keeps its sync record in a lead's
//! partition, referrals its profile in a referrer's) build these keys only
//! through the functions here.
//!
//! ## Leads and notes ([`crate::leads_store`])
//!
//! | item | pk | sk | gsi1 | gsi2 | gsi3 | gsi4 | gsi5 |
//! |---|---|---|---|---|---|---|---|
//! | lead | `LEAD#<id>` | `LEAD` | `PARTNER#<pid>#LEADS` / `<createdAt>#<id>` | `PARTNER#<pid>#STATUS#<status>` / `<createdAt>#<id>` | `PARTNER#<pid>#OPEN` / `<scheduledDate>#<id>` (a meeting, status not won/lost) | `PARTNER#<pid>#SCHEDULED` / `<scheduledDate>#<id>` (a meeting) | `PARTNER#<pid>#SOURCE#<source>` / `<createdAt>#<id>` |
//! | note | `LEAD#<leadId>` | `NOTE#<createdAt>#<noteId>` | | | | | |
//! | staff copy of the lead | `LEADS` | `<createdAt>#<id>` | `LEADS#STATUS#<status>` / `<createdAt>#<id>` | `LEADS#SOURCE#<source>` / `<createdAt>#<id>` | `LEADS#OPEN` / `<scheduledDate>#<id>` | `LEADS#SCHEDULED` / `<scheduledDate>#<id>` | |
//! | email guard | `LEADEMAIL#<pid>#<email>` | `LEADEMAIL` | `LEADEMAIL#<email>` / `<pid>` | | | | |
//! | search entry (one per word) | `LEADWORD#<pid>#<first letter>` | `<word>#<id>` | `LEADWORD#<first letter>` / `<word>#<id>` | | | | |
//! | a partner's lead counters | `LEADCOUNT#<pid>` | `COUNT` | `LEADCOUNTS` / `<pid>` | | | | |
//! | change marker (changed since a CRM sync took it) | `LEADCHANGED#<pid>` | `<leadId>` | | | | | |
//! | a sales manager's lead tally, per partner / across partners | `LEADMANAGERS#<pid>` / `LEADMANAGERS` | `<sha256 of the name>` | | | | | |
//!
//! ## Meetings ([`crate::meetings_store`])
//!
//! | item | pk | sk | gsi1 | gsi2 | gsi3 |
//! |---|---|---|---|---|---|
//! | meeting | `MEETING#<meetingIdChili>` | `MEETING` | `LEAD#<leadId>#MEETINGS` / `<startTime>#<id>` | `PARTNER#<pid>#MEETINGS` / `<startTime>#<id>` | `MEETINGS` / `<startTime>#<id>` |
//! | unrouted event | `UNROUTED` | `EVENT#<meetingIdChili>#<eventType>#<startTime>` | | | |
//!
//! ## Audit events ([`crate::events_store`])
//!
//! | item | pk | sk | gsi1 | gsi2 | gsi3 |
//! |---|---|---|---|---|---|
//! | audit event | `EVENT#<id>` | `EVENT` | `EVENTS#<entity>#<entityId>` / `<at>#<id>` | `PARTNER#<pid>#EVENTS` / `<at>#<id>` (when the record has a partner) | `EVENTS` / `<at>#<id>` |
//!
//! ## Imports ([`crate::import_store`])
//!
//! | item | pk | sk |
//! |---|---|---|
//! | import task | `IMPORT#<taskId>` | `TASK` |
//! | row page | `IMPORT#<taskId>` | `ROWS#<page, 5 digits>` | `ttl` (epoch s) |
//!
//! ## Referral commissions ([`crate::referral_commission`])
//!
//! | item | pk | sk |
//! |---|---|---|
//! | commission (one per lead) | `REFERRER#<pid>` | `COMMISSION#<leadId>` |
//! | referral counters | `REFERRER#<pid>` | `STATS` |

use chrono::{DateTime, Utc};

use pc_platform::store::{Index, Key, partner_collection};
use pc_platform::time::timestamp;

use crate::deal_status::{DealStatus, LeadSource};

/// The partition of the staff copies of every lead.
pub const STAFF_PARTITION: &str = "LEADS";
/// The gsi1 partition of every partner's lead counters.
pub const COUNTERS_PARTITION: &str = "LEADCOUNTS";

/// Which leads one index partition holds; the same shapes exist per
/// partner (on the lead item) and across partners (on the staff copy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Partition {
    /// Every lead, by created date.
    Created,
    /// The leads in one status, by created date.
    Status(DealStatus),
    /// The leads from one source, by created date.
    Source(LeadSource),
    /// The leads with a meeting, by scheduled date.
    Scheduled,
    /// The leads with a meeting and a status that is not won or lost, by
    /// scheduled date.
    Open,
}

impl Partition {
    /// The partition key, for one partner (`Some`) or every partner.
    pub fn key(&self, partner: Option<&str>) -> String {
        let scope = match partner {
            Some(pid) => partner_collection(pid, ""),
            None => format!("{STAFF_PARTITION}#"),
        };
        match (self, partner) {
            (Partition::Created, Some(_)) => format!("{scope}LEADS"),
            (Partition::Created, None) => STAFF_PARTITION.to_owned(),
            (Partition::Status(s), _) => format!("{scope}STATUS#{}", s.as_str()),
            (Partition::Source(s), _) => format!("{scope}SOURCE#{}", s.as_str()),
            (Partition::Scheduled, _) => format!("{scope}SCHEDULED"),
            (Partition::Open, _) => format!("{scope}OPEN"),
        }
    }

    /// The index holding this partition: the lead item's for one partner,
    /// the staff copy's across partners.
    pub fn index(&self, per_partner: bool) -> Index {
        match (self, per_partner) {
            (Partition::Created, true) => Index::Gsi1,
            (Partition::Status(_), true) => Index::Gsi2,
            (Partition::Open, true) => Index::Gsi3,
            (Partition::Scheduled, true) => Index::Gsi4,
            (Partition::Source(_), true) => Index::Gsi5,
            (Partition::Created, false) => Index::Table,
            (Partition::Status(_), false) => Index::Gsi1,
            (Partition::Source(_), false) => Index::Gsi2,
            (Partition::Open, false) => Index::Gsi3,
            (Partition::Scheduled, false) => Index::Gsi4,
        }
    }

    /// Whether the partition is sorted by scheduled date (else created date).
    pub fn by_scheduled_date(&self) -> bool {
        matches!(self, Partition::Scheduled | Partition::Open)
    }
}

/// A lead's partition: the lead, its notes, and what other capabilities
/// keep beside it (its HubSpot sync record).
pub fn lead_partition(id: &str) -> String {
    format!("LEAD#{id}")
}

pub fn lead_key(id: &str) -> Key {
    Key::new(lead_partition(id), "LEAD")
}

/// The sort key of a lead's note, in its lead's partition.
pub fn note_sort_key(created_at: DateTime<Utc>, note_id: &str) -> String {
    format!("NOTE#{}#{note_id}", timestamp(created_at))
}

pub fn email_guard_key(partner_id: &str, email: &str) -> Key {
    Key::new(
        format!("LEADEMAIL#{partner_id}#{}", email.to_lowercase()),
        "LEADEMAIL",
    )
}

/// The gsi1 partition of the email guards of one address, across partners.
pub fn email_partition(email: &str) -> String {
    format!("LEADEMAIL#{}", email.to_lowercase())
}

/// A partner's lead counters.
pub fn lead_counters_key(partner_id: &str) -> Key {
    Key::new(format!("LEADCOUNT#{partner_id}"), "COUNT")
}

/// The partition of the search entries of one partner (`Some`, table) or
/// of every partner (gsi1) whose word starts like `word`.
pub fn word_partition(partner: Option<&str>, word: &str) -> String {
    let first: String = word.chars().take(1).collect();
    match partner {
        Some(pid) => format!("LEADWORD#{pid}#{first}"),
        None => format!("LEADWORD#{first}"),
    }
}

/// The partition of a partner's change markers.
pub fn change_markers_pk(partner_id: &str) -> String {
    format!("LEADCHANGED#{partner_id}")
}

/// The change marker of one lead.
pub fn change_marker_key(partner_id: &str, lead_id: &str) -> Key {
    Key::new(change_markers_pk(partner_id), lead_id)
}

/// The partition of one partner's sales-manager tallies (`Some`), or of
/// every partner's.
pub fn managers_pk(partner: Option<&str>) -> String {
    match partner {
        Some(pid) => format!("LEADMANAGERS#{pid}"),
        None => "LEADMANAGERS".to_owned(),
    }
}

pub fn meeting_key(id: &str) -> Key {
    Key::new(format!("MEETING#{id}"), "MEETING")
}

pub fn lead_meetings_partition(lead_id: &str) -> String {
    format!("LEAD#{lead_id}#MEETINGS")
}

pub fn partner_meetings_partition(partner_id: &str) -> String {
    partner_collection(partner_id, "MEETINGS")
}

pub const ALL_MEETINGS: &str = "MEETINGS";
pub const UNROUTED: &str = "UNROUTED";

/// The sort key of an unrouted ChiliPiper event in [`UNROUTED`].
pub fn unrouted_sort_key(meeting_id_chili: &str, event_type: &str, start: &str) -> String {
    format!("EVENT#{meeting_id_chili}#{event_type}#{start}")
}

pub fn event_key(id: &str) -> Key {
    Key::new(format!("EVENT#{id}"), "EVENT")
}

/// The gsi1 partition of one record's audit events.
pub fn record_events_partition(entity: &str, entity_id: &str) -> String {
    format!("EVENTS#{entity}#{entity_id}")
}

/// The gsi2 partition of a partner's audit events.
pub fn partner_events_partition(partner_id: &str) -> String {
    partner_collection(partner_id, "EVENTS")
}

/// The gsi3 partition of every audit event.
pub const ALL_EVENTS: &str = "EVENTS";

pub fn import_task_key(id: &str) -> Key {
    Key::new(format!("IMPORT#{id}"), "TASK")
}

pub fn import_page_key(task_id: &str, page: usize) -> Key {
    Key::new(format!("IMPORT#{task_id}"), format!("ROWS#{page:05}"))
}

/// A referrer's partition: its commissions, its counters (and the
/// referral portal's profile of it).
pub fn referrer_partition(referrer_id: &str) -> String {
    format!("REFERRER#{referrer_id}")
}

/// The sort keys of a referrer's commissions begin with it.
pub const COMMISSION_PREFIX: &str = "COMMISSION#";

pub fn commission_key(referrer_id: &str, lead_id: &str) -> Key {
    Key::new(
        referrer_partition(referrer_id),
        format!("{COMMISSION_PREFIX}{lead_id}"),
    )
}

pub fn referral_counters_key(referrer_id: &str) -> Key {
    Key::new(referrer_partition(referrer_id), "STATS")
}
