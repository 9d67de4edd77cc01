//! The platform itself: health, docs, errors, CORS, dev routes, admin operations.

use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};

scenario!(health_and_docs_answer, |app| {
    let health = expect_json(app.get("/health").await, StatusCode::OK).await;
    assert_eq!(health["status"], "ok");
    let doc = expect_json(app.get("/api/docs/openapi.json").await, StatusCode::OK).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/health"]["get"].is_object());
    assert!(
        doc["paths"].get("/dev/mailbox").is_none(),
        "dev routes are not documented"
    );
    let ui = app.get("/api/docs/").await;
    assert_eq!(ui.status(), StatusCode::OK);
    assert!(ui.text().await.unwrap().contains("swagger"));
});

scenario!(unknown_routes_and_methods_are_json_errors, |app| {
    let body = expect_json(app.get("/v1/nothing-here").await, StatusCode::NOT_FOUND).await;
    assert_eq!(body["error"]["code"], "not_found");
    let body = expect_json(app.delete("/health").await, StatusCode::METHOD_NOT_ALLOWED).await;
    assert_eq!(body["error"]["code"], "method_not_allowed");
});

scenario!(
    cors_answers_preflight_for_the_configured_origin_only,
    |app| {
        let origin = app.server.context.config.cors_origin.clone();
        let preflight = app
            .client
            .request(pc_tests::reqwest::Method::OPTIONS, app.url("/auth/sign-in"))
            .header("Origin", &origin)
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await
            .unwrap();
        assert!(preflight.status().is_success());
        let headers = preflight.headers();
        assert_eq!(headers["access-control-allow-origin"], origin.as_str());
        assert_eq!(headers["access-control-allow-credentials"], "true");
        let other = app
            .client
            .get(app.url("/health"))
            .header("Origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert!(other.headers().get("access-control-allow-origin").is_none());
    }
);

scenario!(request_ids_are_echoed, |app| {
    let response = app.get("/health").await;
    assert!(response.headers().contains_key("x-request-id"));
});

scenario!(admin_operations_need_a_signed_in_owner, |app| {
    for path in ["/v1/admin/jobs", "/v1/admin/dead-letters"] {
        let body = expect_json(app.get(path).await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let body = expect_json(
        app.post("/v1/admin/dead-letters/emails/redrive", &json!({}))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(body["error"]["code"], "unauthorized");
});

scenario!(the_clock_moves_and_resets, |app| {
    app.set_clock("2030-01-15T17:00:00Z").await;
    let now = app.server.context.clock.now();
    assert_eq!(now.format("%Y-%m-%d").to_string(), "2030-01-15");
    let body = expect_json(
        app.put("/dev/clock", &json!({"now": "not a time"})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["error"]["details"][0]["field"], "now");
    expect_json(app.delete("/dev/clock").await, StatusCode::OK).await;
});
