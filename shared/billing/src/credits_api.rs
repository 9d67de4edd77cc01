//! `POST /v1/billing/add-credit`: finance credits a partner's Stripe
//! customer balance (its next invoices use it up) and records the credit.
//!
//! The whole body is checked before anything is written or sent. The
//! credit's id is the request's `Idempotency-Key` header (or `requestId`
//! in the body) when given, else a new id: Stripe's call carries
//! `credit:<id>` as its idempotency key and the record is created on
//! condition that the id is free, so a client retrying the same request
//! gets the first credit back, never a second one. The same key with a
//! different partner, amount or description is a 409.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Number;
use utoipa::ToSchema;

use pc_accounts::partners_store::{PartnerRecord, get_partner};
use pc_api::path_params::is_identifier;
use pc_api::{ApiError, ApiResult, AppState, FieldError, Principal, ValidJson};
use pc_platform::payments::NewCredit;
use pc_platform::store::Condition;

use crate::credits_store::{CreditRecord, CreditView, get_credit};
use crate::customers::{billing_config, ensure_customer};
use crate::money::cents_of;

/// Largest amount one credit may carry ($999,999.99, Stripe's ceiling for
/// a USD amount).
pub const MAX_CREDIT_CENTS: i64 = 99_999_999;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddCreditBody {
    pub partner_id: String,
    /// Dollars, above 0, at most two decimals.
    #[schema(value_type = f64)]
    pub amount: Number,
    /// 1 to 500 characters; shown to the customer by Stripe.
    pub description: String,
    /// Makes a retry safe, like the `Idempotency-Key` header.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// A checked request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditRequest {
    pub partner_id: String,
    pub amount_cents: i64,
    pub description: String,
    /// The id a retry repeats, when the client gave one.
    pub credit_id: Option<String>,
}

