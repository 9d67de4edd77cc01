//! Self-registration limits: a rate limit by source address, and an
//! unverified registration that expires and frees its email and slug.

use pc_tests::accounts_support::{PASSWORD, bare_client, token_from_mail};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{browser, expect_json, json, scenario};

scenario!(registration_is_rate_limited_by_source_ip, |app| {
    app.clock_at_fresh_rate_windows().await;
    for i in 0..10 {
        let r = bare_client()
            .post(app.url("/v1/auth/register-partner"))
            .header("x-forwarded-for", format!("192.0.2.{i}"))
            .json(&json!({"companyName": format!("Flood {i}"), "name": "Bot",
                "email": format!("bot{i}@flood.test")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED, "registration {i}");
    }
    let limited = bare_client()
        .post(app.url("/v1/auth/register-partner"))
        .header("x-forwarded-for", "192.0.2.99")
        .json(&json!({"companyName": "Flood X", "name": "Bot", "email": "botx@flood.test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
});

scenario!(
    an_unverified_registration_expires_and_frees_its_email_and_slug,
    |app| {
        let body = json!({"companyName": "Lapse Co", "name": "First", "email": "lapse@lapse.test"});
        expect_json(
            app.post("/v1/auth/register-partner", &body).await,
            StatusCode::ACCEPTED,
        )
        .await;
        app.wait_for_mail("lapse@lapse.test", "Verify").await;

        // Six days on, the email is still held: the same answer, nothing sent.
        let start = app.server.context.clock.now();
        app.set_clock(&(start + chrono::Duration::days(6)).to_rfc3339())
            .await;
        expect_json(
            app.post("/v1/auth/register-partner", &body).await,
            StatusCode::ACCEPTED,
        )
        .await;

        // Past seven days the same email and company register afresh.
        app.set_clock(&(start + chrono::Duration::days(8)).to_rfc3339())
            .await;
        expect_json(
            app.post("/v1/auth/register-partner", &body).await,
            StatusCode::ACCEPTED,
        )
        .await;
        let fresh = pc_tests::wait_until(|| async {
            let mails: Vec<_> = app
                .mailbox()
                .await
                .into_iter()
                .filter(|m| m["to"] == "lapse@lapse.test")
                .collect();
            (mails.len() >= 2).then_some(mails)
        })
        .await
        .expect("a second verification email");
        assert_eq!(fresh.len(), 2, "the held email sent nothing at six days");
        let founder = browser();
        let verified = app
            .send(
                &founder,
                Method::POST,
                "/v1/auth/verify-registration",
                Some(&json!({"token": token_from_mail(&fresh[0]), "password": PASSWORD})),
            )
            .await;
        let me = expect_json(verified, StatusCode::OK).await;
        let pid = me["partnerId"].as_str().unwrap().to_owned();
        let partner = expect_json(
            app.send(&founder, Method::GET, &format!("/v1/partners/{pid}"), None)
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            partner["slug"], "lapse-co",
            "the expired slug is free again"
        );

        // The expired registration left nothing behind.
        app.sign_in_owner().await;
        let partners =
            expect_json(app.get("/v1/partners?search=lapse").await, StatusCode::OK).await;
        assert_eq!(partners["meta"]["total"], 1);
        let users = expect_json(
            app.get("/v1/users?search=lapse@lapse.test").await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(users["meta"]["total"], 1);

        // Once verified, the registration no longer expires.
        app.set_clock(&(start + chrono::Duration::days(30)).to_rfc3339())
            .await;
        let other = json!({"companyName": "Lapse Co", "name": "Late", "email": "lapse@lapse.test"});
        expect_json(
            app.post("/v1/auth/register-partner", &other).await,
            StatusCode::ACCEPTED,
        )
        .await;
        app.sign_in_owner().await;
        let users = expect_json(
            app.get("/v1/users?search=lapse@lapse.test").await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(users["meta"]["total"], 1);
    }
);
