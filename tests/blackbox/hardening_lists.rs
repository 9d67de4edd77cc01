//! Black-box scenarios of lead lists that stay complete past the list read
//! limit: the system runs with `LIST_READ_LIMIT` far below the number of
//! leads, so a list that read "the newest N rows and filtered them" would
//! miss the oldest lead; search, status, source and scheduled-date filters
//! read their own index partitions and find it, with exact totals. A
//! filter that no key covers says it was cut short (`meta.truncated`).

use chrono::{DateTime, Duration, Utc};
use pc_host::devserver::Options;
use pc_http::identity::Role;
use pc_leads::deal_status::{DealStatus, LeadSource};
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store;
use pc_tests::leads_support::{filter_query, get_ok, seed_partner, signed_in_user};
use pc_tests::reqwest::StatusCode;
use pc_tests::{Backend, TestApp, expect_json, json};
use serde_json::Value;

/// Far below the leads each scenario seeds.
const READ_LIMIT: usize = 12;

/// A system whose lists read at most [`READ_LIMIT`] rows.
async fn app_reading_at_most_the_limit(backend: Backend) -> TestApp {
    let mut options = Options::ephemeral();
    options.config.list_read_limit = READ_LIMIT;
    TestApp::spawn_with(backend, options).await
}

/// One scenario on both backends, each with the small read limit.
macro_rules! limited_scenario {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                let owned = app_reading_at_most_the_limit(Backend::Embedded).await;
                {
                    let $app = &owned;
                    $body
                }
                owned.server.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn aws() {
                let owned = app_reading_at_most_the_limit(Backend::Aws).await;
                {
                    let $app = &owned;
                    $body
                }
                owned.server.stop().await;
            }
        }
    };
}

fn base() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

/// Stores a lead created at `created` through the store's own lead write.
async fn seed_lead(
    app: &TestApp,
    partner: &str,
    email: &str,
    (first, last, company): (&str, &str, &str),
    status: DealStatus,
    created: DateTime<Utc>,
    scheduled: Option<DateTime<Utc>>,
) -> String {
    let ctx = &app.server.context;
    let mut lead = LeadRecord::new(
        ctx.ids.new_id(),
        partner.to_owned(),
        LeadEmail::parse(email).unwrap(),
        LeadSource::Import,
        created,
    );
    lead.contact.first_name = Some(first.to_owned());
    lead.contact.last_name = Some(last.to_owned());
    lead.contact.company = Some(company.to_owned());
    lead.deal_status = status;
    lead.scheduled_date = scheduled;
    leads_store::create(&*ctx.store, &lead)
        .await
        .expect("lead seeded");
    lead.id
}

