//! Canceling a marketplace payment intent and refunding a paid one.

use pc_platform::payments::{NewRefund, PaymentError, PaymentGateway};

use crate::stripe_server::{StripeServer, fixture, metadata};

const INTENT: &str = "pi_1PgafyB7WZ01zgkWSjxsAJo3";

fn refund(reverse_transfer: bool, refund_application_fee: bool) -> NewRefund {
    NewRefund {
        payment_intent_id: INTENT.into(),
        reverse_transfer,
        refund_application_fee,
        reason: Some("requested_by_customer".into()),
        metadata: metadata(&[("purchaseId", "R03")]),
    }
}

#[tokio::test]
async fn an_abandoned_intent_is_canceled_with_its_key() {
    let stripe = StripeServer::start().await;
    let route = format!("/v1/payment_intents/{INTENT}/cancel");
    stripe
        .answers("POST", &route, 200, fixture("payment_intent_canceled"))
        .await;

    let canceled = stripe
        .payments()
        .cancel_payment_intent(INTENT, "cancel-intent:R03")
        .await
        .unwrap();

    assert_eq!(canceled.id, INTENT);
    assert_eq!(canceled.status, "canceled");
    let sent = stripe.only_request().await;
    sent.assert_post(&route);
    sent.assert_signed_with(Some("cancel-intent:R03"));
    sent.assert_fields(&[("cancellation_reason", "abandoned")]);
}

#[tokio::test]
async fn a_succeeded_intent_cannot_be_canceled() {
    let stripe = StripeServer::start().await;
    let route = format!("/v1/payment_intents/{INTENT}/cancel");
    let error = serde_json::json!({"error": {
        "type": "invalid_request_error", "code": "payment_intent_unexpected_state",
        "message": "You cannot cancel this PaymentIntent because it has a status of succeeded.",
    }});
    stripe.answers("POST", &route, 400, error).await;

    let refused = stripe
        .payments()
        .cancel_payment_intent(INTENT, "cancel-intent:R03")
        .await;

    assert!(matches!(refused, Err(PaymentError::Refused(m)) if m.contains("succeeded")));
}

#[tokio::test]
async fn a_refund_in_full_reverses_the_transfer_and_the_fee() {
    let stripe = StripeServer::start().await;
    stripe
        .answers("POST", "/v1/refunds", 200, fixture("refund"))
        .await;

    let made = stripe
        .payments()
        .refund_payment(&refund(true, true), "refund:R03")
        .await
        .unwrap();

    assert_eq!(made.id, "re_1Pgc72B7WZ01zgkWqPvrRrPE");
    assert_eq!(made.status, "succeeded");
    assert_eq!(made.amount_cents, 12_000);
    let sent = stripe.only_request().await;
    sent.assert_post("/v1/refunds");
    sent.assert_signed_with(Some("refund:R03"));
    sent.assert_fields(&[
        ("payment_intent", INTENT),
        ("reverse_transfer", "true"),
        ("refund_application_fee", "true"),
        ("reason", "requested_by_customer"),
        ("metadata[purchaseId]", "R03"),
    ]);
    // In full: no amount is sent.
    assert_eq!(sent.field("amount"), None);
}

#[tokio::test]
async fn a_platform_sale_is_refunded_without_transfer_or_fee_flags() {
    let stripe = StripeServer::start().await;
    stripe
        .answers("POST", "/v1/refunds", 200, fixture("refund"))
        .await;

    stripe
        .payments()
        .refund_payment(&refund(false, false), "refund:R04")
        .await
        .unwrap();

    let sent = stripe.only_request().await;
    assert_eq!(sent.field("reverse_transfer"), None);
    assert_eq!(sent.field("refund_application_fee"), None);
}

#[tokio::test]
async fn an_unknown_reason_is_refused_before_sending() {
    let stripe = StripeServer::start().await;
    let mut odd = refund(false, false);
    odd.reason = Some("changed_my_mind".into());

    let refused = stripe.payments().refund_payment(&odd, "refund:R05").await;

    assert!(matches!(refused, Err(PaymentError::Refused(_))));
    assert!(stripe.received().await.is_empty());
}
