//! Stripe's failures in the port's terms, by what the caller should do:
//! a declined card is final, a request Stripe refuses as it is cannot
//! succeed unchanged, and anything transient is retried with the same
//! idempotency key.

use std::error::Error as _;
use std::fmt::Display;

use pc_platform::payments::PaymentError;
use stripe_client_core::StripeClientErr;

/// A failed call, already in the port's terms: the client trait wants an
/// error type of this crate.
#[derive(Debug)]
pub(crate) struct Failure(PaymentError);

impl From<Failure> for PaymentError {
    fn from(failure: Failure) -> Self {
        failure.0
    }
}

/// A success whose body does not parse as the object asked for.
impl StripeClientErr for Failure {
    fn deserialize_err(detail: impl Display) -> Self {
        Failure(unreadable(&detail.to_string()))
    }
}

/// Stripe's error body, of which only what the port reports is read.
#[derive(miniserde::Deserialize)]
struct ErrorBody {
    error: ErrorObject,
}

#[derive(miniserde::Deserialize)]
struct ErrorObject {
    #[serde(rename = "type")]
    kind: String,
    code: Option<String>,
    decline_code: Option<String>,
    message: Option<String>,
}

/// The failure of a call Stripe answered with `status` (not 2xx) and
/// `body`.
pub(crate) fn answered(status: u16, body: &[u8]) -> Failure {
    let parsed = std::str::from_utf8(body)
        .ok()
        .and_then(|text| miniserde::json::from_str::<ErrorBody>(text).ok());
    Failure(match parsed {
        Some(body) => answered_error(&body.error, status),
        None => unreadable(&format!(
            "an error body that does not parse (HTTP {status})"
        )),
    })
}

/// A body that does not parse may come from a call that took effect (or
/// from a proxy in front of Stripe): a retry with the same key replays
/// Stripe's answer and never creates a second object.
fn unreadable(detail: &str) -> PaymentError {
    PaymentError::Unavailable(format!("unreadable answer from Stripe: {detail}"))
}

/// A call not sent: the key is not held (yet), or is not a header value.
/// Retryable, so the work waits for the secret to be fixed or reloaded.
pub(crate) fn not_sent(detail: String) -> Failure {
    Failure(PaymentError::Unavailable(detail))
}

/// A call without an answer: Stripe unreachable, or too slow.
pub(crate) fn unreachable(error: reqwest::Error) -> Failure {
    if error.is_timeout() {
        return Failure(PaymentError::Unavailable(
            "Stripe did not answer in time".into(),
        ));
    }
    // reqwest's own message is generic ("error sending request"); the
    // cause (refused, reset, TLS) is in its sources.
    let error = error.without_url();
    let mut detail = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        detail = format!("{detail}: {cause}");
        source = cause.source();
    }
    if error.is_builder() {
        return Failure(PaymentError::Refused(format!(
            "invalid Stripe request: {detail}"
        )));
    }
    Failure(PaymentError::Unavailable(format!(
        "cannot reach Stripe: {detail}"
    )))
}

/// An error Stripe answered with `status`: card errors are declines;
/// 409 (a concurrent request with the same idempotency key), 429 (rate or
/// lock limits) and 5xx are transient; any other 4xx is a refusal.
fn answered_error(api: &ErrorObject, status: u16) -> PaymentError {
    let message = describe(api, status);
    if api.kind == "card_error" {
        return PaymentError::Declined(message);
    }
    match status {
        409 | 429 | 500.. => PaymentError::Unavailable(message),
        _ if api.kind == "api_error" => PaymentError::Unavailable(message),
        _ => PaymentError::Refused(message),
    }
}

/// Stripe's message, with its machine-readable codes when given:
/// `Your card was declined. (card_declined, insufficient_funds)`.
fn describe(api: &ErrorObject, status: u16) -> String {
    let message = api
        .message
        .clone()
        .unwrap_or_else(|| format!("{} (HTTP {status})", api.kind));
    let codes: Vec<&str> = [api.code.as_deref(), api.decline_code.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if codes.is_empty() {
        message
    } else {
        format!("{message} ({})", codes.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: u16, body: &str) -> PaymentError {
        answered(status, body.as_bytes()).into()
    }

    #[test]
    fn a_card_error_is_a_decline_whatever_the_status() {
        let body = r#"{"error": {"type": "card_error", "code": "card_declined",
            "decline_code": "insufficient_funds", "message": "Your card was declined.",
            "doc_url": "https://stripe.com/docs/error-codes/card-declined"}}"#;
        assert_eq!(
            failure(402, body),
            PaymentError::Declined(
                "Your card was declined. (card_declined, insufficient_funds)".into()
            )
        );
    }

    #[test]
    fn conflicts_rate_limits_and_server_errors_are_retryable() {
        let body = r#"{"error": {"type": "invalid_request_error", "message": "busy"}}"#;
        for status in [409, 429, 500, 503] {
            assert_eq!(
                failure(status, body),
                PaymentError::Unavailable("busy".into()),
                "HTTP {status}"
            );
        }
    }

    #[test]
    fn an_api_error_is_retryable_even_as_a_4xx() {
        let body = r#"{"error": {"type": "api_error"}}"#;
        assert_eq!(
            failure(400, body),
            PaymentError::Unavailable("api_error (HTTP 400)".into())
        );
    }

    #[test]
    fn another_4xx_is_a_refusal_with_its_code() {
        let body = r#"{"error": {"type": "invalid_request_error", "code": "parameter_missing",
            "param": "customer", "message": "Missing required param: customer."}}"#;
        assert_eq!(
            failure(400, body),
            PaymentError::Refused("Missing required param: customer. (parameter_missing)".into())
        );
    }

    #[test]
    fn an_error_body_that_does_not_parse_is_retryable() {
        for body in [
            "<html>Bad Gateway</html>",
            r#"{"error": {"message": "no type"}}"#,
            "",
        ] {
            let error = failure(400, body);
            assert!(
                matches!(error, PaymentError::Unavailable(ref m) if m.contains("HTTP 400")),
                "{body}: {error:?}"
            );
        }
    }

    #[test]
    fn a_success_that_does_not_parse_is_retryable() {
        let error: PaymentError = Failure::deserialize_err("error deserializing").into();
        assert!(matches!(error, PaymentError::Unavailable(ref m) if m.contains("unreadable")));
    }
}
