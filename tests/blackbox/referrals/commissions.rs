//! A referral converts: its commission is pending, then paid, and counters
//! and rank stay exact under fifty concurrent conversions.

use futures::future::join_all;
use pc_leads::keys::commission_key;
use pc_tests::reqwest::{Method, StatusCode};
use pc_tests::{expect_json, json, scenario};
use serde_json::Value;

use super::fixtures::{call, fields, ok, refer, referrer, refused, win};

scenario!(
    a_referral_converts_its_commission_is_pending_then_paid,
    |app| {
        app.sign_in_owner().await;
        let (pid, referrer) = referrer(app, "Rita Referrals", 12.5).await;
        let referral = refer(app, &referrer, "Cleo@Client.example").await;
        let lead_id = referral["id"].as_str().unwrap().to_owned();
        assert_eq!(referral["clientEmail"], "cleo@client.example");
        assert_eq!(referral["status"], "new");
        assert_eq!(referral["commissionRate"], 12.5);
        assert_eq!(referral["commission"], Value::Null);

        // It is a lead of the pipeline, from a partner referral.
        let lead = ok(
            app,
            &app.client,
            Method::GET,
            &format!("/v1/leads/{lead_id}"),
            None,
        )
        .await;
        assert_eq!(lead["source"], "partner_referral");
        assert_eq!(lead["partnerId"], pid.as_str());
        assert_eq!(lead["firstName"], "Cleo");
        assert_eq!(lead["notes"][0]["text"], "Ready to buy in Q3");
        // The same client twice is a conflict.
        refused(
            app,
            &referrer,
            Method::POST,
            "/api/partner/leads",
            Some(json!({"clientName": "C", "clientEmail": "cleo@client.example", "service": "x"})),
            StatusCode::CONFLICT,
        )
        .await;

        // Won with 1,000.10 dollars: 12.5 % is 125.0125, so 125.01.
        expect_json(win(app, &lead_id, 1000.1).await, StatusCode::OK).await;
        let mine = ok(
            app,
            &referrer,
            Method::GET,
            &format!("/api/partner/leads/{lead_id}"),
            None,
        )
        .await;
        assert_eq!(mine["status"], "won");
        assert_eq!(mine["commission"], 125.01);
        assert_eq!(mine["commissionStatus"], "pending");
        assert!(mine["convertedAt"].is_string());
        // A later change of the won lead earns nothing more.
        let body = json!({"dealAmount": 5000});
        ok(
            app,
            &app.client,
            Method::PATCH,
            &format!("/v1/leads/{lead_id}"),
            Some(body),
        )
        .await;

        let earnings = ok(
            app,
            &referrer,
            Method::GET,
            "/api/partner/commissions",
            None,
        )
        .await;
        assert_eq!(earnings["totalEarned"], 125.01);
        assert_eq!(earnings["pendingCommission"], 125.01);
        assert_eq!(earnings["paidCommission"], 0.0);
        assert_eq!(earnings["commissions"].as_array().unwrap().len(), 1);
        assert_eq!(earnings["commissions"][0]["id"], lead_id.as_str());
        assert_eq!(earnings["commissions"][0]["dealAmount"], 1000.1);

        let board = ok(app, &referrer, Method::GET, "/api/partner/dashboard", None).await;
        assert_eq!(board["canAccessDashboard"], true);
        assert_eq!(board["partner"]["rank"], "bronze");
        assert_eq!(board["stats"]["totalReferrals"], 1);
        assert_eq!(board["stats"]["convertedReferrals"], 1);
        assert_eq!(board["stats"]["conversionRate"], 100.0);
        assert_eq!(board["stats"]["pendingEarnings"], 125.01);
        assert_eq!(board["recentLeads"][0]["id"], lead_id.as_str());

        // Staff pay it; unknown and already-paid ids are refused by name.
        let payouts = format!("/v1/referral-partners/{pid}/payouts");
        let unknown = refused(
            app,
            &app.client,
            Method::POST,
            &payouts,
            Some(json!({"commissionIds": [lead_id, "NOSUCHCOMMISSION"]})),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&unknown), ["commissionIds[1]"]);
        let payout = ok(
            app,
            &app.client,
            Method::POST,
            &payouts,
            Some(json!({"commissionIds": [lead_id]})),
        )
        .await;
        assert_eq!(payout["total"], 125.01);
        assert_eq!(payout["commissions"][0]["status"], "paid");
        let again = refused(
            app,
            &app.client,
            Method::POST,
            &payouts,
            Some(json!({"commissionIds": [lead_id]})),
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(again["error"]["code"], "commission_already_paid");
        assert!(
            again["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&lead_id)
        );

        let earnings = ok(
            app,
            &referrer,
            Method::GET,
            "/api/partner/commissions",
            None,
        )
        .await;
        assert_eq!(earnings["pendingCommission"], 0.0);
        assert_eq!(earnings["paidCommission"], 125.01);
        assert_eq!(earnings["totalEarned"], 125.01);
        assert_eq!(earnings["commissions"][0]["status"], "paid");
        assert_eq!(earnings["commissions"][0]["payoutId"], payout["id"]);
        let staff_view = ok(
            app,
            &app.client,
            Method::GET,
            &format!("/v1/referral-partners/{pid}/commissions"),
            None,
        )
        .await;
        assert_eq!(staff_view["paidCommission"], 125.01);
    }
);

scenario!(fifty_concurrent_conversions_count_exactly, |app| {
    app.sign_in_owner().await;
    let (pid, referrer) = referrer(app, "Busy Referrer", 12.5).await;
    let mut leads = Vec::new();
    for i in 0..50 {
        let r = refer(app, &referrer, &format!("client{i}@busy.example")).await;
        leads.push(r["id"].as_str().unwrap().to_owned());
    }
    // Each deal is 100.10 dollars: 12.5 % is 12.5125, so 12.51 each.
    let answers = join_all(leads.iter().map(|id| win(app, id, 100.1))).await;
    for response in answers {
        expect_json(response, StatusCode::OK).await;
    }
    let board = ok(app, &referrer, Method::GET, "/api/partner/dashboard", None).await;
    assert_eq!(board["stats"]["totalReferrals"], 50);
    assert_eq!(board["stats"]["convertedReferrals"], 50);
    assert_eq!(board["stats"]["pendingEarnings"], 625.5);
    assert_eq!(board["stats"]["totalEarnings"], 625.5);
    assert_eq!(board["partner"]["rank"], "platinum");
    let earnings = ok(
        app,
        &referrer,
        Method::GET,
        "/api/partner/commissions",
        None,
    )
    .await;
    assert_eq!(earnings["commissions"].as_array().unwrap().len(), 50);
    let store = &app.server.context.store;
    for id in &leads {
        assert!(
            store
                .get(&commission_key(&pid, id))
                .await
                .unwrap()
                .is_some()
        );
    }
    // Paying half of them concurrently with a second payout of the same
    // half pays each once.
    let half: Vec<&String> = leads.iter().take(25).collect();
    let payouts = format!("/v1/referral-partners/{pid}/payouts");
    let body = Some(json!({"commissionIds": half}));
    let (a, b) = futures::join!(
        call(app, &app.client, Method::POST, &payouts, body.clone()),
        call(app, &app.client, Method::POST, &payouts, body.clone())
    );
    let mut statuses = vec![a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    let earnings = ok(
        app,
        &referrer,
        Method::GET,
        "/api/partner/commissions",
        None,
    )
    .await;
    assert_eq!(earnings["paidCommission"], 312.75);
    assert_eq!(earnings["pendingCommission"], 312.75);
});
