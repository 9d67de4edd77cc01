//! The leads page's own filter columns and its sales-manager dropdown.

use pc_http::identity::Role;
use pc_tests::leads_support::{filter_query, get_ok, seed_partner, signed_in_user};
use pc_tests::reqwest::{Client, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

async fn lead(app: &TestApp, client: &Client, body: Value) -> String {
    let created = expect_json(
        client
            .post(app.url("/v1/leads"))
            .json(&body)
            .send()
            .await
            .unwrap(),
        StatusCode::CREATED,
    )
    .await;
    created["id"].as_str().unwrap().to_owned()
}

fn emails(body: &Value) -> Vec<String> {
    let mut emails: Vec<String> = body["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect();
    emails.sort();
    emails
}

fn names(body: &Value) -> Vec<(String, u64)> {
    body["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["leads"].as_u64().unwrap(),
            )
        })
        .collect()
}

scenario!(the_leads_page_filters_by_partner_and_sales_manager, |app| {
    let acme = seed_partner(app, "Acme", &[]).await;
    let beta = seed_partner(app, "Beta", &[]).await;
    let (staff, _) = signed_in_user(app, None, Role::Admin).await;
    let (acme_admin, _) = signed_in_user(app, Some(&acme), Role::Admin).await;
    let (beta_user, _) = signed_in_user(app, Some(&beta), Role::User).await;
    for (pid, email, manager) in [
        (&acme, "a1@x.example", Some("Sam Seller")),
        (&acme, "a2@x.example", Some("Rita Rep")),
        (&acme, "a3@x.example", Some("Sam Seller")),
        (&acme, "a4@x.example", None),
        (&beta, "b1@x.example", Some("Sam Seller")),
        (&beta, "b2@x.example", Some("Bo Beta")),
    ] {
        lead(
            app,
            &staff,
            json!({"partnerId": pid, "email": email, "salesManager": manager}),
        )
        .await;
    }

    // LeadsDataTable.vue, buildFilterQuery():
    //   filterArray.push({ column: 'sales_manager', operator: 'eq', value: filters.value.salesManager })
    //   filterArray.push({ column: 'partner', operator: 'eq', value: filters.value.partner })
    let filters = json!([
        {"column": "sales_manager", "operator": "eq", "value": "Sam Seller"},
        {"column": "partner", "operator": "eq", "value": acme},
    ]);
    let found = get_ok(
        app,
        &staff,
        &format!("/v1/leads?{}", filter_query(&filters)),
    )
    .await;
    assert_eq!(emails(&found), ["a1@x.example", "a3@x.example"]);
    assert_eq!(found["meta"]["total"], 2);
    // The API's own names give the same answer.
    let canonical = json!([
        {"column": "salesManager", "operator": "eq", "value": "Sam Seller"},
        {"column": "partnerId", "operator": "eq", "value": acme},
    ]);
    let same = get_ok(
        app,
        &staff,
        &format!("/v1/leads?{}", filter_query(&canonical)),
    )
    .await;
    assert_eq!(emails(&same), emails(&found));
    // A partner's admin filtering on another partner sees nothing of it.
    let theirs = json!([{"column": "partner", "operator": "eq", "value": beta}]);
    let none = get_ok(
        app,
        &acme_admin,
        &format!("/v1/leads?{}", filter_query(&theirs)),
    )
    .await;
    assert_eq!(none["meta"]["total"], 0);
    // A wrong value for an alias is named like one for its column.
    let wrong = json!([{"column": "sales_manager", "operator": "eq", "value": 5}]);
    let refused = expect_json(
        staff
            .get(app.url(&format!("/v1/leads?{}", filter_query(&wrong))))
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(refused["error"]["details"][0]["field"], "filter[0]");

    // The dropdown's values:
    //   <SelectItem v-for="manager in salesManagers" :value="manager">
    let mine = get_ok(app, &acme_admin, "/v1/leads/sales-managers").await;
    assert_eq!(
        names(&mine),
        [("Rita Rep".into(), 1), ("Sam Seller".into(), 2)]
    );
    let all = get_ok(app, &staff, "/v1/leads/sales-managers").await;
    assert_eq!(
        names(&all),
        [
            ("Bo Beta".into(), 1),
            ("Rita Rep".into(), 1),
            ("Sam Seller".into(), 3)
        ]
    );
    let one = get_ok(
        app,
        &staff,
        &format!("/v1/leads/sales-managers?partnerId={beta}"),
    )
    .await;
    assert_eq!(
        names(&one),
        [("Bo Beta".into(), 1), ("Sam Seller".into(), 1)]
    );
    let other = beta_user
        .get(app.url(&format!("/v1/leads/sales-managers?partnerId={acme}")))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);

    // Reassigning leads moves the names: Rita's only lead goes to Sam.
    let rita = get_ok(
        app,
        &staff,
        &format!(
            "/v1/leads?{}",
            filter_query(
                &json!([{"column": "sales_manager", "operator": "eq", "value": "Rita Rep"}])
            )
        ),
    )
    .await;
    let rita_lead = rita["list"][0]["id"].as_str().unwrap().to_owned();
    let moved = staff
        .patch(app.url(&format!("/v1/leads/{rita_lead}")))
        .json(&json!({"salesManager": "Sam Seller"}))
        .send()
        .await
        .unwrap();
    expect_json(moved, StatusCode::OK).await;
    let mine = get_ok(app, &acme_admin, "/v1/leads/sales-managers").await;
    assert_eq!(names(&mine), [("Sam Seller".into(), 3)]);

    // The document names the aliases.
    let doc = get_ok(app, &staff, "/api/docs/openapi.json").await;
    let params = doc["paths"]["/v1/leads"]["get"]["parameters"].to_string();
    assert!(
        params.contains("sales_manager") && params.contains("`partner`"),
        "{params}"
    );
});
