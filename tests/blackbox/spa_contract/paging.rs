//! Every collection of the function table takes `page` and `perPage`.

use std::collections::BTreeSet;

use pc_http::functions::Trigger;
use pc_http::identity::Role;
use pc_tests::leads_support::{get_ok, signed_in_user};
use pc_tests::market_support::{call, partner};
use pc_tests::reqwest::{Client, Method, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

/// The GET operations the document says answer `{list, meta}`.
fn documented_lists(doc: &Value) -> BTreeSet<String> {
    let schemas = &doc["components"]["schemas"];
    let resolve = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(r) => schemas[r.trim_start_matches("#/components/schemas/")].clone(),
            None => schema.clone(),
        }
    };
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| {
            let schema = &item["get"]["responses"]["200"]["content"]["application/json"]["schema"];
            let properties = &resolve(schema)["properties"];
            properties["list"].is_object() && properties["meta"].is_object()
        })
        .map(|(path, _)| path.clone())
        .collect()
}

fn is_collection(body: &Value) -> bool {
    body["list"].is_array() && body["meta"].is_object()
}

/// The first of `callers` that `GET path` answers a collection to.
async fn collection_caller<'c>(
    app: &TestApp,
    callers: &'c [(&str, &Client)],
    path: &str,
) -> Option<&'c Client> {
    for (_, client) in callers {
        let Ok(response) = client.get(app.url(path)).send().await else {
            continue;
        };
        if response.status() == StatusCode::OK
            && response
                .json::<Value>()
                .await
                .is_ok_and(|b| is_collection(&b))
        {
            return Some(client);
        }
    }
    None
}

scenario!(every_list_route_takes_page_and_per_page, |app| {
    app.sign_in_owner().await;
    let agency = partner(app, "Agency").await;
    let lead = expect_json(
        call(
            app,
            &agency.admin,
            Method::POST,
            "/v1/leads",
            &json!({"email": "ann@acme.example"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let lead_id = lead["id"].as_str().unwrap().to_owned();
    let referrer = expect_json(
        app.post(
            "/v1/partners",
            &json!({"name": "Referrer", "kind": "referral", "commissionRate": 10}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let (referrer_admin, _) =
        signed_in_user(app, Some(referrer["id"].as_str().unwrap()), Role::Admin).await;
    let callers = [
        ("owner", &app.client),
        ("agency admin", &agency.admin),
        ("referrer admin", &referrer_admin),
    ];

    // The marketplace's purchases page:
    //   GET /v1/marketplace/purchases?page=0&perPage=20
    let purchases = get_ok(
        app,
        &agency.admin,
        "/v1/marketplace/purchases?page=0&perPage=20",
    )
    .await;
    assert_eq!(purchases["meta"]["perPage"], 20);
    let sales = get_ok(
        app,
        &agency.admin,
        "/v1/marketplace/purchases?role=seller&page=0&perPage=5",
    )
    .await;
    assert_eq!(sales["meta"]["perPage"], 5);

    let mut walked = BTreeSet::new();
    for function in pc_host::catalog::all() {
        if !matches!(function.trigger, Trigger::Http(_)) {
            continue;
        }
        let Some((Method::GET, template)) = function.method_and_path() else {
            continue;
        };
        let path = template
            .replace("/v1/leads/{id}", &format!("/v1/leads/{lead_id}"))
            .replace(
                "/v1/partners/{id}",
                &format!("/v1/partners/{}", agency.partner_id),
            );
        if path.contains('{') || path.ends_with("/callback") {
            continue;
        }
        let Some(client) = collection_caller(app, &callers, &path).await else {
            continue;
        };
        for (page, per_page) in [(0, 20), (1, 1)] {
            let paged = format!("{path}?page={page}&perPage={per_page}");
            let body = expect_json(
                client.get(app.url(&paged)).send().await.unwrap(),
                StatusCode::OK,
            )
            .await;
            assert!(is_collection(&body), "{paged}: {body}");
            assert_eq!(body["meta"]["page"], page, "{paged}");
            assert_eq!(body["meta"]["perPage"], per_page, "{paged}");
            assert!(
                body["list"].as_array().unwrap().len() <= per_page,
                "{paged}"
            );
        }
        walked.insert(template);
    }
    let doc = get_ok(app, &app.client, "/api/docs/openapi.json").await;
    let documented = documented_lists(&doc);
    let missed: Vec<_> = documented.difference(&walked).collect();
    assert!(missed.is_empty(), "lists not walked: {missed:?}");
    assert!(
        walked.len() >= 20,
        "only {} lists walked: {walked:?}",
        walked.len()
    );
});
