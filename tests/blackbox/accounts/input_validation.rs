//! Bad input on every accounts endpoint is a 400 that names the field.

use pc_tests::accounts_support::create_partner;
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{expect_json, json, scenario};

scenario!(bad_input_is_a_400_naming_the_field, |app| {
    app.sign_in_owner().await;
    let pid = create_partner(app, &app.client, "Inputs").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases: Vec<(Method, String, serde_json::Value, &str)> = vec![
        (
            Method::POST,
            "/auth/sign-in".into(),
            json!({"password": "x"}),
            "email",
        ),
        (
            Method::POST,
            "/auth/sign-in".into(),
            json!({"email": 5, "password": "x"}),
            "email",
        ),
        (
            Method::POST,
            "/auth/sign-in".into(),
            json!({"email": "not-an-email", "password": "x"}),
            "email",
        ),
        (
            Method::POST,
            "/auth/forgot-password".into(),
            json!({}),
            "email",
        ),
        (
            Method::POST,
            "/auth/reset-password".into(),
            json!({"token": "t"}),
            "newPassword",
        ),
        (
            Method::POST,
            "/auth/complete-registration".into(),
            json!({"token": "t", "name": true, "password": "x"}),
            "name",
        ),
        (
            Method::POST,
            "/v1/auth/register-partner".into(),
            json!({"name": "n", "email": "a@b.test"}),
            "companyName",
        ),
        (
            Method::POST,
            "/v1/auth/register-partner".into(),
            json!({"companyName": "C", "name": "n", "email": "nope"}),
            "email",
        ),
        (
            Method::POST,
            "/v1/auth/verify-registration".into(),
            json!({"token": "t", "password": 12}),
            "password",
        ),
        (
            Method::POST,
            "/v1/users".into(),
            json!({"email": "a@b.test", "name": "n"}),
            "role",
        ),
        (
            Method::POST,
            "/v1/users".into(),
            json!({"email": "a@b.test", "name": "n", "role": "king"}),
            "role",
        ),
        (
            Method::PATCH,
            format!("/v1/users/{}", "x"),
            json!({"name": ["a"]}),
            "name",
        ),
        (
            Method::PATCH,
            "/v1/users/x/status".into(),
            json!({"isActive": "yes"}),
            "isActive",
        ),
        (
            Method::POST,
            "/v1/partners".into(),
            json!({"slug": "x"}),
            "name",
        ),
        (
            Method::POST,
            "/v1/partners".into(),
            json!({"name": "N", "slug": "Not A Slug"}),
            "slug",
        ),
        (
            Method::POST,
            "/v1/partners".into(),
            json!({"name": "N", "icp": {"a": 1}}),
            "icp.a",
        ),
        (
            Method::PATCH,
            format!("/v1/partners/{pid}"),
            json!({"website": "not a url"}),
            "website",
        ),
        (
            Method::PUT,
            format!("/v1/partners/{pid}/billing"),
            json!({"billingTerms": "x"}),
            "billingTerms",
        ),
        (
            Method::PATCH,
            format!("/v1/partners/{pid}/notification-preferences"),
            json!({"email": {"newLead": "no"}}),
            "email.newLead",
        ),
    ];
    for (method, path, body, field) in cases {
        let response = app
            .send(&app.client, method.clone(), &path, Some(&body))
            .await;
        let error = expect_json(response, StatusCode::BAD_REQUEST).await;
        let fields: Vec<&str> = error["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["field"].as_str())
            .collect();
        assert!(fields.contains(&field), "{method} {path}: {error}");
    }
    for path in [
        "/auth/sign-in",
        "/v1/users",
        "/v1/partners",
        "/v1/auth/register-partner",
    ] {
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
    }
});