/// Checks the whole body and the idempotency key; every bad field is named.
pub fn parse_request(
    body: &AddCreditBody,
    header_key: Option<&str>,
) -> Result<CreditRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    let partner_id = body.partner_id.trim();
    if !is_identifier(partner_id) {
        errors.push(FieldError::new("partnerId", "must be a partner id"));
    }
    let amount_cents = cents_of(&body.amount).filter(|c| (1..=MAX_CREDIT_CENTS).contains(c));
    if amount_cents.is_none() {
        errors.push(FieldError::new(
            "amount",
            "must be an amount above 0 and at most 999999.99, with at most two decimals",
        ));
    }
    let description = body.description.trim();
    let length = description.chars().count();
    if length == 0 || length > MAX_DESCRIPTION_CHARS {
        errors.push(FieldError::new(
            "description",
            format!("must be 1 to {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    let body_key = body.request_id.as_deref().map(str::trim);
    let credit_id = match (header_key.map(str::trim), body_key) {
        (Some(h), Some(b)) if h != b => {
            errors.push(FieldError::new(
                "requestId",
                "differs from the Idempotency-Key header",
            ));
            None
        }
        (Some(key), _) | (None, Some(key)) => {
            if !is_identifier(key) {
                let field = if header_key.is_some() {
                    "Idempotency-Key"
                } else {
                    "requestId"
                };
                errors.push(FieldError::new(
                    field,
                    "must be 1 to 64 characters of A-Z a-z 0-9 _ -",
                ));
            }
            Some(key.to_owned())
        }
        (None, None) => None,
    };
    match amount_cents {
        Some(amount_cents) if errors.is_empty() => Ok(CreditRequest {
            partner_id: partner_id.to_owned(),
            amount_cents,
            description: description.to_owned(),
            credit_id,
        }),
        _ => Err(errors),
    }
}

/// Credits the partner's Stripe balance and records it; answers the credit.
#[utoipa::path(post, path = "/v1/billing/add-credit", tag = "billing", request_body = AddCreditBody,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "the same key on a retry answers the first credit instead of making a second")),
    responses((status = 201, body = CreditView), (status = 400), (status = 403),
        (status = 409, description = "`billing_not_configured`, `idempotency_key_reused` or `payment_refused`")),
    security(("cookie" = []), ("bearer" = [])))]
pub async fn add_credit(
    State(ctx): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    ValidJson(body): ValidJson<AddCreditBody>,
) -> ApiResult<(StatusCode, Json<CreditView>)> {
    let header_key = match headers.get(IDEMPOTENCY_HEADER).map(|v| v.to_str()) {
        None => None,
        Some(Ok(text)) => Some(text),
        Some(Err(_)) => {
            return Err(ApiError::invalid_field(
                "Idempotency-Key",
                "must be 1 to 64 characters of A-Z a-z 0-9 _ -",
            ));
        }
    };
    let request = parse_request(&body, header_key).map_err(ApiError::validation)?;
    let partner = get_partner(&*ctx.store, &request.partner_id)
        .await?
        .ok_or_else(|| ApiError::invalid_field("partnerId", "no such partner"))?;
    if let Some(id) = &request.credit_id
        && let Some(first) = get_credit(&*ctx.store, id).await?
    {
        return replay(&first, &request, &partner);
    }
    let config = billing_config(&ctx, &partner.id).await?;
    let customer_id = ensure_customer(&ctx, &config).await?;
    let id = request
        .credit_id
        .clone()
        .unwrap_or_else(|| ctx.ids.new_id());
    let credit = NewCredit {
        customer_id: customer_id.clone(),
        amount_cents: request.amount_cents,
        description: request.description.clone(),
        metadata: [
            ("partnerId".to_owned(), partner.id.clone()),
            ("creditId".to_owned(), id.clone()),
        ]
        .into(),
    };
    let transaction_id = ctx
        .payments
        .credit_balance(&credit, &format!("credit:{id}"))
        .await
        .map_err(crate::BillingError::from)?;
    let record = CreditRecord {
        id: id.clone(),
        partner_id: partner.id.clone(),
        amount_cents: request.amount_cents,
        description: request.description.clone(),
        stripe_customer_id: customer_id,
        stripe_balance_transaction_id: transaction_id,
        created_by: principal.user_id.clone(),
        created_at: ctx.clock.now(),
    };
    match ctx
        .store
        .put(record.item()?, Some(Condition::NotExists))
        .await
    {
        Ok(()) => Ok((
            StatusCode::CREATED,
            Json(CreditView::of(&record, &partner.name)),
        )),
        // The same request, retried concurrently, recorded it first.
        Err(e) if e.is_condition_failure() => match get_credit(&*ctx.store, &id).await? {
            Some(first) => replay(&first, &request, &partner),
            None => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// The answer to a retry: the first credit, or 409 when the id was reused
/// for a different credit.
fn replay(
    first: &CreditRecord,
    request: &CreditRequest,
    partner: &PartnerRecord,
) -> ApiResult<(StatusCode, Json<CreditView>)> {
    if first.answers(
        &request.partner_id,
        request.amount_cents,
        &request.description,
    ) {
        Ok((
            StatusCode::CREATED,
            Json(CreditView::of(first, &partner.name)),
        ))
    } else {
        Err(ApiError::conflict(
            "idempotency_key_reused",
            "this idempotency key was used for a different credit",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn body(v: Value) -> AddCreditBody {
        serde_json::from_value(v).unwrap()
    }

    fn bad_fields(v: Value, header: Option<&str>) -> Vec<String> {
        parse_request(&body(v), header)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_good_request_in_cents() {
        let request = parse_request(
            &body(json!({"partnerId": "P1", "amount": 25.5, "description": " Goodwill "})),
            Some("retry-1"),
        )
        .unwrap();
        assert_eq!(
            request,
            CreditRequest {
                partner_id: "P1".into(),
                amount_cents: 2_550,
                description: "Goodwill".into(),
                credit_id: Some("retry-1".into()),
            }
        );
        let from_body = parse_request(
            &body(json!({"partnerId": "P1", "amount": 1, "description": "x", "requestId": "k"})),
            None,
        )
        .unwrap();
        assert_eq!(from_body.credit_id.as_deref(), Some("k"));
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(
            bad_fields(
                json!({"partnerId": "", "amount": 0, "description": "  "}),
                None
            ),
            ["partnerId", "amount", "description"]
        );
        for amount in [json!(-1), json!(1.005), json!(1e9), json!(1_000_000)] {
            assert_eq!(
                bad_fields(
                    json!({"partnerId": "P1", "amount": amount, "description": "x"}),
                    None
                ),
                ["amount"],
                "{amount}"
            );
        }
        assert!(
            bad_fields(
                json!({"partnerId": "P1", "amount": 999_999.99, "description": "x"}),
                None
            )
            .is_empty()
        );
        let long = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert_eq!(
            bad_fields(
                json!({"partnerId": "P1", "amount": 1, "description": long}),
                None
            ),
            ["description"]
        );
        assert_eq!(
            bad_fields(
                json!({"partnerId": "P1", "amount": 1, "description": "x"}),
                Some("no spaces allowed")
            ),
            ["Idempotency-Key"]
        );
        assert_eq!(
            bad_fields(
                json!({"partnerId": "P1", "amount": 1, "description": "x", "requestId": "a"}),
                Some("b")
            ),
            ["requestId"]
        );
    }
}
