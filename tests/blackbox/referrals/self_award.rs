//! A referrer cannot award itself a commission: only platform staff set a
//! referred lead's `won` or deal amount, whichever way the change comes
//! (the lead API, the public partner API, an import, HubSpot). Each
//! attempt is refused and recorded; the lead keeps its values and no
//! commission appears. Staff winning it still earns exactly its commission.

use std::time::{Duration, Instant};

use pc_platform::crm::ObjectType;
use pc_tests::hubspot_support::{change_event, connect, full_sync, post_batch, user_update};
use pc_tests::imports_support::upload;
use pc_tests::leads_support::get_ok;
use pc_tests::partner_api_support::{outcome, request_change};
use pc_tests::reqwest::{Client, Method, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

use super::fixtures::{call, fields, ok, refer, referrer, refused, win};

/// The referrer's commissions: none pending, none earned.
async fn assert_no_commission(app: &TestApp, referrer: &Client) {
    let earnings = ok(app, referrer, Method::GET, "/api/partner/commissions", None).await;
    assert_eq!(earnings["totalEarned"], 0.0, "{earnings}");
    assert_eq!(earnings["pendingCommission"], 0.0, "{earnings}");
    assert_eq!(earnings["commissions"], json!([]), "{earnings}");
}

/// The lead as staff see it.
async fn lead(app: &TestApp, lead_id: &str) -> Value {
    get_ok(app, &app.client, &format!("/v1/leads/{lead_id}")).await
}

/// Staff win the lead with `amount` dollars; the referrer's commission is
/// then exactly `expected` dollars, pending.
async fn staff_win_earns(
    app: &TestApp,
    referrer: &Client,
    lead_id: &str,
    amount: f64,
    expected: f64,
) {
    expect_json(win(app, lead_id, amount).await, StatusCode::OK).await;
    let mine = ok(
        app,
        referrer,
        Method::GET,
        &format!("/api/partner/leads/{lead_id}"),
        None,
    )
    .await;
    assert_eq!(mine["status"], "won");
    assert_eq!(mine["commission"], expected);
    assert_eq!(mine["commissionStatus"], "pending");
}

scenario!(
    a_referrer_cannot_win_or_price_its_referral_through_the_lead_api,
    |app| {
        app.sign_in_owner().await;
        let (_, referrer) = referrer(app, "Selfie Referrals", 10.0).await;
        let referral = refer(app, &referrer, "cleo@selfie.example").await;
        let lead_id = referral["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/leads/{lead_id}");

        let attempts = [
            (
                json!({"dealStatus": "won", "dealAmount": 1_000_000}),
                vec!["dealStatus", "dealAmount"],
            ),
            (json!({"dealAmount": 1_000_000}), vec!["dealAmount"]),
            (json!({"dealStatus": "in_touch"}), vec![]),
        ];
        for (body, refused_fields) in attempts {
            if refused_fields.is_empty() {
                ok(app, &referrer, Method::PATCH, &path, Some(body)).await;
                continue;
            }
            let error = refused(
                app,
                &referrer,
                Method::PATCH,
                &path,
                Some(body),
                StatusCode::FORBIDDEN,
            )
            .await;
            assert_eq!(error["error"]["code"], "staff_only");
            assert_eq!(fields(&error), refused_fields);
        }
        // In touch, then won: the second step is refused too.
        let won = json!({"dealStatus": "won"});
        let error = refused(
            app,
            &referrer,
            Method::PATCH,
            &path,
            Some(won),
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(fields(&error), vec!["dealStatus"]);
        let stored = lead(app, &lead_id).await;
        assert_eq!(stored["dealStatus"], "in_touch");
        assert_eq!(stored["dealAmount"], Value::Null);
        assert_no_commission(app, &referrer).await;

        // Staff win it: exactly 10 % of the amount.
        staff_win_earns(app, &referrer, &lead_id, 12_345.67, 1_234.57).await;
        // Once won, the referrer still cannot re-price it.
        let body = json!({"dealAmount": 9_999_999});
        refused(
            app,
            &referrer,
            Method::PATCH,
            &path,
            Some(body),
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(lead(app, &lead_id).await["dealAmount"], 12_345.67);
    }
);

scenario!(
    a_referrer_cannot_win_its_referral_through_its_api_token,
    |app| {
        app.sign_in_owner().await;
        let (pid, referrer) = referrer(app, "Token Referrals", 10.0).await;
        let referral = refer(app, &referrer, "cleo@token.example").await;
        let lead_id = referral["id"].as_str().unwrap().to_owned();
        let created = ok(
            app,
            &referrer,
            Method::POST,
            &format!("/v1/partners/{pid}/api-tokens"),
            Some(json!({"name": "crm bridge"})),
        )
        .await;
        let token = created["token"].as_str().unwrap().to_owned();

        for body in [
            json!({"leadId": lead_id, "status": "won", "dealAmount": 1_000_000}),
            json!({"email": "cleo@token.example", "status": "in_touch", "dealAmount": 1_000_000}),
        ] {
            let request_id = request_change(app, &token, &body).await;
            let settled = outcome(app, &token, &request_id).await;
            assert_eq!(settled["state"], "rejected", "{body}");
            assert_eq!(settled["error"]["code"], "staff_only", "{settled}");
        }
        // A move that earns nothing still applies.
        let request_id = request_change(
            app,
            &token,
            &json!({"leadId": lead_id, "status": "in_touch"}),
        )
        .await;
        assert_eq!(outcome(app, &token, &request_id).await["state"], "applied");
        let stored = lead(app, &lead_id).await;
        assert_eq!(stored["dealStatus"], "in_touch");
        assert_eq!(stored["dealAmount"], Value::Null);
        assert_no_commission(app, &referrer).await;

        staff_win_earns(app, &referrer, &lead_id, 2_000.0, 200.0).await;
    }
);

/// Imports `csv` for the referrer as `client`; answers the finished task.
async fn import(app: &TestApp, client: &Client, pid: &str, csv: &str) -> Value {
    let answer = upload(app, client, Some(pid), "deals.csv", csv.as_bytes().to_vec()).await;
    let started = expect_json(answer, StatusCode::ACCEPTED).await;
    let task_id = started["taskId"].as_str().unwrap().to_owned();
    let path = format!("/v1/leads/import/{task_id}");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        app.drain().await;
        let task = get_ok(app, client, &path).await;
        if task["status"] == "completed" || task["status"] == "failed" {
            return task;
        }
        assert!(Instant::now() < deadline, "the import never ended: {task}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

scenario!(
    a_referrer_cannot_price_its_referral_through_an_import,
    |app| {
        app.sign_in_owner().await;
        let (pid, referrer) = referrer(app, "Import Referrals", 10.0).await;
        let referral = refer(app, &referrer, "cleo@import.example").await;
        let lead_id = referral["id"].as_str().unwrap().to_owned();

        let csv = "email,company,deal amount\ncleo@import.example,Cleo Co,1000000\nother@import.example,Other Co,500\n";
        let task = import(app, &referrer, &pid, csv).await;
        assert_eq!(task["status"], "completed", "{task}");
        assert_eq!(task["failed"], 1, "{task}");
        assert_eq!(task["created"], 1, "the other row still imports: {task}");
        assert_eq!(task["errors"][0]["row"], 2, "{task}");
        assert_eq!(task["errors"][0]["field"], "dealAmount", "{task}");
        let stored = lead(app, &lead_id).await;
        assert_eq!(stored["dealAmount"], Value::Null);
        assert_ne!(
            stored["company"], "Cleo Co",
            "the refused row changed nothing"
        );
        assert_no_commission(app, &referrer).await;

        // Staff may import the amount; staff then win it at that amount.
        let csv = "email,deal amount\ncleo@import.example,3000\n";
        let task = import(app, &app.client, &pid, csv).await;
        assert_eq!(
            (task["updated"].clone(), task["failed"].clone()),
            (json!(1), json!(0)),
            "{task}"
        );
        assert_eq!(lead(app, &lead_id).await["dealAmount"], 3000.0);
        staff_win_earns(app, &referrer, &lead_id, 3000.0, 300.0).await;
    }
);

scenario!(
    a_referrer_cannot_win_or_price_its_referral_through_hubspot,
    |app| {
        app.sign_in_owner().await;
        let (pid, referrer) = referrer(app, "Hub Referrals", 10.0).await;
        let referral = refer(app, &referrer, "cleo@hub.example").await;
        let lead_id = referral["id"].as_str().unwrap().to_owned();
        let portal = connect(app, &pid).await;
        full_sync(app, &app.client, &pid).await;
        let synced = lead(app, &lead_id).await;
        let deal_id = synced["hubspotDealId"].as_str().expect("a deal").to_owned();
        let mapping = get_ok(
            app,
            &app.client,
            &format!("/v1/partners/{pid}/stage-mapping"),
        )
        .await;
        let won_stage = mapping["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["dealStatus"] == "won")
            .and_then(|s| s["stageId"].as_str())
            .expect("a won stage")
            .to_owned();

        // The webhook: HubSpot's amount waits as a conflict.
        let now = app.server.context.clock.now().timestamp_millis();
        let batch = json!([change_event(
            701, &portal, "deal", &deal_id, now, "amount", "1000000"
        )])
        .to_string();
        expect_json(post_batch(app, &batch, now, None).await, StatusCode::OK).await;
        app.drain().await;
        // The sync: HubSpot's won stage waits as a conflict too.
        user_update(
            app,
            &portal,
            ObjectType::Deals,
            &deal_id,
            &[("dealstage", won_stage.as_str())],
        )
        .await;
        full_sync(app, &app.client, &pid).await;

        let stored = lead(app, &lead_id).await;
        assert_eq!(stored["dealStatus"], "new");
        assert_eq!(stored["dealAmount"], Value::Null);
        assert_no_commission(app, &referrer).await;
        let conflicts = get_ok(app, &app.client, "/v1/sync/conflicts").await;
        let open: Vec<&Value> = conflicts["list"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["leadId"] == lead_id.as_str())
            .collect();
        let id_of = |field: &str| {
            open.iter()
                .find(|c| c["field"] == field)
                .unwrap_or_else(|| panic!("a {field} conflict: {conflicts}"))["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let (amount, status) = (id_of("dealAmount"), id_of("dealStatus"));

        // The referrer cannot accept HubSpot's values; staff can.
        let accept = json!({"resolution": "hubspot"});
        let error = refused(
            app,
            &referrer,
            Method::POST,
            &format!("/v1/sync/conflicts/{amount}/resolve"),
            Some(accept.clone()),
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(error["error"]["code"], "staff_only");
        assert_no_commission(app, &referrer).await;
        for id in [&amount, &status] {
            let answer = call(
                app,
                &app.client,
                Method::POST,
                &format!("/v1/sync/conflicts/{id}/resolve"),
                Some(accept.clone()),
            )
            .await;
            expect_json(answer, StatusCode::OK).await;
        }
        let mine = ok(
            app,
            &referrer,
            Method::GET,
            &format!("/api/partner/leads/{lead_id}"),
            None,
        )
        .await;
        assert_eq!(mine["status"], "won");
        assert_eq!(mine["commission"], 100_000.0);
    }
);
