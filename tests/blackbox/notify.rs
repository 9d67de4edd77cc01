//! Black-box scenarios of the notify capability: daily lead reminders
//! moved by the settable clock, their magic links, the scheduled jobs
//! and the emails worker.

use pc_leads::DealStatus;
use pc_platform::email::{EmailJob, EmailKind, enqueue};
use pc_tests::notify_support::{
    at, magic_token, mails_to, pc_notify, seed_lead, seed_partner, seed_user,
};
use pc_tests::reqwest::StatusCode;
use pc_tests::{TestApp, expect_json, json, scenario, wait_until};

/// Two partners with overdue leads, one with only future meetings, one that
/// turned reminders off. Answers nothing: the scenarios read the mailbox.
async fn seed_reminder_world(app: &TestApp) {
    let acme = seed_partner(app, "Acme", true).await;
    seed_user(app, &acme, "ann@acme.test", true).await;
    seed_user(app, &acme, "bob@acme.test", true).await;
    seed_user(app, &acme, "gone@acme.test", false).await;
    let past = Some("2024-01-10T17:00:00Z");
    let updated = "2024-01-12T18:00:00Z";
    seed_lead(
        app,
        &acme,
        "old@lead.test",
        "Old Co",
        past,
        DealStatus::Scheduled,
        updated,
    )
    .await;
    seed_lead(
        app,
        &acme,
        "new@lead.test",
        "New Co",
        Some("2024-01-15T16:00:00Z"),
        DealStatus::New,
        updated,
    )
    .await;
    seed_lead(
        app,
        &acme,
        "won@lead.test",
        "Won Co",
        past,
        DealStatus::Won,
        updated,
    )
    .await;
    seed_lead(
        app,
        &acme,
        "lost@lead.test",
        "Lost Co",
        past,
        DealStatus::LostNoShow,
        updated,
    )
    .await;
    seed_lead(
        app,
        &acme,
        "future@lead.test",
        "Future Co",
        Some("2024-01-20T17:00:00Z"),
        DealStatus::Scheduled,
        updated,
    )
    .await;
    seed_lead(
        app,
        &acme,
        "nomeeting@lead.test",
        "Nomeeting Co",
        None,
        DealStatus::New,
        updated,
    )
    .await;

    let globex = seed_partner(app, "Globex", true).await;
    seed_user(app, &globex, "gil@globex.test", true).await;
    seed_lead(
        app,
        &globex,
        "g1@lead.test",
        "Globex Lead",
        past,
        DealStatus::InTouch,
        updated,
    )
    .await;

    let calm = seed_partner(app, "Calm", true).await;
    seed_user(app, &calm, "cal@calm.test", true).await;
    seed_lead(
        app,
        &calm,
        "later@lead.test",
        "Later Co",
        Some("2024-02-01T17:00:00Z"),
        DealStatus::Scheduled,
        updated,
    )
    .await;

    let quiet = seed_partner(app, "Quiet", false).await;
    seed_user(app, &quiet, "quinn@quiet.test", true).await;
    seed_lead(
        app,
        &quiet,
        "q1@lead.test",
        "Quiet Lead",
        past,
        DealStatus::Scheduled,
        updated,
    )
    .await;
}

/// Waits until `to` has `count` reminders (or panics naming them).
async fn wait_for_reminders(app: &TestApp, to: &str, count: usize) -> Vec<serde_json::Value> {
    wait_until(|| async {
        let mails = mails_to(app, to, "overdue").await;
        (mails.len() >= count).then_some(mails)
    })
    .await
    .unwrap_or_else(|| panic!("{to} did not get {count} reminder(s)"))
}

