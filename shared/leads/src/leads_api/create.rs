//! `POST /v1/leads`: create a lead.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use pc_accounts::partners_store::{PartnerRecord, get_partner};
use pc_http::{ApiError, ApiResult, AppState, FieldError, Principal, ValidJson};
use pc_platform::outbox::Outbox;

use crate::deal_status::{DealStatus, LeadSource};
use crate::lead::{Contact, LeadEmail, LeadRecord, LeadView, parse_dollars, parse_text};
use crate::lead_notices::{change_messages, lead_event};
use crate::leads_store;

use super::{view_with_partner, write_error};

/// `POST /v1/leads`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateLead {
    /// Required for platform staff; a partner's admin creates in their own partner.
    pub partner_id: Option<String>,
    pub email: String,
    #[serde(flatten)]
    pub contact: Contact,
    pub source: Option<LeadSource>,
    pub deal_status: Option<DealStatus>,
    /// Dollars, at most two decimals.
    #[schema(value_type = Option<f64>)]
    pub deal_amount: Option<serde_json::Number>,
    pub sales_manager: Option<String>,
    pub hubspot_contact_id: Option<String>,
    pub hubspot_deal_id: Option<String>,
}

fn clean_contact(contact: &Contact, errors: &mut Vec<FieldError>) -> Contact {
    let mut clean = Contact::default();
    let mut raw = contact.clone();
    for field in Contact::FIELDS {
        let value = raw.field_mut(field).and_then(Option::take);
        if let Some(text) = value {
            match parse_text(&text) {
                Ok(v) => *clean.field_mut(field).expect("a contact field") = v,
                Err(m) => errors.push(FieldError::new(field, m)),
            }
        }
    }
    clean
}

fn clean_text(field: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    match value.map(parse_text) {
        Some(Ok(v)) => v,
        Some(Err(m)) => {
            errors.push(FieldError::new(field, m));
            None
        }
        None => None,
    }
}

/// The partner a new record goes to: a partner's admin gets their own
/// partner; staff must name an existing one.
pub async fn target_partner(
    ctx: &AppState,
    principal: &Principal,
    asked: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> ApiResult<Option<PartnerRecord>> {
    let id = match (principal.scope(), asked) {
        (Some(own), Some(other)) if own != other => return Err(ApiError::not_found("partner")),
        (Some(own), _) => own.to_owned(),
        (None, Some(id)) => id.to_owned(),
        (None, None) => {
            errors.push(FieldError::new("partnerId", "is required"));
            return Ok(None);
        }
    };
    // Ids are identifiers; anything else names no partner (and is kept
    // away from the store's keys).
    let partner = if pc_http::path_params::is_identifier(&id) {
        get_partner(&*ctx.store, &id).await?
    } else {
        None
    };
    if partner.is_none() {
        errors.push(FieldError::new("partnerId", "no such partner"));
    }
    Ok(partner)
}

/// Creates a lead (admin).
#[utoipa::path(post, path = "/v1/leads", tag = "leads", request_body = CreateLead,
    responses((status = 201, body = LeadView), (status = 400), (status = 409)),
    security(("cookie" = []), ("bearer" = [])))]
#[tracing::instrument(skip_all, fields(partner_id = ?principal.partner_id, lead_id))]
pub async fn create_lead(
    State(ctx): State<AppState>,
    principal: Principal,
    ValidJson(body): ValidJson<CreateLead>,
) -> ApiResult<(StatusCode, Json<LeadView>)> {
    let mut errors = Vec::new();
    let email = LeadEmail::parse(&body.email)
        .map_err(|m| errors.push(FieldError::new("email", m)))
        .ok();
    let contact = clean_contact(&body.contact, &mut errors);
    let sales_manager = clean_text("salesManager", body.sales_manager.as_deref(), &mut errors);
    let hubspot_contact_id = clean_text(
        "hubspotContactId",
        body.hubspot_contact_id.as_deref(),
        &mut errors,
    );
    let hubspot_deal_id = clean_text(
        "hubspotDealId",
        body.hubspot_deal_id.as_deref(),
        &mut errors,
    );
    let amount = match body.deal_amount.as_ref().map(parse_dollars).transpose() {
        Ok(a) => a,
        Err(m) => {
            errors.push(FieldError::new("dealAmount", m));
            None
        }
    };
    let partner = target_partner(&ctx, &principal, body.partner_id.as_deref(), &mut errors).await?;
    let (Some(email), Some(partner), true) = (email, partner, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let now = ctx.clock.now();
    let mut lead = LeadRecord::new(
        ctx.ids.new_id(),
        partner.id.clone(),
        email,
        body.source.unwrap_or(LeadSource::Manual),
        now,
    );
    tracing::Span::current().record("lead_id", lead.id.as_str());
    lead.contact = contact;
    lead.deal_status = body.deal_status.unwrap_or(DealStatus::New);
    lead.deal_amount_cents = amount;
    lead.sales_manager = sales_manager;
    lead.hubspot_contact_id = hubspot_contact_id;
    lead.hubspot_deal_id = hubspot_deal_id;
    // The audit event and any lost-lead alert commit with the lead.
    let event = lead_event(&ctx, Some(&principal), "created", None, &lead);
    let mut outbox = Outbox::new(ctx.ids.new_id(), now);
    change_messages(&ctx, &mut outbox, &event, None, &lead, &partner.name)?;
    leads_store::create_with(&*ctx.store, &lead, outbox.write()?.into_iter().collect())
        .await
        .map_err(write_error)?;
    let view = view_with_partner(&ctx, &principal, &lead).await?;
    Ok((StatusCode::CREATED, Json(view)))
}
