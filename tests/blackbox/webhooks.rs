//! Black-box scenarios of outbound partner webhooks: preferences with a
//! secret shown once, signed deliveries checked by an independent HMAC,
//! exactly one delivery per event and subscribed partner, retries against
//! a receiver that fails then recovers (on the settable clock), giving up
//! after 24 hours with one email, redelivery, the SSRF guard with the
//! dev-server allowance off, and the tenancy of the delivery log.

use chrono::Duration;
use pc_accounts::webhook_secret;
use pc_http::identity::partner_key;
use pc_platform::cipher::FieldCipher;
use pc_platform::store::Update;
use pc_tests::marketplace_support::{Agency, agency, sign_in_again};
use pc_tests::reqwest::{Method, Response, StatusCode};
use pc_tests::webhooks_support::{Receiver, advance, json_body, push_event, signature_matches};
use pc_tests::{TestApp, expect_json, json, webhook_scenario};

/// Sets `agency`'s webhook; answers the preferences answer.
async fn set_webhook(app: &TestApp, agency: &Agency, webhook: serde_json::Value) -> Response {
    app.send(
        &agency.admin,
        Method::PATCH,
        &format!("/v1/partners/{}/notification-preferences", agency.id),
        Some(&json!({"webhook": webhook})),
    )
    .await
}

/// The delivery log of `partner_id` as `agency`'s admin sees it.
async fn log_of(app: &TestApp, agency: &Agency, partner_id: &str) -> serde_json::Value {
    let response = app
        .send(
            &agency.admin,
            Method::GET,
            &format!("/v1/partners/{partner_id}/webhook-deliveries"),
            None,
        )
        .await;
    expect_json(response, StatusCode::OK).await
}

/// The secret `agency` gets when it sets a webhook to `url` for `events`.
async fn subscribe(app: &TestApp, agency: &Agency, url: &str, events: &[&str]) -> String {
    let answer = expect_json(
        set_webhook(app, agency, json!({"url": url, "events": events})).await,
        StatusCode::OK,
    )
    .await;
    let secret = answer["webhook"]["secret"]
        .as_str()
        .expect("the secret, once");
    assert!(
        secret.starts_with("whsec_") && secret.len() == 70,
        "{secret}"
    );
    secret.to_owned()
}