scenario!(
    reminders_reach_the_right_users_with_the_right_leads_once_a_day,
    |app| {
        // 10:00 in Los Angeles on a winter day.
        app.set_clock("2024-01-15T18:00:00Z").await;
        seed_reminder_world(app).await;

        let run = app.run_job("daily-lead-reminders").await;
        assert_eq!(run["status"], "completed", "{run}");
        assert_eq!(run["counts"]["emailsQueued"], 3, "{run}");
        assert_eq!(run["counts"]["partnersWithOverdueLeads"], 2, "{run}");
        assert_eq!(run["counts"]["partnersOptedOut"], 1, "{run}");

        for to in ["ann@acme.test", "bob@acme.test"] {
            let mail = &wait_for_reminders(app, to, 1).await[0];
            let text = mail["text"].as_str().unwrap();
            assert!(
                text.contains("old@lead.test (Old Co), 3 days since update"),
                "{text}"
            );
            assert!(text.contains("new@lead.test"), "{text}");
            for absent in ["won@", "lost@", "future@", "nomeeting@", "g1@", "q1@"] {
                assert!(!text.contains(absent), "{absent} listed: {text}");
            }
            assert!(mail["subject"].as_str().unwrap().contains("Acme"));
            assert!(mail["html"].as_str().unwrap().contains("Old Co"));
        }
        let gil = &wait_for_reminders(app, "gil@globex.test", 1).await[0];
        let text = gil["text"].as_str().unwrap();
        assert!(
            text.contains("g1@lead.test") && !text.contains("old@lead.test"),
            "{text}"
        );

        // A second run the same day (an hour later) sends nothing twice.
        app.set_clock("2024-01-15T19:00:00Z").await;
        let again = app.run_job("daily-lead-reminders").await;
        assert_eq!(again["status"], "completed");
        // The next day's reminders go out; by then the second run's jobs were
        // handled too.
        app.set_clock("2024-01-16T18:00:00Z").await;
        app.run_job("daily-lead-reminders").await;
        wait_for_reminders(app, "ann@acme.test", 2).await;
        wait_for_reminders(app, "gil@globex.test", 2).await;
        app.drain().await;
        assert_eq!(mails_to(app, "ann@acme.test", "overdue").await.len(), 2);
        assert_eq!(mails_to(app, "bob@acme.test", "overdue").await.len(), 2);
        assert_eq!(mails_to(app, "gil@globex.test", "overdue").await.len(), 2);

        // Inactive users, partners with nothing overdue and partners that
        // turned reminders off get nothing.
        for nobody in ["gone@acme.test", "cal@calm.test", "quinn@quiet.test"] {
            assert!(
                mails_to(app, nobody, "").await.is_empty(),
                "{nobody} got mail"
            );
        }
    }
);

