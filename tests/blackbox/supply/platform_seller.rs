//! The platform seller: staff create at most one; it lists without a
//! Stripe Connect account; its buyer's payment intent goes to the
//! platform's own account (no transfer, no application fee) and the whole
//! price counts as the platform's revenue.

use pc_http::identity::Role;
use pc_tests::leads_support::signed_in_user;
use pc_tests::market_support::{
    Side, call, create_lead, get_ok, partner, pay, reserve, stripe_intent,
};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

/// `POST /v1/partners` as the signed-in owner with `kind: platform`.
async fn create_platform(app: &TestApp, name: &str) -> pc_tests::reqwest::Response {
    app.post("/v1/partners", &json!({"name": name, "kind": "platform"}))
        .await
}

/// The platform seller with a signed-in admin.
async fn platform_seller(app: &TestApp) -> Side {
    app.sign_in_owner().await;
    let created = expect_json(create_platform(app, "Belkins").await, StatusCode::CREATED).await;
    let partner_id = created["id"].as_str().unwrap().to_owned();
    let (admin, admin_email) = signed_in_user(app, Some(&partner_id), Role::Admin).await;
    Side {
        partner_id,
        admin,
        admin_email,
    }
}

scenario!(staff_create_one_platform_seller_at_most, |app| {
    app.sign_in_owner().await;
    let (first, second) = tokio::join!(
        create_platform(app, "Belkins"),
        create_platform(app, "Belkins Two")
    );
    let mut statuses = [first.status(), second.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let refused = [first, second]
        .into_iter()
        .find(|r| r.status() == StatusCode::CONFLICT)
        .unwrap();
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "platform_seller_exists");
    let third = expect_json(create_platform(app, "Again").await, StatusCode::CONFLICT).await;
    assert_eq!(third["error"]["code"], "platform_seller_exists");
    // An agency is still created as before.
    expect_json(
        app.post("/v1/partners", &json!({"name": "Agency"})).await,
        StatusCode::CREATED,
    )
    .await;

    // Only the owner creates partners.
    let someone = partner(app, "Someone").await;
    let refused = call(
        app,
        &someone.admin,
        Method::POST,
        "/v1/partners",
        &json!({"name": "Mine", "kind": "platform"}),
    )
    .await;
    expect_json(refused, StatusCode::FORBIDDEN).await;
});

scenario!(a_platform_lead_is_paid_to_the_platform_in_full, |app| {
    let seller = platform_seller(app).await;
    let buyer = partner(app, "Buyer").await;
    let lead = create_lead(
        app,
        &seller.admin,
        &json!({"email": "lost@deal.example", "company": "Lost Deal Co"}),
    )
    .await;
    // Listed without any Stripe Connect account.
    expect_json(
        call(
            app,
            &seller.admin,
            Method::POST,
            &format!("/v1/marketplace/leads/{lead}/list"),
            &json!({"price": 120}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let reservation = reserve(app, &buyer, &lead).await;
    // Paid to the platform's own account: no transfer, no fee.
    let intent_id = pay(app, &buyer, &reservation).await;
    let intent = stripe_intent(app, &intent_id).await;
    assert_eq!(intent["amount"], 12_000);
    assert_eq!(intent["transfer_data"], Value::Null, "{intent}");
    assert_eq!(intent["application_fee_amount"], Value::Null, "{intent}");
    let bought = get_ok(app, &buyer.admin, "/v1/marketplace/purchases?role=buyer").await;
    assert_eq!(bought["list"][0]["status"], "COMPLETED", "{bought}");
    assert_eq!(bought["list"][0]["feeCents"], 12_000);

    let this_month = pc_analytics::tally::month_of(app.server.context.clock.now());
    let range = format!("from={this_month}&to={this_month}");
    app.sign_in_owner().await;
    let market = get_ok(
        app,
        &app.client,
        &format!("/v1/analytics/marketplace?{range}"),
    )
    .await;
    assert_eq!(market["totals"]["volumeCents"], 12_000, "{market}");
    assert_eq!(
        market["totals"]["platformFeeCents"], 12_000,
        "the whole price is the platform's"
    );
    let sold = get_ok(
        app,
        &seller.admin,
        &format!("/v1/analytics/partner/{}?{range}", seller.partner_id),
    )
    .await;
    assert_eq!(sold["totals"]["sales"], 1, "{sold}");
    assert_eq!(sold["totals"]["revenueCents"], 0, "nothing paid out");
});
