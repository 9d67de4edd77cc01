//! The lead list filtered, sorted, searched and paged, compared with an
//! expectation computed from generated leads seeded straight into the store.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, Utc};
use pc_http::identity::Role;
use pc_leads::deal_status::{DealStatus, LeadSource};
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store;
use pc_tests::leads_support::{filter_query, get_ok, seed_partner, signed_in_user};
use pc_tests::reqwest::StatusCode;
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

/// One generated lead, as the expectation sees it.
#[derive(Clone, Debug)]
struct Generated {
    id: String,
    partner: String,
    email: String,
    company: String,
    status: DealStatus,
    cents: Option<i64>,
    scheduled: Option<DateTime<Utc>>,
    created: DateTime<Utc>,
}

async fn seed_leads(app: &TestApp, partners: &[(&str, usize)]) -> Vec<Generated> {
    let ctx = &app.server.context;
    let base = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let companies = [
        "acme", "bolt", "cobalt", "delta", "echo", "foxtrot", "gamma",
    ];
    let mut all = Vec::new();
    let mut n = 0usize;
    for (pid, count) in partners {
        for i in 0..*count {
            n += 1;
            let status = DealStatus::ALL[(n * 7 + i) % DealStatus::ALL.len()];
            let created = base + Duration::minutes(n as i64 * 13);
            let scheduled =
                (!n.is_multiple_of(3)).then(|| base + Duration::hours((n as i64 * 37) % 2000));
            let g = Generated {
                id: ctx.ids.new_id(),
                partner: pid.to_string(),
                email: format!("lead{n:04}@corp{}.example", n % 10),
                company: companies[(n * 5) % companies.len()].to_owned(),
                status,
                cents: (!n.is_multiple_of(4)).then_some((n as i64 * 1_337) % 250_000),
                scheduled,
                created,
            };
            let mut lead = LeadRecord::new(
                g.id.clone(),
                g.partner.clone(),
                LeadEmail::parse(&g.email).unwrap(),
                LeadSource::Import,
                g.created,
            );
            lead.contact.company = Some(g.company.clone());
            lead.deal_status = g.status;
            lead.deal_amount_cents = g.cents;
            lead.scheduled_date = g.scheduled;
            leads_store::create(&*ctx.store, &lead)
                .await
                .expect("lead seeded");
            all.push(g);
        }
    }
    all
}

