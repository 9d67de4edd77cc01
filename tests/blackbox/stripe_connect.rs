//! Black-box scenarios of sellers connecting Stripe: the onboarding link
//! (one account however often it is asked for), Stripe's hosted form
//! finished through the fake's dev route, `account.updated` through the
//! Connect webhook moving the state to enabled; only the partner's own
//! admins; a connected account's event is taken only from Stripe's Connect
//! endpoint, signed with its own secret.

use pc_http::identity::Role;
use pc_platform::payments::signature;
use pc_tests::billing_support::{last_event, post_webhook};
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

/// Posts `body` signed with `secret` now to the webhook at `path`.
async fn post_signed(app: &TestApp, path: &str, body: &str, secret: &str) -> (StatusCode, Value) {
    let now = app.server.context.clock.now().timestamp();
    let header = signature::sign(secret, now, body.as_bytes());
    let response = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .header("Stripe-Signature", header)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

scenario!(
    a_connected_accounts_event_counts_only_from_the_connect_endpoint,
    |app| {
        let seller = seed_partner(app, "Guarded Seller", &[]).await;
        let (admin, _) = signed_in_user(app, Some(&seller), Role::Admin).await;
        let path = format!("/v1/partners/{seller}/stripe-connect");
        call(app, &admin, Method::POST, &path).await;
        let config = &app.server.context.config;
        let secret = |secret| config.secrets.current(secret).unwrap().to_string();
        let platform_secret = secret(pc_platform::config::Secret::StripeWebhook);
        let connect_secret = secret(pc_platform::config::Secret::StripeConnectWebhook);

        // The onboarding finishes: Stripe's Connect endpoint delivers the
        // account's event, which names the account.
        let complete = format!("/dev/stripe/connect/{seller}/complete");
        let account = expect_json(app.post(&complete, &json!({})).await, StatusCode::OK).await;
        let sent = last_event(app, "account.updated").await;
        assert_eq!(sent["deliveryStatus"], 200, "{sent}");
        let body = sent["body"].as_str().unwrap().to_owned();
        let parsed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["account"], account["id"]);
        app.drain().await;
        let (_, enabled) = call(app, &admin, Method::GET, &path).await;
        assert_eq!(enabled["chargesEnabled"], true);

        // The same event to the platform endpoint, even signed with its
        // secret, is refused: Connect events have their own endpoint.
        let (status, refused) =
            post_signed(app, "/v1/billing/webhooks/stripe", &body, &platform_secret).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(refused["error"]["code"], "connect_event");
        // An account.updated without `account`, to either endpoint.
        let mut bare = parsed.clone();
        bare.as_object_mut().unwrap().remove("account");
        bare["id"] = json!("evt_forged_bare");
        let bare = bare.to_string();
        let (status, refused) =
            post_signed(app, "/v1/billing/webhooks/stripe", &bare, &platform_secret).await;
        assert_eq!(
            (status, refused["error"]["code"].clone()),
            (StatusCode::BAD_REQUEST, json!("connect_event"))
        );
        let (status, refused) = post_signed(
            app,
            "/v1/billing/webhooks/stripe-connect",
            &bare,
            &connect_secret,
        )
        .await;
        assert_eq!(
            (status, refused["error"]["code"].clone()),
            (StatusCode::BAD_REQUEST, json!("not_a_connect_event"))
        );
        // The Connect endpoint checks its own secret, not the platform's.
        let (status, refused) = post_signed(
            app,
            "/v1/billing/webhooks/stripe-connect",
            &body,
            &platform_secret,
        )
        .await;
        assert_eq!(
            (status, refused["error"]["code"].clone()),
            (StatusCode::BAD_REQUEST, json!("invalid_signature"))
        );
        // A platform event is not taken at the Connect endpoint either.
        let invoice = json!({"id": "evt_platform", "object": "event", "type": "invoice.paid",
            "data": {"object": {"id": "in_1"}}})
        .to_string();
        let (status, refused) = post_signed(
            app,
            "/v1/billing/webhooks/stripe-connect",
            &invoice,
            &connect_secret,
        )
        .await;
        assert_eq!(
            (status, refused["error"]["code"].clone()),
            (StatusCode::BAD_REQUEST, json!("not_a_connect_event"))
        );
        let accepted = post_webhook(
            app,
            &invoice,
            Some(&signature::sign(
                &platform_secret,
                app.server.context.clock.now().timestamp(),
                invoice.as_bytes(),
            )),
        )
        .await;
        assert_eq!(accepted.status(), StatusCode::OK);
    }
);
