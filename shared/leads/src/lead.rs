//! A lead as stored and as the API shows it, and the value types its input
//! is parsed into (email, money, contact text).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use pc_platform::time::{serde_millis, timestamp};

use crate::deal_status::{DealStatus, LeadSource};

/// Longest accepted contact text field.
pub const MAX_TEXT: usize = 300;

/// A lead's email: trimmed, lowercased, plausibly an address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeadEmail(String);

impl LeadEmail {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let email = text.trim().to_lowercase();
        if email.is_empty() {
            return Err("is required");
        }
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("is not a valid email address");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err("is not a valid email address");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !domain.contains("..");
        if local.is_empty() || !domain_ok {
            return Err("is not a valid email address");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An optional contact text: trimmed, empty means none, at most [`MAX_TEXT`].
pub fn parse_text(text: &str) -> Result<Option<String>, String> {
    let text = text.trim();
    if text.chars().count() > MAX_TEXT {
        return Err(format!("at most {MAX_TEXT} characters"));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// Dollars as the API writes them (`125.5`) into integer cents, without
/// floating point: the number's decimal text is read digit by digit.
pub fn parse_dollars(number: &serde_json::Number) -> Result<i64, &'static str> {
    const MESSAGE: &str = "must be a non-negative amount with at most two decimals";
    let text = number.to_string();
    if text.starts_with('-') || text.contains(['e', 'E']) {
        return Err(MESSAGE);
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > 2 || whole.is_empty() || whole.len() > 12 {
        return Err(MESSAGE);
    }
    let whole: i64 = whole.parse().map_err(|_| MESSAGE)?;
    let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| MESSAGE)?;
    Ok(whole * 100 + cents)
}

/// Cents shown as dollars with two decimals (`12550` → `125.5`).
pub fn dollars(cents: i64) -> Value {
    Value::Number(pc_platform::money::Cents(cents).dollars())
}

/// The contact fields of a lead, all optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub website: Option<String>,
    pub country: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
}

impl Contact {
    /// The names of the contact fields, as the API and import headers use them.
    pub const FIELDS: [&'static str; 9] = [
        "firstName",
        "lastName",
        "company",
        "phone",
        "title",
        "website",
        "country",
        "industry",
        "companySize",
    ];

    /// The field called `name` (one of [`Contact::FIELDS`]).
    pub fn field_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "firstName" => &mut self.first_name,
            "lastName" => &mut self.last_name,
            "company" => &mut self.company,
            "phone" => &mut self.phone,
            "title" => &mut self.title,
            "website" => &mut self.website,
            "country" => &mut self.country,
            "industry" => &mut self.industry,
            "companySize" => &mut self.company_size,
            _ => return None,
        })
    }
}

/// A lead as stored at `LEAD#<id>` / `LEAD` (see `leads_store`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadRecord {
    pub id: String,
    pub partner_id: String,
    /// Lowercased; unique per partner (guard item).
    pub email: String,
    #[serde(flatten)]
    pub contact: Contact,
    pub source: LeadSource,
    pub deal_status: DealStatus,
    pub deal_amount_cents: Option<i64>,
    pub sales_manager: Option<String>,
    /// Start of the latest meeting of any status.
    #[serde(default, with = "serde_millis::option")]
    pub scheduled_date: Option<DateTime<Utc>>,
    pub hubspot_contact_id: Option<String>,
    pub hubspot_deal_id: Option<String>,
    /// Start time of every meeting of this lead by ChiliPiper id, so the
    /// latest start is computed from the lead item alone, under its version.
    #[serde(default)]
    pub meeting_starts: BTreeMap<String, String>,
    /// The ChiliPiper meeting whose event created this lead, if one did
    /// (its new-lead notices were committed with the lead, in its outbox).
    #[serde(default)]
    pub created_by_meeting: Option<String>,
    /// Who referred the lead and on what terms, for a lead a referral
    /// partner submitted (see `referral_commission`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<crate::referral_commission::LeadReferral>,
    /// Bumped on every write; writes are conditional on the version read.
    pub version: i64,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "serde_millis")]
    pub updated_at: DateTime<Utc>,
}

