//! The body of finance's money requests (`POST /v1/billing/add-credit`,
//! `POST /v1/billing/manual-charge`): `{partnerId, amount, description}`
//! with an optional idempotency key (the `Idempotency-Key` header, or
//! `requestId` in the body), checked whole before anything is written or
//! sent to Stripe.

use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::Number;
use utoipa::ToSchema;

use pc_http::path_params::is_identifier;
use pc_http::{ApiError, FieldError};

use crate::money::cents_of;

/// Largest amount one charge or credit may carry ($999,999.99, Stripe's ceiling for
/// a USD amount).
pub const MAX_AMOUNT_CENTS: i64 = 99_999_999;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FinanceBody {
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
pub struct FinanceRequest {
    pub partner_id: String,
    pub amount_cents: i64,
    pub description: String,
    /// The idempotency key a retry repeats, when the client gave one.
    pub request_id: Option<String>,
}

/// Checks the whole body and the idempotency key; every bad field is named.
pub fn parse_request(
    body: &FinanceBody,
    header_key: Option<&str>,
) -> Result<FinanceRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    let partner_id = body.partner_id.trim();
    if !is_identifier(partner_id) {
        errors.push(FieldError::new("partnerId", "must be a partner id"));
    }
    let amount_cents = cents_of(&body.amount).filter(|c| (1..=MAX_AMOUNT_CENTS).contains(c));
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
    let request_id = match (header_key.map(str::trim), body_key) {
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
        Some(amount_cents) if errors.is_empty() => Ok(FinanceRequest {
            partner_id: partner_id.to_owned(),
            amount_cents,
            description: description.to_owned(),
            request_id,
        }),
        _ => Err(errors),
    }
}

/// The request's `Idempotency-Key` header, if any.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    match headers.get(IDEMPOTENCY_HEADER).map(|v| v.to_str()) {
        None => Ok(None),
        Some(Ok(text)) => Ok(Some(text)),
        Some(Err(_)) => Err(ApiError::invalid_field(
            "Idempotency-Key",
            "must be 1 to 64 characters of A-Z a-z 0-9 _ -",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn body(v: Value) -> FinanceBody {
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
            FinanceRequest {
                partner_id: "P1".into(),
                amount_cents: 2_550,
                description: "Goodwill".into(),
                request_id: Some("retry-1".into()),
            }
        );
        let from_body = parse_request(
            &body(json!({"partnerId": "P1", "amount": 1, "description": "x", "requestId": "k"})),
            None,
        )
        .unwrap();
        assert_eq!(from_body.request_id.as_deref(), Some("k"));
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
