//! Black-box scenarios of writes that must not be lost: a change and its
//! messages survive an unavailable queue (the outbox), concurrent edits of
//! different partner fields all survive (versioned field writes), and
//! ChiliPiper updates apply in the order the webhook received them, moving
//! a re-routed meeting between leads and counters.

use chrono::{Duration, Utc};
use pc_http::identity::{Role, meeting_type_key};
use pc_platform::time::timestamp;
use pc_tests::leads_support::{
    at, chili_event, deliver, get_ok, seed_partner, signed_in_user, wait_for,
};
use pc_tests::reqwest::StatusCode;
use pc_tests::{TestApp, expect_json, json};
use serde_json::Value;

async fn mails_to(app: &TestApp, to: &str, subject: &str) -> usize {
    app.mailbox()
        .await
        .into_iter()
        .filter(|m| {
            m["to"].as_str() == Some(to)
                && m["subject"].as_str().is_some_and(|s| s.contains(subject))
        })
        .count()
}

pc_tests::faulty_scenario!(
    a_lead_lost_while_the_queue_fails_still_alerts_and_audits_once,
    |app, faults| {
        let pid = seed_partner(app, "Outbox Co", &[]).await;
        let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
        let created = admin
            .post(app.url("/v1/leads"))
            .json(&json!({"email": "olive@outbox.example", "company": "Olive"}))
            .send()
            .await
            .unwrap();
        let id = expect_json(created, StatusCode::CREATED).await["id"]
            .as_str()
            .unwrap()
            .to_owned();

        faults.fail();
        let lost = admin
            .patch(app.url(&format!("/v1/leads/{id}")))
            .json(&json!({"dealStatus": "lost_no_potential"}))
            .send()
            .await
            .unwrap();
        let lost = expect_json(lost, StatusCode::OK).await;
        assert_eq!(lost["dealStatus"], "lost_no_potential");
        // A retry finds the change made: nothing to do, and still 200.
        let retry = admin
            .patch(app.url(&format!("/v1/leads/{id}")))
            .json(&json!({"dealStatus": "lost_no_potential"}))
            .send()
            .await
            .unwrap();
        assert_eq!(retry.status(), StatusCode::OK);

        faults.restore();
        app.sweep_outbox().await;
        let alert_to = app.server.context.config.lost_lead_alert_to.clone();
        app.wait_for_mail(&alert_to, "olive@outbox.example").await;
        let events = wait_for(
            app,
            &admin,
            &format!("/v1/events?entity=lead&entityId={id}"),
            |b| {
                b["list"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|e| e["action"] == "status_changed"))
            },
        )
        .await;
        let changes = events["list"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "status_changed")
            .count();
        assert_eq!(changes, 1, "{events}");
        app.drain().await;
        assert_eq!(mails_to(app, &alert_to, "olive@outbox.example").await, 1);
    }
);

pc_tests::faulty_scenario!(
    an_invitation_made_while_the_queue_fails_is_emailed_once,
    |app, faults| {
        app.sign_in_owner().await;
        let pid = seed_partner(app, "Invite Co", &[]).await;
        faults.fail();
        let invited = app
        .post(
            "/v1/users",
            &json!({"email": "ivy@invite.example", "name": "Ivy", "role": "user", "partnerId": pid}),
        )
        .await;
        expect_json(invited, StatusCode::CREATED).await;
        assert_eq!(mails_to(app, "ivy@invite.example", "invitation").await, 0);
        // The retry is told the user exists: the invitation is already on its way.
        let retry = app
        .post(
            "/v1/users",
            &json!({"email": "ivy@invite.example", "name": "Ivy", "role": "user", "partnerId": pid}),
        )
        .await;
        assert_eq!(retry.status(), StatusCode::CONFLICT);

        faults.restore();
        app.sweep_outbox().await;
        app.wait_for_mail("ivy@invite.example", "invitation").await;
        app.drain().await;
        assert_eq!(mails_to(app, "ivy@invite.example", "invitation").await, 1);
    }
);

