//! Black-box scenarios of the leads capability: ChiliPiper deliveries in
//! any order, the lead list against a computed expectation, imports,
//! tenancy, lost-lead alerts and audit events.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, Utc};
use pc_api::identity::Role;
use pc_leads::deal_status::{DealStatus, LeadSource};
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store;
use pc_tests::leads_support::{
    at, chili_event, deliver, filter_query, get_ok, seed_partner, signed_in_user, wait_for,
};
use pc_tests::reqwest::{Client, StatusCode, multipart};
use pc_tests::{TestApp, expect_json, json, scenario, wait_until};
use serde_json::Value;

fn list_len(body: &Value) -> usize {
    body["list"].as_array().map_or(0, Vec::len)
}

scenario!(
    chilipiper_deliveries_in_any_order_leave_one_correct_lead,
    |app| {
        let pid = seed_partner(app, "Acme", &["Acme Demo"]).await;
        let (admin, admin_email) = signed_in_user(app, Some(&pid), Role::Admin).await;
        let (staff, _) = signed_in_user(app, None, Role::Admin).await;
        let t0 = "2030-03-01T15:00:00.000Z";

        // Create → reschedule → cancel, each delivered twice, all at once:
        // the worker handles them concurrently and in any order.
        let create = chili_event("m-1", "created", "acme demo", t0, "Gina@Guest.example");
        let moved = chili_event(
            "m-1",
            "rescheduled",
            "Acme Demo",
            &at(t0, 60),
            "gina@guest.example",
        );
        let cancel = chili_event(
            "m-1",
            "canceled",
            "Acme Demo",
            &at(t0, 60),
            "gina@guest.example",
        );
        for body in [&create, &moved, &cancel, &cancel, &moved, &create] {
            deliver(app, body).await;
        }
        let meetings = wait_for(app, &admin, "/v1/meetings", |b| {
            list_len(b) == 1 && b["list"][0]["status"] == "Canceled"
        })
        .await;
        app.drain().await;
        let row = &meetings["list"][0];
        assert_eq!(row["id"], "m-1");
        assert_eq!(row["scheduledTime"], at(t0, 60));
        assert_eq!(row["lead"]["email"], "gina@guest.example");

        // An update that arrives before its create: the create changes nothing.
        let later = at(t0, 3 * 24 * 60);
        deliver(
            app,
            &chili_event("m-2", "updated", "Acme Demo", &later, "gina@guest.example"),
        )
        .await;
        wait_for(app, &admin, "/v1/meetings/m-2", |b| {
            b["status"] == "Updated"
        })
        .await;
        deliver(
            app,
            &chili_event(
                "m-2",
                "created",
                "Acme Demo",
                &at(t0, 2 * 24 * 60),
                "gina@guest.example",
            ),
        )
        .await;
        app.drain().await;

        let leads = get_ok(app, &admin, "/v1/leads").await;
        assert_eq!(leads["meta"]["total"], 1, "one lead: {leads}");
        let lead = &leads["list"][0];
        assert_eq!(lead["email"], "gina@guest.example");
        assert_eq!(lead["source"], "chilipiper");
        assert_eq!(lead["dealStatus"], "scheduled");
        assert_eq!(lead["scheduledDate"], later, "latest start of any status");
        assert_eq!(lead["firstName"], "Gina");
        assert!(
            lead.get("partner").is_none(),
            "partner column only for staff"
        );
        let id = lead["id"].as_str().unwrap();

        let of_lead = get_ok(app, &admin, &format!("/v1/leads/{id}/meetings")).await;
        let ids: Vec<_> = of_lead["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].clone())
            .collect();
        assert_eq!(ids, [json!("m-2"), json!("m-1")], "newest first");
        assert_eq!(of_lead["list"][0]["status"], "Updated");
        assert_eq!(of_lead["list"][0]["scheduledTime"], later);

        // Partner counters moved once per lead and per meeting.
        let partner = pc_accounts::partners_store::get_partner(&*app.server.context.store, &pid)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(partner.total_leads, 1);
        assert_eq!(partner.total_appointments, 2);
        assert_eq!(
            partner
                .last_appointment_date
                .map(pc_platform::time::timestamp),
            Some(later.clone())
        );

        // The partner's user heard about the new lead exactly once.
        app.wait_for_mail(&admin_email, "New lead").await;
        let notices = app
            .mailbox()
            .await
            .into_iter()
            .filter(|m| m["to"] == admin_email.as_str())
            .count();
        assert_eq!(notices, 1);

        // Staff rows carry the partner.
        let staff_leads = get_ok(app, &staff, "/v1/leads").await;
        assert_eq!(staff_leads["list"][0]["partner"]["name"], "Acme");
        assert_eq!(staff_leads["list"][0]["partner"]["id"], pid.as_str());
    }
);

scenario!(
    chilipiper_webhook_checks_secret_and_payload_and_keeps_unrouted,
    |app| {
        let pid = seed_partner(app, "Bolt", &["Bolt Intro"]).await;
        let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
        let (staff, _) = signed_in_user(app, None, Role::Admin).await;
        let url = app.url("/v1/meetings/webhooks/chilipiper");
        let body = chili_event(
            "w-1",
            "created",
            "Bolt Intro",
            "2030-01-01T10:00:00Z",
            "wrong@secret.example",
        );
        let client = Client::new();
        let wrong = client
            .post(&url)
            .header("X-Webhook-Secret", "nope")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let missing = client.post(&url).json(&body).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
        let secret = app
            .server
            .context
            .config
            .chilipiper_webhook_secret
            .expose()
            .unwrap()
            .to_owned();
        let malformed = client
            .post(&url)
            .header("X-Webhook-Secret", &secret)
            .header("Content-Type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
        let no_start = client
        .post(&url)
        .header("X-Webhook-Secret", &secret)
        .json(&json!({"meetingIdChili": "x", "eventType": "created", "meetingTypeName": "Bolt Intro"}))
        .send()
        .await
        .unwrap();
        let error = expect_json(no_start, StatusCode::BAD_REQUEST).await;
        assert_eq!(error["error"]["details"][0]["field"], "startTime");

        // The query-string secret works too.
        let good = chili_event(
            "w-2",
            "created",
            "Bolt Intro",
            "2030-01-01T10:00:00Z",
            "query@secret.example",
        );
        let by_query = client
            .post(format!("{url}?secret={secret}"))
            .json(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(by_query.status(), StatusCode::ACCEPTED);
        wait_for(app, &admin, "/v1/leads", |b| list_len(b) == 1).await;
        app.drain().await;
        let leads = get_ok(app, &admin, "/v1/leads").await;
        assert_eq!(
            leads["meta"]["total"], 1,
            "the refused delivery created nothing"
        );
        assert_eq!(leads["list"][0]["email"], "query@secret.example");

        // A meeting type nobody routes is kept for staff, once.
        let stray = chili_event(
            "u-1",
            "created",
            "Nobody's Type",
            "2030-01-02T10:00:00Z",
            "stray@x.example",
        );
        deliver(app, &stray).await;
        deliver(app, &stray).await;
        let unrouted = wait_for(app, &staff, "/v1/meetings/unrouted", |b| list_len(b) == 1).await;
        assert_eq!(unrouted["list"][0]["meetingIdChili"], "u-1");
        app.drain().await;
        assert_eq!(
            list_len(&get_ok(app, &staff, "/v1/meetings/unrouted").await),
            1
        );
        let forbidden = admin
            .get(app.url("/v1/meetings/unrouted"))
            .send()
            .await
            .unwrap();
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    }
);

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

async fn upload(
    app: &TestApp,
    client: &Client,
    partner: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
) -> pc_tests::reqwest::Response {
    let mut form = multipart::Form::new().part(
        "file",
        multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    if let Some(pid) = partner {
        form = form.text("partnerId", pid.to_owned());
    }
    client
        .post(app.url("/v1/leads/import"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/leads/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn finished_task(app: &TestApp, client: &Client, task_id: &str) -> Value {
    wait_for(app, client, &format!("/v1/leads/import/{task_id}"), |b| {
        b["status"] == "completed"
    })
    .await
}

scenario!(imports_csv_and_xlsx_with_bad_and_duplicate_rows, |app| {
    let pid = seed_partner(app, "Delta", &[]).await;
    let (staff, _) = signed_in_user(app, None, Role::Admin).await;
    let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;

    let started = upload(app, &staff, Some(&pid), "leads.csv", fixture("leads.csv")).await;
    let task_id = expect_json(started, StatusCode::ACCEPTED).await["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = finished_task(app, &admin, &task_id).await;
    assert_eq!(task["total"], 6, "{task}");
    assert_eq!(task["processed"], 6);
    assert_eq!(task["created"], 3);
    assert_eq!(task["updated"], 0);
    assert_eq!(task["failed"], 2);
    let errors: Vec<_> = task["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [(4, "email".to_owned()), (5, "dealAmount".to_owned())]
    );
    let leads = get_ok(app, &admin, "/v1/leads?sort=email:asc").await;
    let emails: Vec<_> = leads["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        emails,
        ["ann@acme.example", "bob@bolt.example", "eve@echo.example"]
    );
    assert_eq!(leads["list"][0]["dealAmount"], 1200.5);
    assert_eq!(leads["list"][0]["source"], "import");

    // The same file again changes nothing.
    let again = upload(app, &admin, None, "leads.csv", fixture("leads.csv")).await;
    let again_id = expect_json(again, StatusCode::ACCEPTED).await["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = finished_task(app, &admin, &again_id).await;
    assert_eq!(
        (
            task["created"].as_u64(),
            task["updated"].as_u64(),
            task["failed"].as_u64()
        ),
        (Some(0), Some(0), Some(2))
    );
    assert_eq!(get_ok(app, &admin, "/v1/leads").await["meta"]["total"], 3);

    // XLSX.
    let xlsx = upload(app, &admin, None, "leads.xlsx", fixture("leads.xlsx")).await;
    let xlsx_id = expect_json(xlsx, StatusCode::ACCEPTED).await["taskId"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = finished_task(app, &admin, &xlsx_id).await;
    assert_eq!(
        (
            task["total"].as_u64(),
            task["created"].as_u64(),
            task["failed"].as_u64()
        ),
        (Some(4), Some(2), Some(1)),
        "{task}"
    );
    assert_eq!(task["errors"][0]["row"], 4);
    assert_eq!(get_ok(app, &admin, "/v1/leads").await["meta"]["total"], 5);

    // Refused whole, before anything is written.
    let pdf = upload(
        app,
        &admin,
        None,
        "leads.pdf",
        fixture("not-a-spreadsheet.pdf"),
    )
    .await;
    assert_eq!(
        expect_json(pdf, StatusCode::BAD_REQUEST).await["error"]["details"][0]["field"],
        "file"
    );
    let no_email = upload(
        app,
        &admin,
        None,
        "no-email-column.csv",
        fixture("no-email-column.csv"),
    )
    .await;
    assert_eq!(no_email.status(), StatusCode::BAD_REQUEST);
    let mut big = b"email,company\n".to_vec();
    while big.len() <= 10 * 1024 * 1024 + 1024 {
        big.extend_from_slice(b"someone.with.a.long.address@example.com,Some Company Name Inc\n");
    }
    let too_big = upload(app, &admin, None, "big.csv", big).await;
    assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let no_partner = upload(app, &staff, None, "leads.csv", fixture("leads.csv")).await;
    assert_eq!(
        expect_json(no_partner, StatusCode::BAD_REQUEST).await["error"]["details"][0]["field"],
        "partnerId"
    );
    app.drain().await;
    assert_eq!(get_ok(app, &admin, "/v1/leads").await["meta"]["total"], 5);
});

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
