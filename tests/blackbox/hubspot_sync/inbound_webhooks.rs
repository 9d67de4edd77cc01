//! HubSpot-side changes by signed webhook: a change moves the lead once
//! however often the batch comes; bad or stale signatures change nothing.

use pc_http::identity::Role;
use pc_tests::hubspot_support::{change_event, connect, full_sync, post_batch, seed_leads};
use pc_tests::leads_support::{seed_partner, signed_in_user};
use pc_tests::notify_support::mails_to;
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};

use super::fixtures::get;

scenario!(
    a_hubspot_change_arrives_by_webhook_and_moves_the_lead_once,
    |app| {
        let partner = seed_partner(app, "Hooked", &[]).await;
        let portal = connect(app, &partner).await;
        let leads = seed_leads(app, &partner, 1).await;
        let (admin, _) = signed_in_user(app, Some(&partner), Role::Admin).await;
        full_sync(app, &admin, &partner).await;
        let lead = get(
            app,
            &admin,
            &format!("/v1/leads/{}", leads[0]),
            StatusCode::OK,
        )
        .await;
        let deal_id = lead["hubspotDealId"].as_str().unwrap().to_owned();
        let mapping = get(
            app,
            &admin,
            &format!("/v1/partners/{partner}/stage-mapping"),
            StatusCode::OK,
        )
        .await;
        let lost = mapping["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| {
                s["dealStatus"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("lost_"))
            })
            .cloned()
            .expect("a lost stage");

        let now = app.server.context.clock.now().timestamp_millis();
        let batch = json!([change_event(
            501,
            &portal,
            "deal",
            &deal_id,
            now,
            "dealstage",
            lost["stageId"].as_str().unwrap()
        )])
        .to_string();
        for _ in 0..3 {
            // HubSpot retries: the same batch, three times.
            let answer =
                expect_json(post_batch(app, &batch, now, None).await, StatusCode::OK).await;
            assert_eq!(answer["received"], 1);
        }
        app.drain().await;
        let moved = get(
            app,
            &admin,
            &format!("/v1/leads/{}", leads[0]),
            StatusCode::OK,
        )
        .await;
        assert_eq!(moved["dealStatus"], lost["dealStatus"]);
        let alert_to = app.server.context.config.lost_lead_alert_to.clone();
        let alerts = mails_to(app, &alert_to, "Lost lead").await;
        assert_eq!(alerts.len(), 1, "one alert for one change: {alerts:?}");
        let events = get(
            app,
            &admin,
            &format!("/v1/events?entity=lead&entityId={}", leads[0]),
            StatusCode::OK,
        )
        .await;
        let changes = events["list"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "status_changed")
            .count();
        assert_eq!(changes, 1);

        // An older event of the same property does not move it back.
        let older = json!([change_event(
            502,
            &portal,
            "deal",
            &deal_id,
            now - 60_000,
            "dealstage",
            "nope"
        )])
        .to_string();
        expect_json(post_batch(app, &older, now, None).await, StatusCode::OK).await;
        app.drain().await;
        let still = get(
            app,
            &admin,
            &format!("/v1/leads/{}", leads[0]),
            StatusCode::OK,
        )
        .await;
        assert_eq!(still["dealStatus"], lost["dealStatus"]);
    }
);

scenario!(
    bad_or_stale_signatures_are_refused_and_change_nothing,
    |app| {
        let partner = seed_partner(app, "Guarded", &[]).await;
        let portal = connect(app, &partner).await;
        let now = app.server.context.clock.now().timestamp_millis();
        let batch = json!([change_event(
            9,
            &portal,
            "contact",
            "1",
            now,
            "firstname",
            "X"
        )])
        .to_string();
        let wrong = expect_json(
            post_batch(app, &batch, now, Some("not-the-secret")).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(wrong["error"]["code"], "invalid_signature");
        let stale = expect_json(
            post_batch(app, &batch, now - 6 * 60 * 1000, None).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(stale["error"]["code"], "stale_signature");
        // A timestamp at either end of i64 is stale, not an overflow (500).
        for extreme in [i64::MIN, i64::MAX] {
            let answer = expect_json(
                post_batch(app, &batch, extreme, None).await,
                StatusCode::UNAUTHORIZED,
            )
            .await;
            assert_eq!(answer["error"]["code"], "stale_signature", "{extreme}");
        }
        let unsigned = app.post("/leads/hubspot", &json!([])).await;
        let unsigned = expect_json(unsigned, StatusCode::UNAUTHORIZED).await;
        assert_eq!(unsigned["error"]["code"], "missing_signature");
    }
);
