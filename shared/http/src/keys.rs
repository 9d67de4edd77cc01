//! The keys of the records the auth layer reads on every request: users,
//! their sessions, partner profiles, meeting-type routing guards and
//! partner API tokens. The accounts and partner API capabilities write
//! these items (their item tables are in `pc_accounts::keys`); this module
//! is the one place that spells their keys.
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | API token | `APITOKEN#<sha256 hex>` | `TOKEN` | `PARTNER#<pid>#APITOKENS` / `<createdAt>#<id>` |

use pc_platform::store::Key;

/// A user's partition: its profile and its sessions.
pub fn user_partition(user_id: &str) -> String {
    format!("USER#{user_id}")
}

/// The sort keys of a user's sessions begin with it.
pub const SESSION_PREFIX: &str = "SESSION#";

pub fn user_key(user_id: &str) -> Key {
    Key::new(user_partition(user_id), "PROFILE")
}

pub fn session_key(user_id: &str, session_id: &str) -> Key {
    Key::new(
        user_partition(user_id),
        format!("{SESSION_PREFIX}{session_id}"),
    )
}

/// Where a partner lives: `PARTNER#<id>` / `PROFILE`. Besides its own
/// fields the item carries the counters kept by the leads capability in the
/// same transaction as each change: `totalLeads`, `totalAppointments`,
/// `lastAppointmentDate`.
pub fn partner_key(partner_id: &str) -> Key {
    pc_platform::store::partner_key(partner_id, "PROFILE")
}

/// The gsi1 partition of every partner, by creation.
pub const PARTNERS_INDEX: &str = "PARTNERS";

/// The routing guard of a ChiliPiper meeting type (lowercased, trimmed):
/// `MEETINGTYPE#<name>` / `MEETINGTYPE`, holding `partnerId`. One partner
/// per meeting type; kept by the accounts capability whenever a partner's
/// `chiliMeetingTypes` change.
pub fn meeting_type_key(meeting_type: &str) -> Key {
    Key::new(
        format!("MEETINGTYPE#{}", meeting_type.trim().to_lowercase()),
        "MEETINGTYPE",
    )
}

/// Where the partner API token with digest `hash` lives.
pub fn api_token_key(hash: &str) -> Key {
    Key::new(format!("APITOKEN#{hash}"), "TOKEN")
}
