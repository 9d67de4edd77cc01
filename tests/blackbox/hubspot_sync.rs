//! Black-box scenarios of the HubSpot sync: a full sync creates each
//! lead's contact and deal once (again when run twice) and an incremental
//! run sends only what changed; a HubSpot-side change arrives by signed
//! webhook and moves the lead through the lead rules, once however often
//! the batch comes; bad and stale signatures are refused; a field changed
//! on both sides is a conflict resolved each way; a rate-limit storm still
//! ends with every lead synced once; tasks, conflicts and stage mappings
//! are each partner's own.

use pc_api::identity::Role;
use pc_platform::crm::ObjectType;
use pc_tests::hubspot_support::{
    change_event, connect, fake, full_sync, objects, post_batch, seed_leads, user_update,
};
use pc_tests::leads_support::{seed_partner, signed_in_user};
use pc_tests::notify_support::mails_to;
use pc_tests::reqwest::{Client, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};

async fn get(app: &TestApp, client: &Client, path: &str, status: StatusCode) -> serde_json::Value {
    expect_json(client.get(app.url(path)).send().await.unwrap(), status).await
}

async fn post(
    app: &TestApp,
    client: &Client,
    path: &str,
    body: serde_json::Value,
    status: StatusCode,
) -> serde_json::Value {
    expect_json(
        client.post(app.url(path)).json(&body).send().await.unwrap(),
        status,
    )
    .await
}

scenario!(
    a_full_sync_creates_each_deal_once_and_an_incremental_one_sends_changes,
    |app| {
        let partner = seed_partner(app, "Syncco", &[]).await;
        let portal = connect(app, &partner).await;
        let leads = seed_leads(app, &partner, 30).await;
        let (admin, _) = signed_in_user(app, Some(&partner), Role::Admin).await;

        let status = full_sync(app, &admin, &partner).await;
        assert_eq!(status["status"], "completed", "{status}");
        assert_eq!(
            (status["total"].as_u64(), status["synced"].as_u64()),
            (Some(30), Some(30))
        );
        assert_eq!(
            (status["failed"].as_u64(), status["conflicts"].as_u64()),
            (Some(0), Some(0))
        );
        assert_eq!(objects(app, &portal, ObjectType::Deals).await.len(), 30);
        assert_eq!(objects(app, &portal, ObjectType::Contacts).await.len(), 30);
        let lead = get(
            app,
            &admin,
            &format!("/v1/leads/{}", leads[0]),
            StatusCode::OK,
        )
        .await;
        let deal_id = lead["hubspotDealId"]
            .as_str()
            .expect("the lead knows its deal")
            .to_owned();
        assert!(lead["hubspotContactId"].is_string());

        // Run again: everything is level, no second deal.
        let again = full_sync(app, &admin, &partner).await;
        assert_eq!(again["synced"].as_u64(), Some(30));
        assert_eq!(objects(app, &portal, ObjectType::Deals).await.len(), 30);

        // A change through the API goes out with the next scheduled run.
        let patched = admin
            .patch(app.url(&format!("/v1/leads/{}", leads[0])))
            .json(&json!({"dealStatus": "in_touch", "dealAmount": 1250.5}))
            .send()
            .await
            .unwrap();
        expect_json(patched, StatusCode::OK).await;
        let run = app.run_job("hubspot-sync").await;
        assert_eq!(run["counts"]["started"], 1, "{run}");
        app.drain().await;
        let deal = fake(app)
            .object(&portal.portal_id, ObjectType::Deals, &deal_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            deal.properties.get("amount").map(String::as_str),
            Some("1250.50")
        );
        let mapping = get(
            app,
            &admin,
            &format!("/v1/partners/{partner}/stage-mapping"),
            StatusCode::OK,
        )
        .await;
        let in_touch = mapping["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["dealStatus"] == "in_touch")
            .map(|s| s["stageId"].as_str().unwrap().to_owned());
        assert_eq!(deal.properties.get("dealstage").cloned(), in_touch);
        assert_eq!(objects(app, &portal, ObjectType::Deals).await.len(), 30);
        // Nothing changed since: the schedule starts no task.
        let idle = app.run_job("hubspot-sync").await;
        assert_eq!(idle["counts"]["started"], 0, "{idle}");
    }
);

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
        let unsigned = app.post("/leads/hubspot", &json!([])).await;
        let unsigned = expect_json(unsigned, StatusCode::UNAUTHORIZED).await;
        assert_eq!(unsigned["error"]["code"], "missing_signature");
    }
);

