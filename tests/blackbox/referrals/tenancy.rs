//! Referrers are kept apart from each other, and other roles are refused.

use pc_http::identity::Role;
use pc_tests::leads_support::signed_in_user;
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{json, scenario};
use serde_json::Value;

use super::fixtures::{fields, ok, refer, referrer, refused};

scenario!(referrers_are_kept_apart_and_others_are_refused, |app| {
    app.sign_in_owner().await;
    let (_, first) = referrer(app, "First Ref", 10.0).await;
    let (second_id, second) = referrer(app, "Second Ref", 10.0).await;
    let lead = refer(app, &first, "kim@k.example").await;
    let path = format!("/api/partner/leads/{}", lead["id"].as_str().unwrap());
    refused(
        app,
        &second,
        Method::GET,
        &path,
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    refused(
        app,
        &second,
        Method::PATCH,
        &path,
        Some(json!({"status": "in_touch"})),
        StatusCode::NOT_FOUND,
    )
    .await;
    let theirs = ok(app, &second, Method::GET, "/api/partner/leads", None).await;
    assert_eq!(theirs["meta"]["total"], 0);
    let commissions = ok(app, &second, Method::GET, "/api/partner/commissions", None).await;
    assert_eq!(commissions["commissions"], json!([]));

    // An agency's users have no portal; staff have no partner.
    let agency = ok(
        app,
        &app.client,
        Method::POST,
        "/v1/partners",
        Some(json!({"name": "Agency Co"})),
    )
    .await;
    assert_eq!(agency["kind"], "agency");
    assert_eq!(agency["commissionRate"], Value::Null);
    let agency_id = agency["id"].as_str().unwrap();
    let (agency_user, _) = signed_in_user(app, Some(agency_id), Role::Admin).await;
    let board = ok(
        app,
        &agency_user,
        Method::GET,
        "/api/partner/dashboard",
        None,
    )
    .await;
    assert_eq!(board["canAccessDashboard"], false);
    assert_eq!(board["recentLeads"], json!([]));
    for (method, p) in [
        (Method::GET, "/api/partner/leads"),
        (Method::GET, "/api/partner/commissions"),
        (Method::GET, "/api/partner/profile"),
        (Method::GET, path.as_str()),
    ] {
        let e = refused(
            app,
            &agency_user,
            method.clone(),
            p,
            None,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(e["error"]["code"], "not_a_referral_partner");
        refused(app, &app.client, method, p, None, StatusCode::FORBIDDEN).await;
    }
    refused(
        app,
        &agency_user,
        Method::POST,
        "/api/partner/leads",
        Some(json!({"clientName": "A B", "clientEmail": "a@b.example", "service": "x"})),
        StatusCode::FORBIDDEN,
    )
    .await;

    // Payouts are platform staff's, for referral partners only.
    let body = Some(json!({"commissionIds": ["X1"]}));
    let payouts = format!("/v1/referral-partners/{second_id}/payouts");
    refused(
        app,
        &second,
        Method::POST,
        &payouts,
        body.clone(),
        StatusCode::FORBIDDEN,
    )
    .await;
    refused(
        app,
        &app.client,
        Method::POST,
        &format!("/v1/referral-partners/{agency_id}/payouts"),
        body.clone(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let dup = refused(
        app,
        &app.client,
        Method::POST,
        &payouts,
        Some(json!({"commissionIds": ["X1", "X1"]})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(fields(&dup), ["commissionIds[1]"]);

    // Kind and commission rate are checked by name.
    for (body, field) in [
        (json!({"name": "R1", "kind": "referral"}), "commissionRate"),
        (
            json!({"name": "R2", "kind": "referral", "commissionRate": 0}),
            "commissionRate",
        ),
        (
            json!({"name": "R3", "kind": "referral", "commissionRate": 100.5}),
            "commissionRate",
        ),
        (
            json!({"name": "R4", "commissionRate": 10}),
            "commissionRate",
        ),
        (json!({"name": "R5", "kind": "broker"}), "kind"),
    ] {
        let e = refused(
            app,
            &app.client,
            Method::POST,
            "/v1/partners",
            Some(body),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&e), [field]);
    }
    let changed = ok(
        app,
        &app.client,
        Method::PATCH,
        &format!("/v1/partners/{second_id}"),
        Some(json!({"commissionRate": 15})),
    )
    .await;
    assert_eq!(changed["commissionRate"], 15.0);
    refused(
        app,
        &second,
        Method::PATCH,
        &format!("/v1/partners/{second_id}"),
        Some(json!({"commissionRate": 50})),
        StatusCode::FORBIDDEN,
    )
    .await;
});
