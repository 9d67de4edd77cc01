//! Stripe's failures in the port's terms, by what the caller should do:
//! a declined card is final, a request Stripe refuses as it is cannot
//! succeed unchanged, and anything transient is retried with the same
//! idempotency key.

use pc_platform::payments::PaymentError;
use stripe::{ApiErrors, ApiErrorsType, StripeError};

/// The port's error for a failed Stripe call.
pub(crate) fn payment_error(error: StripeError) -> PaymentError {
    match error {
        StripeError::Stripe(api, status) => answered_error(&api, status),
        // A body that does not parse may come from a call that took effect
        // (or from a proxy in front of Stripe): a retry with the same key
        // replays Stripe's answer and never creates a second object.
        StripeError::JSONDeserialize(detail) => {
            PaymentError::Unavailable(format!("unreadable answer from Stripe: {detail}"))
        }
        StripeError::ClientError(detail) => {
            PaymentError::Unavailable(format!("cannot reach Stripe: {detail}"))
        }
        StripeError::Timeout => PaymentError::Unavailable("Stripe did not answer in time".into()),
        StripeError::ConfigError(detail) => PaymentError::Refused(detail),
    }
}

/// An error Stripe answered with `status`: card errors are declines;
/// 409 (a concurrent request with the same idempotency key), 429 (rate or
/// lock limits) and 5xx are transient; any other 4xx is a refusal.
fn answered_error(api: &ApiErrors, status: u16) -> PaymentError {
    let message = describe(api, status);
    if api.type_ == ApiErrorsType::CardError {
        return PaymentError::Declined(message);
    }
    match status {
        409 | 429 | 500.. => PaymentError::Unavailable(message),
        _ if api.type_ == ApiErrorsType::ApiError => PaymentError::Unavailable(message),
        _ => PaymentError::Refused(message),
    }
}

/// Stripe's message, with its machine-readable codes when given:
/// `Your card was declined. (card_declined, insufficient_funds)`.
fn describe(api: &ApiErrors, status: u16) -> String {
    let message = api
        .message
        .clone()
        .unwrap_or_else(|| format!("{} (HTTP {status})", api.type_.as_str()));
    let codes: Vec<&str> = [
        api.code.as_ref().map(|c| c.as_str()),
        api.decline_code.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if codes.is_empty() {
        message
    } else {
        format!("{message} ({})", codes.join(", "))
    }
}
