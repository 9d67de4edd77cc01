//! `PATCH /v1/leads/{id}`: change a lead.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value};

use pc_http::{ApiResult, AppState, FieldError, Principal, ValidJson};
use pc_platform::store::retry_on_conflict;

use crate::deal_status::{DealStatus, TransitionRefused};
use crate::lead::{LeadEmail, LeadRecord, LeadView, parse_dollars, parse_text};
use crate::lead_changes::{ChangeError, Changed, change_lead};
use crate::leads_store::LeadWriteError;

use super::{view_with_partner, visible_lead, write_error};

/// The fields `PATCH /v1/leads/{id}` accepts; `null` or `""` clears a text.
const PATCHABLE: &[&str] = &[
    "email",
    "firstName",
    "lastName",
    "company",
    "phone",
    "title",
    "website",
    "country",
    "industry",
    "companySize",
    "dealStatus",
    "dealAmount",
    "salesManager",
];

/// The body of `PATCH /v1/leads/{id}`, as documented: every member is
/// optional, a present one replaces the lead's, and `null` or `""` clears a
/// text. [`LeadPatch::parse`] reads it (naming every bad or unknown field);
/// the test below keeps its members and [`PATCHABLE`] the same.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"dealStatus": "in_touch", "dealAmount": 1250.5, "phone": "+1 555 0100"}))]
#[allow(dead_code)]
pub struct LeadChange {
    #[schema(format = Email)]
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    company: Option<String>,
    phone: Option<String>,
    title: Option<String>,
    website: Option<String>,
    country: Option<String>,
    industry: Option<String>,
    company_size: Option<String>,
    /// A move the lead's current status allows (409 otherwise).
    deal_status: Option<DealStatus>,
    /// In dollars, at most two decimals; `null` clears it.
    deal_amount: Option<f64>,
    sales_manager: Option<String>,
}

/// A checked lead change: each present field replaces the lead's.
#[derive(Clone, Debug, Default)]
pub struct LeadPatch {
    email: Option<LeadEmail>,
    texts: Vec<(&'static str, Option<String>)>,
    deal_status: Option<DealStatus>,
    deal_amount: Option<Option<i64>>,
}

impl LeadPatch {
    /// Parses a JSON object, naming every bad or unknown field.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, pc_platform::failure::Failure> {
        let mut patch = LeadPatch::default();
        let mut errors = Vec::new();
        for (name, value) in body {
            let Some(field) = PATCHABLE.iter().find(|f| **f == name) else {
                errors.push(FieldError::new(name, "cannot be changed here"));
                continue;
            };
            match (*field, value) {
                ("email", Value::String(s)) => match LeadEmail::parse(s) {
                    Ok(e) => patch.email = Some(e),
                    Err(m) => errors.push(FieldError::new("email", m)),
                },
                ("dealStatus", Value::String(s)) => match DealStatus::parse(s) {
                    Some(st) => patch.deal_status = Some(st),
                    None => errors.push(FieldError::new(
                        "dealStatus",
                        format!("is one of {}", DealStatus::NAMES.join(", ")),
                    )),
                },
                ("dealAmount", Value::Null) => patch.deal_amount = Some(None),
                ("dealAmount", Value::Number(n)) => match parse_dollars(n) {
                    Ok(c) => patch.deal_amount = Some(Some(c)),
                    Err(m) => errors.push(FieldError::new("dealAmount", m)),
                },
                ("email" | "dealStatus" | "dealAmount", _) => {
                    errors.push(FieldError::new(*field, "has the wrong type"))
                }
                (_, Value::Null) => patch.texts.push((field, None)),
                (_, Value::String(s)) => match parse_text(s) {
                    Ok(v) => patch.texts.push((field, v)),
                    Err(m) => errors.push(FieldError::new(*field, m)),
                },
                (_, _) => errors.push(FieldError::new(*field, "must be text or null")),
            }
        }
        if errors.is_empty() {
            Ok(patch)
        } else {
            Err(pc_platform::failure::Failure::Invalid(errors))
        }
    }

    /// The lead after this change (version and time bumped), refused when
    /// the status may not move that way.
    pub fn apply(
        &self,
        lead: &LeadRecord,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<LeadRecord, TransitionRefused> {
        let mut after = lead.clone();
        if let Some(email) = &self.email {
            after.email = email.as_str().to_owned();
        }
        for (field, value) in &self.texts {
            match *field {
                "salesManager" => after.sales_manager = value.clone(),
                other => {
                    if let Some(slot) = after.contact.field_mut(other) {
                        *slot = value.clone();
                    }
                }
            }
        }
        if let Some(status) = self.deal_status {
            after.deal_status = lead.deal_status.transition(status)?;
        }
        if let Some(amount) = self.deal_amount {
            after.deal_amount_cents = amount;
        }
        after.version = lead.version + 1;
        after.updated_at = now;
        Ok(after)
    }
}

/// Changes a lead (admin): status (see `deal_status` for the allowed
/// moves), amount, contact fields, sales manager. On a referred lead only
/// platform staff may set `won` or the amount (403 `staff_only`).
#[utoipa::path(patch, path = "/v1/leads/{id}", tag = "leads", params(("id" = String, Path)),
    request_body = LeadChange,
    responses((status = 200, body = LeadView), (status = 400),
        (status = 403, description = "`staff_only`: a referred lead's `won` or `dealAmount` set by anyone but platform staff"),
        (status = 404), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(partner_id = ?principal.partner_id, lead_id = %id))]
pub async fn update_lead(
    State(ctx): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    ValidJson(body): ValidJson<Map<String, Value>>,
) -> ApiResult<Json<LeadView>> {
    let patch = LeadPatch::parse(&body)?;
    // A concurrent change makes the conditional write fail; re-read and
    // re-apply the patch a few times before answering 409.
    let changed = retry_on_conflict(|_| async {
        let before = visible_lead(&ctx, &principal, &id).await?;
        match change_lead(&ctx, Some(&principal), &before, &patch, Vec::new()).await {
            Ok(Changed::Unchanged) => Ok(Some(before)),
            Ok(Changed::Stored(after)) => Ok(Some(*after)),
            Err(ChangeError::Write(LeadWriteError::Stale)) => Ok(None),
            Err(ChangeError::Write(e)) => Err(write_error(e)),
            Err(ChangeError::Refused(e)) => Err(e.into()),
            Err(ChangeError::StaffOnly(e)) => Err(e.into()),
        }
    })
    .await?
    .ok_or_else(|| write_error(LeadWriteError::Stale))?;
    Ok(Json(view_with_partner(&ctx, &principal, &changed).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_change_has_exactly_the_patchable_fields() {
        let (documented, required) = pc_http::openapi::object_members::<LeadChange>();
        let mut accepted = PATCHABLE.to_vec();
        accepted.sort_unstable();
        assert_eq!(documented, accepted);
        assert!(required.is_empty(), "every member is optional");
    }
}
