//! Marketplace payment intents.

use pc_platform::payments::{NewPaymentIntent, PaymentGateway};

use crate::stripe_server::{StripeServer, fixture, metadata};

fn purchase() -> NewPaymentIntent {
    NewPaymentIntent {
        amount_cents: 12_000,
        customer_id: Some("cus_Buyer01".into()),
        payment_method_id: Some("pm_card_visa".into()),
        application_fee_cents: Some(2_400),
        destination_account: Some("acct_1SellerConnected".into()),
        description: "Lead L03 bought on the marketplace".into(),
        metadata: metadata(&[("leadId", "L03")]),
    }
}

#[tokio::test]
async fn a_marketplace_payment_keeps_the_fee_and_pays_the_seller() {
    let stripe = StripeServer::start().await;
    stripe
        .answers(
            "POST",
            "/v1/payment_intents",
            200,
            fixture("payment_intent"),
        )
        .await;

    let intent = stripe
        .payments()
        .create_payment_intent(&purchase(), "purchase:L03")
        .await
        .unwrap();

    assert_eq!(intent.id, "pi_1PgafyB7WZ01zgkWSjxsAJo3");
    assert_eq!(intent.status, "requires_payment_method");
    assert_eq!(intent.amount_cents, 12_000);
    assert_eq!(
        intent.client_secret.as_deref(),
        Some("pi_1PgafyB7WZ01zgkWSjxsAJo3_secret_Dm43xiq1k0ywrRRjDoi8y1gkM")
    );
    assert_eq!(intent.metadata, metadata(&[("leadId", "L03")]));
    let sent = stripe.only_request().await;
    sent.assert_post("/v1/payment_intents");
    sent.assert_signed_with(Some("purchase:L03"));
    sent.assert_fields(&[
        ("amount", "12000"),
        ("currency", "usd"),
        ("customer", "cus_Buyer01"),
        ("payment_method", "pm_card_visa"),
        ("application_fee_amount", "2400"),
        ("transfer_data[destination]", "acct_1SellerConnected"),
        ("description", "Lead L03 bought on the marketplace"),
        ("metadata[leadId]", "L03"),
    ]);
}

#[tokio::test]
async fn a_payment_without_a_seller_account_sends_no_transfer() {
    let stripe = StripeServer::start().await;
    stripe
        .answers(
            "POST",
            "/v1/payment_intents",
            200,
            fixture("payment_intent"),
        )
        .await;
    let direct = NewPaymentIntent {
        application_fee_cents: None,
        destination_account: None,
        ..purchase()
    };

    stripe
        .payments()
        .create_payment_intent(&direct, "purchase:L03")
        .await
        .unwrap();

    let sent = stripe.only_request().await;
    assert_eq!(sent.field("transfer_data[destination]"), None);
    assert_eq!(sent.field("application_fee_amount"), None);
}
