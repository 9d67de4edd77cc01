//! Black-box scenarios of the referral partner portal: a referral partner
//! refers a client, platform staff win the lead, its commission becomes
//! pending and is paid out; counters and rank stay exact under fifty
//! concurrent conversions; the payout profile keeps its secrets sealed and
//! shows them masked; every endpoint keeps referrers apart.

use futures::future::join_all;
use pc_api::identity::Role;
use pc_leads::referral_commission::commission_key;
use pc_referrals::profile_store::profile_key;
use pc_tests::leads_support::signed_in_user;
use pc_tests::reqwest::{Client, Method, Response, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

async fn call(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Response {
    app.send(client, method, path, body.as_ref()).await
}

async fn ok(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let expected = if method == Method::POST {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    expect_json(call(app, client, method, path, body).await, expected).await
}

/// The error body of a refused call, asserting its status.
async fn refused(
    app: &TestApp,
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Value>,
    status: StatusCode,
) -> Value {
    expect_json(call(app, client, method, path, body).await, status).await
}

fn fields(error: &Value) -> Vec<String> {
    error["error"]["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A referral partner created by the (signed-in) owner at `rate` percent,
/// with a signed-in admin; answers its id and the admin's browser.
async fn referrer(app: &TestApp, name: &str, rate: f64) -> (String, Client) {
    let body = json!({"name": name, "kind": "referral", "commissionRate": rate});
    let partner = ok(app, &app.client, Method::POST, "/v1/partners", Some(body)).await;
    assert_eq!(partner["kind"], "referral");
    assert_eq!(partner["commissionRate"], rate);
    let id = partner["id"].as_str().unwrap().to_owned();
    let (admin, _) = signed_in_user(app, Some(&id), Role::Admin).await;
    (id, admin)
}

async fn refer(app: &TestApp, client: &Client, email: &str) -> Value {
    let body = json!({"clientName": "Cleo Client", "clientEmail": email,
        "clientPhone": "+1 555 0101", "service": "SEO audit", "notes": "Ready to buy in Q3"});
    ok(app, client, Method::POST, "/api/partner/leads", Some(body)).await
}

/// Staff win `lead_id` with `amount` dollars.
async fn win(app: &TestApp, lead_id: &str, amount: f64) -> Response {
    let body = json!({"dealStatus": "won", "dealAmount": amount});
    call(
        app,
        &app.client,
        Method::PATCH,
        &format!("/v1/leads/{lead_id}"),
        Some(body),
    )
    .await
}

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

scenario!(
    a_referrer_sets_only_its_statuses_and_lists_by_the_list_conventions,
    |app| {
        app.sign_in_owner().await;
        let (_, referrer) = referrer(app, "Lister", 10.0).await;
        let a = refer(app, &referrer, "ann@a.example").await;
        refer(app, &referrer, "bob@b.example").await;
        let path = format!("/api/partner/leads/{}", a["id"].as_str().unwrap());

        let moved = ok(
            app,
            &referrer,
            Method::PATCH,
            &path,
            Some(json!({"status": "in_touch"})),
        )
        .await;
        assert_eq!(moved["status"], "in_touch");
        let refused_won = refused(
            app,
            &referrer,
            Method::PATCH,
            &path,
            Some(json!({"status": "won"})),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&refused_won), ["status"]);
        let withdrawn = ok(
            app,
            &referrer,
            Method::PATCH,
            &path,
            Some(json!({"status": "lost_no_potential", "clientPhone": null})),
        )
        .await;
        assert_eq!(withdrawn["status"], "lost_no_potential");
        assert_eq!(withdrawn["clientPhone"], Value::Null);
        let bad = refused(
            app,
            &referrer,
            Method::POST,
            "/api/partner/leads",
            Some(json!({"clientName": " ", "clientEmail": "nope", "service": ""})),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&bad).len(), 3, "{bad}");

        let page = ok(
            app,
            &referrer,
            Method::GET,
            "/api/partner/leads?perPage=1",
            None,
        )
        .await;
        assert_eq!(page["meta"]["total"], 2);
        assert_eq!(page["list"].as_array().unwrap().len(), 1);
        assert_eq!(page["list"][0]["clientEmail"], "bob@b.example");
        let filter = pc_tests::leads_support::filter_query(
            &json!([{"column": "status", "operator": "eq", "value": "lost_no_potential"}]),
        );
        let lost = ok(
            app,
            &referrer,
            Method::GET,
            &format!("/api/partner/leads?{filter}"),
            None,
        )
        .await;
        assert_eq!(lost["meta"]["total"], 1);
        let search = ok(
            app,
            &referrer,
            Method::GET,
            "/api/partner/leads?search=bob",
            None,
        )
        .await;
        assert_eq!(search["meta"]["total"], 1);
        refused(
            app,
            &referrer,
            Method::GET,
            "/api/partner/leads?sort=dealStatus:asc",
            None,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
);

scenario!(referrers_are_kept_apart_and_others_are_refused, |app| {
    app.sign_in_owner().await;
    let (_, first) = referrer(app, "First Ref", 10.0).await;
    let (second_id, second) = referrer(app, "Second Ref", 10.0).await;
    let lead = refer(app, &first, "kim@k.example").await;
    let path = format!("/api/partner/leads/{}", lead["id"].as_str().unwrap());
    refused(
        app,
        &second,
        Method::GET,
        &path,
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    refused(
        app,
        &second,
        Method::PATCH,
        &path,
        Some(json!({"status": "in_touch"})),
        StatusCode::NOT_FOUND,
    )
    .await;
    let theirs = ok(app, &second, Method::GET, "/api/partner/leads", None).await;
    assert_eq!(theirs["meta"]["total"], 0);
    let commissions = ok(app, &second, Method::GET, "/api/partner/commissions", None).await;
    assert_eq!(commissions["commissions"], json!([]));

    // An agency's users have no portal; staff have no partner.
    let agency = ok(
        app,
        &app.client,
        Method::POST,
        "/v1/partners",
        Some(json!({"name": "Agency Co"})),
    )
    .await;
    assert_eq!(agency["kind"], "agency");
    assert_eq!(agency["commissionRate"], Value::Null);
    let agency_id = agency["id"].as_str().unwrap();
    let (agency_user, _) = signed_in_user(app, Some(agency_id), Role::Admin).await;
    let board = ok(
        app,
        &agency_user,
        Method::GET,
        "/api/partner/dashboard",
        None,
    )
    .await;
    assert_eq!(board["canAccessDashboard"], false);
    assert_eq!(board["recentLeads"], json!([]));
    for (method, p) in [
        (Method::GET, "/api/partner/leads"),
        (Method::GET, "/api/partner/commissions"),
        (Method::GET, "/api/partner/profile"),
        (Method::GET, path.as_str()),
    ] {
        let e = refused(
            app,
            &agency_user,
            method.clone(),
            p,
            None,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(e["error"]["code"], "not_a_referral_partner");
        refused(app, &app.client, method, p, None, StatusCode::FORBIDDEN).await;
    }
    refused(
        app,
        &agency_user,
        Method::POST,
        "/api/partner/leads",
        Some(json!({"clientName": "A B", "clientEmail": "a@b.example", "service": "x"})),
        StatusCode::FORBIDDEN,
    )
    .await;

    // Payouts are platform staff's, for referral partners only.
    let body = Some(json!({"commissionIds": ["X1"]}));
    let payouts = format!("/v1/referral-partners/{second_id}/payouts");
    refused(
        app,
        &second,
        Method::POST,
        &payouts,
        body.clone(),
        StatusCode::FORBIDDEN,
    )
    .await;
    refused(
        app,
        &app.client,
        Method::POST,
        &format!("/v1/referral-partners/{agency_id}/payouts"),
        body.clone(),
        StatusCode::NOT_FOUND,
    )
    .await;
    let dup = refused(
        app,
        &app.client,
        Method::POST,
        &payouts,
        Some(json!({"commissionIds": ["X1", "X1"]})),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(fields(&dup), ["commissionIds[1]"]);

    // Kind and commission rate are checked by name.
    for (body, field) in [
        (json!({"name": "R1", "kind": "referral"}), "commissionRate"),
        (
            json!({"name": "R2", "kind": "referral", "commissionRate": 0}),
            "commissionRate",
        ),
        (
            json!({"name": "R3", "kind": "referral", "commissionRate": 100.5}),
            "commissionRate",
        ),
        (
            json!({"name": "R4", "commissionRate": 10}),
            "commissionRate",
        ),
        (json!({"name": "R5", "kind": "broker"}), "kind"),
    ] {
        let e = refused(
            app,
            &app.client,
            Method::POST,
            "/v1/partners",
            Some(body),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&e), [field]);
    }
    let changed = ok(
        app,
        &app.client,
        Method::PATCH,
        &format!("/v1/partners/{second_id}"),
        Some(json!({"commissionRate": 15})),
    )
    .await;
    assert_eq!(changed["commissionRate"], 15.0);
    refused(
        app,
        &second,
        Method::PATCH,
        &format!("/v1/partners/{second_id}"),
        Some(json!({"commissionRate": 50})),
        StatusCode::FORBIDDEN,
    )
    .await;
});

scenario!(
    the_payout_profile_is_sealed_at_rest_and_shown_masked,
    |app| {
        app.sign_in_owner().await;
        let (pid, admin) = referrer(app, "Profiled", 10.0).await;
        let fresh = ok(app, &admin, Method::GET, "/api/partner/profile", None).await;
        assert_eq!(fresh["bankAccount"], Value::Null);
        assert_eq!(fresh["monthlyReports"], true);
        let body = json!({"paymentEmail": "Pay@Profiled.example", "paymentMethod": "bank_transfer",
        "bankAccount": "DE89 3704 0044 0532 0130 00", "taxId": "12-3456789",
        "contactName": "Rita", "address": "1 Main St", "city": "Springfield", "zip": "12345",
        "monthlyReports": false});
        let saved = ok(
            app,
            &admin,
            Method::PATCH,
            "/api/partner/profile",
            Some(body),
        )
        .await;
        assert_eq!(saved["bankAccount"], "****3000");
        assert_eq!(saved["taxId"], "****6789");
        assert_eq!(saved["paymentEmail"], "pay@profiled.example");
        assert_eq!(saved["monthlyReports"], false);
        let read = ok(app, &admin, Method::GET, "/api/partner/profile", None).await;
        assert_eq!(read, saved);
        let stored = app
            .server
            .context
            .store
            .get(&profile_key(&pid))
            .await
            .unwrap()
            .expect("stored profile");
        let raw = serde_json::to_string(&stored).unwrap();
        assert!(!raw.contains("DE89") && !raw.contains("3456789"), "{raw}");

        let cleared = ok(
            app,
            &admin,
            Method::PATCH,
            "/api/partner/profile",
            Some(json!({"taxId": null})),
        )
        .await;
        assert_eq!(cleared["taxId"], Value::Null);
        assert_eq!(cleared["bankAccount"], "****3000");
        let bad = refused(
            app,
            &admin,
            Method::PATCH,
            "/api/partner/profile",
            Some(json!({"bankAccount": "12", "paymentMethod": "gold", "shoeSize": 9})),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&bad).len(), 3, "{bad}");
        // A user of the partner reads it; only its admins change it.
        let (user, _) = signed_in_user(app, Some(&pid), Role::User).await;
        assert_eq!(
            ok(app, &user, Method::GET, "/api/partner/profile", None).await["taxId"],
            Value::Null
        );
        refused(
            app,
            &user,
            Method::PATCH,
            "/api/partner/profile",
            Some(json!({"city": "X"})),
            StatusCode::FORBIDDEN,
        )
        .await;
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
