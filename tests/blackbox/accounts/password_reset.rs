//! Password reset: the forgot/reset round trip and the revocation of
//! every session opened before it.

use pc_tests::accounts_support::{PASSWORD, invite_and_accept, token_from_mail};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{browser, expect_json, json, scenario};

scenario!(password_reset_revokes_old_sessions, |app| {
    app.sign_in_owner().await;
    let (user, _) = invite_and_accept(app, &app.client, "reset.me@acme.test", "admin", None).await;
    expect_json(
        app.send(&user, Method::GET, "/auth/me", None).await,
        StatusCode::OK,
    )
    .await;

    let known = expect_json(
        app.post(
            "/auth/forgot-password",
            &json!({"email": "Reset.Me@acme.test"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let unknown = expect_json(
        app.post(
            "/auth/forgot-password",
            &json!({"email": "ghost@acme.test"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(known, unknown, "no enumeration");
    let mail = app.wait_for_mail("reset.me@acme.test", "Reset").await;
    let token = token_from_mail(&mail);

    let weak = app
        .post(
            "/auth/reset-password",
            &json!({"token": token, "newPassword": "short"}),
        )
        .await;
    let weak = expect_json(weak, StatusCode::BAD_REQUEST).await;
    assert_eq!(weak["error"]["details"][0]["field"], "newPassword");

    let new_password = "Brand-New-Password-7";
    let body = json!({"token": token, "newPassword": new_password});
    expect_json(
        app.post("/auth/reset-password", &body).await,
        StatusCode::OK,
    )
    .await;
    // Single use.
    expect_json(
        app.post("/auth/reset-password", &body).await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    expect_json(
        app.send(&user, Method::GET, "/auth/me", None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    expect_json(
        app.sign_in_as(&browser(), "reset.me@acme.test", PASSWORD)
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let fresh = browser();
    expect_json(
        app.sign_in_as(&fresh, "reset.me@acme.test", new_password)
            .await,
        StatusCode::OK,
    )
    .await;
    expect_json(
        app.send(&fresh, Method::GET, "/auth/me", None).await,
        StatusCode::OK,
    )
    .await;
});
