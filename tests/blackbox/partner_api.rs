//! Black-box scenarios of the public partner API: a token created (shown
//! once), used to change a lead as the app would, revoked and refused;
//! tenancy of tokens, leads and requests; credentials other than a token
//! refused; the per-token rate limit; validation.

use pc_http::identity::Role;
use pc_tests::leads_support::signed_in_user;
use pc_tests::partner_api_support::{
    PartnerWithLead, bad_fields, get_request, outcome, post_status, request_change,
};
use pc_tests::reqwest::StatusCode;
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

fn actions(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

scenario!(an_api_token_used_revoked_and_refused, |app| {
    let acme = PartnerWithLead::seed(app, "Acme").await;
    let created = acme
        .admin
        .post(app.url(&acme.tokens_path()))
        .json(&json!({"name": "CRM sync"}))
        .send()
        .await
        .unwrap();
    let created = expect_json(created, StatusCode::CREATED).await;
    let token = created["token"].as_str().unwrap().to_owned();
    let token_id = created["id"].as_str().unwrap().to_owned();
    assert!(token.starts_with("pcp_") && token.len() == 47, "{token}");
    assert_eq!(created["prefix"], token[..12]);
    assert_eq!(created["name"], "CRM sync");

    // The list shows the prefix, never the token.
    let listed = acme
        .admin
        .get(app.url(&acme.tokens_path()))
        .send()
        .await
        .unwrap();
    let listed = expect_json(listed, StatusCode::OK).await;
    assert!(!listed.to_string().contains(&token), "{listed}");
    assert_eq!(listed["meta"]["total"], 1);
    let row = &listed["list"][0];
    assert_eq!(row["id"], token_id.as_str());
    assert_eq!(row["prefix"], token[..12]);
    assert_eq!(row["lastUsedAt"], Value::Null);
    assert!(row.get("token").is_none() && row["createdAt"].is_string());

    // The token changes the lead as the app does: status, amount, note,
    // audit events and the lost-lead alert.
    let request_id = request_change(
        app,
        &token,
        &json!({"email": acme.lead_email.to_uppercase(), "status": "lost_no_show",
            "dealAmount": 1200.5, "note": "No show twice"}),
    )
    .await;
    let done = outcome(app, &token, &request_id).await;
    assert_eq!(
        done,
        json!({"requestId": request_id, "state": "applied"}),
        "{done}"
    );
    let lead = acme.lead(app).await;
    assert_eq!(lead["dealStatus"], "lost_no_show");
    assert_eq!(lead["dealAmount"], 1200.5);
    assert_eq!(lead["notes"][0]["text"], "No show twice");
    assert_eq!(lead["notes"][0]["userName"], "API token CRM sync");
    let events = acme.lead_events(app).await;
    let changed: Vec<_> = events
        .iter()
        .filter(|e| e["action"] == "status_changed")
        .collect();
    assert_eq!(changed.len(), 1, "{events:?}");
    assert_eq!(changed[0]["userName"], "API token CRM sync");
    assert_eq!(changed[0]["after"]["dealStatus"], "lost_no_show");
    assert!(actions(&events).contains(&"note_added".to_owned()));
    let alert_to = app.server.context.config.lost_lead_alert_to.clone();
    app.wait_for_mail(&alert_to, "Lost lead").await;

    // The same status again by id changes nothing; a move the pipeline
    // refuses is rejected with the reason, the lead untouched.
    let again = request_change(
        app,
        &token,
        &json!({"leadId": acme.lead_id, "status": "lost_no_show"}),
    )
    .await;
    assert_eq!(outcome(app, &token, &again).await["state"], "applied");
    let refused = request_change(
        app,
        &token,
        &json!({"leadId": acme.lead_id, "status": "scheduled"}),
    )
    .await;
    let refused = outcome(app, &token, &refused).await;
    assert_eq!(refused["state"], "rejected");
    assert_eq!(refused["error"]["code"], "invalid_transition");
    assert_eq!(acme.lead(app).await["dealStatus"], "lost_no_show");
    let events = acme.lead_events(app).await;
    let status_changes = actions(&events)
        .iter()
        .filter(|a| *a == "status_changed")
        .count();
    assert_eq!(status_changes, 1, "nothing applied twice: {events:?}");

    // Its use shows in the list.
    let listed = acme
        .admin
        .get(app.url(&acme.tokens_path()))
        .send()
        .await
        .unwrap();
    assert!(expect_json(listed, StatusCode::OK).await["list"][0]["lastUsedAt"].is_string());

    // Revoked: the very next call is refused, and the token is gone.
    let path = format!("{}/{token_id}", acme.tokens_path());
    let revoked = acme.admin.delete(app.url(&path)).send().await.unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let after = post_status(
        app,
        Some(&token),
        &json!({"leadId": acme.lead_id, "status": "in_touch"}),
    )
    .await;
    let refused = expect_json(after, StatusCode::UNAUTHORIZED).await;
    assert_eq!(refused["error"]["code"], "unauthorized");
    let read = get_request(app, &token, &request_id).await;
    assert_eq!(read.status(), StatusCode::UNAUTHORIZED);
    let twice = acme.admin.delete(app.url(&path)).send().await.unwrap();
    assert_eq!(twice.status(), StatusCode::NOT_FOUND);
    let listed = acme
        .admin
        .get(app.url(&acme.tokens_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(listed, StatusCode::OK).await["meta"]["total"],
        0
    );
});

scenario!(a_token_reaches_only_its_own_partner, |app| {
    let acme = PartnerWithLead::seed(app, "Acme").await;
    let bolt = PartnerWithLead::seed(app, "Bolt").await;
    let (_, acme_token) = acme.new_token(app, "Acme CRM").await;
    let (bolt_token_id, bolt_token) = bolt.new_token(app, "Bolt CRM").await;

    // Another partner's lead, by id or by email, is not found; untouched.
    for target in [
        json!({"leadId": bolt.lead_id}),
        json!({"email": bolt.lead_email}),
    ] {
        let mut body = target.clone();
        body["status"] = json!("won");
        body["dealAmount"] = json!(9999);
        let request_id = request_change(app, &acme_token, &body).await;
        let rejected = outcome(app, &acme_token, &request_id).await;
        assert_eq!(rejected["state"], "rejected", "{target}");
        assert_eq!(rejected["error"]["code"], "lead_not_found");
    }
    let untouched = bolt.lead(app).await;
    assert_eq!(untouched["dealStatus"], "new");
    assert_eq!(untouched["dealAmount"], Value::Null);
    assert_eq!(actions(&bolt.lead_events(app).await), ["created"]);

    // Another partner's request is a 404.
    let bolt_request = request_change(
        app,
        &bolt_token,
        &json!({"leadId": bolt.lead_id, "status": "in_touch"}),
    )
    .await;
    let peek = get_request(app, &acme_token, &bolt_request).await;
    assert_eq!(peek.status(), StatusCode::NOT_FOUND);

    // Another partner's tokens are a 404 to list and to revoke.
    let list = acme
        .admin
        .get(app.url(&bolt.tokens_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::NOT_FOUND);
    let revoke = format!("{}/{bolt_token_id}", bolt.tokens_path());
    let revoked = acme.admin.delete(app.url(&revoke)).send().await.unwrap();
    assert_eq!(revoked.status(), StatusCode::NOT_FOUND);
    let own_path = format!("{}/{bolt_token_id}", acme.tokens_path());
    let through_own = acme.admin.delete(app.url(&own_path)).send().await.unwrap();
    assert_eq!(through_own.status(), StatusCode::NOT_FOUND);
    let create = acme
        .admin
        .post(app.url(&bolt.tokens_path()))
        .json(&json!({"name": "sneaky"}))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), StatusCode::NOT_FOUND);

    // A plain user manages no tokens; staff list and revoke but create none.
    let (user, _) = signed_in_user(app, Some(&acme.id), Role::User).await;
    let by_user = user.get(app.url(&acme.tokens_path())).send().await.unwrap();
    assert_eq!(by_user.status(), StatusCode::FORBIDDEN);
    let (staff, _) = signed_in_user(app, None, Role::Admin).await;
    let staff_list = staff
        .get(app.url(&bolt.tokens_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(staff_list, StatusCode::OK).await["meta"]["total"],
        1
    );
    let staff_create = staff
        .post(app.url(&bolt.tokens_path()))
        .json(&json!({"name": "staff"}))
        .send()
        .await
        .unwrap();
    assert_eq!(staff_create.status(), StatusCode::FORBIDDEN);
    let staff_revoke = staff.delete(app.url(&revoke)).send().await.unwrap();
    assert_eq!(staff_revoke.status(), StatusCode::NO_CONTENT);
    let refused = post_status(
        app,
        Some(&bolt_token),
        &json!({"leadId": bolt.lead_id, "status": "won"}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
});

scenario!(only_a_live_token_authenticates_the_public_api, |app| {
    let acme = PartnerWithLead::seed(app, "Acme").await;
    let body = json!({"leadId": acme.lead_id, "status": "in_touch"});
    for bearer in [
        None,
        Some("pcp_not-a-real-token-at-all"),
        Some("garbage"),
        Some(""),
    ] {
        let response = post_status(app, bearer, &body).await;
        let error = expect_json(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(error["error"]["code"], "unauthorized", "{bearer:?}");
    }
    // The admin's signed-in browser (cookies, same origin) is refused, and
    // so is its session token sent as a bearer.
    let with_cookies = acme
        .admin
        .post(app.url("/api/v1/status"))
        .header("origin", app.server.context.config.cors_origin.clone())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookies.status(), StatusCode::UNAUTHORIZED);
    let session = acme.admin_access_token(app).await;
    let with_jwt = post_status(app, Some(&session), &body).await;
    assert_eq!(with_jwt.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(acme.lead(app).await["dealStatus"], "new");
    // A token is not a session: it opens none of the app's routes.
    let (_, token) = acme.new_token(app, "CRM").await;
    let leads = pc_tests::browser()
        .get(app.url("/v1/leads"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(leads.status(), StatusCode::UNAUTHORIZED);
});

scenario!(tokens_and_status_requests_are_validated, |app| {
    let acme = PartnerWithLead::seed(app, "Acme").await;
    for name in [json!(""), json!("   "), json!("x".repeat(101)), json!(7)] {
        let response = acme
            .admin
            .post(app.url(&acme.tokens_path()))
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(bad_fields(response).await, ["name"], "{name}");
    }
    let (_, token) = acme.new_token(app, "x".repeat(100).as_str()).await;
    let cases = [
        (json!({"status": "won"}), vec!["email"]),
        (
            json!({"email": acme.lead_email, "leadId": acme.lead_id, "status": "won"}),
            vec!["leadId"],
        ),
        (
            json!({"leadId": acme.lead_id, "status": "sold"}),
            vec!["status"],
        ),
        (
            json!({"email": "nope", "status": "won", "dealAmount": 1.234, "note": ""}),
            vec!["email", "dealAmount", "note"],
        ),
        (
            json!({"leadId": acme.lead_id, "status": "won", "partnerId": "other"}),
            vec!["partnerId"],
        ),
    ];
    for (body, fields) in cases {
        let response = post_status(app, Some(&token), &body).await;
        assert_eq!(bad_fields(response).await, fields, "{body}");
    }
    app.drain().await;
    assert_eq!(acme.lead(app).await["dealStatus"], "new", "nothing applied");
});

/// Calls with `token` until one is refused (at most `limit + 1`): the
/// number that passed and the refusal.
async fn calls_until_refused(
    app: &TestApp,
    token: &str,
    limit: usize,
) -> (usize, StatusCode, Value, Option<String>) {
    let mut passed = 0;
    for _ in 0..=limit {
        let response = get_request(app, token, "01JNOSUCHREQUEST0000000000").await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body: Value = response.json().await.unwrap_or(Value::Null);
            return (passed, StatusCode::TOO_MANY_REQUESTS, body, retry_after);
        }
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        passed += 1;
    }
    (passed, StatusCode::NOT_FOUND, Value::Null, None)
}

scenario!(each_token_is_rate_limited, |app| {
    let acme = PartnerWithLead::seed(app, "Acme").await;
    let (_, token) = acme.new_token(app, "busy").await;
    let (_, other) = acme.new_token(app, "quiet").await;
    // Each round starts at the beginning of a fresh minute (the limit's
    // window); a round that the real clock carried into the next window
    // is played again.
    let mut checked = false;
    for minute in 0..3 {
        app.set_clock(&format!("2031-01-01T00:{:02}:00Z", 10 * minute + 1))
            .await;
        let window = app.server.context.clock.now().timestamp() / 60;
        let (passed, status, body, retry_after) = calls_until_refused(app, &token, 60).await;
        if app.server.context.clock.now().timestamp() / 60 != window {
            continue;
        }
        assert_eq!((passed, status), (60, StatusCode::TOO_MANY_REQUESTS));
        assert_eq!(body["error"]["code"], "rate_limited", "{body}");
        let wait: u64 = retry_after.expect("a Retry-After").parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        // Another token of the same partner has its own window.
        let fresh = get_request(app, &other, "01JNOSUCHREQUEST0000000000").await;
        assert_eq!(fresh.status(), StatusCode::NOT_FOUND);
        // The next window lets the token in again.
        app.set_clock(&format!("2031-01-01T00:{:02}:00Z", 10 * minute + 2))
            .await;
        let later = get_request(app, &token, "01JNOSUCHREQUEST0000000000").await;
        assert_eq!(later.status(), StatusCode::NOT_FOUND);
        checked = true;
        break;
    }
    assert!(checked, "no round stayed within one minute");
});
