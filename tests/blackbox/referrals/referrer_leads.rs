//! A referrer sets only its own statuses and lists its leads by the list
//! conventions.

use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{json, scenario};
use serde_json::Value;

use super::fixtures::{fields, ok, refer, referrer, refused};

scenario!(
    a_referrer_sets_only_its_statuses_and_lists_by_the_list_conventions,
    |app| {
        app.sign_in_owner().await;
        let (_, referrer) = referrer(app, "Lister", 10.0).await;
        let a = refer(app, &referrer, "ann@a.example").await;
        refer(app, &referrer, "bob@b.example").await;
        let path = format!("/api/partner/leads/{}", a["id"].as_str().unwrap());

        let moved = ok(
            app,
            &referrer,
            Method::PATCH,
            &path,
            Some(json!({"status": "in_touch"})),
        )
        .await;
        assert_eq!(moved["status"], "in_touch");
        let refused_won = refused(
            app,
            &referrer,
            Method::PATCH,
            &path,
            Some(json!({"status": "won"})),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&refused_won), ["status"]);
        let withdrawn = ok(
            app,
            &referrer,
            Method::PATCH,
            &path,
            Some(json!({"status": "lost_no_potential", "clientPhone": null})),
        )
        .await;
        assert_eq!(withdrawn["status"], "lost_no_potential");
        assert_eq!(withdrawn["clientPhone"], Value::Null);
        let bad = refused(
            app,
            &referrer,
            Method::POST,
            "/api/partner/leads",
            Some(json!({"clientName": " ", "clientEmail": "nope", "service": ""})),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&bad).len(), 3, "{bad}");

        let page = ok(
            app,
            &referrer,
            Method::GET,
            "/api/partner/leads?perPage=1",
            None,
        )
        .await;
        assert_eq!(page["meta"]["total"], 2);
        assert_eq!(page["list"].as_array().unwrap().len(), 1);
        assert_eq!(page["list"][0]["clientEmail"], "bob@b.example");
        let filter = pc_tests::leads_support::filter_query(
            &json!([{"column": "status", "operator": "eq", "value": "lost_no_potential"}]),
        );
        let lost = ok(
            app,
            &referrer,
            Method::GET,
            &format!("/api/partner/leads?{filter}"),
            None,
        )
        .await;
        assert_eq!(lost["meta"]["total"], 1);
        let search = ok(
            app,
            &referrer,
            Method::GET,
            "/api/partner/leads?search=bob",
            None,
        )
        .await;
        assert_eq!(search["meta"]["total"], 1);
        refused(
            app,
            &referrer,
            Method::GET,
            "/api/partner/leads?sort=dealStatus:asc",
            None,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
);