fn ids_of(body: &Value) -> Vec<String> {
    body["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn search(text: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("search", text)
        .finish()
}

fn assert_complete(body: &Value) {
    assert!(
        body["meta"].get("truncated").is_none(),
        "a keyed list is never cut short: {}",
        body["meta"]
    );
}

limited_scenario!(the_oldest_lead_is_found_past_the_read_limit, |app| {
    let alpha = seed_partner(app, "Alpha", &[]).await;
    let beta = seed_partner(app, "Beta", &[]).await;
    let (admin, _) = signed_in_user(app, Some(&alpha), Role::Admin).await;
    let (staff, _) = signed_in_user(app, None, Role::Admin).await;

    // The oldest lead of Alpha, then 30 newer ones: more than twice the
    // read limit, none of them won, none named like her.
    let ann = seed_lead(
        app,
        &alpha,
        "first.contact@oldco.example",
        ("Annie", "Smith", "Acme Widgets"),
        DealStatus::New,
        base(),
        Some(base() + Duration::days(3)),
    )
    .await;
    let open = [DealStatus::New, DealStatus::Scheduled, DealStatus::InTouch];
    let mut newer = Vec::new();
    for i in 0..30 {
        let scheduled = (i % 2 == 0).then(|| base() + Duration::days(40 + i));
        let id = seed_lead(
            app,
            &alpha,
            &format!("bob{i}@corp{i}.example"),
            ("Bob", &format!("Jones{i}"), &format!("Corp {i}")),
            open[i as usize % 3],
            base() + Duration::hours(1 + i),
            scheduled,
        )
        .await;
        newer.push((id, open[i as usize % 3], scheduled));
    }
    let annabel = seed_lead(
        app,
        &beta,
        "annabel@borealis.example",
        ("Annabel", "Stone", "Borealis"),
        DealStatus::Won,
        base() + Duration::days(2),
        None,
    )
    .await;

    // Her admin renames her and wins her deal: the update moves her search
    // words, her status partition and the counters in one transaction.
    let response = admin
        .patch(app.url(&format!("/v1/leads/{ann}")))
        .json(&json!({"firstName": "Ann", "lastName": "Lee", "dealStatus": "won"}))
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK).await;

    // Search: the whole name, a first-name start, a company word start,
    // the exact email (still her old one); the old last name no longer
    // matches.
    for text in [
        "Ann Lee",
        "ann",
        "wid",
        "acme ann",
        "FIRST.CONTACT@oldco.example",
    ] {
        let body = get_ok(app, &admin, &format!("/v1/leads?{}", search(text))).await;
        assert_eq!(ids_of(&body), [ann.as_str()], "search {text}: {body}");
        assert_eq!(body["meta"]["total"], 1, "search {text}");
        assert_complete(&body);
    }
    for text in ["smith", "annie", "lee ann bob", "idgets"] {
        let body = get_ok(app, &admin, &format!("/v1/leads?{}", search(text))).await;
        assert_eq!(body["meta"]["total"], 0, "search {text}: {body}");
    }

    // Status filter: the one won lead, total from the counters.
    let won = json!([{"column": "dealStatus", "operator": "eq", "value": "won"}]);
    let body = get_ok(app, &admin, &format!("/v1/leads?{}", filter_query(&won))).await;
    assert_eq!(ids_of(&body), [ann.as_str()]);
    assert_eq!(body["meta"]["total"], 1);
    assert_complete(&body);

    // Two statuses, paged newest first, with exact totals.
    let some = json!([{"column": "dealStatus", "operator": "in", "value": ["new", "in_touch"]}]);
    let mut expected: Vec<&(String, DealStatus, Option<DateTime<Utc>>)> = newer
        .iter()
        .filter(|(_, s, _)| matches!(s, DealStatus::New | DealStatus::InTouch))
        .collect();
    expected.reverse();
    let body = get_ok(
        app,
        &admin,
        &format!("/v1/leads?{}&perPage=5&page=3", filter_query(&some)),
    )
    .await;
    assert_eq!(body["meta"]["total"], expected.len());
    let page: Vec<String> = expected
        .iter()
        .skip(15)
        .take(5)
        .map(|e| e.0.clone())
        .collect();
    assert_eq!(ids_of(&body), page);
    assert_complete(&body);

    // A scheduled-date range reads the scheduled partition: only Ann's
    // meeting is in the first week.
    let week = json!([
        {"column": "scheduledDate", "operator": "gte", "value": "2030-01-01T00:00:00Z"},
        {"column": "scheduledDate", "operator": "lt", "value": "2030-01-08T00:00:00Z"}
    ]);
    let body = get_ok(app, &admin, &format!("/v1/leads?{}", filter_query(&week))).await;
    assert_eq!(ids_of(&body), [ann.as_str()]);
    assert_complete(&body);
    // Overdue on 2030-03-01: open leads with a meeting before then (Ann is
    // won now), oldest meeting first.
    let now = DateTime::parse_from_rfc3339("2030-03-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let overdue = pc_leads::overdue_filters(now);
    let body = get_ok(
        app,
        &admin,
        &format!(
            "/v1/leads?{}&sort=scheduledDate:asc&perPage=100",
            filter_query(&overdue)
        ),
    )
    .await;
    let mut due: Vec<&(String, DealStatus, Option<DateTime<Utc>>)> = newer
        .iter()
        .filter(|(_, _, at)| at.is_some_and(|at| at < now))
        .collect();
    due.sort_by_key(|e| e.2);
    assert_eq!(
        ids_of(&body),
        due.iter().map(|e| e.0.clone()).collect::<Vec<_>>()
    );
    assert_eq!(body["meta"]["total"], due.len());
    assert_complete(&body);

    // Staff search across partners, with the partner column; staff status
    // filter and totals over every partner.
    let body = get_ok(app, &staff, &format!("/v1/leads?{}", search("ann"))).await;
    assert_eq!(
        ids_of(&body),
        [annabel.clone(), ann.clone()],
        "newest first"
    );
    assert_eq!(body["meta"]["total"], 2);
    assert_eq!(body["list"][0]["partner"]["name"], "Beta");
    assert_eq!(body["list"][1]["partner"]["name"], "Alpha");
    let body = get_ok(app, &staff, &format!("/v1/leads?{}", filter_query(&won))).await;
    assert_eq!(ids_of(&body), [annabel.clone(), ann.clone()]);
    assert_eq!(body["meta"]["total"], 2);
    let body = get_ok(app, &staff, "/v1/leads?perPage=5").await;
    assert_eq!(body["meta"]["total"], 32);
    assert_complete(&body);
    let body = get_ok(
        app,
        &staff,
        &format!("/v1/leads?{}", search("annabel@borealis.example")),
    )
    .await;
    assert_eq!(ids_of(&body), [annabel.as_str()]);

    // A filter no key covers, over more rows than the limit: the answer
    // says it was cut short. Within the limit it is complete.
    let unkeyed = json!([{"column": "company", "operator": "contains", "value": "corp"}]);
    let body = get_ok(
        app,
        &admin,
        &format!("/v1/leads?{}", filter_query(&unkeyed)),
    )
    .await;
    assert_eq!(body["meta"]["truncated"], true, "{}", body["meta"]);
    let narrow = json!([
        {"column": "dealStatus", "operator": "eq", "value": "won"},
        {"column": "company", "operator": "contains", "value": "acme"}
    ]);
    let body = get_ok(app, &admin, &format!("/v1/leads?{}", filter_query(&narrow))).await;
    assert_eq!(ids_of(&body), [ann.as_str()]);
    assert_eq!(body["meta"]["total"], 1);
    assert_complete(&body);
});
