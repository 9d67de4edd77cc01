//! Black-box scenarios of analytics: leads count in the month they were
//! created, in the status they have now, through every status change
//! (concurrent ones included); the conversion rate; a marketplace
//! purchase shows for the seller, the buyer and the marketplace; tenancy
//! (another partner's analytics are a 404); marketplace analytics are the
//! owner's; bad month ranges are a 400 naming the field.

use pc_http::identity::Role;
use pc_leads::deal_status::DealStatus;
use pc_tests::invoices_support::lead_created;
use pc_tests::leads_support::signed_in_user;
use pc_tests::market_support::{Side, buy, call, connected_seller, listed_lead, partner};
use pc_tests::marketplace_support::{SOFTWARE_ICP, agency};
use pc_tests::reqwest::{Client, Method, StatusCode};
use pc_tests::{TestApp, expect_json, json, scenario};
use serde_json::Value;

async fn analytics(app: &TestApp, client: &Client, path: &str) -> Value {
    expect_json(
        call(app, client, Method::GET, path, &json!({})).await,
        StatusCode::OK,
    )
    .await
}

async fn set_status(app: &TestApp, client: &Client, lead_id: &str, status: &str) {
    expect_json(
        call(
            app,
            client,
            Method::PATCH,
            &format!("/v1/leads/{lead_id}"),
            &json!({"dealStatus": status}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
}

fn month<'a>(report: &'a Value, month: &str) -> &'a Value {
    report["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == month)
        .unwrap_or_else(|| panic!("{month} in {report}"))
}

scenario!(leads_count_by_creation_month_and_current_status, |app| {
    let alpha = partner(app, "Alpha").await;
    let pid = alpha.partner_id.clone();
    let jan_won = lead_created(
        app,
        &pid,
        "a@one.example",
        "2025-01-10T10:00:00Z",
        DealStatus::New,
        None,
    )
    .await;
    let jan_moved = lead_created(
        app,
        &pid,
        "b@one.example",
        "2025-01-31T23:00:00Z",
        DealStatus::New,
        None,
    )
    .await;
    lead_created(
        app,
        &pid,
        "c@one.example",
        "2025-02-01T00:00:00Z",
        DealStatus::New,
        None,
    )
    .await;
    lead_created(
        app,
        &pid,
        "d@one.example",
        "2025-03-05T00:00:00Z",
        DealStatus::Won,
        None,
    )
    .await;

    set_status(app, &alpha.admin, &jan_won, "won").await;
    set_status(app, &alpha.admin, &jan_moved, "lost_no_show").await;
    set_status(app, &alpha.admin, &jan_moved, "in_touch").await;

    let path = format!("/v1/analytics/partner/{pid}?from=2024-12&to=2025-03");
    let report = analytics(app, &alpha.admin, &path).await;
    assert_eq!(report["months"].as_array().unwrap().len(), 4, "{report}");
    let dec = month(&report, "2024-12");
    assert_eq!(dec["leadsCreated"], 0);
    assert_eq!(dec["leadsByStatus"]["new"], 0);
    let jan = month(&report, "2025-01");
    assert_eq!(jan["leadsCreated"], 2, "{jan}");
    assert_eq!(jan["leadsByStatus"]["new"], 0);
    assert_eq!(jan["leadsByStatus"]["won"], 1);
    assert_eq!(jan["leadsByStatus"]["in_touch"], 1);
    assert_eq!(jan["leadsByStatus"]["lost_no_show"], 0);
    assert_eq!(jan["conversionRate"], 0.5);
    let feb = month(&report, "2025-02");
    assert_eq!(feb["leadsCreated"], 1);
    assert_eq!(feb["leadsByStatus"]["new"], 1);
    assert_eq!(feb["conversionRate"], 0.0);
    assert_eq!(month(&report, "2025-03")["leadsByStatus"]["won"], 1);
    let totals = &report["totals"];
    assert_eq!(totals["leadsCreated"], 4);
    assert_eq!(totals["won"], 2);
    assert_eq!(totals["conversionRate"], 0.5);
    assert_eq!(totals["salesCents"], 0);

    // A narrower range counts only its months.
    let march = analytics(
        app,
        &alpha.admin,
        &format!("/v1/analytics/partner/{pid}?from=2025-03&to=2025-03"),
    )
    .await;
    assert_eq!(march["totals"]["leadsCreated"], 1);
    assert_eq!(march["totals"]["conversionRate"], 1.0);

    // Concurrent status changes of one partner's leads all count.
    let mut many = Vec::new();
    for n in 0..8 {
        let email = format!("many{n}@two.example");
        many.push(
            lead_created(
                app,
                &pid,
                &email,
                "2025-04-02T09:00:00Z",
                DealStatus::New,
                None,
            )
            .await,
        );
    }
    let changes = many
        .iter()
        .map(|id| set_status(app, &alpha.admin, id, "won"));
    futures::future::join_all(changes).await;
    let april = analytics(
        app,
        &alpha.admin,
        &format!("/v1/analytics/partner/{pid}?from=2025-04&to=2025-04"),
    )
    .await;
    assert_eq!(april["totals"]["leadsCreated"], 8, "{april}");
    assert_eq!(april["totals"]["leadsByStatus"]["won"], 8, "{april}");
    assert_eq!(april["totals"]["leadsByStatus"]["new"], 0, "{april}");
});

scenario!(
    analytics_are_the_partners_own_and_the_marketplaces_the_owners,
    |app| {
        let alpha = partner(app, "Alpha").await;
        let beta = partner(app, "Beta").await;
        let (alpha_user, _) = signed_in_user(app, Some(&alpha.partner_id), Role::User).await;
        let own = format!("/v1/analytics/partner/{}", alpha.partner_id);
        analytics(app, &alpha_user, &own).await;

        // Another partner's analytics do not exist for this one.
        let other = call(app, &beta.admin, Method::GET, &own, &json!({})).await;
        let body = expect_json(other, StatusCode::NOT_FOUND).await;
        assert_eq!(body["error"]["code"], "not_found");

        // Staff see any partner; a partner that does not exist is a 404.
        app.sign_in_owner().await;
        let staff = analytics(app, &app.client, &own).await;
        assert_eq!(staff["partnerId"], alpha.partner_id.as_str());
        let missing = call(
            app,
            &app.client,
            Method::GET,
            "/v1/analytics/partner/nope",
            &json!({}),
        )
        .await;
        expect_json(missing, StatusCode::NOT_FOUND).await;

        // Marketplace analytics are for owners only.
        let market = "/v1/analytics/marketplace?from=2025-01&to=2025-12";
        for client in [&alpha.admin, &alpha_user] {
            let refused = call(app, client, Method::GET, market, &json!({})).await;
            expect_json(refused, StatusCode::FORBIDDEN).await;
        }
        let (staff_admin, _) = signed_in_user(app, None, Role::Admin).await;
        let refused = call(app, &staff_admin, Method::GET, market, &json!({})).await;
        expect_json(refused, StatusCode::FORBIDDEN).await;
        let report = analytics(app, &app.client, market).await;
        assert_eq!(report["months"].as_array().unwrap().len(), 12);

        // Bad ranges name the field.
        for (query, field) in [
            ("from=2025-1", "from"),
            ("from=2025-13&to=2026-01", "from"),
            ("from=2025-01&to=25-02", "to"),
            ("from=2025-05&to=2025-04", "to"),
            ("from=2023-01&to=2025-01", "to"),
        ] {
            for path in [
                format!("{own}?{query}"),
                format!("/v1/analytics/marketplace?{query}"),
            ] {
                let bad = call(app, &app.client, Method::GET, &path, &json!({})).await;
                let body = expect_json(bad, StatusCode::BAD_REQUEST).await;
                assert_eq!(
                    body["error"]["details"][0]["field"], field,
                    "{path}: {body}"
                );
            }
        }
    }
);

scenario!(
    a_purchase_counts_for_the_seller_the_buyer_and_the_marketplace,
    |app| {
        let seller = connected_seller(app, "Seller").await;
        let buyer = agency(app, "Buyer", SOFTWARE_ICP).await;
        let buyer = Side {
            partner_id: buyer.id,
            admin: buyer.admin,
            admin_email: buyer.admin_email,
        };
        let lead = listed_lead(app, &seller, "jane@widget.example", 100).await;
        app.drain().await;
        buy(app, &buyer, &lead).await;

        let this_month = pc_analytics::tally::month_of(app.server.context.clock.now());
        let range = format!("from={this_month}&to={this_month}");
        let sold = analytics(
            app,
            &seller.admin,
            &format!("/v1/analytics/partner/{}?{range}", seller.partner_id),
        )
        .await;
        let totals = &sold["totals"];
        assert_eq!(totals["sales"], 1, "{sold}");
        assert_eq!(totals["salesCents"], 10_000);
        assert_eq!(totals["revenueCents"], 8_000, "the price less the 20% fee");
        assert_eq!(totals["purchases"], 0);
        assert_eq!(totals["leadsCreated"], 1);

        let bought = analytics(
            app,
            &buyer.admin,
            &format!("/v1/analytics/partner/{}?{range}", buyer.partner_id),
        )
        .await;
        let totals = &bought["totals"];
        assert_eq!(totals["purchases"], 1, "{bought}");
        assert_eq!(totals["purchasesCents"], 10_000);
        assert_eq!(totals["sales"], 0);
        assert_eq!(totals["revenueCents"], 0);
        assert_eq!(totals["leadsCreated"], 1, "the buyer's copy is a new lead");

        app.sign_in_owner().await;
        let market = analytics(
            app,
            &app.client,
            &format!("/v1/analytics/marketplace?{range}"),
        )
        .await;
        let totals = &market["totals"];
        assert_eq!(totals["sales"], 1, "{market}");
        assert_eq!(totals["volumeCents"], 10_000);
        assert_eq!(totals["platformFeeCents"], 2_000);
        assert_eq!(totals["activePartners"], 2);
        assert_eq!(totals["listings"], 1);
        assert_eq!(totals["listingsMatched"], 1, "the buyer's ICP matches");
        assert_eq!(totals["matchRate"], 1.0);
        assert_eq!(month(&market, &this_month)["activePartners"], 2);
    }
);
