//! Lead CRUD with notes, the lost-lead alert, and the audit events they
//! leave behind.

use pc_http::identity::Role;
use pc_tests::leads_support::{get_ok, seed_partner, signed_in_user, wait_for};
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};
use serde_json::Value;

use super::fixtures::list_len;

scenario!(lead_crud_notes_lost_alert_and_audit, |app| {
    let pid = seed_partner(app, "Gamma", &[]).await;
    let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
    let (user, _) = signed_in_user(app, Some(&pid), Role::User).await;

    let bad = admin
        .post(app.url("/v1/leads"))
        .json(&json!({"email": "nope", "dealAmount": 1.234, "firstName": "x".repeat(400)}))
        .send()
        .await
        .unwrap();
    let error = expect_json(bad, StatusCode::BAD_REQUEST).await;
    let fields: Vec<_> = error["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        fields.contains(&"email".to_owned())
            && fields.contains(&"dealAmount".to_owned())
            && fields.contains(&"firstName".to_owned()),
        "{fields:?}"
    );

    let created = admin
        .post(app.url("/v1/leads"))
        .json(&json!({"email": "Lola@Lost.example", "company": "Lost Inc", "dealAmount": 125.5}))
        .send()
        .await
        .unwrap();
    let lead = expect_json(created, StatusCode::CREATED).await;
    assert_eq!(lead["email"], "lola@lost.example");
    assert_eq!(lead["dealAmount"], 125.5);
    assert_eq!(lead["dealStatus"], "new");
    let id = lead["id"].as_str().unwrap().to_owned();

    let duplicate = admin
        .post(app.url("/v1/leads"))
        .json(&json!({"email": "LOLA@lost.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    let by_user = user
        .post(app.url("/v1/leads"))
        .json(&json!({"email": "u@x.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_user.status(), StatusCode::FORBIDDEN);

    // Plain users read notes but do not write them.
    let by_user = user
        .post(app.url(&format!("/v1/leads/{id}/notes")))
        .json(&json!({"text": "mine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_user.status(), StatusCode::FORBIDDEN);

    // Notes come back newest first, with their author.
    for text in ["first call", "second call"] {
        let response = admin
            .post(app.url(&format!("/v1/leads/{id}/notes")))
            .json(&json!({"text": text}))
            .send()
            .await
            .unwrap();
        let note = expect_json(response, StatusCode::CREATED).await;
        assert_eq!(note["text"], text);
        assert!(note["userName"].as_str().is_some());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let empty = admin
        .post(app.url(&format!("/v1/leads/{id}/notes")))
        .json(&json!({"text": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    let full = get_ok(app, &user, &format!("/v1/leads/{id}")).await;
    assert_eq!(full["notes"][0]["text"], "second call");
    assert_eq!(full["notes"][1]["text"], "first call");

    // Into a lost status: one alert per change.
    let path = format!("/v1/leads/{id}");
    let lost = admin
        .patch(app.url(&path))
        .json(&json!({"dealStatus": "lost_no_show"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(lost, StatusCode::OK).await["dealStatus"],
        "lost_no_show"
    );
    let again = admin
        .patch(app.url(&path))
        .json(&json!({"dealStatus": "lost_no_show"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let alert_to = app.server.context.config.lost_lead_alert_to.clone();
    app.wait_for_mail(&alert_to, "Lost lead").await;
    app.drain().await;
    let alerts = app
        .mailbox()
        .await
        .into_iter()
        .filter(|m| m["to"] == alert_to.as_str())
        .count();
    assert_eq!(alerts, 1);

    // Transitions outside the table are a 409; bad fields a 400.
    let won = admin
        .patch(app.url(&path))
        .json(&json!({"dealStatus": "won"}))
        .send()
        .await
        .unwrap();
    assert_eq!(won.status(), StatusCode::CONFLICT);
    let unknown = admin
        .patch(app.url(&path))
        .json(&json!({"partnerId": "x", "dealStatus": "maybe"}))
        .send()
        .await
        .unwrap();
    let error = expect_json(unknown, StatusCode::BAD_REQUEST).await;
    assert_eq!(error["error"]["details"].as_array().unwrap().len(), 2);
    let reopened = admin
        .patch(app.url(&path))
        .json(&json!({"dealStatus": "in_touch", "dealAmount": null}))
        .send()
        .await
        .unwrap();
    let reopened = expect_json(reopened, StatusCode::OK).await;
    assert_eq!(reopened["dealAmount"], Value::Null);

    // Every change is in the audit trail.
    let events = wait_for(
        app,
        &admin,
        &format!("/v1/events?entity=lead&entityId={id}"),
        |b| list_len(b) >= 5,
    )
    .await;
    let actions: Vec<_> = events["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| *a == "status_changed").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"created".to_owned()));
    assert_eq!(actions.iter().filter(|a| *a == "note_added").count(), 2);
    let forbidden = user.get(app.url("/v1/events")).send().await.unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
});