impl LeadRecord {
    /// A fresh lead in status `new`.
    pub fn new(
        id: String,
        partner_id: String,
        email: LeadEmail,
        source: LeadSource,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            partner_id,
            email: email.into_string(),
            contact: Contact::default(),
            source,
            deal_status: DealStatus::New,
            deal_amount_cents: None,
            sales_manager: None,
            scheduled_date: None,
            hubspot_contact_id: None,
            hubspot_deal_id: None,
            meeting_starts: BTreeMap::new(),
            created_by_meeting: None,
            referral: None,
            version: 0,
            created_at: now,
            updated_at: now,
        }
    }

    /// The latest meeting start, from [`LeadRecord::meeting_starts`].
    pub fn latest_meeting_start(&self) -> Option<DateTime<Utc>> {
        self.meeting_starts
            .values()
            .filter_map(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .max()
    }

    /// The fields an audit event shows before and after a change.
    pub fn summary(&self) -> Value {
        serde_json::json!({
            "email": self.email,
            "firstName": self.contact.first_name,
            "lastName": self.contact.last_name,
            "company": self.contact.company,
            "dealStatus": self.deal_status,
            "dealAmount": self.deal_amount_cents.map(dollars),
            "salesManager": self.sales_manager,
            "scheduledDate": self.scheduled_date.map(timestamp),
        })
    }

    /// Whether two versions differ in anything a user can see.
    pub fn same_content(&self, other: &LeadRecord) -> bool {
        self.email == other.email
            && self.contact == other.contact
            && self.deal_status == other.deal_status
            && self.deal_amount_cents == other.deal_amount_cents
            && self.sales_manager == other.sales_manager
            && self.scheduled_date == other.scheduled_date
            && self.hubspot_contact_id == other.hubspot_contact_id
            && self.hubspot_deal_id == other.hubspot_deal_id
            && self.meeting_starts == other.meeting_starts
    }
}

/// A note on a lead, stored at `LEAD#<leadId>` / `NOTE#<createdAt>#<id>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoteRecord {
    pub id: String,
    pub lead_id: String,
    pub text: String,
    pub user_id: String,
    pub user_name: String,
    #[serde(with = "serde_millis")]
    #[schema(value_type = String)]
    pub created_at: DateTime<Utc>,
}

/// `{id, name}` of a lead's partner, on staff rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PartnerRef {
    pub id: String,
    pub name: String,
}

/// A note as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoteView {
    pub id: String,
    pub text: String,
    pub user_id: String,
    pub user_name: String,
    pub created_at: String,
}

impl From<&NoteRecord> for NoteView {
    fn from(n: &NoteRecord) -> Self {
        Self {
            id: n.id.clone(),
            text: n.text.clone(),
            user_id: n.user_id.clone(),
            user_name: n.user_name.clone(),
            created_at: timestamp(n.created_at),
        }
    }
}

/// A lead as the API shows it (`partner` only on staff answers, `notes`
/// and `meetings` only on the single-lead answer).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeadView {
    pub id: String,
    pub partner_id: String,
    pub email: String,
    #[serde(flatten)]
    pub contact: Contact,
    pub source: LeadSource,
    pub deal_status: DealStatus,
    /// Dollars, two decimals.
    #[schema(value_type = Option<f64>)]
    pub deal_amount: Value,
    pub sales_manager: Option<String>,
    pub scheduled_date: Option<String>,
    pub hubspot_contact_id: Option<String>,
    pub hubspot_deal_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<PartnerRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Vec<NoteView>>,
    /// The lead's meetings, newest first (its page's Appointments tab).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<crate::meetings_api::MeetingView>>)]
    pub meetings: Option<Vec<Value>>,
}

impl LeadView {
    pub fn of(lead: &LeadRecord) -> Self {
        Self {
            id: lead.id.clone(),
            partner_id: lead.partner_id.clone(),
            email: lead.email.clone(),
            contact: lead.contact.clone(),
            source: lead.source,
            deal_status: lead.deal_status,
            deal_amount: lead.deal_amount_cents.map(dollars).unwrap_or(Value::Null),
            sales_manager: lead.sales_manager.clone(),
            scheduled_date: lead.scheduled_date.map(timestamp),
            hubspot_contact_id: lead.hubspot_contact_id.clone(),
            hubspot_deal_id: lead.hubspot_deal_id.clone(),
            created_at: timestamp(lead.created_at),
            updated_at: timestamp(lead.updated_at),
            partner: None,
            notes: None,
            meetings: None,
        }
    }

    /// The view as a JSON row, for the list filters.
    pub fn to_row(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            LeadEmail::parse(" Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.io",
            "ann@x",
            "a b@x.io",
            "ann@x..io",
            "a@b@c.io",
        ] {
            assert!(LeadEmail::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dollars_become_cents_without_floats() {
        let n = |text: &str| serde_json::from_str::<serde_json::Number>(text).unwrap();
        assert_eq!(parse_dollars(&n("125.5")), Ok(12550));
        assert_eq!(parse_dollars(&n("0.07")), Ok(7));
        assert_eq!(parse_dollars(&n("19.99")), Ok(1999));
        assert_eq!(parse_dollars(&n("100")), Ok(10000));
        assert!(parse_dollars(&n("1.005")).is_err());
        assert!(parse_dollars(&n("-1")).is_err());
        assert!(parse_dollars(&n("1e30")).is_err());
        assert_eq!(dollars(12550), serde_json::json!(125.5));
    }

    #[test]
    fn stored_lead_round_trips() {
        let lead = LeadRecord::new(
            "L1".into(),
            "P1".into(),
            LeadEmail::parse("a@b.io").unwrap(),
            LeadSource::Manual,
            DateTime::parse_from_rfc3339("2024-01-15T17:00:00.123Z")
                .unwrap()
                .to_utc(),
        );
        let back: LeadRecord =
            serde_json::from_value(serde_json::to_value(&lead).unwrap()).unwrap();
        assert_eq!(back, lead);
    }
}