pc_tests::scenario!(
    concurrent_partner_edits_of_different_fields_all_survive,
    |app| {
        app.sign_in_owner().await;
        let pid = seed_partner(app, "Racy", &["Racy Start"]).await;
        let (partner_admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
        let path = format!("/v1/partners/{pid}");
        let icps: Vec<Value> = (0..10)
            .map(|i| json!({"industry": format!("industry {i}"), "size": "11-50"}))
            .collect();
        let type_lists: Vec<Vec<String>> = (0..10)
            .map(|i| vec![format!("Racy Type {i}"), "Racy Shared".to_owned()])
            .collect();
        let mut requests = Vec::new();
        for i in 0..20 {
            let (client, body) = if i % 2 == 0 {
                (&partner_admin, json!({"icp": icps[i / 2]}))
            } else {
                (&app.client, json!({"chiliMeetingTypes": type_lists[i / 2]}))
            };
            requests.push(client.patch(app.url(&path)).json(&body).send());
        }
        for response in futures::future::join_all(requests).await {
            let response = response.unwrap();
            let status = response.status();
            assert_eq!(status, StatusCode::OK, "{}", response.text().await.unwrap());
        }
        let partner = get_ok(app, &app.client, &path).await;
        assert!(icps.contains(&partner["icp"]), "ICP lost: {partner}");
        let types: Vec<String> =
            serde_json::from_value(partner["chiliMeetingTypes"].clone()).unwrap();
        assert!(type_lists.contains(&types), "meeting types lost: {partner}");

        // The routing guards are exactly the partner's types.
        let store = &app.server.context.store;
        let mut every_type: Vec<String> = type_lists.concat();
        every_type.push("Racy Start".into());
        for name in every_type {
            let guard = store.get(&meeting_type_key(&name)).await.unwrap();
            let held = guard.as_ref().and_then(|g| g["partnerId"].as_str());
            if types.contains(&name) {
                assert_eq!(held, Some(pid.as_str()), "guard of {name}");
            } else {
                assert_eq!(
                    held, None,
                    "{name} is claimed but the partner does not route it"
                );
            }
        }
    }
);

pc_tests::scenario!(
    concurrent_notification_preference_edits_all_survive,
    |app| {
        let pid = seed_partner(app, "Prefs", &[]).await;
        let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
        let path = format!("/v1/partners/{pid}/notification-preferences");
        let flags = ["newLead", "leadReminder", "lostLeadAlert", "marketplace"];
        let requests = flags.iter().map(|flag| {
            admin
                .patch(app.url(&path))
                .json(&json!({"email": {*flag: false}}))
                .send()
        });
        for response in futures::future::join_all(requests).await {
            assert_eq!(response.unwrap().status(), StatusCode::OK);
        }
        let partner = get_ok(app, &admin, &format!("/v1/partners/{pid}")).await;
        for flag in flags {
            assert_eq!(
                partner["notificationPreferences"]["email"][flag], false,
                "{flag} was lost: {partner}"
            );
        }
    }
);

pc_tests::scenario!(
    of_two_reschedules_the_later_received_wins_whatever_the_delivery_order,
    |app| {
        let pid = seed_partner(app, "Order Co", &["Order Demo"]).await;
        let t0 = "2030-05-01T15:00:00.000Z";
        deliver(
            app,
            &chili_event("m-order", "created", "Order Demo", t0, "olga@order.example"),
        )
        .await;
        app.drain().await;

        // Reschedule A is received first, B later; the queue delivers B first.
        let now = Utc::now();
        let (a_received, b_received) = (now + Duration::minutes(10), now + Duration::minutes(20));
        app.set_clock(&timestamp(b_received)).await;
        let b_time = at(t0, 120);
        deliver(
            app,
            &chili_event(
                "m-order",
                "rescheduled",
                "Order Demo",
                &b_time,
                "olga@order.example",
            ),
        )
        .await;
        app.drain().await;
        app.set_clock(&timestamp(a_received)).await;
        let a_time = at(t0, 60);
        deliver(
            app,
            &chili_event(
                "m-order",
                "rescheduled",
                "Order Demo",
                &a_time,
                "olga@order.example",
            ),
        )
        .await;
        app.drain().await;
        let reset = app.delete("/dev/clock").await;
        assert_eq!(reset.status(), StatusCode::OK);

        let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
        let meeting = get_ok(app, &admin, "/v1/meetings/m-order").await;
        assert_eq!(meeting["scheduledTime"], b_time, "{meeting}");
        let lead_id = meeting["lead"]["id"].as_str().unwrap().to_owned();
        let lead = get_ok(app, &admin, &format!("/v1/leads/{lead_id}")).await;
        assert_eq!(lead["scheduledDate"], b_time, "{lead}");
    }
);

pc_tests::scenario!(
    a_rerouted_meeting_moves_its_date_and_counters_to_the_new_lead,
    |app| {
        let first = seed_partner(app, "Route One", &["Route Demo"]).await;
        let second = seed_partner(app, "Route Two", &["Route Sales"]).await;
        let (staff, _) = signed_in_user(app, None, Role::Admin).await;
        let t0 = "2030-06-01T15:00:00.000Z";
        deliver(
            app,
            &chili_event(
                "m-route",
                "created",
                "Route Demo",
                t0,
                "xavier@route.example",
            ),
        )
        .await;
        app.drain().await;
        let meeting = get_ok(app, &staff, "/v1/meetings/m-route").await;
        let x_id = meeting["lead"]["id"].as_str().unwrap().to_owned();

        // The guest changed: the meeting is now Yann's (same partner).
        let moved = at(t0, 30);
        deliver(
            app,
            &chili_event(
                "m-route",
                "updated",
                "Route Demo",
                &moved,
                "yann@route.example",
            ),
        )
        .await;
        app.drain().await;
        let x = get_ok(app, &staff, &format!("/v1/leads/{x_id}")).await;
        assert_eq!(
            x["scheduledDate"],
            Value::Null,
            "the old lead keeps no meeting: {x}"
        );
        let meeting = get_ok(app, &staff, "/v1/meetings/m-route").await;
        assert_eq!(meeting["lead"]["email"], "yann@route.example");
        let y_id = meeting["lead"]["id"].as_str().unwrap().to_owned();
        let y = get_ok(app, &staff, &format!("/v1/leads/{y_id}")).await;
        assert_eq!(y["scheduledDate"], moved);
        let stats = get_ok(app, &staff, &format!("/v1/partners/{first}/stats")).await;
        assert_eq!(
            (
                stats["totalLeads"].as_i64(),
                stats["totalAppointments"].as_i64()
            ),
            (Some(2), Some(1))
        );

        // Re-routed to another partner's meeting type: the counters move too.
        let rerouted = at(t0, 45);
        deliver(
            app,
            &chili_event(
                "m-route",
                "updated",
                "Route Sales",
                &rerouted,
                "zed@route.example",
            ),
        )
        .await;
        app.drain().await;
        let y = get_ok(app, &staff, &format!("/v1/leads/{y_id}")).await;
        assert_eq!(y["scheduledDate"], Value::Null, "{y}");
        let one = get_ok(app, &staff, &format!("/v1/partners/{first}/stats")).await;
        let two = get_ok(app, &staff, &format!("/v1/partners/{second}/stats")).await;
        assert_eq!(one["totalAppointments"], 0, "{one}");
        assert_eq!(
            (
                two["totalLeads"].as_i64(),
                two["totalAppointments"].as_i64()
            ),
            (Some(1), Some(1))
        );
    }
);

pc_tests::faulty_scenario!(
    an_import_started_while_the_queue_fails_completes_once_it_recovers,
    |app, faults| {
        let pid = seed_partner(app, "Import Outbox Co", &[]).await;
        let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
        let csv = "Email,Company\nina@import.example,Ina Co\nivo@import.example,Ivo Co\n";
        faults.fail();
        let started = pc_tests::imports_support::upload(
            app,
            &admin,
            None,
            "leads.csv",
            csv.as_bytes().to_vec(),
        )
        .await;
        let task_id = expect_json(started, StatusCode::ACCEPTED).await["taskId"]
            .as_str()
            .unwrap()
            .to_owned();
        let pending = get_ok(app, &admin, &format!("/v1/leads/import/{task_id}")).await;
        assert_eq!(pending["status"], "pending", "{pending}");

        faults.restore();
        app.sweep_outbox().await;
        let done = wait_for(app, &admin, &format!("/v1/leads/import/{task_id}"), |t| {
            t["status"] == "completed"
        })
        .await;
        assert_eq!(done["created"], 2, "{done}");
        assert_eq!(done["processed"], 2, "{done}");
    }
);
