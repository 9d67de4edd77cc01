//! Rate limits on sign-in, refresh and password-reset mail.

use pc_tests::accounts_support::bare_client;
use pc_tests::reqwest::StatusCode;
use pc_tests::{json, scenario, wait_until};

use super::fixtures::{OWNER_EMAIL, OWNER_PASSWORD};

scenario!(sign_in_and_refresh_are_rate_limited, |app| {
    app.clock_at_fresh_rate_windows().await;
    let client = bare_client();
    let attempt = |email: &'static str, password: &'static str| {
        client
            .post(app.url("/auth/sign-in"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            attempt(OWNER_EMAIL, "Wrong-Password-1")
                .await
                .unwrap()
                .status(),
            401
        );
    }
    let limited = attempt(OWNER_EMAIL, "Wrong-Password-1").await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait));
    // Even the right password waits; another email does not.
    assert_eq!(
        attempt(OWNER_EMAIL, OWNER_PASSWORD).await.unwrap().status(),
        429
    );
    assert_eq!(
        attempt("someone@else.test", "Wrong-Password-1")
            .await
            .unwrap()
            .status(),
        401
    );

    let mut refresh_statuses = Vec::new();
    for _ in 0..35 {
        let r = client
            .post(app.url("/auth/token/refresh"))
            .send()
            .await
            .unwrap();
        refresh_statuses.push(r.status().as_u16());
    }
    assert_eq!(refresh_statuses[0], 401);
    assert_eq!(refresh_statuses[34], 429, "{refresh_statuses:?}");

    // Reset emails are capped per address; the answer never changes.
    for _ in 0..7 {
        let r = app
            .post("/auth/forgot-password", &json!({"email": OWNER_EMAIL}))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let resets = || async {
        app.mailbox()
            .await
            .into_iter()
            .filter(|m| {
                m["to"] == OWNER_EMAIL && m["subject"].as_str().unwrap_or("").contains("Reset")
            })
            .count()
    };
    let five = wait_until(|| async { (resets().await == 5).then_some(()) }).await;
    assert!(five.is_some(), "five reset emails");
    app.drain().await;
    assert_eq!(resets().await, 5);
});
