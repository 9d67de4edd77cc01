//! The pipeline the system creates maps one stage to each lead status by
//! construction: a full sync puts every lead's deal in the stage made for
//! its status. A status the partner's own mapping leaves without a stage
//! is reported on the task, and its leads are not sent.

use pc_crm::pipeline::new_pipeline;
use pc_http::identity::Role;
use pc_leads::deal_status::{DealStatus, LeadSource};
use pc_leads::lead::{LeadEmail, LeadRecord};
use pc_leads::leads_store;
use pc_platform::crm::ObjectType;
use pc_tests::hubspot_oauth_support::{connect, status};
use pc_tests::hubspot_support::{Portal, full_sync, objects};
use pc_tests::leads_support::seed_partner;
use pc_tests::leads_support::signed_in_user;
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};

/// Stores a lead of `partner_id` in `status`; answers its id.
async fn lead_in(app: &TestApp, partner_id: &str, status: DealStatus, n: u32) -> String {
    let ctx = &app.server.context;
    let email = LeadEmail::parse(&format!("{}{n}@stages.example.com", status.as_str())).unwrap();
    let mut lead = LeadRecord::new(
        ctx.ids.new_id(),
        partner_id.into(),
        email,
        LeadSource::Manual,
        ctx.clock.now(),
    );
    lead.deal_status = status;
    leads_store::create(&*ctx.store, &lead).await.unwrap();
    lead.id
}

scenario!(
    each_status_goes_to_the_stage_the_system_made_for_it,
    |app| {
        let pid = seed_partner(app, "Stages Co", &[]).await;
        let (admin, _) = signed_in_user(app, Some(&pid), Role::Admin).await;
        assert_eq!(connect(app, &admin, &pid).await, "success");
        let create = format!("/v1/integrations/hubspot/{pid}/create-pipeline");
        let pipeline = expect_json(
            app.send(&admin, Method::POST, &create, Some(&json!({})))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(pipeline["created"], true, "{pipeline}");
        // The stage made for each status, found by the label it was made with.
        let stage_of = |status: DealStatus| -> String {
            let position = DealStatus::ALL.iter().position(|s| *s == status).unwrap();
            let label = new_pipeline().stages[position].label.clone();
            let stages = pipeline["stages"].as_array().unwrap();
            let stage = stages.iter().find(|s| s["label"] == label.as_str());
            stage.expect("a stage per status")["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let mut leads = Vec::new();
        for status in DealStatus::ALL {
            leads.push((lead_in(app, &pid, status, 1).await, status));
        }

        let task = full_sync(app, &admin, &pid).await;
        assert_eq!(task["status"], "completed", "{task}");
        assert_eq!(
            (task["synced"].as_u64(), task["skipped"].as_u64()),
            (Some(7), Some(0)),
            "{task}"
        );
        let portal = Portal {
            portal_id: status(app, &admin, &pid).await["portalId"]
                .as_str()
                .unwrap()
                .to_owned(),
            pipeline_id: pipeline["pipelineId"].as_str().unwrap().to_owned(),
        };
        let deals = objects(app, &portal, ObjectType::Deals).await;
        assert_eq!(deals.len(), 7);
        for (lead, status) in &leads {
            let deal = deals
                .iter()
                .find(|d| d.properties.get("pc_lead_id") == Some(lead))
                .expect("a deal per lead");
            assert_eq!(
                deal.properties.get("dealstage"),
                Some(&stage_of(*status)),
                "the deal of a {} lead",
                status.as_str()
            );
        }

        // The partner maps the "Meeting scheduled" stage to in_touch:
        // nothing stands for scheduled any more. A new scheduled lead is
        // skipped (as is the one already sent), with the reason on the
        // task, and sent nowhere.
        let mapping_path = format!("/v1/partners/{pid}/stage-mapping");
        let mut mapping = serde_json::Map::new();
        for status in DealStatus::ALL {
            let meant = match status {
                DealStatus::Scheduled => DealStatus::InTouch,
                other => other,
            };
            mapping.insert(stage_of(status), json!(meant.as_str()));
        }
        let put = app
            .send(
                &admin,
                Method::PUT,
                &mapping_path,
                Some(&json!({ "mapping": mapping })),
            )
            .await;
        expect_json(put, StatusCode::OK).await;
        lead_in(app, &pid, DealStatus::Scheduled, 2).await;
        let again = full_sync(app, &admin, &pid).await;
        assert_eq!(again["status"], "completed", "{again}");
        assert_eq!(again["skipped"].as_u64(), Some(2), "{again}");
        let reason = again["skippedReason"].as_str().unwrap_or_default();
        assert!(reason.contains("scheduled"), "{again}");
        let deals = objects(app, &portal, ObjectType::Deals).await;
        assert_eq!(deals.len(), 7, "no deal without a stage");
        assert!(deals.iter().all(|d| d.properties.contains_key("dealstage")));
    }
);
