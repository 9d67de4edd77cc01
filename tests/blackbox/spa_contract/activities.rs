//! The activity feed's `isRead`.

use pc_tests::market_support::{call, partner};
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{expect_json, json, scenario};

scenario!(the_feed_answers_is_read, |app| {
    let ours = partner(app, "Ours").await;
    let created = expect_json(
        call(
            app,
            &ours.admin,
            Method::POST,
            "/v1/leads",
            &json!({"email": "ann@acme.example"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    app.drain().await;

    // ActivityFeed component: reads `activity.isRead` to show the unread dot.
    let feed = expect_json(
        call(app, &ours.admin, Method::GET, "/v1/activities", &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let first = &feed["list"][0];
    assert_eq!(first["data"]["leadId"], created["id"]);
    assert_eq!(first["isRead"], false);
    assert_eq!(first["read"], false, "the API's own name stays");
    let id = first["id"].as_str().unwrap().to_owned();
    let marked = call(
        app,
        &ours.admin,
        Method::PATCH,
        "/v1/activities/mark-read",
        &json!({"ids": [id]}),
    )
    .await;
    expect_json(marked, StatusCode::OK).await;
    let filter = pc_tests::leads_support::filter_query(
        &json!([{"column": "isRead", "operator": "eq", "value": true}]),
    );
    let read = expect_json(
        call(
            app,
            &ours.admin,
            Method::GET,
            &format!("/v1/activities?{filter}&sort=isRead:desc"),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["meta"]["total"], 1);
    assert_eq!(read["list"][0]["isRead"], true);
    assert_eq!(read["list"][0]["_id"], id.as_str());
});
