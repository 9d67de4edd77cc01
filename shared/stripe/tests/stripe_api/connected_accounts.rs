//! Sellers' connected accounts and their onboarding links.

use pc_platform::payments::{NewAccountLink, NewConnectedAccount, PaymentError, PaymentGateway};
use serde_json::json;

use crate::stripe_server::{StripeServer, fixture, metadata};

fn seller() -> NewConnectedAccount {
    NewConnectedAccount {
        email: Some("owner@seller.test".into()),
        metadata: metadata(&[("partnerId", "P07")]),
    }
}

#[tokio::test]
async fn a_seller_gets_an_express_account_once_per_key() {
    let stripe = StripeServer::start().await;
    stripe
        .answers("POST", "/v1/accounts", 200, fixture("account_new"))
        .await;

    let account = stripe
        .payments()
        .create_connected_account(&seller(), "connect-account:P07")
        .await
        .unwrap();

    assert_eq!(account.id, "acct_1SellerConnected");
    assert!(!account.charges_enabled && !account.payouts_enabled && !account.details_submitted);
    assert_eq!(account.metadata, metadata(&[("partnerId", "P07")]));
    let sent = stripe.only_request().await;
    sent.assert_post("/v1/accounts");
    sent.assert_signed_with(Some("connect-account:P07"));
    sent.assert_fields(&[
        ("type", "express"),
        ("email", "owner@seller.test"),
        ("metadata[partnerId]", "P07"),
    ]);
}

#[tokio::test]
async fn an_onboarding_link_sends_where_the_seller_comes_back() {
    let stripe = StripeServer::start().await;
    stripe
        .answers("POST", "/v1/account_links", 200, fixture("account_link"))
        .await;
    let link = NewAccountLink {
        account_id: "acct_1SellerConnected".into(),
        refresh_url: "https://app.test/settings/payments?stripe=refresh".into(),
        return_url: "https://app.test/settings/payments?stripe=return".into(),
    };

    let url = stripe.payments().create_account_link(&link).await.unwrap();

    assert_eq!(
        url,
        "https://connect.stripe.com/setup/e/acct_1SellerConnected/MerI6itPZo2K"
    );
    let sent = stripe.only_request().await;
    sent.assert_post("/v1/account_links");
    sent.assert_signed_with(None);
    sent.assert_fields(&[
        ("account", "acct_1SellerConnected"),
        ("type", "account_onboarding"),
        (
            "refresh_url",
            "https://app.test/settings/payments?stripe=refresh",
        ),
        (
            "return_url",
            "https://app.test/settings/payments?stripe=return",
        ),
    ]);
}

#[tokio::test]
async fn an_onboarded_account_reads_as_enabled() {
    let stripe = StripeServer::start().await;
    stripe
        .answers(
            "GET",
            "/v1/accounts/acct_1SellerConnected",
            200,
            fixture("account_enabled"),
        )
        .await;

    let account = stripe
        .payments()
        .get_connected_account("acct_1SellerConnected")
        .await
        .unwrap();

    assert!(account.charges_enabled && account.payouts_enabled && account.details_submitted);
    let sent = stripe.only_request().await;
    assert_eq!(sent.method, "GET");
    sent.assert_signed_with(None);
}

#[tokio::test]
async fn an_unknown_account_is_a_refusal() {
    let stripe = StripeServer::start().await;
    let missing = json!({"error": {
        "type": "invalid_request_error", "code": "resource_missing", "param": "account",
        "message": "No such account: 'acct_missing'",
    }});
    stripe
        .answers("GET", "/v1/accounts/acct_missing", 404, missing)
        .await;

    let error = stripe
        .payments()
        .get_connected_account("acct_missing")
        .await
        .unwrap_err();

    assert!(
        matches!(error, PaymentError::Refused(ref m) if m.contains("No such account")),
        "{error:?}"
    );
}