fn ids_of(body: &Value) -> Vec<String> {
    body["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn page(expected: &[&Generated], page: usize, per_page: usize) -> Vec<String> {
    expected
        .iter()
        .skip(page * per_page)
        .take(per_page)
        .map(|g| g.id.clone())
        .collect()
}

scenario!(
    lead_lists_filter_sort_search_and_page_like_the_expectation,
    |app| {
        let a = seed_partner(app, "Alpha", &[]).await;
        let b = seed_partner(app, "Beta", &[]).await;
        let all = seed_leads(app, &[(&a, 240), (&b, 60)]).await;
        let (user_a, _) = signed_in_user(app, Some(&a), Role::User).await;
        let (staff, _) = signed_in_user(app, None, Role::Admin).await;
        let of_a: Vec<&Generated> = all.iter().filter(|g| g.partner == a).collect();

        // Default: the partner's leads, newest first.
        let mut expected = of_a.clone();
        expected.sort_by_key(|x| std::cmp::Reverse(x.created));
        let body = get_ok(app, &user_a, "/v1/leads?perPage=50&page=2").await;
        assert_eq!(body["meta"]["total"], 240);
        assert_eq!(ids_of(&body), page(&expected, 2, 50));
        assert!(body["list"][0].get("partner").is_none());

        // Status filter (a gsi2 query), two sorts, paging.
        let filters =
            json!([{"column": "dealStatus", "operator": "in", "value": ["scheduled", "in_touch"]}]);
        let q = format!(
            "/v1/leads?{}&sort=company:asc&sort=email:desc&perPage=20&page=1",
            filter_query(&filters)
        );
        let mut expected: Vec<&Generated> = of_a
            .iter()
            .copied()
            .filter(|g| matches!(g.status, DealStatus::Scheduled | DealStatus::InTouch))
            .collect();
        expected.sort_by(|x, y| x.company.cmp(&y.company).then(y.email.cmp(&x.email)));
        let body = get_ok(app, &user_a, &q).await;
        assert_eq!(body["meta"]["total"], expected.len());
        assert_eq!(ids_of(&body), page(&expected, 1, 20));

        // Search and a money filter (dollars).
        let filters = json!([{"column": "dealAmount", "operator": "gte", "value": 1000}]);
        let q = format!(
            "/v1/leads?{}&search=CORP3&sort=dealAmount:desc&sort=email:asc&perPage=200",
            filter_query(&filters)
        );
        let mut expected: Vec<&Generated> = of_a
            .iter()
            .copied()
            .filter(|g| g.email.contains("corp3") && g.cents.is_some_and(|c| c >= 100_000))
            .collect();
        expected.sort_by(|x, y| y.cents.cmp(&x.cents).then(x.email.cmp(&y.email)));
        let body = get_ok(app, &user_a, &q).await;
        assert_eq!(ids_of(&body), page(&expected, 0, 200));

        // Overdue: the magic link's filters (a gsi3 query).
        let now = DateTime::parse_from_rfc3339("2030-02-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let filters = pc_leads::overdue_filters(now);
        let q = format!(
            "/v1/leads?{}&sort=scheduledDate:asc&sort=email:asc&perPage=200",
            filter_query(&filters)
        );
        let mut expected: Vec<&Generated> = of_a
            .iter()
            .copied()
            .filter(|g| !g.status.is_closed() && g.scheduled.is_some_and(|s| s < now))
            .collect();
        expected.sort_by(|x, y| x.scheduled.cmp(&y.scheduled).then(x.email.cmp(&y.email)));
        assert!(!expected.is_empty());
        let body = get_ok(app, &user_a, &q).await;
        assert_eq!(ids_of(&body), page(&expected, 0, 200));
        let overdue = pc_leads::overdue_leads_for_partner(&*app.server.context.store, &a, now)
            .await
            .unwrap();
        let mut overdue_ids: Vec<_> = overdue.iter().map(|o| o.id.clone()).collect();
        let mut expected_ids: Vec<_> = expected.iter().map(|g| g.id.clone()).collect();
        overdue_ids.sort();
        expected_ids.sort();
        assert_eq!(overdue_ids, expected_ids);

        // Staff: every partner, a partner filter, the partner column.
        let body = get_ok(app, &staff, "/v1/leads?perPage=10").await;
        assert_eq!(body["meta"]["total"], 300);
        let filters = json!([{"column": "partnerId", "operator": "eq", "value": b},
        {"column": "scheduledDate", "operator": "is_null"}]);
        let q = format!(
            "/v1/leads?{}&sort=createdAt:asc&perPage=200",
            filter_query(&filters)
        );
        let mut expected: Vec<&Generated> = all
            .iter()
            .filter(|g| g.partner == b && g.scheduled.is_none())
            .collect();
        expected.sort_by_key(|x| x.created);
        let body = get_ok(app, &staff, &q).await;
        assert_eq!(ids_of(&body), page(&expected, 0, 200));
        assert_eq!(body["list"][0]["partner"]["name"], "Beta");

        // A scoped user filtering on another partner sees nothing of it.
        let filters = json!([{"column": "partnerId", "operator": "eq", "value": b}]);
        let body = get_ok(
            app,
            &user_a,
            &format!("/v1/leads?{}", filter_query(&filters)),
        )
        .await;
        assert_eq!(body["meta"]["total"], 0);

        // Unknown columns and operators are a 400 naming the filter.
        for bad in [
            json!([{"column": "secret", "operator": "eq", "value": 1}]),
            json!([{"column": "email", "operator": "like", "value": "x"}]),
        ] {
            let response = user_a
                .get(app.url(&format!("/v1/leads?{}", filter_query(&bad))))
                .send()
                .await
                .unwrap();
            let error = expect_json(response, StatusCode::BAD_REQUEST).await;
            assert_eq!(error["error"]["details"][0]["field"], "filter[0]");
        }
        let _ = Ordering::Equal;
    }
);
