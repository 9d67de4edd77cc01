//! A lead status change asked through the public partner API: the body
//! parsed into a [`StatusCommand`] (checked whole before anything is
//! written), and the request record a partner reads its outcome from.
//!
//! Its items and their keys: [`crate::keys`].

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Number;
use utoipa::ToSchema;

use pc_http::{ApiError, FieldError};
use pc_leads::DealStatus;
use pc_leads::lead::{LeadEmail, parse_dollars};
use pc_leads::leads_api::MAX_NOTE;
use pc_platform::queue::{Message, QueueName};
use pc_platform::store::{Condition, Item, Store, StoreError, Update, Write, to_item};
use pc_platform::time::{serde_millis, timestamp};

pub use crate::keys::request_key;

/// How long a request's outcome stays readable.
pub const REQUEST_LIFETIME: Duration = Duration::days(30);

/// Longest lead id accepted (ids are 26-character ULIDs).
const MAX_LEAD_ID: usize = 64;

/// `POST /api/v1/status`: exactly one of `email` and `leadId`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusBody {
    /// The lead's email (the partner's lead with that email).
    pub email: Option<String>,
    /// The lead's id.
    pub lead_id: Option<String>,
    /// The new deal status: `new`, `scheduled`, `in_touch`, `won`,
    /// `lost_no_show`, `lost_disqualified` or `lost_no_potential`.
    pub status: String,
    /// The deal's amount in dollars (two decimals at most).
    #[schema(value_type = Option<f64>)]
    pub deal_amount: Option<Number>,
    /// A note added to the lead with the change (at most 5,000 characters).
    pub note: Option<String>,
}

/// Which lead of the token's partner a request is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LeadTarget {
    LeadId(String),
    Email(String),
}

/// A checked status change, as it travels on `partner-api-lead`. The
/// partner is the token's, never something the body says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusCommand {
    pub request_id: String,
    pub partner_id: String,
    pub token_id: String,
    pub token_name: String,
    pub lead: LeadTarget,
    pub status: DealStatus,
    pub deal_amount_cents: Option<i64>,
    pub note: Option<String>,
}

impl Message for StatusCommand {
    const QUEUE: QueueName = QueueName::PartnerApiLead;
}

/// The parts of a body that do not depend on who sends it.
#[derive(Debug, PartialEq, Eq)]
pub struct CheckedBody {
    pub lead: LeadTarget,
    pub status: DealStatus,
    pub deal_amount_cents: Option<i64>,
    pub note: Option<String>,
}

impl StatusBody {
    /// Checks every field, naming each bad one.
    pub fn check(self) -> Result<CheckedBody, ApiError> {
        let mut errors = Vec::new();
        let lead = match (self.email, self.lead_id) {
            (Some(email), None) => match LeadEmail::parse(&email) {
                Ok(email) => Some(LeadTarget::Email(email.as_str().to_owned())),
                Err(m) => {
                    errors.push(FieldError::new("email", m));
                    None
                }
            },
            (None, Some(id)) => {
                let id = id.trim();
                if id.is_empty() || id.len() > MAX_LEAD_ID {
                    errors.push(FieldError::new(
                        "leadId",
                        format!("must be 1 to {MAX_LEAD_ID} characters"),
                    ));
                    None
                } else {
                    Some(LeadTarget::LeadId(id.to_owned()))
                }
            }
            (None, None) => {
                errors.push(FieldError::new("email", "give the lead's email or leadId"));
                None
            }
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    "leadId",
                    "give either email or leadId, not both",
                ));
                None
            }
        };
        let status = DealStatus::parse(self.status.trim());
        if status.is_none() {
            errors.push(FieldError::new(
                "status",
                format!("is one of {}", DealStatus::NAMES.join(", ")),
            ));
        }
        let deal_amount_cents = match self.deal_amount.as_ref().map(parse_dollars) {
            Some(Ok(cents)) => Some(cents),
            Some(Err(m)) => {
                errors.push(FieldError::new("dealAmount", m));
                None
            }
            None => None,
        };
        let note = self.note.map(|n| n.trim().to_owned());
        if note
            .as_ref()
            .is_some_and(|n| n.is_empty() || n.chars().count() > MAX_NOTE)
        {
            errors.push(FieldError::new(
                "note",
                format!("must be 1 to {MAX_NOTE} characters"),
            ));
        }
        match (lead, status) {
            (Some(lead), Some(status)) if errors.is_empty() => Ok(CheckedBody {
                lead,
                status,
                deal_amount_cents,
                note,
            }),
            _ => Err(ApiError::validation(errors)),
        }
    }
}

