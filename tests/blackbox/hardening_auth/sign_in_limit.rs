//! The sign-in limit: forged `X-Forwarded-For` headers do not lift it and
//! twenty concurrent guesses cannot all slip under it; on the dev server a
//! route ends a lockout met while testing it.

use pc_tests::accounts_support::bare_client;
use pc_tests::reqwest::{Response, StatusCode};
use pc_tests::{TestApp, json, scenario};

use super::fixtures::{OWNER_EMAIL, OWNER_PASSWORD};

/// A wrong-password sign-in for `email` claiming to come from `forwarded_for`.
async fn wrong_guess(app: &TestApp, email: &str, forwarded_for: &str) -> Response {
    bare_client()
        .post(app.url("/auth/sign-in"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": email, "password": "Wrong-Password-1"}))
        .send()
        .await
        .expect("the server answers")
}

/// Eight guesses from eight made-up addresses: statuses and bodies.
async fn eight_forged_guesses(app: &TestApp, email: &str) -> Vec<(u16, String)> {
    let mut answers = Vec::new();
    for i in 1..=8 {
        let response = wrong_guess(app, email, &format!("203.0.113.{i}")).await;
        let status = response.status().as_u16();
        if status == 429 {
            let wait: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=900).contains(&wait), "Retry-After {wait}");
        }
        answers.push((status, response.text().await.unwrap()));
    }
    answers
}

scenario!(
    forged_forwarded_for_does_not_lift_the_sign_in_limit,
    |app| {
        app.clock_at_fresh_rate_windows().await;
        let known = eight_forged_guesses(app, OWNER_EMAIL).await;
        let statuses: Vec<u16> = known.iter().map(|(s, _)| *s).collect();
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
        // An email nobody has answers exactly the same, body for body.
        let unknown = eight_forged_guesses(app, "nobody@nowhere.test").await;
        assert_eq!(known, unknown);
        // The right password waits too.
        let right = app
            .sign_in_as(&bare_client(), OWNER_EMAIL, OWNER_PASSWORD)
            .await;
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    }
);

/// Twenty wrong guesses at once for `email`: (401s, 429s).
async fn twenty_concurrent_guesses(app: &TestApp, email: &str) -> (usize, usize) {
    let guesses = (0..20).map(|i| async move {
        wrong_guess(app, email, &format!("198.51.100.{i}"))
            .await
            .status()
            .as_u16()
    });
    let statuses = futures::future::join_all(guesses).await;
    let refused = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(refused + limited, 20, "{statuses:?}");
    (refused, limited)
}

scenario!(concurrent_guesses_cannot_all_pass_the_limit, |app| {
    app.clock_at_fresh_rate_windows().await;
    let (refused, limited) = twenty_concurrent_guesses(app, OWNER_EMAIL).await;
    assert!((1..=5).contains(&refused), "{refused} got a password check");
    assert!(limited >= 15);
    let (refused, _) = twenty_concurrent_guesses(app, "ghost@nowhere.test").await;
    assert!((1..=5).contains(&refused), "{refused} for an unknown email");
});

scenario!(a_dev_route_ends_a_sign_in_lockout, |app| {
    app.clock_at_fresh_rate_windows().await;
    for _ in 0..5 {
        let guess = wrong_guess(app, OWNER_EMAIL, "203.0.113.9").await;
        assert_eq!(guess.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = app
        .sign_in_as(&bare_client(), OWNER_EMAIL, OWNER_PASSWORD)
        .await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let bad = app.delete("/dev/sign-in-limits/not-an-email").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let cleared = app
        .delete(&format!("/dev/sign-in-limits/{OWNER_EMAIL}"))
        .await;
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    let right = app
        .sign_in_as(&bare_client(), OWNER_EMAIL, OWNER_PASSWORD)
        .await;
    assert_eq!(right.status(), StatusCode::OK);
});
