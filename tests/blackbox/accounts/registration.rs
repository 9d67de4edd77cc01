//! Self-registration of a partner company: from the sign-up form through
//! the emailed activation, and concurrent sign-ups for one address.

use pc_tests::accounts_support::{PASSWORD, status_of, token_from_mail};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{browser, expect_json, json, scenario};

scenario!(self_registration_through_activation, |app| {
    let register = json!({"companyName": "Rocket Sales Ltd.", "website": "rocket.test",
        "name": "Rita", "email": "rita@rocket.test"});
    let first = expect_json(
        app.post("/v1/auth/register-partner", &register).await,
        StatusCode::ACCEPTED,
    )
    .await;
    let mail = app.wait_for_mail("rita@rocket.test", "Verify").await;
    // The same answer for an email that exists.
    let second = expect_json(
        app.post("/v1/auth/register-partner", &register).await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(first, second);

    let rita = browser();
    let verify = app
        .send(
            &rita,
            Method::POST,
            "/v1/auth/verify-registration",
            Some(&json!({"token": token_from_mail(&mail), "password": PASSWORD})),
        )
        .await;
    let me = expect_json(verify, StatusCode::OK).await;
    assert_eq!(me["role"], "admin");
    let pid = me["partnerId"].as_str().unwrap().to_owned();

    let partner = expect_json(
        app.send(&rita, Method::GET, &format!("/v1/partners/{pid}"), None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(partner["status"], "pending_approval");
    assert_eq!(partner["slug"], "rocket-sales-ltd");
    assert_eq!(partner["website"], "https://rocket.test");
    let onboarding = expect_json(
        app.send(
            &rita,
            Method::GET,
            &format!("/v1/partners/{pid}/onboarding"),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(onboarding["steps"]["emailVerified"], true);
    assert_eq!(onboarding["steps"]["hubspotConnected"], false);
    assert_eq!(onboarding["percent"], 25);

    // Only the owner activates.
    let path = format!("/v1/partners/{pid}/activate");
    assert_eq!(
        status_of(app, &rita, Method::POST, &path, Some(&json!({}))).await,
        403
    );
    app.sign_in_owner().await;
    let active = expect_json(app.post(&path, &json!({})).await, StatusCode::OK).await;
    assert_eq!(active["status"], "active");

    // Another company with the same name gets the next slug.
    let other =
        json!({"companyName": "Rocket Sales Ltd", "name": "Ron", "email": "ron@rocket2.test"});
    expect_json(
        app.post("/v1/auth/register-partner", &other).await,
        StatusCode::ACCEPTED,
    )
    .await;
    let partners = expect_json(app.get("/v1/partners?search=rocket").await, StatusCode::OK).await;
    let slugs: Vec<&str> = partners["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs.len(), 2);
    assert!(
        slugs.contains(&"rocket-sales-ltd") && slugs.contains(&"rocket-sales-ltd-2"),
        "{slugs:?}"
    );
});

scenario!(concurrent_sign_ups_make_one_account, |app| {
    let body = json!({"companyName": "Race Co", "name": "Racer", "email": "race@race.test"});
    // Ten: as many as one address may register in an hour.
    let attempts = (0..10).map(|_| app.post("/v1/auth/register-partner", &body));
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    app.wait_for_mail("race@race.test", "Verify").await;
    app.sign_in_owner().await;
    let users = expect_json(
        app.get("/v1/users?search=race@race.test").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(users["meta"]["total"], 1);
    let partners = expect_json(app.get("/v1/partners?search=race").await, StatusCode::OK).await;
    assert_eq!(
        partners["meta"]["total"], 1,
        "losers leave no partner behind"
    );
    app.drain().await;
    let mails = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m["to"] == "race@race.test")
        .count();
    assert_eq!(mails, 1);
});
