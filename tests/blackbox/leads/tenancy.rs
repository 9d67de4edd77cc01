//! Another tenant's leads, notes and imports are not found.

use pc_http::identity::Role;
use pc_tests::leads_support::{
    chili_event, deliver, get_ok, seed_partner, signed_in_user, wait_for,
};
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario, wait_until};

use super::fixtures::{fixture, list_len, upload};

scenario!(other_tenants_records_are_not_found, |app| {
    let a = seed_partner(app, "Own", &["Own Demo"]).await;
    let b = seed_partner(app, "Other", &["Other Demo"]).await;
    let (admin_a, _) = signed_in_user(app, Some(&a), Role::Admin).await;
    let (admin_b, _) = signed_in_user(app, Some(&b), Role::Admin).await;
    deliver(
        app,
        &chili_event(
            "t-1",
            "created",
            "Other Demo",
            "2030-05-05T10:00:00Z",
            "theirs@b.example",
        ),
    )
    .await;
    let theirs = wait_for(app, &admin_b, "/v1/leads", |l| list_len(l) == 1).await;
    let lead_id = theirs["list"][0]["id"].as_str().unwrap().to_owned();
    let started = upload(app, &admin_b, None, "leads.csv", fixture("leads.csv")).await;
    let task_id = expect_json(started, StatusCode::ACCEPTED).await["taskId"]
        .as_str()
        .unwrap()
        .to_owned();

    for path in [
        format!("/v1/leads/{lead_id}"),
        format!("/v1/leads/{lead_id}/meetings"),
        "/v1/meetings/t-1".to_owned(),
        format!("/v1/leads/import/{task_id}"),
    ] {
        let response = admin_a.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let note = admin_a
        .post(app.url(&format!("/v1/leads/{lead_id}/notes")))
        .json(&json!({"text": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), StatusCode::NOT_FOUND);
    let patch = admin_a
        .patch(app.url(&format!("/v1/leads/{lead_id}")))
        .json(&json!({"dealStatus": "won"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), StatusCode::NOT_FOUND);
    let import_elsewhere = upload(app, &admin_a, Some(&b), "leads.csv", fixture("leads.csv")).await;
    assert_eq!(import_elsewhere.status(), StatusCode::NOT_FOUND);
    assert_eq!(get_ok(app, &admin_a, "/v1/leads").await["meta"]["total"], 0);
    assert_eq!(
        get_ok(app, &admin_a, "/v1/meetings").await["meta"]["total"],
        0
    );
    let events = get_ok(
        app,
        &admin_a,
        &format!("/v1/events?entity=lead&entityId={lead_id}"),
    )
    .await;
    assert_eq!(events["meta"]["total"], 0);
    let _ = wait_until(|| async { Some(()) }).await;
});
