//! ChiliPiper webhooks: deliveries in any order leave one correct lead;
//! the secret and payload are checked, and unrouted meetings are kept.

use pc_http::identity::Role;
use pc_tests::leads_support::{
    at, chili_event, deliver, get_ok, seed_partner, signed_in_user, wait_for,
};
use pc_tests::reqwest::{Client, StatusCode};
use pc_tests::{expect_json, json, scenario};

use super::fixtures::list_len;

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
            .secrets
            .current(pc_platform::config::Secret::ChilipiperWebhook)
            .unwrap()
            .to_string();
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
