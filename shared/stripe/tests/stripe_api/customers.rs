//! Customers and credit on their balance.

use pc_platform::payments::{NewCredit, NewCustomer, PaymentError, PaymentGateway};

use crate::stripe_server::{StripeServer, fixture, metadata};

#[tokio::test]
async fn a_customer_is_created_with_its_name_email_metadata_and_key() {
    let stripe = StripeServer::start().await;
    stripe
        .answers("POST", "/v1/customers", 200, fixture("customer"))
        .await;
    let customer = NewCustomer {
        name: "Acme Roofing".into(),
        email: Some("billing@acme.example".into()),
        metadata: metadata(&[("partnerId", "P01ACME")]),
    };

    let id = stripe
        .payments()
        .create_customer(&customer, "customer:P01ACME")
        .await
        .unwrap();

    assert_eq!(id, "cus_PartnerAcme01");
    let sent = stripe.only_request().await;
    sent.assert_post("/v1/customers");
    sent.assert_signed_with(Some("customer:P01ACME"));
    sent.assert_fields(&[
        ("name", "Acme Roofing"),
        ("email", "billing@acme.example"),
        ("metadata[partnerId]", "P01ACME"),
    ]);
}

#[tokio::test]
async fn a_customer_without_email_sends_none() {
    let stripe = StripeServer::start().await;
    stripe
        .answers("POST", "/v1/customers", 200, fixture("customer"))
        .await;
    let customer = NewCustomer {
        name: "Acme Roofing".into(),
        email: None,
        metadata: metadata(&[]),
    };

    stripe
        .payments()
        .create_customer(&customer, "customer:P01ACME")
        .await
        .unwrap();

    assert_eq!(stripe.only_request().await.field("email"), None);
}

#[tokio::test]
async fn a_credit_is_a_negative_balance_transaction_in_usd() {
    let stripe = StripeServer::start().await;
    let route = "/v1/customers/cus_PartnerAcme01/balance_transactions";
    stripe
        .answers("POST", route, 200, fixture("customer_balance_transaction"))
        .await;
    let credit = NewCredit {
        customer_id: "cus_PartnerAcme01".into(),
        amount_cents: 500,
        description: "Credit for disputed lead L02".into(),
        metadata: metadata(&[("leadId", "L02")]),
    };

    let id = stripe
        .payments()
        .credit_balance(&credit, "credit:P01ACME:L02")
        .await
        .unwrap();

    assert_eq!(id, "cbtxn_1Pgc75B7WZ01zgkWgM0DfYYl");
    let sent = stripe.only_request().await;
    sent.assert_post(route);
    sent.assert_signed_with(Some("credit:P01ACME:L02"));
    sent.assert_fields(&[
        ("amount", "-500"),
        ("currency", "usd"),
        ("description", "Credit for disputed lead L02"),
        ("metadata[leadId]", "L02"),
    ]);
}

#[tokio::test]
async fn a_credit_that_is_not_positive_is_refused_before_reaching_stripe() {
    let stripe = StripeServer::start().await;
    let credit = NewCredit {
        customer_id: "cus_PartnerAcme01".into(),
        amount_cents: -500,
        description: "a debit in disguise".into(),
        metadata: metadata(&[]),
    };

    let error = stripe
        .payments()
        .credit_balance(&credit, "credit:P01ACME:L02")
        .await
        .unwrap_err();

    assert!(matches!(error, PaymentError::Refused(_)), "{error:?}");
    assert!(stripe.received().await.is_empty());
}
