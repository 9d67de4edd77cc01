//! The partner record, its status, kind and notification preferences, and
//! the stored item with its key and index attributes. Separate because
//! every other partners module reads or writes this one shape.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use pc_http::identity::partner_key;
use pc_platform::store::{Item, StoreError, to_item};
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

/// What a partner is: an agency buys and works leads; a referral partner
/// refers clients and earns a commission on the deals they bring
/// (`pc_referrals`); the platform seller is the platform itself selling
/// its own inventory on the marketplace (at most one, created by staff,
/// paid to the platform's own Stripe account). Partners stored before
/// kinds existed are agencies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartnerKind {
    #[default]
    Agency,
    Referral,
    Platform,
}

impl PartnerKind {
    pub const NAMES: [&'static str; 3] = ["agency", "referral", "platform"];

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "agency" => Some(PartnerKind::Agency),
            "referral" => Some(PartnerKind::Referral),
            "platform" => Some(PartnerKind::Platform),
            _ => None,
        }
    }
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

/// Signed webhook deliveries of a partner's activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPreferences {
    pub url: String,
    /// A signing secret stored in clear by an earlier version; empty once
    /// sealed (see `crate::webhook_secret`). Never returned by the API.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub secret: String,
    /// The signing secret, AES-256-GCM encrypted. Never returned by the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub sealed_secret: Option<pc_platform::cipher::Sealed>,
    #[serde(default)]
    pub events: Vec<String>,
}

impl WebhookPreferences {
    pub fn has_secret(&self) -> bool {
        self.sealed_secret.is_some() || !self.secret.is_empty()
    }
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
    pub kind: PartnerKind,
    /// A referral partner's commission on a won deal, in basis points
    /// (hundredths of a percent: 12.5 % is 1250); none for an agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_rate_bps: Option<i64>,
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

impl PartnerRecord {
    /// A new active partner with no ICP, meeting types or counters yet and
    /// the default notification preferences.
    pub fn new_active(id: &str, name: &str, slug: &str, now: DateTime<Utc>) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            slug: slug.to_owned(),
            website: None,
            status: PartnerStatus::Active,
            icp: BTreeMap::new(),
            chili_meeting_types: Vec::new(),
            notification_preferences: NotificationPreferences::default(),
            kind: PartnerKind::Agency,
            commission_rate_bps: None,
            total_leads: 0,
            total_appointments: 0,
            last_appointment_date: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// The stored item of a partner, with its key and index attributes.
pub fn partner_item(partner: &PartnerRecord) -> Result<Item, StoreError> {
    let mut item = to_item(partner)?;
    let key = partner_key(&partner.id);
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "partner".into());
    item.insert("gsi1pk".into(), pc_http::keys::PARTNERS_INDEX.into());
    item.insert(
        "gsi1sk".into(),
        format!("{}#{}", timestamp(partner.created_at), partner.id).into(),
    );
    Ok(item)
}
