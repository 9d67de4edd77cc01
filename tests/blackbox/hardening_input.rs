//! Bad input is the caller's fault, answered in one shape: no value reaches
//! the store as a 500, and every error, including the framework's own
//! rejections, is `{"error": {"code", "message", "details"}}` naming every
//! bad field.

use pc_tests::accounts_support::create_partner;
use pc_tests::hostile_input::{self, Body, Case, Targets};
use pc_tests::reqwest::{Method, Response, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use std::collections::BTreeMap;

use futures::future::join_all;
use serde_json::Value;

/// The body of an error answer, asserting its status and shape.
async fn error_of(response: Response, status: StatusCode) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = expect_json(response, status).await;
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert!(body["error"]["code"].is_string(), "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    assert!(body["error"]["details"].is_array(), "{body}");
    body
}

async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Response {
    app.client
        .request(method, app.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the server answers")
}

scenario!(a_nul_in_a_meeting_type_is_a_400_naming_it, |app| {
    app.sign_in_owner().await;
    let partner = create_partner(app, &app.client, "Acme").await;
    let id = partner["id"].as_str().unwrap();
    let body = error_of(
        app.patch(
            &format!("/v1/partners/{id}"),
            &json!({"chiliMeetingTypes": ["a\u{0}b"]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["error"]["details"][0]["field"], "chiliMeetingTypes[0]");
    let after = expect_json(app.get(&format!("/v1/partners/{id}")).await, StatusCode::OK).await;
    assert_eq!(after["chiliMeetingTypes"], json!([]));
});

scenario!(odd_path_ids_are_404s_in_the_error_shape, |app| {
    app.sign_in_owner().await;
    let long = "x".repeat(3000);
    for id in ["a%00b", "%FF%FE", long.as_str(), "a%20b", "%F0%9F%92%A5"] {
        for (method, path) in [
            (Method::GET, format!("/v1/partners/{id}")),
            (Method::PATCH, format!("/v1/partners/{id}")),
            (Method::GET, format!("/v1/leads/{id}")),
            (Method::DELETE, format!("/v1/users/{id}")),
        ] {
            let response = app.send(&app.client, method, &path, Some(&json!({}))).await;
            let body = error_of(response, StatusCode::NOT_FOUND).await;
            assert_eq!(body["error"]["code"], "not_found", "{path:.60}");
        }
    }
});

scenario!(malformed_json_is_a_400_in_the_error_shape, |app| {
    app.sign_in_owner().await;
    for raw in ["{", "", "[1,", "{\"name\": }"] {
        let response = send_raw(
            app,
            Method::POST,
            "/v1/partners",
            "application/json",
            raw.into(),
        )
        .await;
        let body = error_of(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["error"]["code"], "invalid_json", "{raw}");
    }
});

scenario!(a_body_with_three_bad_fields_names_all_three, |app| {
    app.sign_in_owner().await;
    // Wrong types, found while reading the body.
    let body = error_of(
        app.post("/v1/users", &json!({"email": 5, "name": ["x"], "role": {}}))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["error"]["code"], "validation_failed");
    let mut fields: Vec<String> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    assert_eq!(fields, ["email", "name", "role"]);
    // Well-typed but bad values, found by the domain's checks.
    let body = error_of(
        app.post(
            "/v1/users",
            &json!({"email": "nope", "name": " ", "role": "emperor"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body["error"]["details"].as_array().unwrap().len(),
        3,
        "{body}"
    );
});

scenario!(wrong_multipart_is_a_400_in_the_error_shape, |app| {
    app.sign_in_owner().await;
    for content_type in ["multipart/form-data", "application/json", "text/csv"] {
        let response = send_raw(
            app,
            Method::POST,
            "/v1/leads/import",
            content_type,
            b"email\na@b.c\n".to_vec(),
        )
        .await;
        let body = error_of(response, StatusCode::BAD_REQUEST).await;
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
});

scenario!(an_oversize_body_is_a_413_in_the_error_shape, |app| {
    app.sign_in_owner().await;
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(300 * 1024));
    let response = send_raw(
        app,
        Method::POST,
        "/v1/partners",
        "application/json",
        huge.into_bytes(),
    )
    .await;
    let body = error_of(response, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(body["error"]["code"], "payload_too_large");
});

scenario!(unknown_routes_are_404s_in_the_error_shape, |app| {
    let body = error_of(app.get("/v1/no-such-thing").await, StatusCode::NOT_FOUND).await;
    assert_eq!(body["error"]["code"], "not_found");
    let body = error_of(app.delete("/health").await, StatusCode::METHOD_NOT_ALLOWED).await;
    assert_eq!(body["error"]["code"], "method_not_allowed");
});

/// Real records for the fuzzer's spoiled bodies to aim at.
async fn targets(app: &TestApp) -> Targets {
    let partner = create_partner(app, &app.client, "Fuzz Target").await;
    let partner_id = partner["id"].as_str().unwrap().to_owned();
    let user = expect_json(
        app.post(
            "/v1/users",
            &json!({"email": "fuzz-target@example.com", "name": "Fuzz Target", "role": "user", "partnerId": partner_id}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let lead = expect_json(
        app.post(
            "/v1/leads",
            &json!({"partnerId": partner_id, "email": "fuzz-lead@example.com", "contact": {"firstName": "Ann"}}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    Targets {
        partner_id,
        user_id: user["id"].as_str().unwrap().to_owned(),
        lead_id: lead["id"].as_str().unwrap().to_owned(),
    }
}

/// Whether `case`, sent without following redirects, answers a redirect.
async fn redirects_away(app: &TestApp, case: &Case) -> bool {
    let Ok(client) = pc_tests::reqwest::Client::builder()
        .redirect(pc_tests::reqwest::redirect::Policy::none())
        .build()
    else {
        return false;
    };
    let method = Method::from_bytes(case.method.as_bytes()).expect("a method");
    client
        .request(method, app.url(&case.path))
        .send()
        .await
        .is_ok_and(|r| r.status().is_redirection())
}

/// What is wrong with the answer to `case`, if anything: a server error,
/// no answer, or an error outside the error shape.
async fn misfit(app: &TestApp, case: &Case) -> Option<String> {
    let send = || {
        let method = Method::from_bytes(case.method.as_bytes()).expect("a method");
        let request = app.client.request(method, app.url(&case.path));
        let request = match &case.body {
            Body::None => request,
            Body::Json(value) => request.json(value),
            Body::Raw(content_type, bytes) => request
                .header("content-type", *content_type)
                .body(bytes.clone()),
        };
        request.send()
    };
    // The server closes a connection whose body it refused unread; a
    // pooled connection can meet that close, so one retry tells it from a
    // server that no longer answers.
    let response = match send().await {
        Ok(r) => r,
        Err(_) => match send().await {
            Ok(r) => r,
            // A redirect off this server (the OAuth callback sends the
            // browser to the SPA) is an answer whose next hop is elsewhere.
            Err(_) if redirects_away(app, case).await => return None,
            Err(e) => return Some(format!("no answer: {e}")),
        },
    };
    let status = response.status();
    if status.is_success() || status.is_redirection() {
        return None;
    }
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str::<Value>(&text).unwrap_or(Value::Null);
    // The store's refusal is a net: a value it refuses should have been
    // named as a bad field at the edge.
    if body["error"]["code"] == "invalid_request" {
        return Some(format!("{status}: reached the store: {text:.200}"));
    }
    let shaped = Some(body).is_some_and(|b| {
        b["error"]["code"].is_string()
            && b["error"]["message"].is_string()
            && b["error"]["details"].is_array()
    });
    if status.is_server_error() || !shaped {
        Some(format!("{status}: {text:.200}"))
    } else {
        None
    }
}

/// The misfits among `lane`'s answers, sending its cases in order.
async fn run_lane(app: &TestApp, lane: Vec<&Case>) -> Vec<String> {
    let mut found = Vec::new();
    for case in lane {
        if let Some(problem) = misfit(app, case).await {
            found.push(format!(
                "{} {:.80} [{}] -> {problem}",
                case.method, case.path, case.what
            ));
        }
    }
    found
}

scenario!(
    hostile_input_over_every_operation_never_gets_a_server_error,
    |app| {
        app.sign_in_owner().await;
        let targets = targets(app).await;
        let doc = expect_json(app.get("/api/docs/openapi.json").await, StatusCode::OK).await;
        let cases = hostile_input::cases(&doc, &targets, 0x5eed);
        assert!(cases.len() > 500, "only {} cases", cases.len());
        // Each collection's cases run in order, one at a time, so no two
        // writes race for one record (a race makes retryable conflicts,
        // not what this looks for); collections run side by side, and the
        // sign-in operations, which can end the session, after the rest.
        let (auth, rest): (Vec<&Case>, Vec<&Case>) =
            cases.iter().partition(|c| c.path.starts_with("/auth/"));
        let mut lanes: BTreeMap<String, Vec<&Case>> = BTreeMap::new();
        for case in rest {
            let collection = case.path.split('/').take(3).collect::<Vec<_>>().join("/");
            lanes.entry(collection).or_default().push(case);
        }
        let mut misfits: Vec<String> =
            join_all(lanes.into_values().map(|lane| run_lane(app, lane)))
                .await
                .into_iter()
                .flatten()
                .collect();
        misfits.extend(run_lane(app, auth).await);
        assert!(
            misfits.is_empty(),
            "{} of {} cases:\n{}",
            misfits.len(),
            cases.len(),
            misfits.join("\n")
        );
    }
);