scenario!(
    the_magic_link_from_the_email_validates_and_expires_after_24_hours,
    |app| {
        app.set_clock("2024-07-15T16:30:00Z").await;
        let acme = seed_partner(app, "Acme", true).await;
        seed_user(app, &acme, "ann@acme.test", true).await;
        seed_lead(
            app,
            &acme,
            "old@lead.test",
            "Old Co",
            Some("2024-07-01T17:00:00Z"),
            DealStatus::Scheduled,
            "2024-07-01T18:00:00Z",
        )
        .await;
        app.run_job("daily-lead-reminders").await;
        let mail = &wait_for_reminders(app, "ann@acme.test", 1).await[0];
        let client_url = app.server.context.config.client_url.clone();
        assert!(
            mail["text"]
                .as_str()
                .unwrap()
                .contains(&format!("{client_url}/leads?magic=")),
            "{mail}"
        );
        let token = magic_token(mail);

        let validate = |token: String| async move {
            app.post("/v1/leads/magic-link/validate", &json!({"token": token}))
                .await
        };
        let grant = expect_json(validate(token.clone()).await, StatusCode::OK).await;
        assert_eq!(grant["partnerId"], acme.as_str());
        assert_eq!(grant["filter"], "overdue");
        let filters = grant["filters"].as_array().unwrap();
        assert_eq!(filters[0]["column"], "scheduledDate");
        assert_eq!(filters[0]["operator"], "lt");
        assert!(
            filters[0]["value"]
                .as_str()
                .unwrap()
                .starts_with("2024-07-15T")
        );
        assert_eq!(filters[1]["column"], "dealStatus");
        assert_eq!(filters[1]["operator"], "not_in");
        assert_eq!(
            filters[1]["value"],
            json!([
                "won",
                "lost_no_show",
                "lost_disqualified",
                "lost_no_potential"
            ])
        );

        // Tampered, empty, or missing.
        let signature_at = token.rfind('.').unwrap() + 1;
        let mut tampered = token.clone();
        let flipped = if tampered[signature_at..].starts_with('A') {
            "B"
        } else {
            "A"
        };
        tampered.replace_range(signature_at..signature_at + 1, flipped);
        expect_json(validate(tampered).await, StatusCode::UNAUTHORIZED).await;
        let body = expect_json(validate(String::new()).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["error"]["details"][0]["field"], "token");
        let body = expect_json(
            app.post("/v1/leads/magic-link/validate", &json!({})).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(body.to_string().contains("token"), "{body}");

        // Still valid a little under 24 hours later, refused after.
        app.set_clock("2024-07-16T16:20:00Z").await;
        expect_json(validate(token.clone()).await, StatusCode::OK).await;
        app.set_clock("2024-07-16T16:31:00Z").await;
        let body = expect_json(validate(token).await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body["error"]["code"], "unauthorized");
    }
);

/// Waits for a scheduled (not on-demand) run of the reminders requested
/// at a time starting with `prefix`.
async fn wait_for_scheduled_run(app: &TestApp, prefix: &str) -> serde_json::Value {
    let found = wait_until(|| async {
        let jobs = app
            .get("/v1/admin/jobs")
            .await
            .json::<serde_json::Value>()
            .await
            .ok()?;
        let job = jobs["list"]
            .as_array()?
            .iter()
            .find(|j| j["name"] == "daily-lead-reminders")?
            .clone();
        job["recentRuns"]
            .as_array()?
            .iter()
            .find(|r| {
                r["trigger"] == "schedule"
                    && r["requestedAt"]
                        .as_str()
                        .is_some_and(|t| t.starts_with(prefix))
            })
            .cloned()
    })
    .await;
    found.unwrap_or_else(|| panic!("no scheduled reminders run at {prefix}"))
}

scenario!(
    reminders_fire_at_nine_in_los_angeles_in_summer_and_winter,
    |app| {
        // The schedule itself: 09:00 local is 16:00 UTC in summer, 17:00 in winter.
        let schedule = pc_notify::DAILY_LEAD_REMINDERS;
        assert_eq!(schedule.expression(), "cron(0 9 * * ? *)");
        assert_eq!(schedule.timezone, "America/Los_Angeles");
        assert_eq!(
            schedule.next_after(at("2024-07-15T12:00:00Z")),
            at("2024-07-15T16:00:00Z")
        );
        assert_eq!(
            schedule.next_after(at("2024-01-15T12:00:00Z")),
            at("2024-01-15T17:00:00Z")
        );
        // Across the autumn change (2024-11-03): still 09:00 local.
        assert_eq!(
            schedule.next_after(at("2024-11-02T16:00:00Z")),
            at("2024-11-03T17:00:00Z")
        );

        // The running system fires it when its clock passes 09:00 in Los
        // Angeles: summer first, then back to winter (moving the clock back
        // re-arms the scheduler; moving it forward past a firing would fire at once).
        app.set_clock("2024-07-15T15:59:58Z").await;
        app.sign_in_owner().await;
        let summer = wait_for_scheduled_run(app, "2024-07-15T16:00:0").await;
        assert!(summer["requestedAt"].as_str().unwrap() >= "2024-07-15T16:00:00.000Z");

        app.set_clock("2024-01-15T16:59:58Z").await;
        app.sign_in_owner().await;
        let winter = wait_for_scheduled_run(app, "2024-01-15T17:00:0").await;
        assert!(winter["requestedAt"].as_str().unwrap() >= "2024-01-15T17:00:00.000Z");
    }
);

scenario!(every_schedule_is_listed_and_unbuilt_ones_say_so, |app| {
    app.sign_in_owner().await;
    let jobs = expect_json(app.get("/v1/admin/jobs").await, StatusCode::OK).await;
    let listed = |name: &str| {
        jobs["list"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} not listed: {jobs}"))
    };
    let expected = [
        (
            "daily-lead-reminders",
            "cron(0 9 * * ? *)",
            "America/Los_Angeles",
        ),
        (
            "monthly-invoices",
            "cron(0 0 1 * ? *)",
            "America/Los_Angeles",
        ),
        ("hubspot-sync", "rate(15 minutes)", "UTC"),
        ("reservation-expiry", "rate(5 minutes)", "UTC"),
        ("hubspot-token-refresh", "rate(30 minutes)", "UTC"),
    ];
    for (name, expression, zone) in expected {
        let job = listed(name);
        assert_eq!(job["schedule"], expression, "{name}");
        assert_eq!(job["timezone"], zone, "{name}");
    }
    // An owner can run the reminders on demand.
    let started = expect_json(
        app.post("/v1/admin/jobs/daily-lead-reminders/run", &json!({}))
            .await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert!(started["taskId"].is_string());
});

scenario!(
    an_email_job_delivered_twice_is_sent_once_and_escapes_its_data,
    |app| {
        let queue = app.server.context.queue.clone();
        let job = EmailJob {
            id: "notice-1".into(),
            kind: EmailKind::NewLeadNotice,
            to: "ann@acme.test".into(),
            data: json!({
                "name": "Ann", "partnerName": "Acme <b>Corp</b>",
                "lead": {"email": "x@lead.test", "firstName": "Zoë", "lastName": "Ünal",
                         "company": "<script>alert(1)</script>"},
                "meetingStart": "2024-01-15T17:00:00.000Z", "link": "/leads/l1",
            }),
        };
        enqueue(queue.as_ref(), &job).await.unwrap();
        enqueue(queue.as_ref(), &job).await.unwrap();
        let mail = app.wait_for_mail("ann@acme.test", "New lead").await;
        let html = mail["html"].as_str().unwrap();
        assert!(
            !html.contains("<script>") && html.contains("&lt;script&gt;"),
            "{html}"
        );
        assert!(html.contains("Zoë Ünal"));
        assert!(
            mail["text"]
                .as_str()
                .unwrap()
                .contains("<script>alert(1)</script>")
        );

        // A later job to the same person arrives; the duplicate never does.
        let sentinel = EmailJob {
            id: "reset-1".into(),
            kind: EmailKind::PasswordReset,
            to: "ann@acme.test".into(),
            data: json!({"name": "Ann", "link": "/reset-password?token=t"}),
        };
        enqueue(queue.as_ref(), &sentinel).await.unwrap();
        app.wait_for_mail("ann@acme.test", "Reset").await;
        app.drain().await;
        assert_eq!(mails_to(app, "ann@acme.test", "New lead").await.len(), 1);
    }
);

scenario!(
    reminders_follow_the_partners_notification_preferences,
    |app| {
        app.set_clock("2024-01-15T18:00:00Z").await;
        let acme = seed_partner(app, "Acme", true).await;
        seed_user(app, &acme, "ann@acme.test", true).await;
        seed_lead(
            app,
            &acme,
            "old@lead.test",
            "Old Co",
            Some("2024-01-10T17:00:00Z"),
            DealStatus::Scheduled,
            "2024-01-12T18:00:00Z",
        )
        .await;
        app.sign_in_owner().await;
        let path = format!("/v1/partners/{acme}/notification-preferences");

        let off = app
            .patch(&path, &json!({"email": {"leadReminder": false}}))
            .await;
        expect_json(off, StatusCode::OK).await;
        let run = app.run_job("daily-lead-reminders").await;
        assert_eq!(run["counts"]["partnersOptedOut"], 1, "{run}");
        assert_eq!(run["counts"]["emailsQueued"], 0, "{run}");

        let on = app
            .patch(&path, &json!({"email": {"leadReminder": true}}))
            .await;
        expect_json(on, StatusCode::OK).await;
        let run = app.run_job("daily-lead-reminders").await;
        assert_eq!(run["counts"]["emailsQueued"], 1, "{run}");
        wait_for_reminders(app, "ann@acme.test", 1).await;
    }
);
