//! What the API shows of a partner: every field of the partners pages,
//! the counters kept by the leads capability, and the notification
//! preferences without the webhook secret.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use pc_platform::time::timestamp;

use crate::partners_store::{
    EmailPreferences, NotificationPreferences, PartnerKind, PartnerRecord, PartnerStatus,
};

/// A webhook as shown: the secret never leaves the store.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    pub url: String,
    pub events: Vec<String>,
    pub has_secret: bool,
    /// The new signing secret: present only in the answer that set the
    /// webhook for the first time or rotated its secret, never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPreferencesView {
    pub email: EmailPreferences,
    pub webhook: Option<WebhookView>,
}

impl From<&NotificationPreferences> for NotificationPreferencesView {
    fn from(p: &NotificationPreferences) -> Self {
        Self {
            email: p.email.clone(),
            webhook: p.webhook.as_ref().map(|w| WebhookView {
                url: w.url.clone(),
                events: w.events.clone(),
                has_secret: w.has_secret(),
                secret: None,
            }),
        }
    }
}

/// A partner row / record.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerView {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub website: Option<String>,
    pub status: PartnerStatus,
    pub icp: BTreeMap<String, String>,
    pub chili_meeting_types: Vec<String>,
    pub notification_preferences: NotificationPreferencesView,
    pub kind: PartnerKind,
    /// Percent of a won deal a referral partner earns; null for an agency.
    #[schema(value_type = Option<f64>)]
    pub commission_rate: serde_json::Value,
    pub total_leads: i64,
    pub total_appointments: i64,
    pub last_appointment_date: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&PartnerRecord> for PartnerView {
    fn from(p: &PartnerRecord) -> Self {
        Self {
            id: p.id.clone(),
            name: p.name.clone(),
            slug: p.slug.clone(),
            website: p.website.clone(),
            status: p.status,
            icp: p.icp.clone(),
            chili_meeting_types: p.chili_meeting_types.clone(),
            notification_preferences: (&p.notification_preferences).into(),
            kind: p.kind,
            commission_rate: p
                .commission_rate_bps
                .map(commission_percent)
                .unwrap_or(serde_json::Value::Null),
            total_leads: p.total_leads,
            total_appointments: p.total_appointments,
            last_appointment_date: p.last_appointment_date.map(timestamp),
            created_at: timestamp(p.created_at),
            updated_at: timestamp(p.updated_at),
        }
    }
}

/// Basis points shown as a percent (`1250` → `12.5`).
pub fn commission_percent(bps: i64) -> serde_json::Value {
    serde_json::Value::Number(pc_platform::money::hundredths(bps))
}

/// `GET /v1/partners/{id}/stats`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartnerStats {
    pub last_appointment_date: Option<String>,
    pub total_leads: i64,
    pub total_appointments: i64,
}

/// `GET /v1/partners/{id}/onboarding`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Onboarding {
    pub steps: OnboardingSteps,
    /// Whole percent of the steps done.
    pub percent: u32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingSteps {
    pub email_verified: bool,
    pub icp_configured: bool,
    /// The partner has connected its HubSpot portal.
    pub hubspot_connected: bool,
    pub billing_configured: bool,
}

impl OnboardingSteps {
    pub fn percent(&self) -> u32 {
        let done = [
            self.email_verified,
            self.icp_configured,
            self.hubspot_connected,
            self.billing_configured,
        ]
        .iter()
        .filter(|d| **d)
        .count() as u32;
        done * 100 / 4
    }
}
