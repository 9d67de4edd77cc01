//! The referral portal's leads table call.

use pc_http::identity::Role;
use pc_tests::leads_support::{get_ok, signed_in_user};
use pc_tests::reqwest::{Client, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

async fn refer(app: &TestApp, client: &Client, email: &str) -> String {
    let body = json!({"clientName": "Cleo Client", "clientEmail": email, "service": "SEO audit"});
    let created = expect_json(
        client
            .post(app.url("/api/partner/leads"))
            .json(&body)
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    created["id"].as_str().unwrap().to_owned()
}

fn emails(body: &Value) -> Vec<&str> {
    let mut emails: Vec<&str> = body["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["clientEmail"].as_str().unwrap())
        .collect();
    emails.sort();
    emails
}

scenario!(the_portal_lists_pending_referrals_with_a_limit, |app| {
    app.sign_in_owner().await;
    let partner = expect_json(
        app.post(
            "/v1/partners",
            &json!({"name": "Referrer", "kind": "referral", "commissionRate": 10}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let (referrer, _) =
        signed_in_user(app, Some(partner["id"].as_str().unwrap()), Role::Admin).await;
    let open = refer(app, &referrer, "open@client.example").await;
    let talking = refer(app, &referrer, "talking@client.example").await;
    let won = refer(app, &referrer, "won@client.example").await;
    let withdrawn = refer(app, &referrer, "gone@client.example").await;
    let _ = open;
    for (id, status) in [(&talking, "in_touch"), (&withdrawn, "lost_no_potential")] {
        let moved = referrer
            .patch(app.url(&format!("/api/partner/leads/{id}")))
            .json(&json!({"status": status}))
            .send()
            .await
            .unwrap();
        expect_json(moved, StatusCode::OK).await;
    }
    let won_it = app
        .patch(
            &format!("/v1/leads/{won}"),
            &json!({"dealStatus": "won", "dealAmount": 1000}),
        )
        .await;
    expect_json(won_it, StatusCode::OK).await;

    // Partner portal, leads table:
    //   GET /api/partner/leads?status=pending&limit=20
    let pending = get_ok(app, &referrer, "/api/partner/leads?status=pending&limit=20").await;
    assert_eq!(
        emails(&pending),
        ["open@client.example", "talking@client.example"]
    );
    assert_eq!(pending["meta"]["perPage"], 20);
    assert_eq!(pending["meta"]["total"], 2);
    let one = get_ok(app, &referrer, "/api/partner/leads?status=pending&limit=1").await;
    assert_eq!(one["list"].as_array().unwrap().len(), 1);
    assert_eq!(one["meta"]["total"], 2);
    let lost = get_ok(app, &referrer, "/api/partner/leads?status=lost").await;
    assert_eq!(emails(&lost), ["gone@client.example"]);
    let won_list = get_ok(app, &referrer, "/api/partner/leads?status=won").await;
    assert_eq!(emails(&won_list), ["won@client.example"]);

    for (query, field) in [
        ("status=someday", "status"),
        ("limit=0", "limit"),
        ("limit=20&perPage=20", "limit"),
    ] {
        let refused = expect_json(
            referrer
                .get(app.url(&format!("/api/partner/leads?{query}")))
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(refused["error"]["details"][0]["field"], field, "{query}");
    }
});