scenario!(both_sides_changed_is_a_conflict_resolved_each_way, |app| {
    let partner = seed_partner(app, "Torn", &[]).await;
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
    let contact_id = lead["hubspotContactId"].as_str().unwrap().to_owned();

    let patched = admin
        .patch(app.url(&format!("/v1/leads/{}", leads[0])))
        .json(&json!({"firstName": "OursFirst", "lastName": "OursLast", "company": "Ours Inc"}))
        .send()
        .await
        .unwrap();
    expect_json(patched, StatusCode::OK).await;
    user_update(
        app,
        &portal,
        ObjectType::Contacts,
        &contact_id,
        &[
            ("firstname", "TheirsFirst"),
            ("lastname", "TheirsLast"),
            ("company", "Theirs Inc"),
        ],
    )
    .await;
    // Whether HubSpot's webhook or the sync sees it first, three fields
    // changed on both sides make three conflicts.
    full_sync(app, &admin, &partner).await;
    let list = get(app, &admin, "/v1/sync/conflicts", StatusCode::OK).await;
    assert_eq!(list["meta"]["total"], 3);
    let id_of = |field: &str| {
        list["list"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == field)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (first, last, company) = (id_of("firstName"), id_of("lastName"), id_of("company"));

    // Another partner's admin sees none of them.
    let other = seed_partner(app, "Else", &[]).await;
    let (stranger, _) = signed_in_user(app, Some(&other), Role::Admin).await;
    let theirs = get(app, &stranger, "/v1/sync/conflicts", StatusCode::OK).await;
    assert_eq!(theirs["meta"]["total"], 0);
    post(
        app,
        &stranger,
        &format!("/v1/sync/conflicts/{first}/resolve"),
        json!({"resolution": "pc"}),
        StatusCode::NOT_FOUND,
    )
    .await;

    post(
        app,
        &admin,
        &format!("/v1/sync/conflicts/{first}/resolve"),
        json!({"resolution": "pc"}),
        StatusCode::OK,
    )
    .await;
    post(
        app,
        &admin,
        &format!("/v1/sync/conflicts/{last}/resolve"),
        json!({"resolution": "hubspot"}),
        StatusCode::OK,
    )
    .await;
    let bad = post(
        app,
        &admin,
        &format!("/v1/sync/conflicts/{company}/resolve"),
        json!({"resolution": "merge"}),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(bad["error"]["details"][0]["field"], "values");
    post(
        app,
        &admin,
        &format!("/v1/sync/conflicts/{company}/resolve"),
        json!({"resolution": "merge", "values": {"company": "Merged Inc"}}),
        StatusCode::OK,
    )
    .await;
    let twice = post(
        app,
        &admin,
        &format!("/v1/sync/conflicts/{first}/resolve"),
        json!({"resolution": "hubspot"}),
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(twice["error"]["code"], "conflict_resolved");

    let lead = get(
        app,
        &admin,
        &format!("/v1/leads/{}", leads[0]),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            lead["firstName"].as_str(),
            lead["lastName"].as_str(),
            lead["company"].as_str()
        ),
        (Some("OursFirst"), Some("TheirsLast"), Some("Merged Inc"))
    );
    let contact = fake(app)
        .object(&portal.portal_id, ObjectType::Contacts, &contact_id)
        .await
        .unwrap()
        .unwrap();
    let prop = |name: &str| contact.properties.get(name).cloned();
    assert_eq!(
        (prop("firstname"), prop("lastname"), prop("company")),
        (
            Some("OursFirst".into()),
            Some("TheirsLast".into()),
            Some("Merged Inc".into())
        )
    );
    // Level again: the next sync finds nothing to do and no conflict.
    let after = full_sync(app, &admin, &partner).await;
    assert_eq!(after["conflicts"].as_u64(), Some(0));
});

scenario!(a_rate_limit_storm_still_syncs_every_lead_once, |app| {
    let partner = seed_partner(app, "Throttled", &[]).await;
    let portal = connect(app, &partner).await;
    seed_leads(app, &partner, 30).await;
    let (admin, _) = signed_in_user(app, Some(&partner), Role::Admin).await;
    fake(app)
        .set_rate_limit(&portal.portal_id, Some(3))
        .await
        .unwrap();
    let status = full_sync(app, &admin, &partner).await;
    assert_eq!(status["status"], "completed", "{status}");
    assert_eq!(
        (status["synced"].as_u64(), status["failed"].as_u64()),
        (Some(30), Some(0))
    );
    let deals = objects(app, &portal, ObjectType::Deals).await;
    assert_eq!(deals.len(), 30, "one deal per lead");
    let mut leads: Vec<_> = deals
        .iter()
        .filter_map(|d| d.properties.get("pc_lead_id"))
        .collect();
    leads.sort();
    leads.dedup();
    assert_eq!(leads.len(), 30);
    // How many 429s the run met depends on how fast the backend works
    // through the windows (the pc-crm tests meet one for certain); the
    // outcome above must hold whatever their number.
    let met = fake(app)
        .portal(&portal.portal_id)
        .await
        .unwrap()
        .unwrap()
        .rate_limited;
    println!("429s met: {met}");
});

scenario!(
    sync_tasks_and_stage_mappings_are_each_partner_s_own,
    |app| {
        let partner = seed_partner(app, "Mine", &[]).await;
        let portal = connect(app, &partner).await;
        seed_leads(app, &partner, 2).await;
        let (admin, _) = signed_in_user(app, Some(&partner), Role::Admin).await;
        let other = seed_partner(app, "Yours", &[]).await;
        let (stranger, _) = signed_in_user(app, Some(&other), Role::Admin).await;

        let task = post(
            app,
            &admin,
            &format!("/v1/sync/{partner}/hubspot"),
            json!({}),
            StatusCode::ACCEPTED,
        )
        .await;
        let task_id = task["taskId"].as_str().unwrap();
        get(
            app,
            &stranger,
            &format!("/v1/sync/tasks/{task_id}"),
            StatusCode::NOT_FOUND,
        )
        .await;
        post(
            app,
            &stranger,
            &format!("/v1/sync/{partner}/hubspot"),
            json!({}),
            StatusCode::NOT_FOUND,
        )
        .await;
        get(
            app,
            &stranger,
            &format!("/v1/partners/{partner}/stage-mapping"),
            StatusCode::NOT_FOUND,
        )
        .await;
        // Not connected: nothing to sync with.
        let unconnected = post(
            app,
            &stranger,
            &format!("/v1/sync/{other}/hubspot"),
            json!({}),
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(unconnected["error"]["code"], "hubspot_not_connected");

        let mapping = get(
            app,
            &admin,
            &format!("/v1/partners/{partner}/stage-mapping"),
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            mapping["pipelineId"].as_str(),
            Some(portal.pipeline_id.as_str())
        );
        assert_eq!(mapping["custom"], false);
        let stages: Vec<String> = mapping["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["stageId"].as_str().unwrap().to_owned())
            .collect();
        let bad = expect_json(
            admin
                .put(app.url(&format!("/v1/partners/{partner}/stage-mapping")))
                .json(&json!({"mapping": {"no-such-stage": "won"}}))
                .send()
                .await
                .unwrap(),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(bad["error"]["details"].as_array().unwrap().len() > stages.len());
        let all_won: serde_json::Map<String, serde_json::Value> =
            stages.iter().map(|s| (s.clone(), json!("won"))).collect();
        let stranger_put = stranger
            .put(app.url(&format!("/v1/partners/{partner}/stage-mapping")))
            .json(&json!({"mapping": all_won}))
            .send()
            .await
            .unwrap();
        expect_json(stranger_put, StatusCode::NOT_FOUND).await;
        let set = expect_json(
            admin
                .put(app.url(&format!("/v1/partners/{partner}/stage-mapping")))
                .json(&json!({"mapping": all_won}))
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        assert_eq!(set["custom"], true);
        assert!(
            set["stages"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["dealStatus"] == "won")
        );
        app.drain().await;
    }
);