webhook_scenario!(a_subscribed_partner_gets_one_signed_delivery, true, |app| {
    let receiver = Receiver::start().await;
    let acme = agency(app, "Acme", &[]).await;
    let other = agency(app, "Other", &[]).await;
    let quiet = agency(app, "Quiet", &[]).await;
    let secret = subscribe(app, &acme, &receiver.url(), &["lead.created"]).await;
    subscribe(app, &other, &receiver.url(), &["invoice.paid"]).await;

    // The secret is never shown again, and only the server makes one.
    let partner = expect_json(
        app.send(
            &acme.admin,
            Method::GET,
            &format!("/v1/partners/{}", acme.id),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let hook = &partner["notificationPreferences"]["webhook"];
    assert_eq!(hook["hasSecret"], true);
    assert!(hook.get("secret").is_none(), "{hook}");
    let refused = set_webhook(app, &acme, json!({"secret": "mine-mine-mine-mine"})).await;
    let body = expect_json(refused, StatusCode::BAD_REQUEST).await;
    assert!(body.to_string().contains("webhook.secret"), "{body}");
    let refused = set_webhook(app, &acme, json!({"events": ["lead.bogus"]})).await;
    let body = expect_json(refused, StatusCode::BAD_REQUEST).await;
    assert!(body.to_string().contains("webhook.events[0]"), "{body}");
    let refused = set_webhook(app, &acme, json!({"events": []})).await;
    expect_json(refused, StatusCode::BAD_REQUEST).await;

    let event = push_event(
        app,
        "evt-1",
        "lead.created",
        &[&acme.id, &other.id, &quiet.id],
    )
    .await;
    app.drain().await;
    // The same event again (a redelivered queue message) changes nothing.
    push_event(
        app,
        "evt-1",
        "lead.created",
        &[&acme.id, &other.id, &quiet.id],
    )
    .await;
    app.drain().await;

    let received = receiver.received();
    assert_eq!(received.len(), 1, "one delivery: {received:?}");
    let request = &received[0];
    let header = request.headers["x-pc-signature"].to_str().unwrap();
    assert!(
        signature_matches(header, &secret, &request.body),
        "{header}"
    );
    assert!(!signature_matches(header, "whsec_wrong", &request.body));
    assert_eq!(request.headers["content-type"], "application/json");
    let sent = json_body(request);
    assert_eq!(sent["id"], "evt-1");
    assert_eq!(sent["type"], "lead.created");
    assert_eq!(sent["data"], event.data);

    let log = log_of(app, &acme, &acme.id).await;
    assert_eq!(log["meta"]["total"], 1, "{log}");
    let delivery = &log["list"][0];
    assert_eq!(delivery["state"], "delivered");
    assert_eq!(delivery["attemptCount"], 1);
    assert_eq!(delivery["lastStatusCode"], 204);
    assert_eq!(delivery["eventId"], "evt-1");
    assert_eq!(
        request.headers["idempotency-key"],
        delivery["id"].as_str().unwrap()
    );
    assert_eq!(log_of(app, &other, &other.id).await["meta"]["total"], 0);

    // A rotated secret signs what follows; the old one no longer does.
    let rotated = expect_json(
        set_webhook(app, &acme, json!({"rotateSecret": true})).await,
        StatusCode::OK,
    )
    .await;
    let new_secret = rotated["webhook"]["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    push_event(app, "evt-2", "lead.created", &[&acme.id]).await;
    app.drain().await;
    let latest = receiver.received().pop().unwrap();
    let header = latest.headers["x-pc-signature"].to_str().unwrap();
    assert!(signature_matches(header, &new_secret, &latest.body));
    assert!(!signature_matches(header, &secret, &latest.body));
});

webhook_scenario!(
    a_receiver_failing_then_recovering_gets_it_once,
    true,
    |app| {
        let receiver = Receiver::start().await;
        let acme = agency(app, "Acme", &[]).await;
        subscribe(app, &acme, &receiver.url(), &["*"]).await;
        receiver.fail(true);
        push_event(app, "evt-down", "meeting.booked", &[&acme.id]).await;
        app.drain().await;
        let log = log_of(app, &acme, &acme.id).await;
        let delivery = &log["list"][0];
        assert_eq!(delivery["state"], "pending", "{delivery}");
        assert_eq!(delivery["lastStatusCode"], 500);
        assert!(delivery["nextRetryAt"].is_string(), "{delivery}");

        // Ten minutes of failures, a minute at a time.
        for _ in 0..10 {
            advance(app, Duration::minutes(1));
            app.drain().await;
        }
        let failed_attempts = receiver.received().len();
        assert!(failed_attempts >= 3, "backoff retried: {failed_attempts}");
        assert!(receiver.accepted().is_empty());

        receiver.fail(false);
        for _ in 0..6 {
            advance(app, Duration::minutes(10));
            app.drain().await;
        }
        assert_eq!(
            receiver.accepted().len(),
            1,
            "delivered once after recovery"
        );
        sign_in_again(app, &acme).await;
        let log = log_of(app, &acme, &acme.id).await;
        let delivery = &log["list"][0];
        assert_eq!(delivery["state"], "delivered", "{delivery}");
        assert_eq!(delivery["attemptCount"], failed_attempts + 1);
        assert!(delivery["nextRetryAt"].is_null());
        let ids: Vec<_> = receiver
            .received()
            .iter()
            .map(|r| r.headers["idempotency-key"].clone())
            .collect();
        assert!(
            ids.windows(2).all(|w| w[0] == w[1]),
            "one delivery id on every attempt"
        );
        // The clock moved an hour; the signature's `t` did not: a
        // receiver's five-minute check runs on its own real clock.
        let accepted = receiver.accepted();
        let header = accepted[0].headers["x-pc-signature"].to_str().unwrap();
        let t: i64 = header
            .split(',')
            .find_map(|p| p.strip_prefix("t="))
            .and_then(|t| t.parse().ok())
            .expect("a t= part");
        let skew = (chrono::Utc::now().timestamp() - t).abs();
        assert!(skew < 120, "t={t} is {skew}s from real time");
    }
);

webhook_scenario!(
    after_24_hours_of_failures_admins_are_emailed_once_and_can_redeliver,
    true,
    |app| {
        let receiver = Receiver::start().await;
        let acme = agency(app, "Acme", &[]).await;
        subscribe(app, &acme, &receiver.url(), &["lead.status_changed"]).await;
        receiver.fail(true);
        push_event(app, "evt-lost", "lead.status_changed", &[&acme.id]).await;
        app.drain().await;
        for _ in 0..26 {
            advance(app, Duration::hours(1));
            app.drain().await;
        }
        sign_in_again(app, &acme).await;
        let delivery = log_of(app, &acme, &acme.id).await["list"][0].clone();
        assert_eq!(delivery["state"], "failed", "{delivery}");
        assert!(delivery["failedAt"].is_string());
        let attempts = delivery["attemptCount"].as_u64().unwrap();
        assert!((20..=40).contains(&attempts), "{attempts} attempts");
        assert_eq!(receiver.received().len() as u64, attempts);
        advance(app, Duration::hours(2));
        app.drain().await;
        let mails =
            pc_tests::notify_support::mails_to(app, &acme.admin_email, "Webhook delivery failed")
                .await;
        assert_eq!(mails.len(), 1, "one email: {mails:?}");
        assert!(
            mails[0]["text"]
                .as_str()
                .unwrap()
                .contains("lead.status_changed")
        );

        // Redelivery starts a new round. Workers run in the background, so
        // the receiver keeps failing until the round's first attempt is
        // recorded: the delivery is pending before and after it, and asking
        // again while pending changes nothing.
        sign_in_again(app, &acme).await;
        let path = format!(
            "/v1/partners/{}/webhook-deliveries/{}/redeliver",
            acme.id,
            delivery["id"].as_str().unwrap()
        );
        let redeliver = || async {
            expect_json(
                app.send(&acme.admin, Method::POST, &path, Some(&json!({})))
                    .await,
                StatusCode::ACCEPTED,
            )
            .await
        };
        assert_eq!(redeliver().await["state"], "pending");
        app.drain().await;
        let again = redeliver().await;
        assert_eq!(again["state"], "pending");
        assert_eq!(again["attemptCount"].as_u64().unwrap(), attempts + 1);

        receiver.fail(false);
        advance(app, Duration::hours(1));
        app.drain().await;
        assert_eq!(receiver.accepted().len(), 1);
        sign_in_again(app, &acme).await;
        let delivery = log_of(app, &acme, &acme.id).await["list"][0].clone();
        assert_eq!(delivery["state"], "delivered");
        // The clock also runs in real time: a slow machine may fit one more
        // failed retry in before the receiver recovers.
        assert!(delivery["attemptCount"].as_u64().unwrap() >= attempts + 2);
    }
);

webhook_scenario!(
    ssrf_targets_are_refused_without_the_dev_allowance,
    false,
    |app| {
        let receiver = Receiver::start().await;
        let acme = agency(app, "Acme", &[]).await;
        let local = receiver.url();
        for url in [
            "https://127.0.0.1/hook",
            "https://10.0.0.8/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/hook",
            "https://[fd00:ec2::254]/hook",
            "https://localhost/hook",
            "http://hooks.example.com/hook",
            // IPv6 addresses that reach a private IPv4 host, or a host
            // the address alone cannot tell.
            "https://[64:ff9b::a00:8]/hook",
            "https://[64:ff9b:1::a00:8]/hook",
            "https://[::ffff:0:a00:8]/hook",
            "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook",
            "https://[2002:c0a8:101::1]/hook",
            "https://192.88.99.1/hook",
            local.as_str(),
        ] {
            let refused = set_webhook(app, &acme, json!({"url": url, "events": ["*"]})).await;
            let body = expect_json(refused, StatusCode::BAD_REQUEST).await;
            assert!(body.to_string().contains("webhook.url"), "{url}: {body}");
        }

        // Checked again at delivery: a webhook stored pointing at loopback
        // (saved before the rules, say) is refused without a connection.
        let ctx = &app.server.context;
        let cipher = FieldCipher::from_config(&ctx.config).unwrap();
        for (i, url) in [
            format!("https://127.0.0.1:{}/hook", receiver.addr.port()),
            format!("https://localhost:{}/hook", receiver.addr.port()),
            format!("https://[::1]:{}/hook", receiver.addr.port()),
            "https://169.254.169.254/latest/meta-data".to_owned(),
        ]
        .iter()
        .enumerate()
        {
            let sealed = webhook_secret::seal(&cipher, &acme.id, "whsec_stored");
            let hook = json!({"url": url, "events": ["*"], "sealedSecret": sealed});
            ctx.store
                .update(
                    Update::new(partner_key(&acme.id))
                        .set("notificationPreferences", json!({"webhook": hook})),
                )
                .await
                .unwrap();
            push_event(app, &format!("evt-ssrf-{i}"), "lead.created", &[&acme.id]).await;
            app.drain().await;
            let log = log_of(app, &acme, &acme.id).await;
            let attempt = &log["list"][0]["attempts"][0];
            assert!(
                attempt["error"].as_str().unwrap().starts_with("refused"),
                "{url}: {attempt}"
            );
            assert!(attempt["statusCode"].is_null());
        }
        assert!(
            receiver.received().is_empty(),
            "nothing reached the receiver"
        );
    }
);

webhook_scenario!(the_delivery_log_is_the_partners_own, true, |app| {
    let receiver = Receiver::start().await;
    let acme = agency(app, "Acme", &[]).await;
    let rival = agency(app, "Rival", &[]).await;
    subscribe(app, &acme, &receiver.url(), &["*"]).await;
    push_event(app, "evt-own", "invoice.paid", &[&acme.id]).await;
    app.drain().await;
    let delivery_id = log_of(app, &acme, &acme.id).await["list"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let theirs = app
        .send(
            &rival.admin,
            Method::GET,
            &format!("/v1/partners/{}/webhook-deliveries", acme.id),
            None,
        )
        .await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    for partner in [&acme.id, &rival.id] {
        let redeliver = app
            .send(
                &rival.admin,
                Method::POST,
                &format!("/v1/partners/{partner}/webhook-deliveries/{delivery_id}/redeliver"),
                Some(&json!({})),
            )
            .await;
        assert_eq!(redeliver.status(), StatusCode::NOT_FOUND, "via {partner}");
    }
    app.sign_in_owner().await;
    let staff = expect_json(
        app.get(&format!("/v1/partners/{}/webhook-deliveries", acme.id))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(staff["meta"]["total"], 1);
    assert_eq!(receiver.accepted().len(), 1);
});
