//! Stripe's errors, as documented in its API reference, mapped to what the
//! caller should do; each failed call is tried once, the caller retrying
//! with the same idempotency key.

use pc_platform::payments::{NewPaymentIntent, PaymentError, PaymentGateway};
use pc_stripe::StripePayments;
use serde_json::json;

use crate::stripe_server::{StripeServer, metadata};

const INVOICE: &str = "in_1Pgc6tB7WZ01zgkWu9fdqL6I";

fn purchase() -> NewPaymentIntent {
    NewPaymentIntent {
        amount_cents: 12_000,
        customer_id: Some("cus_Buyer01".into()),
        payment_method_id: Some("pm_card_chargeDeclinedInsufficientFunds".into()),
        application_fee_cents: None,
        destination_account: None,
        description: "Lead L03".into(),
        metadata: metadata(&[]),
    }
}

#[tokio::test]
async fn a_card_error_is_a_decline_with_stripes_reason() {
    let stripe = StripeServer::start().await;
    let body = json!({"error": {
        "code": "card_declined",
        "decline_code": "insufficient_funds",
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "message": "Your card has insufficient funds.",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_xNrPMqVeiIv8ru?t=1700000000",
        "type": "card_error"
    }});
    stripe
        .answers("POST", "/v1/payment_intents", 402, body)
        .await;

    let error = stripe
        .payments()
        .create_payment_intent(&purchase(), "purchase:L03")
        .await
        .unwrap_err();

    assert_eq!(
        error,
        PaymentError::Declined(
            "Your card has insufficient funds. (card_declined, insufficient_funds)".into()
        )
    );
}

#[tokio::test]
async fn an_invalid_request_is_refused_with_stripes_message() {
    let stripe = StripeServer::start().await;
    let body = json!({"error": {
        "code": "resource_missing",
        "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
        "message": "No such invoice: 'in_1Pgc6tB7WZ01zgkWu9fdqL6I'",
        "param": "invoice",
        "request_log_url": "https://dashboard.stripe.com/test/logs/req_Hk2ilVn2hYxZjL?t=1700000000",
        "type": "invalid_request_error"
    }});
    stripe
        .answers(
            "POST",
            &format!("/v1/invoices/{INVOICE}/finalize"),
            404,
            body,
        )
        .await;

    let error = stripe
        .payments()
        .finalize_invoice(INVOICE, "finalize:P01ACME:2026-10")
        .await
        .unwrap_err();

    assert_eq!(
        error,
        PaymentError::Refused(
            "No such invoice: 'in_1Pgc6tB7WZ01zgkWu9fdqL6I' (resource_missing)".into()
        )
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_bad_parameter_is_refused() {
    let stripe = StripeServer::start().await;
    let body = json!({"error": {
        "message": "This invoice is not in a draft state and cannot be finalized.",
        "type": "invalid_request_error"
    }});
    stripe
        .answers(
            "POST",
            &format!("/v1/invoices/{INVOICE}/finalize"),
            400,
            body,
        )
        .await;

    let error = stripe
        .payments()
        .finalize_invoice(INVOICE, "finalize:P01ACME:2026-10")
        .await
        .unwrap_err();

    assert!(matches!(error, PaymentError::Refused(ref m) if m.contains("draft state")));
}

#[tokio::test]
async fn a_server_error_is_retryable_and_tried_once() {
    let stripe = StripeServer::start().await;
    let body = json!({"error": {
        "message": "An unknown error occurred",
        "type": "api_error"
    }});
    stripe
        .answers("GET", &format!("/v1/invoices/{INVOICE}"), 500, body)
        .await;

    let error = stripe.payments().get_invoice(INVOICE).await.unwrap_err();

    assert!(matches!(error, PaymentError::Unavailable(_)), "{error:?}");
    assert!(error.is_retryable());
    // The caller retries (with the same idempotency key): none here.
    assert_eq!(stripe.received().await.len(), 1);
}

/// The error of a payment intent creation that Stripe answers with
/// `status` and an `invalid_request_error` of `code`.
async fn payment_intent_refused_with(status: u16, code: &str, message: &str) -> PaymentError {
    let stripe = StripeServer::start().await;
    let body =
        json!({"error": {"code": code, "message": message, "type": "invalid_request_error"}});
    stripe
        .answers("POST", "/v1/payment_intents", status, body)
        .await;
    stripe
        .payments()
        .create_payment_intent(&purchase(), "purchase:L03")
        .await
        .unwrap_err()
}

#[tokio::test]
async fn too_many_requests_is_retryable() {
    let error = payment_intent_refused_with(
        429,
        "rate_limit",
        "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
    )
    .await;

    assert!(matches!(error, PaymentError::Unavailable(ref m) if m.contains("rate_limit")));
}

#[tokio::test]
async fn an_unreadable_answer_is_retryable() {
    let stripe = StripeServer::start().await;
    stripe
        .answers(
            "GET",
            &format!("/v1/invoices/{INVOICE}"),
            502,
            json!("Bad Gateway"),
        )
        .await;

    let error = stripe.payments().get_invoice(INVOICE).await.unwrap_err();

    assert!(matches!(error, PaymentError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn an_unreachable_stripe_is_retryable() {
    // A port nothing listens on any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let payments = StripePayments::new("sk_test_unreachable", Some(&base)).unwrap();

    let error = payments.get_invoice(INVOICE).await.unwrap_err();

    assert!(matches!(error, PaymentError::Unavailable(ref m) if m.contains("cannot reach")));
}

#[tokio::test]
async fn a_concurrent_call_with_the_same_key_is_retryable() {
    let error = payment_intent_refused_with(
        409,
        "idempotency_key_in_use",
        "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): purchase:L03. Please try again later.",
    )
    .await;

    assert!(
        matches!(error, PaymentError::Unavailable(ref m) if m.contains("idempotency_key_in_use")),
        "{error:?}"
    );
}
