//! Partners in the single table.
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | partner | `PARTNER#<id>` | `PROFILE` | `PARTNERS` / `<createdAt>#<id>` |
//! | slug guard | `SLUG#<slug>` | `SLUG` | |
//! | meeting-type guard | `MEETINGTYPE#<name>` | `MEETINGTYPE` | |
//!
//! The partner item also carries the counters the leads capability keeps
//! in the same transaction as each change (`totalLeads`,
//! `totalAppointments`, `lastAppointmentDate`), so the partners list is one
//! query.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_api::identity::partner_key;
use pc_platform::store::{Item, Key, Store, StoreError, from_item, to_item};
use pc_platform::time::{serde_millis, timestamp};

/// `pending_verification → pending_approval → active` (self-registration),
/// or `active` when staff create the partner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartnerStatus {
    PendingVerification,
    PendingApproval,
    Active,
    Inactive,
}

/// Which emails a partner's users get (all on by default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct EmailPreferences {
    pub new_lead: bool,
    pub lead_reminder: bool,
    pub lost_lead_alert: bool,
    pub marketplace: bool,
}

impl Default for EmailPreferences {
    fn default() -> Self {
        Self {
            new_lead: true,
            lead_reminder: true,
            lost_lead_alert: true,
            marketplace: true,
        }
    }
}

/// Signed webhook deliveries of a partner's activity (SPEC.md §8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPreferences {
    pub url: String,
    /// Never returned by the API.
    #[serde(default)]
    pub secret: String,
    #[serde(default)]
    pub events: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct NotificationPreferences {
    pub email: EmailPreferences,
    pub webhook: Option<WebhookPreferences>,
}

/// A partner as stored at `PARTNER#<id>` / `PROFILE`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerRecord {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub website: Option<String>,
    pub status: PartnerStatus,
    /// Ideal customer profile, as a string→string map.
    #[serde(default)]
    pub icp: BTreeMap<String, String>,
    /// ChiliPiper meeting types routed to this partner.
    #[serde(default)]
    pub chili_meeting_types: Vec<String>,
    #[serde(default)]
    pub notification_preferences: NotificationPreferences,
    #[serde(default)]
    pub total_leads: i64,
    #[serde(default)]
    pub total_appointments: i64,
    #[serde(default, with = "serde_millis::option")]
    pub last_appointment_date: Option<DateTime<Utc>>,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    pub updated_at: DateTime<Utc>,
}

/// The stored item of a partner, with its key and index attributes.
pub fn partner_item(partner: &PartnerRecord) -> Result<Item, StoreError> {
    let mut item = to_item(partner)?;
    let key = partner_key(&partner.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "partner".into());
    item.insert("gsi1pk".into(), "PARTNERS".into());
    item.insert(
        "gsi1sk".into(),
        format!("{}#{}", timestamp(partner.created_at), partner.id).into(),
    );
    Ok(item)
}

pub fn slug_guard_key(slug: &str) -> Key {
    Key::new(format!("SLUG#{slug}"), "SLUG")
}

pub async fn get_partner(store: &dyn Store, id: &str) -> Result<Option<PartnerRecord>, StoreError> {
    store
        .get(&partner_key(id))
        .await?
        .map(from_item)
        .transpose()
}

/// The partner's email preferences (defaults when the partner is unknown).
pub async fn email_preferences(
    store: &dyn Store,
    partner_id: &str,
) -> Result<EmailPreferences, StoreError> {
    Ok(get_partner(store, partner_id)
        .await?
        .map(|p| p.notification_preferences.email)
        .unwrap_or_default())
}
