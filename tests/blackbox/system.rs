//! The platform itself: health, docs, errors, CORS, dev routes, admin operations.

use pc_tests::reqwest::StatusCode;
use pc_tests::{Backend, TestApp, expect_json, json, scenario};

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

scenario!(an_owner_runs_a_job_now_and_sees_its_run, |app| {
    app.sign_in_owner().await;
    let started = expect_json(
        app.post("/v1/admin/jobs/hubspot-sync/run", &json!({}))
            .await,
        StatusCode::ACCEPTED,
    )
    .await;
    let task = started["taskId"].as_str().expect("a task id").to_owned();
    let run = pc_tests::wait_until(|| async {
        let run: serde_json::Value = app
            .get(&format!("/v1/admin/jobs/runs/{task}"))
            .await
            .json()
            .await
            .ok()?;
        (run["status"] == "completed").then_some(run)
    })
    .await
    .expect("the requested run completes");
    assert_eq!(run["trigger"], "manual");
    assert_eq!(run["job"], "hubspot-sync");

    let jobs = expect_json(app.get("/v1/admin/jobs").await, StatusCode::OK).await;
    let list = jobs["list"].as_array().unwrap();
    let sync = list.iter().find(|j| j["name"] == "hubspot-sync").unwrap();
    assert_eq!(sync["schedule"], "rate(15 minutes)");
    assert_eq!(sync["recentRuns"][0]["id"], task.as_str());
    let reminders = list
        .iter()
        .find(|j| j["name"] == "daily-lead-reminders")
        .unwrap();
    assert_eq!(reminders["schedule"], "cron(0 9 * * ? *)");
    assert_eq!(reminders["timezone"], "America/Los_Angeles");

    let missing = expect_json(
        app.post("/v1/admin/jobs/no-such-job/run", &json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(missing["error"]["code"], "not_found");
});

scenario!(
    a_poisoned_message_is_dead_lettered_listed_and_redriven,
    |app| {
        app.sign_in_owner().await;
        let poisoned = expect_json(
            app.post("/dev/queues/emails/poison", &json!({})).await,
            StatusCode::ACCEPTED,
        )
        .await;
        let poison = poisoned["body"].as_str().unwrap().to_owned();
        let unknown = app.post("/dev/queues/nope/poison", &json!({})).await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        // The body can never be read as an email job: poison, so the worker
        // sends it to the dead-letter queue after its first try instead of
        // burning five. It is there as soon as the drain is done.
        app.drain().await;
        let body = expect_json(
            app.get("/v1/admin/dead-letters?queue=emails").await,
            StatusCode::OK,
        )
        .await;
        let dead = body["list"]
            .as_array()
            .and_then(|l| l.first())
            .cloned()
            .expect("the poisoned message reaches the dead-letter queue");
        // One receive: the worker's single try (embedded), or this listing
        // of a message sent straight to the dead-letter queue (SQS).
        assert_eq!(dead["receiveCount"], 1, "{dead}");
        assert_eq!(dead["body"], poison.as_str());
        assert_eq!(dead["queue"], "emails");

        let all = expect_json(app.get("/v1/admin/dead-letters").await, StatusCode::OK).await;
        assert_eq!(all["meta"]["total"], 1);

        let moved = expect_json(
            app.post("/v1/admin/dead-letters/emails/redrive", &json!({}))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(moved["moved"], 1);

        let bad = expect_json(
            app.get("/v1/admin/dead-letters?queue=nope").await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(bad["error"]["details"][0]["field"], "queue");
    }
);

/// The dev server keeps its data on disk: a restart finds it again, and the
/// first owner is created once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_survives_a_restart() {
    use pc_host::devserver::{Backend as ServerBackend, DevServer, Options};

    let dir = tempfile::tempdir().unwrap();
    let options = || {
        let mut options = Options::ephemeral();
        options.backend = ServerBackend::Embedded {
            data_dir: Some(dir.path().to_path_buf()),
        };
        options
    };
    let first = TestApp::spawn_with(Backend::Embedded, options()).await;
    first.sign_in_owner().await;
    let created = expect_json(
        first
            .post("/v1/partners", &json!({"name": "Persistent Agency"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    first.server.stop().await;

    let second = DevServer::start(options()).await.unwrap();
    let base = format!("http://{}", second.addr);
    let client = pc_tests::browser();
    let signed_in = client
        .post(format!("{base}/auth/sign-in"))
        .json(&json!({"email": pc_host::devserver::DEFAULT_OWNER_EMAIL,
            "password": pc_host::devserver::DEFAULT_OWNER_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK);
    let partner = client
        .get(format!("{base}/v1/partners/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(partner.status(), StatusCode::OK);
    let users: serde_json::Value = client
        .get(format!("{base}/v1/users"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let owners = users["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["role"] == "owner")
        .count();
    assert_eq!(owners, 1, "the first owner is created once");
    second.stop().await;
}

scenario!(
    moving_the_dev_clock_ends_the_session_until_signing_in_again,
    |app| {
        // As docs/walkthrough.md says: sessions follow the dev clock.
        app.sign_in_owner().await;
        expect_json(app.get("/auth/me").await, StatusCode::OK).await;
        let later = chrono::Utc::now() + chrono::Duration::days(31);
        app.set_clock(&later.to_rfc3339()).await;
        expect_json(app.get("/auth/me").await, StatusCode::UNAUTHORIZED).await;
        app.sign_in_owner().await;
        expect_json(app.get("/auth/me").await, StatusCode::OK).await;
    }
);
