//! Black-box scenarios of sellers connecting Stripe: the onboarding link
//! (one account however often it is asked for), Stripe's hosted form
//! finished through the fake's dev route, `account.updated` through the
//! webhook moving the state to enabled; only the partner's own admins.

use pc_api::identity::Role;
use pc_tests::leads_support::{seed_partner, signed_in_user};
use pc_tests::reqwest::{Client, Method, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

async fn call(app: &TestApp, client: &Client, method: Method, path: &str) -> (StatusCode, Value) {
    let response = app.send(client, method, path, Some(&json!({}))).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The accounts the fake Stripe holds for `partner_id`.
async fn accounts_of(app: &TestApp, partner_id: &str) -> usize {
    let fake = app.server.context.payments.fake().expect("the fake Stripe");
    let accounts = fake.objects_of_type("account").await.unwrap();
    accounts
        .iter()
        .filter(|a| a["metadata"]["partnerId"] == partner_id)
        .count()
}

scenario!(
    a_seller_connects_once_and_is_enabled_by_stripes_update,
    |app| {
        let seller = seed_partner(app, "Seller", &[]).await;
        let (admin, _) = signed_in_user(app, Some(&seller), Role::Admin).await;
        let path = format!("/v1/partners/{seller}/stripe-connect");

        let (status, before) = call(app, &admin, Method::GET, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            before,
            json!({"connected": false, "chargesEnabled": false, "payoutsEnabled": false})
        );

        // A double click: two links, one account.
        let (first, second) = tokio::join!(
            call(app, &admin, Method::POST, &path),
            call(app, &admin, Method::POST, &path)
        );
        for (status, body) in [&first, &second] {
            assert_eq!(*status, StatusCode::OK, "{body}");
            assert!(
                body["url"].as_str().unwrap().starts_with("https://"),
                "{body}"
            );
        }
        assert_eq!(accounts_of(app, &seller).await, 1);
        let (_, started) = call(app, &admin, Method::GET, &path).await;
        assert_eq!(
            started,
            json!({"connected": true, "chargesEnabled": false, "payoutsEnabled": false})
        );

        let complete = format!("/dev/stripe/connect/{seller}/complete");
        let account = expect_json(app.post(&complete, &json!({})).await, StatusCode::OK).await;
        assert_eq!(account["charges_enabled"], true);
        app.drain().await;
        let (_, enabled) = call(app, &admin, Method::GET, &path).await;
        assert_eq!(
            enabled,
            json!({"connected": true, "chargesEnabled": true, "payoutsEnabled": true})
        );
        // Asking again afterwards still makes no second account.
        let (status, _) = call(app, &admin, Method::POST, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(accounts_of(app, &seller).await, 1);
    }
);

scenario!(only_the_partners_own_admins_connect_it, |app| {
    let seller = seed_partner(app, "Owner Co", &[]).await;
    let other = seed_partner(app, "Other Co", &[]).await;
    let (stranger, _) = signed_in_user(app, Some(&other), Role::Admin).await;
    let (member, _) = signed_in_user(app, Some(&seller), Role::User).await;
    let (staff, _) = signed_in_user(app, None, Role::Admin).await;
    let path = format!("/v1/partners/{seller}/stripe-connect");

    for method in [Method::GET, Method::POST] {
        let (status, body) = call(app, &stranger, method.clone(), &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} by another partner");
        assert_eq!(body["error"]["code"], "not_found");
        let (status, _) = call(app, &member, method, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a non-admin member");
    }
    // Staff read the state but do not connect an account for a partner.
    let (status, _) = call(app, &staff, Method::GET, &path).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(app, &staff, Method::POST, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(accounts_of(app, &seller).await, 0);
    let missing = format!("/dev/stripe/connect/{seller}/complete");
    let answer = app.post(&missing, &json!({})).await;
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
});
