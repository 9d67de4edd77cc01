//! Sync tasks, conflicts and stage mappings are each partner's own.

use pc_http::identity::Role;
use pc_tests::hubspot_support::{connect, seed_leads};
use pc_tests::leads_support::{seed_partner, signed_in_user};
use pc_tests::reqwest::StatusCode;
use pc_tests::{expect_json, json, scenario};

use super::fixtures::{get, post};

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