/// Where a request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    /// Queued, not applied yet.
    Pending,
    /// The lead changed (or already was as asked).
    Applied,
    /// Not applied; `error` says why.
    Rejected,
}

impl RequestState {
    fn as_str(self) -> &'static str {
        match self {
            RequestState::Pending => "pending",
            RequestState::Applied => "applied",
            RequestState::Rejected => "rejected",
        }
    }
}

/// Why a request was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RequestError {
    /// `lead_not_found` (no such lead of the token's partner) or
    /// `invalid_transition` (the lead's status may not move that way).
    pub code: String,
    pub message: String,
}

/// A request as stored at `APIREQUEST#<requestId>` / `REQUEST`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    #[serde(flatten)]
    pub command: StatusCommand,
    pub state: RequestState,
    #[serde(default)]
    pub error: Option<RequestError>,
    #[serde(with = "serde_millis")]
    pub created_at: DateTime<Utc>,
}

/// The write that stores a new pending request.
pub fn pending_write(command: &StatusCommand, now: DateTime<Utc>) -> Result<Write, StoreError> {
    let record = RequestRecord {
        command: command.clone(),
        state: RequestState::Pending,
        error: None,
        created_at: now,
    };
    let key = request_key(&command.request_id);
    let mut item: Item = to_item(&record)?;
    item.insert("pk".into(), key.pk.into());
    item.insert("sk".into(), key.sk.into());
    item.insert("entity".into(), "api_request".into());
    item.insert("ttl".into(), (now + REQUEST_LIFETIME).timestamp().into());
    Ok(Write::put_new(item))
}

/// The write that settles a pending request, once: it fails (and with it
/// the transaction it is part of) when the request is already settled.
pub fn settle_write(
    request_id: &str,
    state: RequestState,
    error: Option<&RequestError>,
    now: DateTime<Utc>,
) -> Result<Write, StoreError> {
    let mut update = Update::new(request_key(request_id))
        .set("state", state.as_str())
        .set("settledAt", timestamp(now))
        .when(Condition::equals("state", RequestState::Pending.as_str()));
    if let Some(error) = error {
        let value = serde_json::to_value(error).map_err(|e| StoreError::Invalid(e.to_string()))?;
        update = update.set("error", value);
    }
    Ok(Write::Update(update))
}

pub async fn get(store: &dyn Store, request_id: &str) -> Result<Option<RequestRecord>, StoreError> {
    store.get_as(&request_key(request_id)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use pc_platform::store::from_item;
    use serde_json::json;

    fn check(body: serde_json::Value) -> Result<CheckedBody, Vec<String>> {
        let body: StatusBody = serde_json::from_value(body).unwrap();
        body.check()
            .map_err(|e| e.details.into_iter().map(|d| d.field).collect())
    }

    #[test]
    fn a_good_body_by_email_or_id() {
        let by_email = check(json!({"email": " Lee@Prospect.Example ", "status": "won",
            "dealAmount": 125.5, "note": " signed "}))
        .unwrap();
        assert_eq!(
            by_email,
            CheckedBody {
                lead: LeadTarget::Email("lee@prospect.example".into()),
                status: DealStatus::Won,
                deal_amount_cents: Some(12550),
                note: Some("signed".into()),
            }
        );
        let by_id = check(json!({"leadId": "01J", "status": "in_touch"})).unwrap();
        assert_eq!(by_id.lead, LeadTarget::LeadId("01J".into()));
        assert_eq!(by_id.deal_amount_cents, None);
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(check(json!({"status": "won"})).unwrap_err(), ["email"]);
        assert_eq!(
            check(json!({"email": "a@b.example", "leadId": "x", "status": "won"})).unwrap_err(),
            ["leadId"]
        );
        assert_eq!(
            check(json!({"email": "nope", "status": "sold", "dealAmount": -3, "note": " "}))
                .unwrap_err(),
            ["email", "status", "dealAmount", "note"]
        );
    }

    #[test]
    fn a_record_keeps_its_command() {
        let command = StatusCommand {
            request_id: "r1".into(),
            partner_id: "p1".into(),
            token_id: "t1".into(),
            token_name: "CRM".into(),
            lead: LeadTarget::Email("a@b.example".into()),
            status: DealStatus::LostNoShow,
            deal_amount_cents: None,
            note: None,
        };
        let record = RequestRecord {
            command: command.clone(),
            state: RequestState::Pending,
            error: None,
            created_at: DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
                .unwrap()
                .to_utc(),
        };
        let back: RequestRecord = from_item(to_item(&record).unwrap()).unwrap();
        assert_eq!(back, record);
        let message = serde_json::to_string(&command).unwrap();
        assert!(
            message.contains(r#""lead":{"email":"a@b.example"}"#),
            "{message}"
        );
    }
}
